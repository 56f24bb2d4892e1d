import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { promisify } from 'node:util';
import { RRClass, RRType } from '../../dns/constants.js';
import { readName } from '../../dns/names.js';
import { formatEndpoint, type Endpoint } from '../../forward/endpoint.js';
import { Forwarder } from '../../forward/forwarder.js';
import type { Check } from './check.js';

const run = promisify(execFile);

/** Whether the bridge's address is free, or already answered by a dnsbridge (ours), or taken by something else. */
export async function checkListenPort(listen: Endpoint, domain: string): Promise<Check> {
  const subject = `listen ${formatEndpoint(listen)}`;
  const target = { host: loopbackFor(listen.host), port: listen.port };
  if (await answersAsBridge(target, domain)) return { status: 'ok', subject, found: `a dnsbridge answers there for ${domain}` };
  const bound = await tryBind(listen);
  const holder = bound === 'free' ? undefined : await holderOf(listen.port);
  if (bound === 'free') return { status: 'ok', subject, found: 'free: no bridge runs there yet, and it can listen there' };
  if (bound === 'EACCES' && !holder) {
    return {
      status: 'warn',
      subject,
      found: `nothing listens there, but this user may not bind port ${listen.port}`,
      fix: 'run the bridge as root, or with CAP_NET_BIND_SERVICE (deploy/dnsbridge.service, or setcap cap_net_bind_service=+ep on node)',
    };
  }
  const who = holder ? `${holder}, ` : '';
  return {
    status: 'fail',
    subject,
    found: `taken by ${who}which does not answer as a dnsbridge${bound === 'EADDRINUSE' || bound === 'EACCES' ? '' : ` (${bound})`}`,
    fix:
      listen.port === 53
        ? 'stop that server (systemd-resolved: DNSStubListener=no in /etc/systemd/resolved.conf, then systemctl restart systemd-resolved; dnsmasq: bind-interfaces and except-interface=lo) or give the bridge another address with --listen'
        : 'stop that program or give the bridge another address with --listen',
  };
}

/** True when the server at `target` answers our zone's SOA the way dnsbridge writes it. */
export async function answersAsBridge(target: Endpoint, domain: string): Promise<boolean> {
  const forwarder = new Forwarder({ timeoutMs: 1000, maxInFlight: 1 });
  try {
    const { reply, inspected } = await forwarder.forward([target], { name: domain, type: RRType.SOA, class: RRClass.IN });
    const soa = inspected.records.find((r) => r.section === 1 && r.type === RRType.SOA);
    if (!soa) return false;
    const mname = readName(reply, soa.rdataOffset);
    if (typeof mname === 'string') return false;
    const rname = readName(reply, mname.end);
    return mname.name === `ns.${domain}` && typeof rname !== 'string' && rname.name === `hostmaster.${domain}`;
  } catch {
    return false;
  } finally {
    forwarder.close();
  }
}

/** Binds UDP then TCP at `endpoint` and lets go: 'free', or the error code. */
async function tryBind(endpoint: Endpoint): Promise<string> {
  const udp = await new Promise<string>((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(endpoint.host) ? 'udp6' : 'udp4');
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.bind({ address: endpoint.host, port: endpoint.port, exclusive: true }, () => socket.close(() => resolve('free')));
  });
  if (udp !== 'free') return udp;
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host: endpoint.host, port: endpoint.port, exclusive: true }, () => server.close(() => resolve('free')));
  });
}

/** The program listening on `port`, as `ss -p` shows it (all of it only for root); undefined if unknown. */
async function holderOf(port: number): Promise<string | undefined> {
  try {
    const { stdout } = await run('ss', ['-H', '-l', '-n', '-p', '-u', '-t', `sport = :${port}`]);
    const found = /users:\(\("([^"]+)",pid=(\d+)/.exec(stdout);
    if (found) return `${found[1]} (pid ${found[2]})`;
    return stdout.trim() ? 'another program' : undefined;
  } catch {
    return undefined;
  }
}

function loopbackFor(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}
