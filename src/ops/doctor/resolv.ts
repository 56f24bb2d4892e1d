import { readFileSync, realpathSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { resolvConfNameservers } from '../../config/resolv-conf.js';
import { formatEndpoint, type Endpoint } from '../../forward/endpoint.js';
import type { Check } from './check.js';

/** Whether glibc's resolver asks the bridge: it uses port 53 and asks nameservers in order. */
export function checkResolvConf(listen: Endpoint, path = '/etc/resolv.conf'): Check {
  const subject = path;
  const servers = resolvConfNameservers(path).map((s) => s.host);
  const ours = bridgeAddresses(listen.host);
  const position = servers.findIndex((host) => ours.has(host));
  const managed = managedBy(path, firstAddress(listen));
  const listed = servers.join(', ');
  if (listen.port !== 53) {
    return {
      status: 'fail',
      subject,
      found: `the bridge listens on ${formatEndpoint(listen)}, but resolv.conf can only name port 53 servers`,
      fix: `run the bridge with --listen ${listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host}:53 (deploy/dnsbridge.service grants the capability), then put "nameserver ${firstAddress(listen)}" first in ${path}`,
    };
  }
  const fix = `put "nameserver ${firstAddress(listen)}" first in ${path}${managed ? ` (${managed})` : ''}, and give the old nameservers to the bridge as --upstream ${servers.filter((h) => !ours.has(h)).join(',') || 'HOST'}`;
  if (position < 0) return { status: 'fail', subject, found: `nameservers ${listed}: none is the bridge`, fix };
  if (position > 0) return { status: 'fail', subject, found: `nameservers ${listed}: the bridge is not first, so glibc asks ${servers[0]} first`, fix };
  if (/^\s*options\b.*\brotate\b/m.test(readText(path))) {
    return { status: 'warn', subject, found: '"options rotate" spreads lookups over every nameserver: some service names will not resolve', fix: 'remove rotate from the options line' };
  }
  return { status: 'ok', subject, found: `first nameserver ${servers[0]} is the bridge` };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Who rewrites resolv.conf, if it is a link into their runtime folder: an edit there does not last. */
function managedBy(path: string, bridge: string): string | undefined {
  let target: string;
  try {
    target = realpathSync(path);
  } catch {
    return undefined;
  }
  if (target.includes('/systemd/resolve/')) return `it is ${target}, written by systemd-resolved: set DNS=${bridge} and DNSStubListener=no in /etc/systemd/resolved.conf, or replace the link with a file`;
  if (target.includes('/resolvconf/')) return `it is ${target}, written by resolvconf: add the nameserver to /etc/resolvconf/resolv.conf.d/head`;
  return undefined;
}

function bridgeAddresses(host: string): Set<string> {
  if (host !== '0.0.0.0' && host !== '::') return new Set([host]);
  const all = Object.values(networkInterfaces()).flatMap((infos) => (infos ?? []).map((info) => info.address));
  return new Set([...all, '127.0.0.1', '::1']);
}

function firstAddress(listen: Endpoint): string {
  if (listen.host === '0.0.0.0') return '127.0.0.1';
  if (listen.host === '::') return '::1';
  return listen.host;
}
