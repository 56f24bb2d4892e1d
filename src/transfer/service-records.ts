import { isIP } from 'node:net';
import { isValidName } from '../dns/names.js';
import type { ResourceRecord } from '../dns/records.js';
import { healthStep } from '../health/filter.js';
import type { Provider } from '../registry/provider.js';
import { providerAddresses, type Addresses } from '../zone/host-addresses.js';
import { addressToHex } from '../zone/names.js';

export interface RecordSettings {
  domain: string;
  ttl: number;
  /** Known addresses of a provider hostname; undefined while unresolved. */
  readonly addresses: (host: string) => Addresses | undefined;
}

/**
 * Every record the zone holds for one service, as the bridge answers its names: `<svc>` A, AAAA and
 * SRV, `_<svc>._tcp` SRV, the tag forms `<tag>.<svc>` and `_<svc>._<tag>`, the named endpoints
 * `_<endpoint>._tcp.<svc>`, and the `<hex>.addr` targets of providers registered by IP. Each name
 * holds its healthy providers, all of them when every one fails its check (as the answers do). Pure.
 */
export function serviceRecords(service: string, providers: readonly Provider[], settings: RecordSettings): ResourceRecord[] {
  const { domain } = settings;
  const base = providers.filter((p) => p.endpoint === undefined);
  const records: ResourceRecord[] = [];
  const name = `${service}.${domain}`;
  records.push(...addressRecords(name, base, settings), ...srvRecords(name, base, settings), ...srvRecords(`_${service}._tcp.${domain}`, base, settings));
  for (const tag of new Set(base.flatMap((p) => p.tags))) {
    const tagged = base.filter((p) => p.tags.includes(tag));
    const tagName = `${tag}.${name}`;
    if (!isValidName(tagName) || tag.includes('.') || tag.startsWith('_')) continue;
    records.push(...addressRecords(tagName, tagged, settings), ...srvRecords(tagName, tagged, settings));
    if (tag !== 'tcp' && tag !== 'udp') records.push(...srvRecords(`_${service}._${tag}.${domain}`, tagged, settings));
  }
  for (const endpoint of new Set(providers.flatMap((p) => (p.endpoint === undefined ? [] : [p.endpoint])))) {
    const endpointName = `_${endpoint}._tcp.${name}`;
    if (isValidName(endpointName)) records.push(...srvRecords(endpointName, providers.filter((p) => p.endpoint === endpoint), settings));
  }
  for (const provider of providers) {
    const family = isIP(provider.host);
    if (!family) continue;
    const ttl = ttlOf([provider], settings.ttl);
    const target = `${addressToHex(provider.host)}.addr.${domain}`;
    records.push(family === 4 ? { name: target, ttl, type: 'A', address: provider.host } : { name: target, ttl, type: 'AAAA', address: provider.host });
  }
  return records;
}

/** Identifies a record by name, type and data: two equal records are one in a zone. */
export function recordKey(rr: ResourceRecord): string {
  switch (rr.type) {
    case 'A':
    case 'AAAA':
      return `${rr.name}|${rr.type}|${rr.address}`;
    case 'SRV':
      return `${rr.name}|SRV|${rr.priority} ${rr.weight} ${rr.port} ${rr.target}`;
    case 'NS':
    case 'PTR':
      return `${rr.name}|${rr.type}|${rr.host}`;
    case 'TXT':
      return `${rr.name}|TXT|${JSON.stringify(rr.text)}`;
    case 'SOA':
      return `${rr.name}|SOA`;
  }
}

function addressRecords(name: string, all: readonly Provider[], settings: RecordSettings): ResourceRecord[] {
  const providers = healthStep(all).kept;
  const ttl = ttlOf(providers, settings.ttl);
  const records: ResourceRecord[] = [];
  for (const provider of providers) {
    for (const address of providerAddresses(provider, 'A', settings.addresses)) records.push({ name, ttl, type: 'A', address });
    for (const address of providerAddresses(provider, 'AAAA', settings.addresses)) records.push({ name, ttl, type: 'AAAA', address });
  }
  return records;
}

function srvRecords(name: string, all: readonly Provider[], settings: RecordSettings): ResourceRecord[] {
  const providers = healthStep(all).kept;
  const ttl = ttlOf(providers, settings.ttl);
  return providers.map((p) => ({
    name,
    ttl,
    type: 'SRV',
    priority: p.priority,
    weight: p.weight,
    port: p.port,
    target: isIP(p.host) ? `${addressToHex(p.host)}.addr.${settings.domain}` : p.host,
  }));
}

/** The zone's TTL, lowered by the smallest TTL a provider's own data asks for (as the answers do). */
function ttlOf(providers: readonly Provider[], ttl: number): number {
  let result = ttl;
  for (const provider of providers) if (provider.ttl !== undefined && provider.ttl < result) result = provider.ttl;
  return result;
}
