import zookeeper from 'node-zookeeper-client';
import { startBridge } from '../test/harness/bridge.js';
import { startEtcd, type EtcdServer } from '../test/harness/etcd.js';
import { connectZooKeeper, startZooKeeper } from '../test/harness/zookeeper.js';
import { percentile, runLimited, table, type Benchmark } from './benchmark.js';
import { rssMiB } from '../test/harness/process.js';
import { DnsClient, waitForAnswer } from './dns-client.js';
import { dnsperf } from './dnsperf.js';

const SERVICES = Number(process.env.SCALE_SERVICES ?? 10_000);
const PROVIDERS = 10;
const CHANGES = Number(process.env.SCALE_CHANGES ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

const service = (i: number) => `svc${i}`;
const provider = (i: number, p: number) => `10.${(i >> 8) & 255}.${i & 255}.${p + 1}:${8000 + p}`;

interface Backend {
  name: string;
  bridgeArgs: string[];
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
    for (const open of [zooKeeperBackend, etcdBackend]) {
      const started = performance.now();
      const backend = await open();
      const populateSeconds = ((performance.now() - started) / 1000).toFixed(1);
      try {
        rows.push([backend.name, populateSeconds, ...(await measure(backend))]);
      } finally {
        await backend.close();
      }
    }
    console.log(
      table(
        ['registry', 'populate s', 'load all s', 'first query p50 ms', 'first query p99 ms', 'RSS MiB', 'cached q/s (1 service)', `cached q/s (${SERVICES} services)`, 'propagation p50 ms', 'propagation p99 ms'],
        rows,
      ),
    );
  },
};

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

/** Asks every service once, 64 at a time: each is loaded and watched at its first query. */
async function loadAll(client: DnsClient): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < SERVICES) {
      const i = next++;
      const started = performance.now();
      const answer = await client.ask(`${service(i)}.service.local`, 'SRV', 10_000);
      if (answer.records.length !== PROVIDERS) throw new Error(`${service(i)}: ${answer.rcode} with ${answer.records.length} records`);
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
    add: (i, hostPort) => client.put(`/${service(i)}/providers/${hostPort}`).value(hostPort).exec().then(() => undefined),
    remove: (i, hostPort) => client.delete().key(`/${service(i)}/providers/${hostPort}`).exec().then(() => undefined),
    close: () => etcd.close(),
  };
}


