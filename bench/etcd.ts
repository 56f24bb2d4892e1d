import type { Etcd3 } from 'etcd3';
import { startBridge, type BridgeProcess } from '../test/harness/bridge.js';
import { startEtcd } from '../test/harness/etcd.js';
import { freePort } from '../test/harness/ports.js';
import { percentile, provider, service, table, type Benchmark } from './benchmark.js';
import { cpuTicks, rssMiB } from '../test/harness/process.js';
import { DnsClient } from './dns-client.js';

const SERVICES = Number(process.env.ETCD_BENCH_SERVICES ?? 10_000);
const PROVIDERS = 10;
const CHANGES = Number(process.env.ETCD_BENCH_CHANGES ?? 200);
/** etcd's default limit of operations in one transaction is 128. */
const SERVICES_PER_TXN = 12;

const prefix = (i: number) => `/${service(i)}/providers/`;

/**
 * How far behind etcd the answers are: each put or delete timed to the first DNS answer
 * showing it, beside the same change seen by a plain etcd3 watcher in the same run, while the
 * bridge watches every service; and what loading them all costs.
 */
export const etcdBenchmark: Benchmark = {
  name: 'etcd',
  description: `put/delete in etcd -> first DNS answer vs raw put -> watch event (${CHANGES} changes) with ${SERVICES} services x ${PROVIDERS} providers watched; load time and RSS`,
  async run() {
    const etcd = await startEtcd();
    let bridge: BridgeProcess | undefined;
    let client: DnsClient | undefined;
    try {
      const writer = etcd.client();
      const populated = await timed(() => populate(writer));
      const http = `127.0.0.1:${await freePort()}`;
      bridge = await startBridge(['--etcd', etcd.url, '--log-level', 'warn', '--workers', '1', '--http', http]);
      client = new DnsClient({ host: '127.0.0.1', port: bridge.port });
      const rssIdle = await rssMiB(bridge.child.pid!);
      const loaded = await timed(() => loadAll(client!));
      // etcd3 attaches watches one at a time: changes are timed once the bridge has settled.
      const settled = await timed(() => untilIdle(bridge!));
      const rssLoaded = await rssMiB(bridge.child.pid!);
      const changes = await propagation(writer, etcd.client(), client);
      report({ populated: populated.ms, loaded, settled: settled.ms, rssIdle, rssLoaded, changes });
    } finally {
      client?.close();
      await bridge?.stop();
      await etcd.close();
    }
  },
};

interface Change {
  kind: 'put' | 'delete';
  watch: number;
  dns: number;
}

function report(figures: { populated: number; loaded: { ms: number; result: number[] }; settled: number; rssIdle: number; rssLoaded: number; changes: Change[] }): void {
  const ms = (values: number[], p: number) => percentile(values, p).toFixed(2);
  const row = (label: string, changes: Change[]) => {
    const [watch, dns] = [changes.map((c) => c.watch), changes.map((c) => c.dns)];
    return [label, changes.length, ms(watch, 50), ms(watch, 99), ms(dns, 50), ms(dns, 99), (percentile(dns, 99) / percentile(watch, 99)).toFixed(2)];
  };
  const { changes } = figures;
  console.log(
    table(
      ['changes', 'n', 'put -> watch event p50 ms', 'p99', 'put -> DNS answer p50 ms', 'p99', 'DNS p99 / watch p99'],
      [row('put + delete', changes), row('put', changes.filter((c) => c.kind === 'put')), row('delete', changes.filter((c) => c.kind === 'delete'))],
    ),
  );
  console.log();
  const first = figures.loaded.result;
  console.log(
    table(
      ['services x providers', 'populate etcd s', 'first query of each, 64 in flight: all s', 'p50 ms', 'p99 ms', 'then bridge idle after s', 'bridge RSS idle MiB', 'all watched MiB', 'per service KiB'],
      [
        [
          `${SERVICES} x ${PROVIDERS}`,
          (figures.populated / 1000).toFixed(1),
          (figures.loaded.ms / 1000).toFixed(1),
          ms(first, 50),
          ms(first, 99),
          (figures.settled / 1000).toFixed(1),
          Math.round(figures.rssIdle),
          Math.round(figures.rssLoaded),
          (((figures.rssLoaded - figures.rssIdle) * 1024) / SERVICES).toFixed(1),
        ],
      ],
    ),
  );
}

/** Every service with its providers, a few services to a transaction. */
async function populate(writer: Etcd3): Promise<void> {
  for (let first = 0; first < SERVICES; first += SERVICES_PER_TXN) {
    const puts = [];
    for (let i = first; i < Math.min(SERVICES, first + SERVICES_PER_TXN); i++) {
      for (let p = 0; p < PROVIDERS; p++) puts.push({ request_put: { key: Buffer.from(`${prefix(i)}${provider(i, p)}`), value: Buffer.from(provider(i, p)) } });
    }
    await writer.kv.txn({ success: puts });
  }
}

/** Asks every service once, 64 queries in flight: each is read and watched at its first query. */
async function loadAll(client: DnsClient): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < SERVICES) {
      const i = next++;
      const started = performance.now();
      await untilRecords(client, i, PROVIDERS, started, 60_000);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  return latencies;
}

/**
 * Puts, then deletes, an extra provider of one service after another, CHANGES times. For each:
 * when a watcher of our own (its own connection) got the event, and when DNS first showed it.
 */
async function propagation(writer: Etcd3, watching: Etcd3, client: DnsClient): Promise<Change[]> {
  const watcher = await watching.watch().prefix('/').create();
  let eventSeen: ((at: number) => void) | undefined;
  watcher.on('data', () => eventSeen?.(performance.now()));
  const changes: Change[] = [];
  try {
    for (let change = 0; change < CHANGES; change++) {
      const i = Math.floor(change / 2) % SERVICES;
      const kind = change % 2 === 0 ? 'put' : 'delete';
      const key = `${prefix(i)}10.254.0.1:9000`;
      const seen = new Promise<number>((resolve) => (eventSeen = resolve));
      const started = performance.now();
      if (kind === 'put') await writer.put(key).value('10.254.0.1:9000');
      else await writer.delete().key(key);
      const dns = (await untilRecords(client, i, kind === 'put' ? PROVIDERS + 1 : PROVIDERS, started, 10_000)) - started;
      changes.push({ kind, watch: (await seen) - started, dns });
    }
  } finally {
    await watcher.cancel().catch(() => undefined);
  }
  return changes;
}

/** Asks svc`i` without pause (one query in flight) until it has `count` records; when it did. */
async function untilRecords(client: DnsClient, i: number, count: number, started: number, limitMs: number): Promise<number> {
  for (;;) {
    const answer = await client.ask(`${service(i)}.service.local`, 'SRV', limitMs).catch(() => undefined);
    if (answer?.records.length === count) return performance.now();
    if (performance.now() - started > limitMs) throw new Error(`${service(i)}: ${answer?.records.length ?? 'no'} of ${count} records after ${limitMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
}

/** Waits until the bridge uses under 5% of a core over half a second (at most a minute). */
async function untilIdle(bridge: BridgeProcess): Promise<void> {
  const deadline = performance.now() + 60_000;
  let before = await cpuTicks(bridge.child.pid!);
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await cpuTicks(bridge.child.pid!);
    // Kernel clock ticks are 10 ms: 5% of 500 ms is 2.5 ticks.
    if (now - before < 2.5) return;
    before = now;
  }
}
