import type zookeeper from 'node-zookeeper-client';
import { startBridge, type BridgeProcess } from '../test/harness/bridge.js';
import { freePort } from '../test/harness/ports.js';
import { connectZooKeeper, startZooKeeper, type ZooKeeperTestClient } from '../test/harness/zookeeper.js';
import { percentile, provider, runLimited, service, table, type Benchmark } from './benchmark.js';
import { rssMiB } from '../test/harness/process.js';
import { DnsClient } from './dns-client.js';

const SERVICES = Number(process.env.ZK_BENCH_SERVICES ?? 10_000);
const PROVIDERS = 10;
const CHANGES = Number(process.env.ZK_BENCH_CHANGES ?? 200);
/** First queries timed one at a time, before the rest are loaded 64 at a time. */
const FIRST_QUERIES = 200;

/**
 * How far behind ZooKeeper the answers are: each create or delete timed to the first DNS answer
 * showing it, beside the same change seen by a plain watcher in the same run (its watch firing,
 * and its re-armed list coming back); what a first query costs; the bridge's memory with every
 * service watched.
 */
export const zooKeeperBenchmark: Benchmark = {
  name: 'zookeeper',
  description: `ZooKeeper: create/delete -> first DNS answer vs raw watch latency (${CHANGES} changes), first-query latency, RSS with ${SERVICES} services x ${PROVIDERS} providers watched`,
  async run() {
    const zk = await startZooKeeper();
    const writer = await connectZooKeeper(zk.address, { sessionTimeoutMs: 30_000 });
    const watcher = await connectZooKeeper(zk.address, { sessionTimeoutMs: 30_000 });
    let bridge: BridgeProcess | undefined;
    let client: DnsClient | undefined;
    try {
      const populated = await timed(() => populate(writer));
      const http = `127.0.0.1:${await freePort()}`;
      bridge = await startBridge(['--zookeeper', zk.address, '--log-level', 'warn', '--workers', '1', '--http', http]);
      client = new DnsClient({ host: '127.0.0.1', port: bridge.port });
      const rssIdle = await rssMiB(bridge.child.pid!);
      const first = await askOneByOne(client);
      const cached = await askOneByOne(client);
      const loadStarted = performance.now();
      const loaded = await timed(() => loadRest(client!));
      await untilSynced(http);
      const synced = performance.now() - loadStarted;
      const rssLoaded = await rssMiB(bridge.child.pid!);
      const changes = await propagation(writer, watcher, client);
      report({ populated: populated.ms, first, cached, loaded, synced, rssIdle, rssLoaded, changes });
    } finally {
      client?.close();
      await bridge?.stop();
      await watcher.close();
      await writer.close();
      await zk.stop();
    }
  },
};

interface Change {
  kind: 'create' | 'delete';
  watchFired: number;
  watchListed: number;
  dns: number;
}

function report(figures: {
  populated: number;
  first: number[];
  cached: number[];
  loaded: { ms: number; result: number[] };
  synced: number;
  rssIdle: number;
  rssLoaded: number;
  changes: Change[];
}): void {
  const ms = (values: number[], p: number) => percentile(values, p).toFixed(2);
  const row = (label: string, changes: Change[]) => {
    const [fired, listed, dns] = [changes.map((c) => c.watchFired), changes.map((c) => c.watchListed), changes.map((c) => c.dns)];
    return [label, changes.length, ms(fired, 50), ms(fired, 99), ms(listed, 50), ms(listed, 99), ms(dns, 50), ms(dns, 99), (percentile(dns, 99) / percentile(fired, 99)).toFixed(2)];
  };
  console.log(
    table(
      ['changes', 'n', 'watch fired p50 ms', 'p99', 'watch + list p50 ms', 'p99', 'DNS answer p50 ms', 'p99', 'DNS p99 / watch p99'],
      [row('create + delete', figures.changes), row('create', figures.changes.filter((c) => c.kind === 'create')), row('delete', figures.changes.filter((c) => c.kind === 'delete'))],
    ),
  );
  console.log();
  const load = figures.loaded.result;
  console.log(
    table(
      ['queries', 'n', 'p50 ms', 'p99 ms'],
      [
        ['first query of a service, one at a time', figures.first.length, ms(figures.first, 50), ms(figures.first, 99)],
        ['first query of a service, 64 in flight', load.length, ms(load, 50), ms(load, 99)],
        ['same query again (cached)', figures.cached.length, ms(figures.cached, 50), ms(figures.cached, 99)],
      ],
    ),
  );
  console.log();
  console.log(
    table(
      ['services x providers', 'populate ZooKeeper s', 'all answered through DNS s', 'all data read and watched s', 'bridge RSS idle MiB', 'bridge RSS all watched MiB', 'per service KiB'],
      [
        [
          `${SERVICES} x ${PROVIDERS}`,
          (figures.populated / 1000).toFixed(1),
          (figures.loaded.ms / 1000).toFixed(1),
          (figures.synced / 1000).toFixed(1),
          Math.round(figures.rssIdle),
          Math.round(figures.rssLoaded),
          (((figures.rssLoaded - figures.rssIdle) * 1024) / SERVICES).toFixed(1),
        ],
      ],
    ),
  );
}

