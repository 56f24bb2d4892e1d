import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBridge } from '../test/harness/bridge.js';
import { udpAsk } from '../test/harness/dns-client.js';
import { startDnsmasq } from '../test/harness/dnsmasq.js';
import { freePort } from '../test/harness/ports.js';
import { startProcess, type Running } from '../test/harness/process.js';
import { requireTool } from '../test/harness/tools.js';
import { query } from '../test/harness/wire.js';
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
    console.log(`\nPer core: the server pinned to core ${SERVER_CPU} (taskset), dnsperf to core ${DNSPERF_CPU}; cached A. The ratio is to the bare Node server's runs just before and after.\n`);
    console.log(table(['server', 'q/s', 'avg ms', 'ratio to bare Node'], await pinnedRows(bridgeArgs)));
  },
};

const SERVER_CPU = 1;
const DNSPERF_CPU = 0;
const FIXED_ANSWER_SERVER = fileURLToPath(new URL('./fixed-answer-server.js', import.meta.url));

/**
 * The per-core comparison: bridge (`--workers 1`), a bare Node dgram server sending a fixed
 * answer (the Node ceiling) and dnsmasq, each alone on one core with dnsperf on the other.
 * The bare server runs before and after the bridge, so drift on a shared machine shows.
 * Two workers cannot have a core each here: they share both cores with dnsperf.
 */
async function pinnedRows(bridgeArgs: string[]): Promise<(string | number)[][]> {
  const measure = async (server: { port: number }) => {
    await dnsperf({ host: '127.0.0.1', port: server.port }, ['api.service.local A'], 1, { cpu: DNSPERF_CPU });
    return dnsperf({ host: '127.0.0.1', port: server.port }, ['api.service.local A'], SECONDS, { cpu: DNSPERF_CPU });
  };
  const bare = await startFixedAnswerServer();
  const bridge = await startBridge([...bridgeArgs, '--workers', '1']);
  pin(bridge.child.pid!);
  const twoWorkers = await startBridge([...bridgeArgs, '--workers', '2']);
  const dnsmasq = await startDnsmasq({ config: [...dnsmasqRecords, 'local-ttl=3600'], launcher: [requireTool('taskset', 'util-linux'), '-c', String(SERVER_CPU)] });
  try {
    const before = await measure(bare);
    const ours = await measure(bridge);
    const after = await measure(bare);
    const peer = await measure(dnsmasq);
    const two = await measure(twoWorkers);
    const ceiling = (before.qps + after.qps) / 2;
    const row = (label: string, r: { qps: number; avgLatencyMs: number }) => [label, Math.round(r.qps), r.avgLatencyMs.toFixed(3), (r.qps / ceiling).toFixed(2)];
    return [
      row('bare Node dgram server, fixed answer (before)', before),
      row('dnsbridge --workers 1', ours),
      row('bare Node dgram server, fixed answer (after)', after),
      row('dnsmasq', peer),
      row('dnsbridge --workers 2 (unpinned: shares core 0 with dnsperf)', two),
    ];
  } finally {
    await Promise.all([bare.stop(), bridge.stop(), twoWorkers.stop(), dnsmasq.stop()]);
  }
}

/** Pins every thread of a running process to SERVER_CPU. */
function pin(pid: number): void {
  execFileSync(requireTool('taskset', 'util-linux'), ['-a', '-p', '-c', String(SERVER_CPU), String(pid)], { stdio: 'ignore' });
}

async function startFixedAnswerServer(): Promise<Running & { port: number }> {
  const port = await freePort();
  const running = await startProcess(requireTool('taskset', 'util-linux'), ['-c', String(SERVER_CPU), process.execPath, FIXED_ANSWER_SERVER, String(port)], {
    ready: async (output) => output.includes('listening') && (await udpAsk('127.0.0.1', port, query('api.service.local', 1))) !== undefined,
    name: 'fixed-answer server',
  });
  return { ...running, port };
}

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
