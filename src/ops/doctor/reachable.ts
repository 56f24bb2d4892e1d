import type { Logger } from 'pino';
import type { Config } from '../../config/load.js';
import { RRClass, RRType } from '../../dns/constants.js';
import { formatEndpoint, type Endpoint } from '../../forward/endpoint.js';
import { Forwarder } from '../../forward/forwarder.js';
import { createSources, type SourceInstance } from '../../sources/index.js';
import { sleep } from '../../util/sleep.js';
import type { Check } from './check.js';

/** Asks every upstream and every `--zone` server for the root's NS: any answer means it is reachable. */
export async function checkUpstreams(config: Config): Promise<Check[]> {
  const targets: Target[] = [
    ...config.upstreams.map((server) => ({ role: config.upstream ? 'upstream' : 'upstream (from resolv.conf)', server, down: 'fail' as const })),
    // A zone's servers matter only to names under it (the default consul zone is there unasked): a warning.
    ...[...config.zone].flatMap(([zone, servers]) => servers.map((server) => ({ role: `--zone ${zone}`, server, down: 'warn' as const }))),
  ];
  if (!targets.length) return [{ status: 'warn', subject: 'upstreams', found: 'none: names outside our domain are REFUSED', fix: 'give --upstream HOST:PORT' }];
  const forwarder = new Forwarder({ timeoutMs: config['upstream-timeout'], maxInFlight: targets.length });
  try {
    return await Promise.all(targets.map((target) => askRoot(forwarder, target)));
  } finally {
    forwarder.close();
  }
}

interface Target {
  role: string;
  server: Endpoint;
  /** The verdict when it does not answer. */
  down: 'fail' | 'warn';
}

async function askRoot(forwarder: Forwarder, { role, server, down }: Target): Promise<Check> {
  const subject = `${role} ${formatEndpoint(server)}`;
  try {
    await forwarder.forward([server], { name: '', type: RRType.NS, class: RRClass.IN });
    return { status: 'ok', subject, found: 'answers' };
  } catch (error) {
    return { status: down, subject, found: `no answer: ${(error as Error).message}`, fix: 'check that it runs and that no firewall drops port 53 to it, or change --upstream/--zone' };
  }
}

/** Starts every configured source on its own, waits up to `waitMs` for it to connect, and stops it. */
export async function checkSources(config: Config, log: Logger, waitMs: number): Promise<Check[]> {
  const sources = await createSources(config.sources, log);
  if (!sources.length) {
    return [{ status: 'warn', subject: 'sources', found: 'none configured: every service name is NXDOMAIN', fix: 'give --file, --zookeeper, --etcd, --etcd2 or --consul' }];
  }
  return Promise.all(sources.map((source) => tryConnect(source, waitMs)));
}

async function tryConnect({ name, source }: SourceInstance, waitMs: number): Promise<Check> {
  const subject = `source ${name}`;
  source.start({ replace: () => {} });
  const deadline = Date.now() + waitMs;
  while (source.status().state !== 'connected' && Date.now() < deadline) await sleep(100);
  const status = source.status();
  await source.stop();
  if (status.state === 'connected') return { status: 'ok', subject, found: 'connected' };
  return {
    status: 'fail',
    subject,
    found: `${status.state} after ${waitMs / 1000} s${status.detail ? `: ${status.detail}` : ''}`,
    fix: 'check that the registry runs and that its address, credentials and TLS files are right',
  };
}
