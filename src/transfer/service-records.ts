import { isIP } from 'node:net';
import { isValidName } from '../dns/names.js';
import type { ResourceRecord } from '../dns/records.js';
import { healthStep } from '../health/filter.js';
import type { Provider } from '../registry/provider.js';
import { answerTtl } from '../zone/answer-ttl.js';
import { providerAddresses, type Addresses } from '../zone/host-addresses.js';
import { datacenterChoice } from '../zone/datacenter-step.js';
import { datacenterOrder, NO_DATACENTERS, type DatacenterOptions } from '../zone/datacenters.js';
import { addressToHex } from '../zone/names.js';

export interface RecordSettings {
  domain: string;
  ttl: number;
  /** Known addresses of a provider hostname; undefined while unresolved. */
  readonly addresses: (host: string) => Addresses | undefined;
  /** With datacenters: the bridge's own view under the domain, and each datacenter's sub-zone. */
  readonly datacenters?: DatacenterOptions;
}

/** The providers a name answers with, of those it selects (tags, endpoint); `srv` for its SRV records. */
type Choice = (providers: readonly Provider[], srv: boolean) => readonly Provider[];

/**
 * Every record the zone holds for one service, as the bridge answers its names: `<svc>` A, AAAA and
 * SRV, `_<svc>._tcp` SRV, the tag forms `<tag>.<svc>` and `_<svc>._<tag>`, the named endpoints
 * `_<endpoint>._tcp.<svc>`, and the `<hex>.addr` targets of providers registered by IP. Each name
 * holds its healthy providers, all of them when every one fails its check (as the answers do).
 * With `--datacenter` the names under the domain hold the own datacenter's view with failover (as
 * a client placed nowhere gets it), and every configured datacenter's sub-zone repeats the names
 * with that datacenter alone (`<svc>.<dc>.<domain>`). Pure.
 */
export function serviceRecords(service: string, providers: readonly Provider[], settings: RecordSettings): ResourceRecord[] {
  const { domain } = settings;
  const datacenters = settings.datacenters ?? NO_DATACENTERS;
  const { local, srvFailoverPriority } = datacenters;
  const records: ResourceRecord[] = [];
  // A service named like a datacenter is only under the sub-zones: <name>.<domain> is that datacenter's.
  if (!datacenters.names.includes(service)) {
    const own: Choice = local === undefined ? (all) => healthStep(all).kept : (all, srv) => datacenterChoice(all, datacenterOrder(datacenters), local, srv ? srvFailoverPriority : 0);
    records.push(...serviceNames(service, domain, providers, settings, own));
  }
  for (const datacenter of datacenters.names) {
    records.push(...serviceNames(service, `${datacenter}.${domain}`, providers, settings, (all) => datacenterChoice(all, [datacenter], local)));
  }
  for (const provider of providers) {
    const family = isIP(provider.host);
    if (!family) continue;
    const ttl = answerTtl(settings.ttl, [provider]);
    const target = `${addressToHex(provider.host)}.addr.${domain}`;
    records.push(family === 4 ? { name: target, ttl, type: 'A', address: provider.host } : { name: target, ttl, type: 'AAAA', address: provider.host });
  }
  return records;
}

/** The names of `service` under `zone` (the domain, or a datacenter's sub-zone), each holding what `choose` keeps of its providers. */
function serviceNames(service: string, zone: string, providers: readonly Provider[], settings: RecordSettings, choose: Choice): ResourceRecord[] {
  const base = providers.filter((p) => p.endpoint === undefined);
  const records: ResourceRecord[] = [];
  const name = `${service}.${zone}`;
  records.push(...addressRecords(name, choose(base, false), settings), ...srvRecords(name, choose(base, true), settings));
  records.push(...srvRecords(`_${service}._tcp.${zone}`, choose(base, true), settings));
  for (const tag of new Set(base.flatMap((p) => p.tags))) {
    const tagged = base.filter((p) => p.tags.includes(tag));
    const tagName = `${tag}.${name}`;
    if (!isValidName(tagName) || tag.includes('.') || tag.startsWith('_')) continue;
    records.push(...addressRecords(tagName, choose(tagged, false), settings), ...srvRecords(tagName, choose(tagged, true), settings));
    if (tag !== 'tcp' && tag !== 'udp') records.push(...srvRecords(`_${service}._${tag}.${zone}`, choose(tagged, true), settings));
  }
  for (const endpoint of new Set(providers.flatMap((p) => (p.endpoint === undefined ? [] : [p.endpoint])))) {
    const endpointName = `_${endpoint}._tcp.${name}`;
    if (isValidName(endpointName)) records.push(...srvRecords(endpointName, choose(providers.filter((p) => p.endpoint === endpoint), true), settings));
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

function addressRecords(name: string, providers: readonly Provider[], settings: RecordSettings): ResourceRecord[] {
  const ttl = answerTtl(settings.ttl, providers);
  const records: ResourceRecord[] = [];
  for (const provider of providers) {
    for (const address of providerAddresses(provider, 'A', settings.addresses)) records.push({ name, ttl, type: 'A', address });
    for (const address of providerAddresses(provider, 'AAAA', settings.addresses)) records.push({ name, ttl, type: 'AAAA', address });
  }
  return records;
}

function srvRecords(name: string, providers: readonly Provider[], settings: RecordSettings): ResourceRecord[] {
  const ttl = answerTtl(settings.ttl, providers);
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
