import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess } from './process.js';
import { udpAnswers } from './raw-query.js';
import type { Secondary, SecondaryOptions } from './secondary.js';
import { requireTool } from './tools.js';

/**
 * A real Knot DNS (Debian `knot`) in the foreground on a loopback port with a temporary directory,
 * as a secondary of `zone`: it transfers the zone from the bridge with the TSIG key, takes NOTIFYs
 * signed with it, and keeps the zone in its journal only (no zone file written or read).
 */
export async function startKnot(options: SecondaryOptions): Promise<Secondary> {
  const binary = requireTool('knotd', 'knot');
  const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-knot-'));
  const config = [
    'server:',
    `    listen: 127.0.0.1@${options.port}`,
    `    rundir: "${dir}"`,
    '    udp-workers: 1',
    '    tcp-workers: 1',
    '    background-workers: 1',
    'log:',
    '  - target: stderr',
    '    any: info',
    'database:',
    `    storage: "${dir}"`,
    'key:',
    `  - id: ${options.key.name}`,
    '    algorithm: hmac-sha256',
    `    secret: ${options.key.secret}`,
    'remote:',
    '  - id: bridge',
    `    address: 127.0.0.1@${options.primaryPort}`,
    `    key: ${options.key.name}`,
    'acl:',
    '  - id: notify-from-bridge',
    '    address: 127.0.0.1',
    `    key: ${options.key.name}`,
    '    action: notify',
    'zone:',
    `  - domain: ${options.zone}`,
    `    storage: "${dir}"`,
    '    master: bridge',
    '    acl: notify-from-bridge',
    '    zonefile-sync: -1',
    '    zonefile-load: none',
    '    journal-content: all',
    '',
  ].join('\n');
  const path = join(dir, 'knot.conf');
  await writeFile(path, config);
  const running = await startProcess(binary, ['-c', path], {
    ready: () => udpAnswers('127.0.0.1', options.port),
    name: 'knot',
  });
  return { ...running, name: 'knot', port: options.port, address: `127.0.0.1:${options.port}`, config };
}
