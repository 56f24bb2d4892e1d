// What each structure costs per provider, measured in one process with `node --expose-gc`:
// `node --expose-gc dist/bench/memory-probe.js zookeeper|etcd|etcd2|file ADDRESS SERVICES`
// (ADDRESS: the connection string, the etcd URL, or the registry file's path).
// Prints one JSON line: heap and RSS after each step (MiB), for the scale benchmark to tabulate.
import { writeHeapSnapshot } from 'node:v8';
import { Etcd3, type Watcher } from 'etcd3';
import zookeeper from 'node-zookeeper-client';
import pino from 'pino';
import { AnswerCache } from '../src/cache/answer-cache.js';
import { loadConfig } from '../src/config/load.js';
import { Forwarder } from '../src/forward/forwarder.js';
import { Registry } from '../src/registry/registry.js';
import { ClientAcl } from '../src/server/acl.js';
import { QueryHandler } from '../src/server/handler.js';
import { Router } from '../src/server/router.js';
import { createSources } from '../src/sources/index.js';
import { leanWatches } from '../src/clients/zookeeper-watch-table.js';
import { HostAddresses } from '../src/zone/host-addresses.js';
import { ReverseIndex } from '../src/zone/reverse-index.js';
import { ServiceZone } from '../src/zone/service-zone.js';
import { query } from '../test/harness/wire.js';
import { runLimited } from './benchmark.js';

const [kind, address, servicesText] = process.argv.slice(2);
const services = Array.from({ length: Number(servicesText) }, (_, i) => `svc${i}`);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

/** Heap and RSS in MiB once garbage is collected and the heap stayed within 256 KiB for three readings 0.5 s apart (background reads done). */
async function settled(): Promise<{ heap: number; rss: number }> {
  let last = 0;
  let steady = 0;
  for (let i = 0; i < 120 && steady < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    gc!();
    const { heapUsed } = process.memoryUsage();
    steady = Math.abs(heapUsed - last) < 1 << 18 ? steady + 1 : 0;
    last = heapUsed;
  }
  const { heapUsed, rss } = process.memoryUsage();
  return { heap: heapUsed / 2 ** 20, rss: rss / 2 ** 20 };
}

/**
 * The registry client alone, holding the watches the source holds: ZooKeeper's one per child and
 * per list (in our WatchTable), etcd's one per prefix.
 */
async function clientWatchesOnly(): Promise<() => Promise<void>> {
  if (kind === 'zookeeper') {
    const client = leanWatches(zookeeper.createClient(address, { sessionTimeout: 30_000 }));
    const watcher = () => {};
    await new Promise<void>((resolve) => (client.once('connected', () => resolve()), client.connect()));
    const call = <T>(run: (done: (error: unknown, value: T) => void) => void) =>
      new Promise<T>((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value))));
    await runLimited(services, 64, async (service) => {
      const path = `/${service}/providers`;
      const children = await call<string[]>((done) => client.getChildren(path, watcher, (error, names) => done(error, names)));
      await Promise.all(children.map((child) => call<Buffer>((done) => client.getData(`${path}/${child}`, watcher, (error, data) => done(error, data)))));
    });
    return async () => client.close();
  }
  const client = new Etcd3({ hosts: address });
  const watchers: Watcher[] = [];
  for (const service of services) watchers.push(await client.watch().prefix(`/${service}/providers/`).create());
  return async () => {
    await Promise.all(watchers.map((watcher) => watcher.cancel()));
    client.close();
  };
}

const steps: Record<string, { heap: number; rss: number }> = {};
steps.start = await settled();

// etcd v2 long-polls one directory per service and the file is read whole: no watches kept in a client.
if (kind === 'zookeeper' || kind === 'etcd') {
  const closeClient = await clientWatchesOnly();
  steps.clientWatches = await settled();
  await closeClient();
  steps.afterClient = await settled();
} else steps.clientWatches = steps.afterClient = steps.start;

if (process.env.PROBE_SNAPSHOT) writeHeapSnapshot(`${process.env.PROBE_SNAPSHOT}.before`);
const log = pino({ level: 'silent' });
const config = loadConfig({ flags: { [kind]: address, upstream: ['127.0.0.1:9'] }, env: {} });
const registry = new Registry(await createSources(config.sources, log), { maxServices: 50_000, idleReleaseMs: 3_600_000, ensureTimeoutMs: 30_000 });
registry.start();
await runLimited(services, 64, async (service) => {
  if ((await registry.ensure(service)) !== 'ready') throw new Error(`${service} did not load`);
});
steps.sourceLoaded = await settled();
// PROBE_SNAPSHOT=FILE: heap snapshots before (FILE.before) and after the source loaded, to see which objects the mirror holds.
if (process.env.PROBE_SNAPSHOT) writeHeapSnapshot(process.env.PROBE_SNAPSHOT);

const copies = services.map((service) => registry.providers(service).map((provider) => ({ ...provider, tags: [...provider.tags] })));
steps.providerCopies = await settled();
copies.length = 0;

const hosts = new HostAddresses(async () => Promise.reject(new Error('no lookups')), { failureTtlMs: 1000, minTtlMs: 1000, maxTtlMs: 1000, idleMs: 1000 });
const handlerWith = (cache: AnswerCache) =>
  new QueryHandler(
    {
      cache,
      zone: new ServiceZone({ domain: 'service.local', ttl: 5, hostWaitMs: 100, maxAnswers: 0 }, registry, hosts, new ReverseIndex(registry)),
      registry,
      router: new Router('service.local', new Map(), []),
      forwarder: new Forwarder({ timeoutMs: 100, maxInFlight: 1 }),
      acl: new ClientAcl(['127.0.0.0/8']),
      observer: { answered() {}, malformed() {}, truncated() {} },
      recursionAvailable: true,
    },
    { zoneCacheMs: 3_600_000, maxForwardTtl: 60 },
  );
const cache = new AnswerCache({ max: 100_000 });
const handler = handlerWith(cache);
let answerBytes = 0;
for (const service of services) {
  const reply = await handler.handle(query(`${service}.service.local`, 33, { edns: { udpSize: 4096 } }), '127.0.0.1', false);
  answerBytes += reply?.length ?? 0;
}
steps.answersCached = await settled();

// What --preload encodes ahead: the six first answers of every service, in a cache of their own.
const firstAnswers = new AnswerCache({ max: 100_000 });
const warmer = handlerWith(firstAnswers);
for (const service of services) await warmer.warm(service);
steps.firstAnswers = await settled();

console.log(JSON.stringify({ steps, cached: cache.size, firstAnswers: firstAnswers.size, answerBytes }));
await registry.stop();
process.exit(0);
