import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { startBridge, type BridgeProcess } from '../test/harness/bridge.js';
import { scrape, tempDir, total } from '../test/ops/helpers.js';
import { cpuTicks } from '../test/harness/process.js';
import { percentile, runLimited, table, type Benchmark } from './benchmark.js';
import { DnsClient } from './dns-client.js';

const PROVIDERS = Number(process.env.HEALTH_BENCH_PROVIDERS ?? 10_000);
const PER_SERVICE = 10;
const INTERVAL_MS = Number(process.env.HEALTH_BENCH_INTERVAL ?? 5000);
const FALL = 3;
/** Providers whose ports are closed at once to time their leaving the answers: one per service. */
const CLOSED = Number(process.env.HEALTH_BENCH_CLOSED ?? 100);
const WINDOW_MS = 3 * INTERVAL_MS;

const service = (i: number) => `hc${i}`;

/** A provider's listener, counting the connections (the checks) it accepts. */
interface Listener {
  server: net.Server;
  port: number;
  accepted: number;
}

/**
 * What the bridge's TCP health checks cost and how fast they act: the connections per second
 * that reach 10,000 providers at a 5 s interval (beside providers / interval) and the bridge's
 * CPU for it, then the time from a provider's port closing to the first answer without it, p50
 * and p99, beside interval x fall.
 */
export const healthBenchmark: Benchmark = {
  name: 'health',
  description: `health checks: probe load for ${PROVIDERS} providers at a ${INTERVAL_MS} ms interval; port closed -> gone from the answers (${CLOSED} providers) beside interval x fall`,
  async run() {
    const listeners = await Promise.all(Array.from({ length: PROVIDERS }, listen));
    let bridge: BridgeProcess | undefined;
    try {
      const registry = await registryFile(listeners);
      bridge = await startBridge(['--file', registry, '--log-level', 'warn', '--workers', '1', ...checkArgs()]);
      const dns = new DnsClient({ host: '127.0.0.1', port: bridge.port });
      const services = Array.from({ length: PROVIDERS / PER_SERVICE }, (_, i) => service(i));
      await runLimited(services, 64, async (name) => void (await dns.ask(`${name}.service.local`, 'SRV', 30_000)));
      // The first interval spreads the new providers' first checks; measure once every one is on its schedule.
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
      const load = await probeLoad(listeners, bridge);
      const gone = await portClosedToGone(listeners, dns);
      dns.close();
      report(load, gone);
    } finally {
      await bridge?.stop();
      await Promise.all(listeners.map((l) => new Promise((resolve) => l.server.close(resolve))));
    }
  },
};

function checkArgs(): string[] {
  return ['--health-check', 'tcp', '--health-interval', String(INTERVAL_MS), '--health-timeout', '1000', '--health-fall', String(FALL), '--health-rise', '2'];
}

async function listen(): Promise<Listener> {
  const listener: Listener = { server: net.createServer((socket) => socket.destroy()), port: 0, accepted: 0 };
  listener.server.on('connection', () => listener.accepted++);
  await new Promise<void>((resolve) => listener.server.listen(0, '127.0.0.1', () => resolve()));
  listener.port = (listener.server.address() as net.AddressInfo).port;
  return listener;
}

async function registryFile(listeners: Listener[]): Promise<string> {
  const lines: string[] = [];
  for (let i = 0; i < listeners.length / PER_SERVICE; i++) {
    const ports = listeners.slice(i * PER_SERVICE, (i + 1) * PER_SERVICE).map((l) => `"127.0.0.1:${l.port}"`);
    lines.push(`${service(i)}: [${ports.join(', ')}]`);
  }
  const path = `${await tempDir()}/services.yaml`;
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

interface ProbeLoad {
  /** Connections accepted by the providers' listeners. */
  perSecond: number;
  /** Checks the bridge counted (`dnsbridge_health_checks_total`), and of those timed out. */
  checksPerSecond: number;
  timeoutsPerSecond: number;
  cpu: number;
  seconds: number;
}

async function probeLoad(listeners: Listener[], bridge: BridgeProcess): Promise<ProbeLoad> {
  const count = () => listeners.reduce((sum, l) => sum + l.accepted, 0);
  const checks = async () => {
    const metrics = await scrape(bridge.http);
    return [total(metrics, 'dnsbridge_health_checks_total') ?? 0, total(metrics, 'dnsbridge_health_checks_total', { result: 'timeout' }) ?? 0];
  };
  const [acceptedBefore, checksBefore, ticksBefore, started] = [count(), await checks(), await cpuTicks(bridge.child.pid!), performance.now()];
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
  const seconds = (performance.now() - started) / 1000;
  const [accepted, checksAfter, ticks] = [count() - acceptedBefore, await checks(), (await cpuTicks(bridge.child.pid!)) - ticksBefore];
  return {
    perSecond: accepted / seconds,
    checksPerSecond: (checksAfter[0] - checksBefore[0]) / seconds,
    timeoutsPerSecond: (checksAfter[1] - checksBefore[1]) / seconds,
    cpu: ticks / 100 / seconds,
    seconds,
  };
}

/** Closes the first provider of CLOSED services at once; the ms until each service's answer lacks it. */
async function portClosedToGone(listeners: Listener[], dns: DnsClient): Promise<number[]> {
  const victims = Array.from({ length: CLOSED }, (_, i) => ({ name: `${service(i)}.service.local`, listener: listeners[i * PER_SERVICE] }));
  const closedAt = performance.now();
  await Promise.all(victims.map((v) => new Promise((resolve) => v.listener.server.close(resolve))));
  const limitMs = INTERVAL_MS * FALL + 60_000;
  return Promise.all(
    victims.map(async ({ name, listener }) => {
      const port = `${listener.port}`;
      for (;;) {
        const answer = await dns.ask(name, 'SRV').catch(() => undefined);
        if (answer && !answer.records.some((record) => record.includes(`"port":${port},`))) return performance.now() - closedAt;
        if (performance.now() - closedAt > limitMs) throw new Error(`${name} still answers port ${port} after ${limitMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }),
  );
}

function report(load: ProbeLoad, gone: number[]): void {
  console.log(
    table(
      ['providers checked', 'interval ms', 'providers / interval per s', 'checks/s (bridge)', 'of which timed out', 'connections/s at the providers', 'bridge CPU (cores)', 'window s'],
      [[PROVIDERS, INTERVAL_MS, (PROVIDERS / (INTERVAL_MS / 1000)).toFixed(0), load.checksPerSecond.toFixed(0), load.timeoutsPerSecond.toFixed(0), load.perSecond.toFixed(0), load.cpu.toFixed(2), load.seconds.toFixed(1)]],
    ),
  );
  console.log();
  const s = (ms: number) => (ms / 1000).toFixed(2);
  console.log(
    table(
      ['ports closed', 'port closed -> gone from answers p50 s', 'p99 s', 'max s', 'interval x fall s'],
      [[gone.length, s(percentile(gone, 50)), s(percentile(gone, 99)), s(Math.max(...gone)), s(INTERVAL_MS * FALL)]],
    ),
  );
}
