import { readFileSync } from 'node:fs';
import type { Endpoint } from '../forward/endpoint.js';

/** The nameservers of a resolv.conf, as glibc reads them (port 53; none means 127.0.0.1). */
export function resolvConfNameservers(path = '/etc/resolv.conf'): Endpoint[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [{ host: '127.0.0.1', port: 53 }];
  }
  const servers = text
    .split('\n')
    .map((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1])
    .filter((host): host is string => host !== undefined)
    .map((host) => ({ host: host.split('%')[0], port: 53 }));
  return servers.length ? servers : [{ host: '127.0.0.1', port: 53 }];
}
