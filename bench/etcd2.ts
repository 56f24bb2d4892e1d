import { startBridge, type BridgeProcess } from '../test/harness/bridge.js';
import { startEtcd } from '../test/harness/etcd.js';
import { rssMiB } from '../test/harness/process.js';
import { percentile, provider, runLimited, service, table, type Benchmark } from './benchmark.js';
import { DnsClient } from './dns-client.js';

/** Each watched service holds one long poll (one HTTP connection): fewer than the v3 bench's 10,000 by default. */
const SERVICES = Number(process.env.ETCD2_BENCH_SERVICES ?? 1_000);
const PROVIDERS = 10;
const CHANGES = Number(process.env.ETCD2_BENCH_CHANGES ?? 200);

const directory = (i: number) => `/${service(i)}/providers`;

/**
 * How far behind etcd's v2 keyspace the answers are: each put or delete (python-etcd's kind of
 * write) timed to the first DNS answer showing it, beside a plain v2 long-poll watcher's
 * put -> event in the same run, while the bridge long-polls every service.
 */
export const etcd2Benchmark: Benchmark = {
  name: 'etcd2',
  description: `v2 put/delete -> first DNS answer vs raw put -> v2 long-poll event (${CHANGES} changes) with ${SERVICES} services x ${PROVIDERS} providers long-polled; load time and RSS`,
  async run() {
    const etcd = await startEtcd({ v2: true });
    let bridge: BridgeProcess | undefined;
    let client: DnsClient | undefined;
    const watcher = new RawWatcher(etcd.url);
    try {
      const populating = performance.now();
      await populate(etcd.url);
      const populated = performance.now() - populating;
      bridge = await startBridge(['--etcd2', etcd.url, '--log-level', 'warn', '--workers', '1']);
      client = new DnsClient({ host: '127.0.0.1', port: bridge.port });
      const rssIdle = await rssMiB(bridge.child.pid!);
      const loading = performance.now();
      const firstQueries = await loadAll(client);
      const loaded = performance.now() - loading;
      const rssLoaded = await rssMiB(bridge.child.pid!);
      await watcher.start();
      const changes = await propagation(etcd.url, watcher, client);
      report(changes, { populated, loaded, firstQueries, rssIdle, rssLoaded });
    } finally {
      watcher.stop();
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

function report(changes: Change[], load: { populated: number; loaded: number; firstQueries: number[]; rssIdle: number; rssLoaded: number }): void {
  const ms = (values: number[], p: number) => percentile(values, p).toFixed(2);
  const row = (label: string, subset: Change[]) => {
    const [watch, dns] = [subset.map((c) => c.watch), subset.map((c) => c.dns)];
    return [label, subset.length, ms(watch, 50), ms(watch, 99), ms(dns, 50), ms(dns, 99), (percentile(dns, 99) / percentile(watch, 99)).toFixed(2)];
  };
  console.log(
    table(
      ['changes', 'n', 'put -> v2 long-poll event p50 ms', 'p99', 'put -> DNS answer p50 ms', 'p99', 'DNS p99 / watch p99'],
      [row('put + delete', changes), row('put', changes.filter((c) => c.kind === 'put')), row('delete', changes.filter((c) => c.kind === 'delete'))],
    ),
  );
  console.log();
  console.log(
    table(
      ['services x providers', 'populate etcd s', 'first query of each, 64 in flight: all s', 'p50 ms', 'p99 ms', 'bridge RSS idle MiB', 'all long-polled MiB'],
      [[`${SERVICES} x ${PROVIDERS}`, (load.populated / 1000).toFixed(1), (load.loaded / 1000).toFixed(1), ms(load.firstQueries, 50), ms(load.firstQueries, 99), Math.round(load.rssIdle), Math.round(load.rssLoaded)]],
    ),
  );
}

/** Every service with its providers, one PUT per key (v2 has no transactions), 64 in flight. */
async function populate(url: string): Promise<void> {
  const keys = Array.from({ length: SERVICES * PROVIDERS }, (_, n) => ({ i: Math.floor(n / PROVIDERS), p: n % PROVIDERS }));
  await runLimited(keys, 64, ({ i, p }) => put(url, `${directory(i)}/${provider(i, p)}`, provider(i, p)));
}

async function put(url: string, key: string, value: string): Promise<void> {
  const response = await fetch(`${url}/v2/keys${key}`, { method: 'PUT', body: new URLSearchParams({ value }) });
  if (!response.ok) throw new Error(`PUT ${key}: HTTP ${response.status}`);
  await response.body?.cancel();
}

async function remove(url: string, key: string): Promise<void> {
  const response = await fetch(`${url}/v2/keys${key}`, { method: 'DELETE' });
  if (!response.ok) throw new Error(`DELETE ${key}: HTTP ${response.status}`);
  await response.body?.cancel();
}

/**
 * The peer: a plain v2 watcher, as python-etcd's `watch(recursive=True, index=…)` loop does it:
 * one long poll on `/` at a time, asked again from the event's index + 1 after each event.
 */
class RawWatcher {
  private index = 0;
  private readonly stopping = new AbortController();
  private seen: ((at: number) => void) | undefined;

  constructor(private readonly url: string) {}

  async start(): Promise<void> {
    const response = await fetch(`${this.url}/v2/keys/`);
    this.index = Number(response.headers.get('x-etcd-index'));
    await response.body?.cancel();
    void this.poll();
  }

  /** Resolves with the time the next event arrives. */
  next(): Promise<number> {
    return new Promise((resolve) => (this.seen = resolve));
  }

  stop(): void {
    this.stopping.abort();
  }

  private async poll(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      try {
        const response = await fetch(`${this.url}/v2/keys/?wait=true&recursive=true&waitIndex=${this.index + 1}`, { signal: this.stopping.signal });
        const event = (await response.json()) as { node: { modifiedIndex: number } };
        const at = performance.now();
        this.index = event.node.modifiedIndex;
        this.seen?.(at);
      } catch {
        return;
      }
    }
  }
}

/** Asks every service once, 64 queries in flight: each is read and long-polled from its first query. */
async function loadAll(client: DnsClient): Promise<number[]> {
  const latencies: number[] = [];
  await runLimited(Array.from({ length: SERVICES }, (_, i) => i), 64, async (i) => {
    const started = performance.now();
    await untilRecords(client, i, PROVIDERS, started, 60_000);
    latencies.push(performance.now() - started);
  });
  return latencies;
}

/**
 * Puts, then deletes, an extra provider of one service after another, CHANGES times. For each:
 * when the raw watcher got the event, and when DNS first showed it.
 */
async function propagation(url: string, watcher: RawWatcher, client: DnsClient): Promise<Change[]> {
  const changes: Change[] = [];
  for (let change = 0; change < CHANGES; change++) {
    const i = Math.floor(change / 2) % SERVICES;
    const kind = change % 2 === 0 ? 'put' : 'delete';
    const key = `${directory(i)}/10.254.0.1:9000`;
    const seen = watcher.next();
    const started = performance.now();
    if (kind === 'put') await put(url, key, '10.254.0.1:9000');
    else await remove(url, key);
    const dns = (await untilRecords(client, i, kind === 'put' ? PROVIDERS + 1 : PROVIDERS, started, 10_000)) - started;
    changes.push({ kind, watch: (await seen) - started, dns });
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