/** Every service with its providers, 50 services to a transaction. */
async function populate(writer: ZooKeeperTestClient): Promise<void> {
  const batches: number[] = [];
  for (let first = 0; first < SERVICES; first += 50) batches.push(first);
  await runLimited(batches, 4, async (first) => {
    const transaction = writer.raw.transaction();
    for (let i = first; i < Math.min(SERVICES, first + 50); i++) {
      transaction.create(`/${service(i)}`).create(`/${service(i)}/providers`);
      for (let p = 0; p < PROVIDERS; p++) transaction.create(`/${service(i)}/providers/${provider(i, p)}`, Buffer.from('{"pid": 1}'));
    }
    await new Promise<void>((resolve, reject) => transaction.commit((error) => (error ? reject(error) : resolve())));
  });
}

/** The first FIRST_QUERIES services asked one at a time: their first queries, or (asked again) cached answers. */
async function askOneByOne(client: DnsClient): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < Math.min(FIRST_QUERIES, SERVICES); i++) latencies.push((await timed(() => askAll(client, i))).ms);
  return latencies;
}

/** The services not asked yet, 64 queries in flight; each query's latency. */
async function loadRest(client: DnsClient): Promise<number[]> {
  const latencies: number[] = [];
  let next = Math.min(FIRST_QUERIES, SERVICES);
  const worker = async () => {
    while (next < SERVICES) {
      const i = next++;
      latencies.push((await timed(() => askAll(client, i))).ms);
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  return latencies;
}

async function askAll(client: DnsClient, i: number): Promise<void> {
  const answer = await client.ask(`${service(i)}.service.local`, 'SRV', 10_000);
  if (answer.records.length !== PROVIDERS) throw new Error(`${service(i)}: ${answer.rcode} with ${answer.records.length} of ${PROVIDERS} records`);
}

/**
 * Creates, then deletes, one provider of svc0, CHANGES times. For each: when a watcher of our
 * own saw its watch fire, when its re-armed list came back, and when DNS first showed it.
 */
async function propagation(writer: ZooKeeperTestClient, watcher: ZooKeeperTestClient, client: DnsClient): Promise<Change[]> {
  const path = `/${service(0)}/providers`;
  const raw = rawWatch(watcher.raw, path);
  await raw.armed;
  const changes: Change[] = [];
  for (let change = 0; change < CHANGES; change++) {
    const kind = change % 2 === 0 ? 'create' : 'delete';
    const expected = kind === 'create' ? PROVIDERS + 1 : PROVIDERS;
    const seen = raw.next();
    const started = performance.now();
    if (kind === 'create') await writer.create(`${path}/10.254.0.1:9000`, '{"pid": 2}');
    else await writer.remove(`${path}/10.254.0.1:9000`);
    const dns = await untilAnswer(client, expected, started);
    const { fired, listed } = await seen;
    changes.push({ kind, watchFired: fired - started, watchListed: listed - started, dns });
  }
  raw.stop();
  return changes;
}

/** A plain child watch, re-armed at each firing: when it fired and when the re-armed list came back. */
function rawWatch(client: zookeeper.Client, path: string) {
  let waiting: ((times: { fired: number; listed: number }) => void) | undefined;
  let stopped = false;
  let armed!: Promise<void>;
  const arm = (fired?: number) => {
    armed = new Promise((resolve, reject) =>
      client.getChildren(path, watch, (error) => {
        if (error) return reject(error);
        if (fired !== undefined) waiting?.({ fired, listed: performance.now() });
        resolve();
      }),
    );
  };
  const watch = () => {
    if (!stopped) arm(performance.now());
  };
  arm();
  return {
    get armed() {
      return armed;
    },
    next: () => new Promise<{ fired: number; listed: number }>((resolve) => (waiting = resolve)),
    stop: () => (stopped = true),
  };
}

/** Asks without pause (one query in flight) until svc0 has `expected` records; ms since `started`. */
async function untilAnswer(client: DnsClient, expected: number, started: number): Promise<number> {
  for (;;) {
    const answer = await client.ask(`${service(0)}.service.local`, 'SRV');
    if (answer.records.length === expected) return performance.now() - started;
    if (performance.now() - started > 10_000) throw new Error(`svc0 still has ${answer.records.length} records after 10 s`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Waits until the bridge says ZooKeeper is caught up: every child's data read and watched. */
async function untilSynced(http: string): Promise<void> {
  for (;;) {
    const status = (await (await fetch(`http://${http}/api/status`)).json()) as { sources: { name: string; synced: boolean }[] };
    if (status.sources.find((source) => source.name === 'zookeeper')?.synced) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
}

