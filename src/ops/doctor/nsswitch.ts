import { readFileSync } from 'node:fs';
import type { Check } from './check.js';

const MDNS = /^mdns[46]?(_minimal)?$/;

/**
 * Whether glibc sends `<service>.<domain>` names to DNS at all: nss-mdns (`mdns4_minimal
 * [NOTFOUND=return]` in Debian's default `hosts:` line) answers `.local` names itself and
 * stops there, so they never reach the bridge.
 */
export function checkNsswitch(domain: string, path = '/etc/nsswitch.conf'): Check {
  const subject = `${path} (hosts line)`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { status: 'warn', subject, found: `cannot read it (${(error as NodeJS.ErrnoException).code}): glibc then asks files and dns` };
  }
  const line = /^\s*hosts:\s*(.*)$/m.exec(text)?.[1]?.replace(/#.*/, '').trim();
  if (line === undefined) return { status: 'warn', subject, found: 'no hosts: line: glibc then asks dns and files' };
  return judgeHostsLine(line, domain, subject);
}

export function judgeHostsLine(line: string, domain: string, subject = 'hosts line'): Check {
  const tokens = line.split(/\s+(?![^[]*\])/).filter(Boolean);
  const dns = tokens.indexOf('dns');
  if (dns < 0) return { status: 'fail', subject, found: `"${line}" has no dns: programs never ask the bridge`, fix: 'add dns to the hosts: line' };
  const local = domain === 'local' || domain.endsWith('.local');
  const mdns = tokens.findIndex((t) => MDNS.test(t));
  if (!local || mdns < 0 || mdns > dns) return { status: 'ok', subject, found: `"${line}": ${domain} names reach DNS` };
  const stops = /NOTFOUND=return/i.test(tokens[mdns + 1] ?? '');
  const fix = `put dns before ${tokens[mdns]} in the hosts: line, remove ${tokens[mdns]}${stops ? ` ${tokens[mdns + 1]}` : ''}, or serve a domain outside .local (--domain service.internal)`;
  if (stops) return { status: 'fail', subject, found: `"${line}": nss-mdns answers .local names and stops, so ${domain} names never reach the bridge`, fix };
  return { status: 'warn', subject, found: `"${line}": every ${domain} lookup waits for mDNS to give up before asking DNS`, fix };
}
