import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess } from './process.js';
import { udpAnswers } from './raw-query.js';
import type { Secondary, SecondaryOptions } from './secondary.js';
import { requireTool } from './tools.js';

/**
 * A real NSD (Debian `nsd`) in the foreground on a loopback port with a temporary directory, as a
 * secondary of `zone`: it transfers the zone from the bridge with the TSIG key and takes NOTIFYs
 * signed with it. No zone file: the zone lives in memory.
 */
export async function startNsd(options: SecondaryOptions): Promise<Secondary> {
  const binary = requireTool('nsd', 'nsd');
  const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-nsd-'));
  const config = [
    'server:',
    '  ip-address: 127.0.0.1',
    `  port: ${options.port}`,
    '  do-ip6: no',
    '  server-count: 1',
    '  username: ""',
    '  chroot: ""',
    `  zonesdir: "${dir}"`,
    '  database: ""',
    `  zonelistfile: "${dir}/zone.list"`,
    `  xfrdfile: "${dir}/xfrd.state"`,
    `  xfrdir: "${dir}"`,
    `  pidfile: "${dir}/nsd.pid"`,
    '  verbosity: 2',
    'remote-control:',
    '  control-enable: no',
    'key:',
    `  name: "${options.key.name}"`,
    '  algorithm: hmac-sha256',
    `  secret: "${options.key.secret}"`,
    'zone:',
    `  name: "${options.zone}"`,
    `  request-xfr: 127.0.0.1@${options.primaryPort} ${options.key.name}`,
    `  allow-notify: 127.0.0.1 ${options.key.name}`,
    '',
  ].join('\n');
  const path = join(dir, 'nsd.conf');
  await writeFile(path, config);
  const running = await startProcess(binary, ['-d', '-c', path], {
    ready: () => udpAnswers('127.0.0.1', options.port),
    name: 'nsd',
  });
  return { ...running, name: 'nsd', port: options.port, address: `127.0.0.1:${options.port}`, config };
}
