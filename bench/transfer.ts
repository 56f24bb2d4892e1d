import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type zookeeper from 'node-zookeeper-client';
import { startBridge, type BridgeProcess } from '../test/harness/bridge.js';
import { startNsd } from '../test/harness/nsd.js';
import { freePort } from '../test/harness/ports.js';
import type { Secondary } from '../test/harness/secondary.js';
import { requireTool } from '../test/harness/tools.js';
import { connectZooKeeper, startZooKeeper } from '../test/harness/zookeeper.js';
import { percentile, provider, runLimited, service, table, type Benchmark } from './benchmark.js';
import { DnsClient, waitForAnswer } from './dns-client.js';
import { dnsperf } from './dnsperf.js';

const SERVICES = Number(process.env.TRANSFER_BENCH_SERVICES ?? 1000);
const PROVIDERS = 3;
const CHANGES = Number(process.env.TRANSFER_BENCH_CHANGES ?? 60);
const DNSPERF_SECONDS = 10;

/**
 * Freshness and throughput through a standard secondary: each ZooKeeper create or delete timed
 * to NSD's first answer showing it (NOTIFY, then IXFR), beside a plain watcher's child watch and
 * the bridge's own answer in the same run; then dnsperf against NSD's copy of the zone and the bridge.
 */
export const transferBenchmark: Benchmark = {
  name: 'transfer',
  description: `zone transfers: ZooKeeper create/delete -> NSD answer vs the bridge's answer and the raw watch (${CHANGES} changes, ${SERVICES} services); NSD q/s vs the bridge's`,
  async run() {
    const zk = await startZooKeeper();
    const writer = await connectZooKeeper(zk.address, { sessionTimeoutMs: 30_000 });
    const watcher = await connectZooKeeper(zk.address, { sessionTimeoutMs: 30_000 });
    let bridge: BridgeProcess | undefined;
    let nsd: Secondary | undefined;
    const clients: DnsClient[] = [];
    try {
      await populate(writer);
      const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-bench-transfer-'));
      const keyText = execFileSync(requireTool('tsig-keygen', 'bind9'), ['-a', 'hmac-sha256', 'bench-key'], { encoding: 'utf8' });
      await writeFile(join(dir, 'bench.key'), keyText);
      const key = { name: 'bench-key', secret: /secret "([^"]+)"/.exec(keyText)![1] };
      const [bridgePort, nsdPort] = [await freePort(), await freePort()];
      bridge = await startBridge(
        ['--zookeeper', zk.address, '--log-level', 'warn', '--transfer-allow', '127.0.0.1', '--notify', `127.0.0.1:${nsdPort}`, '--tsig-key-file', join(dir, 'bench.key')],
        { port: bridgePort },
      );
      nsd = await startNsd({ zone: 'service.local', primaryPort: bridgePort, key, port: nsdPort });
      const [fromBridge, fromNsd] = [new DnsClient({ host: '127.0.0.1', port: bridgePort }), new DnsClient({ host: '127.0.0.1', port: nsdPort })];
      clients.push(fromBridge, fromNsd);
      const last = `${service(SERVICES - 1)}.service.local`;
      await waitForAnswer(fromNsd, last, 'SRV', (a) => a.records.length === PROVIDERS, performance.now(), 120_000);
      const changes = await propagation(writer, watcher.raw, fromBridge, fromNsd);
      const names = Array.from({ length: SERVICES }, (_, i) => `${service(i)}.service.local A`);
      const nsdQps = await dnsperf({ host: '127.0.0.1', port: nsdPort }, names, DNSPERF_SECONDS);
      const bridgeQps = await dnsperf({ host: '127.0.0.1', port: bridgePort }, names, DNSPERF_SECONDS);
      report(changes, [
        ['NSD (secondary, transferred zone)', nsdQps],
        ['dnsbridge (primary, --workers 1)', bridgeQps],
      ]);
    } finally {
      for (const client of clients) client.close();
      await nsd?.stop();
      await bridge?.stop();
      await watcher.close();
      await writer.close();
      await zk.stop();
    }
  },
};

interface Change {
  kind: 'create' | 'delete';
  watch: number;
  bridge: number;
  nsd: number;
}

function report(changes: Change[], throughput: [string, Awaited<ReturnType<typeof dnsperf>>][]): void {
  const ms = (values: number[], p: number) => percentile(values, p).toFixed(1);
  const row = (label: string, subset: Change[]) => {
    const [watch, bridge, nsd] = [subset.map((c) => c.watch), subset.map((c) => c.bridge), subset.map((c) => c.nsd)];
    return [label, subset.length, ms(watch, 50), ms(watch, 99), ms(bridge, 50), ms(bridge, 99), ms(nsd, 50), ms(nsd, 99)];
  };
  console.log(
    table(
      ['changes', 'n', 'watch fired p50 ms', 'p99', 'bridge answer p50 ms', 'p99', 'NSD answer p50 ms', 'p99'],
      [row('create + delete', changes), row('create', changes.filter((c) => c.kind === 'create')), row('delete', changes.filter((c) => c.kind === 'delete'))],
    ),
  );
  console.log();
  console.log(table(['server', 'queries/s', 'avg latency ms', 'lost'], throughput.map(([name, r]) => [name, Math.round(r.qps), r.avgLatencyMs.toFixed(2), r.lost])));
}

/** Every service with its providers, 50 services to a transaction. */
async function populate(writer: Awaited<ReturnType<typeof connectZooKeeper>>): Promise<void> {
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

/** Creates, then deletes, one provider of svc0, CHANGES times: the raw watch, the bridge and NSD timed from the same start. */
async function propagation(writer: Awaited<ReturnType<typeof connectZooKeeper>>, watcher: zookeeper.Client, bridge: DnsClient, nsd: DnsClient): Promise<Change[]> {
  const path = `/${service(0)}/providers`;
  const changes: Change[] = [];
  for (let change = 0; change < CHANGES; change++) {
    const kind = change % 2 === 0 ? 'create' : 'delete';
    const expected = kind === 'create' ? PROVIDERS + 1 : PROVIDERS;
    const fired = new Promise<number>((resolve) => watcher.getChildren(path, () => resolve(performance.now()), () => {}));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = performance.now();
    if (kind === 'create') await writer.create(`${path}/10.254.0.1:9000`, '{"pid": 2}');
    else await writer.remove(`${path}/10.254.0.1:9000`);
    const done = (a: { records: string[] }) => a.records.length === expected;
    const [watch, fromBridge, fromNsd] = await Promise.all([
      fired.then((at) => at - started),
      waitForAnswer(bridge, `${service(0)}.service.local`, 'SRV', done, started),
      waitForAnswer(nsd, `${service(0)}.service.local`, 'SRV', done, started),
    ]);
    changes.push({ kind, watch, bridge: fromBridge, nsd: fromNsd });
  }
  return changes;
}
