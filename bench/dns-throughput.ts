import { mkdtemp, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBridge } from '../test/harness/bridge.js';
import { startDnsmasq } from '../test/harness/dnsmasq.js';
import type { Benchmark } from './benchmark.js';
import { table } from './benchmark.js';
import { dnsperf } from './dnsperf.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

/** The same records, served by dnsmasq from its config and by the bridge from a registry file. */
const dnsmasqRecords = [
  'host-record=api.service.local,10.0.0.1',
  'host-record=0a000001.addr.service.local,10.0.0.1',
  'srv-host=api.service.local,0a000001.addr.service.local,8080,10,1',
  'host-record=www.example.test,192.0.2.80',
];

export const dnsThroughput: Benchmark = {
  name: 'throughput',
  description: 'cached queries/s and latency, dnsbridge vs dnsmasq (dnsperf -c 4 -q 200)',
  async run() {
    const origin = await startDnsmasq({ config: ['host-record=www.example.test,192.0.2.80', 'local-ttl=3600'] });
    const peer = await startDnsmasq({ config: [...dnsmasqRecords, 'local-ttl=3600', `server=127.0.0.1#${origin.port}`, 'cache-size=10000'] });
    const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-bench-'));
    await writeFile(join(dir, 'services.yaml'), 'api: ["10.0.0.1:8080"]\n');
    const bridgeArgs = ['--file', join(dir, 'services.yaml'), '--upstream', origin.address, '--log-level', 'warn'];
    const bridge = await startBridge([...bridgeArgs, '--workers', '1']);
    const cases: [string, string][] = [
      ['cached A', 'api.service.local A'],
      ['cached SRV', 'api.service.local SRV'],
      ['forwarded A (cached)', 'www.example.test A'],
    ];
    const rows: (string | number)[][] = [];
    try {
      for (const [label, query] of cases) {
        // One second of warm-up each, so neither side is measured while its code is still being compiled.
        await dnsperf({ host: '127.0.0.1', port: bridge.port }, [query], 1);
        await dnsperf({ host: '127.0.0.1', port: peer.port }, [query], 1);
        const ours = await dnsperf({ host: '127.0.0.1', port: bridge.port }, [query], SECONDS);
        const theirs = await dnsperf({ host: '127.0.0.1', port: peer.port }, [query], SECONDS);
        rows.push([
          `${label}, 1 process`,
          Math.round(ours.qps),
          ours.avgLatencyMs.toFixed(3),
          Math.round(theirs.qps),
          theirs.avgLatencyMs.toFixed(3),
          (ours.qps / theirs.qps).toFixed(2),
        ]);
      }
      await bridge.stop();
      rows.push(...(await workerRows(bridgeArgs, peer.port)));
    } finally {
      await Promise.all([bridge.stop(), peer.stop(), origin.stop()]);
    }
    console.log(table(['query', 'dnsbridge q/s', 'dnsbridge avg ms', 'dnsmasq q/s', 'dnsmasq avg ms', 'ratio'], rows));
  },
};

/** Cached A queries/s with 2 and one-per-core (`--workers 0`) worker processes, against dnsmasq again. */
async function workerRows(bridgeArgs: string[], peerPort: number): Promise<(string | number)[][]> {
  const rows: (string | number)[][] = [];
  for (const workers of ['2', '0']) {
    const bridge = await startBridge([...bridgeArgs, '--workers', workers]);
    try {
      await dnsperf({ host: '127.0.0.1', port: bridge.port }, ['api.service.local A'], 1);
      await dnsperf({ host: '127.0.0.1', port: peerPort }, ['api.service.local A'], 1);
      const ours = await dnsperf({ host: '127.0.0.1', port: bridge.port }, ['api.service.local A'], SECONDS);
      const theirs = await dnsperf({ host: '127.0.0.1', port: peerPort }, ['api.service.local A'], SECONDS);
      const label = workers === '0' ? `cached A, ${availableParallelism()} workers (one per core)` : `cached A, ${workers} workers`;
      rows.push([label, Math.round(ours.qps), ours.avgLatencyMs.toFixed(3), Math.round(theirs.qps), theirs.avgLatencyMs.toFixed(3), (ours.qps / theirs.qps).toFixed(2)]);
    } finally {
      await bridge.stop();
    }
  }
  return rows;
}
