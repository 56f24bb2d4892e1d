import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { startProcess, type Running } from './process.js';
import { requireTool } from './tools.js';

export interface Unbound extends Running {
  port: number;
  /** `127.0.0.1:PORT`, for dig. */
  address: string;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

export interface UnboundOptions {
  /** The zone unbound asks the bridge for, as a stub zone. */
  zone: string;
  /** The bridge, `127.0.0.1:PORT`. */
  bridge: string;
  /** Send EDNS Client Subnet to the bridge (its `subnetcache` module), with each client's whole address. */
  clientSubnet?: boolean;
}

/**
 * A real unbound (Debian package `unbound`) on a free loopback port, in a temporary directory,
 * resolving `zone` from the bridge as a downstream resolver does; with `clientSubnet`, it sends
 * the bridge each client's address in EDNS Client Subnet (RFC 7871) and caches by the scope it
 * gets back.
 */
export async function startUnbound(options: UnboundOptions): Promise<Unbound> {
  const binary = requireTool('unbound', 'unbound');
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-unbound-'));
  const [bridgeHost, bridgePort] = [options.bridge.slice(0, options.bridge.lastIndexOf(':')), options.bridge.slice(options.bridge.lastIndexOf(':') + 1)];
  const config = [
    'server:',
    `  interface: 127.0.0.1@${port}`,
    `  port: ${port}`,
    '  do-ip6: no',
    '  do-daemonize: no',
    '  use-syslog: no',
    '  logfile: ""',
    '  chroot: ""',
    '  username: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${join(dir, 'unbound.pid')}"`,
    '  access-control: 127.0.0.0/8 allow',
    '  do-not-query-localhost: no',
    '  qname-minimisation: no',
    '  verbosity: 1',
    ...(options.clientSubnet
      ? ['  module-config: "subnetcache iterator"', `  send-client-subnet: ${bridgeHost}`, '  client-subnet-always-forward: yes', '  max-client-subnet-ipv4: 32']
      : ['  module-config: "iterator"']),
    `  domain-insecure: "${options.zone}"`,
    // Nothing leaves the machine: every other name is refused, this zone alone goes to the bridge.
    '  local-zone: "." refuse',
    `  local-zone: "${options.zone}." transparent`,
    'remote-control:',
    '  control-enable: no',
    'stub-zone:',
    `  name: "${options.zone}"`,
    `  stub-addr: ${bridgeHost}@${bridgePort}`,
    '',
  ].join('\n');
  const file = join(dir, 'unbound.conf');
  await writeFile(file, config);
  const running = await startProcess(binary, ['-d', '-c', file], { ready: (output) => output.includes('start of service'), name: 'unbound' });
  return {
    ...running,
    port,
    address: `127.0.0.1:${port}`,
    async close() {
      await running.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
