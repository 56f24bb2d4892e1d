import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zookeeper from 'node-zookeeper-client';
import assert from 'node:assert/strict';
import { startBridge } from '../test/harness/bridge.js';
import { eventually } from '../test/harness/eventually.js';
import { startEtcd, type EtcdServer } from '../test/harness/etcd.js';
import { connectZooKeeper, startZooKeeper } from '../test/harness/zookeeper.js';
import { percentile, provider, runLimited, service, table, type Benchmark } from './benchmark.js';
import { rssMiB } from '../test/harness/process.js';
import { DnsClient, waitForAnswer } from './dns-client.js';
import { dnsperf } from './dnsperf.js';

const SERVICES = Number(process.env.SCALE_SERVICES ?? 10_000);
const PROVIDERS = 10;
const CHANGES = Number(process.env.SCALE_CHANGES ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Services of the registries measured for memory alone (etcd v2, the file): bytes per provider need no more. */
const MEMORY_SERVICES = Number(process.env.SCALE_MEMORY_SERVICES ?? 500);
/** Services asked one at a time, each unloaded, for the first-query latency without queueing. */
const ONE_AT_A_TIME = Math.min(SERVICES, Number(process.env.SCALE_ONE_AT_A_TIME ?? 500));

interface Backend {
  name: string;
  bridgeArgs: string[];
  /** `memory-probe.js` arguments: the source kind and its address. */
  probe: [string, string];
  add(i: number, hostPort: string): Promise<void>;
  remove(i: number, hostPort: string): Promise<void>;
  close(): Promise<void>;
}

/** 10,000 services of 10 providers each in ZooKeeper and in etcd: what loading, serving and watching them all costs. */
export const scale: Benchmark = {
  name: 'scale',
  description: `${SERVICES} services x ${PROVIDERS} providers in ZooKeeper and in etcd: load time and memory, first-query latency, cached q/s, propagation while all are watched`,
  async run() {
    const rows: (string | number)[][] = [];
    const preloadRows: (string | number)[][] = [];
    const oneAtATimeRows: (string | number)[][] = [];
    const memoryRows: (string | number)[][] = [];
    for (const open of [zooKeeperBackend, etcdBackend]) {
      const started = performance.now();
      const backend = await open();
      const populateSeconds = ((performance.now() - started) / 1000).toFixed(1);
      try {
        rows.push([backend.name, populateSeconds, ...(await measure(backend))]);
        oneAtATimeRows.push([backend.name, ...(await measureOneAtATime(backend))]);
        // A preload that never gets ready (a busy machine) is reported, not allowed to lose the other rows.
        preloadRows.push([backend.name, ...(await measurePreload(backend).catch((error: Error) => [`not ready: ${error.message.split('\n')[0]}`, '', '', '', '', '']))]);
        memoryRows.push(...(await memoryByStructure(backend.name, backend.probe, SERVICES)));
      } finally {
        await backend.close();
      }
    }
    for (const open of [etcd2Registry, fileRegistry]) {
      const registry = await open(MEMORY_SERVICES);
      try {
        memoryRows.push(...(await memoryByStructure(registry.name, registry.probe, MEMORY_SERVICES)));
      } finally {
        await registry.close();
      }
    }
    console.log(
      table(
        ['registry', 'populate s', 'load all s', 'first query p50 ms', 'first query p99 ms', 'RSS MiB', 'cached q/s (1 service)', `cached q/s (${SERVICES} services)`, 'propagation p50 ms', 'propagation p99 ms'],
        rows,
      ),
    );
    console.log(`\nFirst query of an unloaded service, one at a time (${ONE_AT_A_TIME} services, a new bridge, nothing else in flight).\n`);
    console.log(table(['registry', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'], oneAtATimeRows));
    console.log(`\nWith --preload: start to /readyz 200, then the first query of every service (64 in flight); cache hits / misses from /metrics after them.\n`);
    console.log(table(['registry', 'ready after s', 'first queries s', 'first query p50 ms', 'first query p99 ms', 'cache hits / misses', 'RSS MiB'], preloadRows));
    console.log(`\nMemory by structure (bench/memory-probe.ts, one process, --expose-gc; ZooKeeper and etcd ${SERVICES} x ${PROVIDERS}, etcd v2 and the file ${MEMORY_SERVICES} x ${PROVIDERS}).\n`);
    console.log(table(['registry', 'structure', 'heap MiB', 'RSS MiB', 'heap bytes per provider'], memoryRows));
  },
};

/** A fresh bridge: each service's first query waits for its load alone (the list, its watch, then the answer). */
async function measureOneAtATime(backend: Backend): Promise<string[]> {
  const bridge = await startBridge([...backend.bridgeArgs, '--log-level', 'warn', '--workers', '1']);
  const client = new DnsClient({ host: '127.0.0.1', port: bridge.port });
  try {
    // The connection to the registry is made at start: wait for it with a service not measured.
    await waitForAnswer(client, `${service(SERVICES - 1)}.service.local`, 'SRV', (answer) => answer.records.length === PROVIDERS, performance.now());
    const latencies: number[] = [];
    for (let i = 0; i < ONE_AT_A_TIME; i++) {
      const started = performance.now();
      const answer = await client.ask(`${service(i)}.service.local`, 'SRV', 10_000);
      if (answer.records.length !== PROVIDERS) throw new Error(`${service(i)}: ${answer.rcode} with ${answer.records.length} records`);
      latencies.push(performance.now() - started);
    }
    return [50, 90, 99, 100].map((p) => percentile(latencies, p).toFixed(1));
  } finally {
    client.close();
    await bridge.stop();
  }
}

/** A bridge started with `--preload`: how long until ready, and whether first queries still wait. */
async function measurePreload(backend: Backend): Promise<(string | number)[]> {
  const started = performance.now();
  const bridge = await startBridge([...backend.bridgeArgs, '--preload', '--log-level', 'warn', '--workers', '1']);
  const client = new DnsClient({ host: '127.0.0.1', port: bridge.port });
  try {
    await eventually(async () => assert.equal((await fetch(`http://${bridge.http}/readyz`)).status, 200), { attempts: 1200, intervalMs: 250 });
    const readySeconds = ((performance.now() - started) / 1000).toFixed(1);
    const queriesStarted = performance.now();
    const firstQuery = await loadAll(client);
    const queriesSeconds = ((performance.now() - queriesStarted) / 1000).toFixed(1);
    const metrics = await (await fetch(`http://${bridge.http}/metrics`)).text();
    const counter = (name: string) => Number(new RegExp(`^dnsbridge_${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    return [
      readySeconds,
      queriesSeconds,
      percentile(firstQuery, 50).toFixed(1),
      percentile(firstQuery, 99).toFixed(1),
      `${counter('cache_hits_total')} / ${counter('cache_misses_total')}`,
      Math.round(await rssMiB(bridge.child.pid!)),
    ];
  } finally {
    client.close();
    await bridge.stop();
  }
}

const PROBE = fileURLToPath(new URL('./memory-probe.js', import.meta.url));

/** Runs the memory probe against a registry of `services` x 10 and turns its steps into per-structure rows. */
async function memoryByStructure(name: string, probe: [string, string], services: number): Promise<(string | number)[][]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', PROBE, ...probe, String(services)], { maxBuffer: 1 << 20 });
  const { steps, cached, firstAnswers } = JSON.parse(stdout.trim().split('\n').pop()!) as ProbeResult;
  type Step = { heap: number; rss: number };
  const at = steps as Record<string, Step>;
  const delta = (from: string, to: string) => ({ heap: at[to].heap - at[from].heap, rss: at[to].rss - at[from].rss });
  const client = delta('start', 'clientWatches');
  const loaded = delta('afterClient', 'sourceLoaded');
  const row = (label: string, d: { heap: number; rss: number }) => [name, label, d.heap.toFixed(1), d.rss.toFixed(1), Math.round((d.heap * 2 ** 20) / (services * PROVIDERS))];
  // etcd v2 and the file keep no watches in a client: their source alone is measured.
  const watches = probe[0] === 'zookeeper' || probe[0] === 'etcd';
  return [
    ...(watches ? [row('client with the same watches, alone', client)] : []),
    row(watches ? 'source mirror and registry view (loaded source minus its client watches)' : 'source (its connections and mirror) and registry view', { heap: loaded.heap - client.heap, rss: loaded.rss - client.rss }),
    row('a plain copy of every Provider record', delta('sourceLoaded', 'providerCopies')),
    row(`cached answers (${cached}, one SRV per service)`, delta('sourceLoaded', 'answersCached')),
    row(`--preload's first answers (${firstAnswers}: A, AAAA, SRV with and without EDNS)`, delta('answersCached', 'firstAnswers')),
  ];
}

interface ProbeResult {
  steps: Record<'start' | 'clientWatches' | 'afterClient' | 'sourceLoaded' | 'providerCopies' | 'answersCached' | 'firstAnswers', { heap: number; rss: number }>;
  cached: number;
  firstAnswers: number;
}

async function measure(backend: Backend): Promise<(string | number)[]> {
  const bridge = await startBridge([...backend.bridgeArgs, '--log-level', 'warn', '--workers', '1']);
  const client = new DnsClient({ host: '127.0.0.1', port: bridge.port });
  try {
    const loadStarted = performance.now();
    const firstQuery = await loadAll(client);
    const loadSeconds = ((performance.now() - loadStarted) / 1000).toFixed(1);
    const rss = await rssMiB(bridge.child.pid!);
    const one = await dnsperf({ host: '127.0.0.1', port: bridge.port }, [`${service(0)}.service.local SRV`], SECONDS, { edns: true });
    const all = await dnsperf({ host: '127.0.0.1', port: bridge.port }, Array.from({ length: SERVICES }, (_, i) => `${service(i)}.service.local SRV`), SECONDS, { edns: true });
    const propagation = await propagate(backend, client);
    return [
      loadSeconds,
      percentile(firstQuery, 50).toFixed(1),
      percentile(firstQuery, 99).toFixed(1),
      Math.round(rss),
      Math.round(one.qps),
      Math.round(all.qps),
      percentile(propagation, 50).toFixed(1),
      percentile(propagation, 99).toFixed(1),
    ];
  } finally {
    client.close();
    await bridge.stop();
  }
}

/**
 * Asks every service once, 64 at a time: each is loaded and watched at its first query. A
 * SERVFAIL (a load that took longer than the bridge waits, on a busy machine) is asked again;
 * the latency counts from the first try.
 */
async function loadAll(client: DnsClient): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < SERVICES) {
      const i = next++;
      const started = performance.now();
      for (let attempt = 1; ; attempt++) {
        const answer = await client.ask(`${service(i)}.service.local`, 'SRV', 10_000);
        if (answer.records.length === PROVIDERS) break;
        if (answer.rcode !== 'SERVFAIL' || attempt === 10) throw new Error(`${service(i)}: ${answer.rcode} with ${answer.records.length} records`);
      }
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  return latencies;
}

/** Adds a provider to a random service, then removes it: each time, the ms until DNS shows it. */
async function propagate(backend: Backend, client: DnsClient): Promise<number[]> {
  const latencies: number[] = [];
  for (let change = 0; change < CHANGES; change += 2) {
    const i = Math.floor(Math.random() * SERVICES);
    const name = `${service(i)}.service.local`;
    const extra = `10.254.${(change >> 8) & 255}.${change & 255}:9000`;
    let started = performance.now();
    await backend.add(i, extra);
    latencies.push(await waitForAnswer(client, name, 'SRV', (answer) => answer.records.length === PROVIDERS + 1, started));
    started = performance.now();
    await backend.remove(i, extra);
    latencies.push(await waitForAnswer(client, name, 'SRV', (answer) => answer.records.length === PROVIDERS, started));
  }
  return latencies;
}

async function zooKeeperBackend(): Promise<Backend> {
  const zk = await startZooKeeper();
  const writer = await connectZooKeeper(zk.address, { sessionTimeoutMs: 30_000 });
  const commit = (transaction: zookeeper.Transaction) =>
    new Promise<void>((resolve, reject) => transaction.commit((error) => (error ? reject(error) : resolve())));
  const batch = 50;
  const batches: number[] = [];
  for (let first = 0; first < SERVICES; first += batch) batches.push(first);
  await runLimited(batches, 4, async (first) => {
    const transaction = writer.raw.transaction();
    for (let i = first; i < Math.min(SERVICES, first + batch); i++) {
      transaction.create(`/${service(i)}`).create(`/${service(i)}/providers`);
      for (let p = 0; p < PROVIDERS; p++) transaction.create(`/${service(i)}/providers/${provider(i, p)}`);
    }
    await commit(transaction);
  });
  return {
    name: 'ZooKeeper',
    bridgeArgs: ['--zookeeper', zk.address],
    probe: ['zookeeper', zk.address],
    add: (i, hostPort) => writer.create(`/${service(i)}/providers/${hostPort}`, ''),
    remove: (i, hostPort) => writer.remove(`/${service(i)}/providers/${hostPort}`),
    async close() {
      await writer.close();
      await zk.stop();
    },
  };
}

async function etcdBackend(): Promise<Backend> {
  const etcd: EtcdServer = await startEtcd();
  const client = etcd.client();
  const keys: [string, string][] = [];
  for (let i = 0; i < SERVICES; i++) {
    for (let p = 0; p < PROVIDERS; p++) keys.push([`/${service(i)}/providers/${provider(i, p)}`, provider(i, p)]);
  }
  await runLimited(keys, 256, ([key, value]) => client.put(key).value(value).exec().then(() => undefined));
  return {
    name: 'etcd',
    bridgeArgs: ['--etcd', etcd.url],
    probe: ['etcd', etcd.url],
    add: (i, hostPort) => client.put(`/${service(i)}/providers/${hostPort}`).value(hostPort).exec().then(() => undefined),
    remove: (i, hostPort) => client.delete().key(`/${service(i)}/providers/${hostPort}`).exec().then(() => undefined),
    close: () => etcd.close(),
  };
}

/** `services` x 10 providers in etcd's v2 keyspace (python-etcd's layout), for the memory probe alone. */
async function etcd2Registry(services: number): Promise<{ name: string; probe: [string, string]; close(): Promise<void> }> {
  const etcd = await startEtcd({ v2: true });
  const keys: [string, string][] = [];
  for (let i = 0; i < services; i++) for (let p = 0; p < PROVIDERS; p++) keys.push([`/${service(i)}/providers/${provider(i, p)}`, provider(i, p)]);
  await runLimited(keys, 64, async ([key, value]) => {
    const reply = await fetch(`${etcd.url}/v2/keys${key}`, { method: 'PUT', body: new URLSearchParams({ value }) });
    if (!reply.ok) throw new Error(`etcd v2 PUT ${key}: ${reply.status} ${await reply.text()}`);
    await reply.arrayBuffer();
  });
  return { name: 'etcd v2', probe: ['etcd2', etcd.url], close: () => etcd.close() };
}

/** The same in a registry file (`--file`), for the memory probe alone. */
async function fileRegistry(services: number): Promise<{ name: string; probe: [string, string]; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-scale-'));
  const path = join(dir, 'services.yaml');
  const lines: string[] = [];
  for (let i = 0; i < services; i++) lines.push(`${service(i)}:`, ...Array.from({ length: PROVIDERS }, (_, p) => `  - ${provider(i, p)}`));
  await writeFile(path, `${lines.join('\n')}\n`);
  return { name: 'file', probe: ['file', path], close: () => rm(dir, { recursive: true, force: true }) };
}
