import { isIPv6 } from 'node:net';
import type { EntryFormat } from './options.js';

/** The one provider this sidecar announces, the same in every registry. */
export interface Registration {
  service: string;
  host: string;
  port: number;
  tags: readonly string[];
  /** Stable for this run: Curator's instance id. */
  instanceId: string;
  /** The process that serves: the --exec child, or this one (zc.zk writes its own pid). */
  pid: number;
  /** Epoch ms of this run's start: Curator's registrationTimeUTC. */
  startedAt: number;
}

/** `host:port`, `[v6]:port`: the provider's name in the ep2016 layouts. */
export function hostPort(registration: Registration): string {
  const host = isIPv6(registration.host) ? `[${registration.host}]` : registration.host;
  return `${host}:${registration.port}`;
}

export function expandTemplate(template: string, service: string): string {
  return template.replaceAll('{service}', service);
}

/** The ZooKeeper node: the parent from `--zk-path`, a `host:port` child or Curator's instance id, and its data. */
export function zookeeperNode(registration: Registration, template: string, format: EntryFormat): { parent: string; path: string; data: Buffer } {
  const parent = expandTemplate(template, registration.service).replace(/\/+$/, '') || '/';
  const name = format === 'curator' ? registration.instanceId : hostPort(registration);
  const data = format === 'hostport' ? { pid: registration.pid } : entryJson(registration, format);
  return { parent, path: `${parent === '/' ? '' : parent}/${name}`, data: Buffer.from(JSON.stringify(data)) };
}

/** The etcd key (prefix + name) and value: `host:port` text, or JSON the `serve` side decodes. */
export function etcdEntry(registration: Registration, template: string, format: EntryFormat): { key: string; value: string } {
  const prefix = expandTemplate(template, registration.service);
  const name = format === 'curator' ? registration.instanceId : hostPort(registration);
  const key = prefix.endsWith('/') ? `${prefix}${name}` : `${prefix}/${name}`;
  const value = format === 'hostport' ? hostPort(registration) : JSON.stringify(entryJson(registration, format));
  return { key, value };
}

function entryJson(registration: Registration, format: 'curator' | 'json'): Record<string, unknown> {
  if (format === 'json') return { host: registration.host, port: registration.port, tags: registration.tags };
  return {
    name: registration.service,
    id: registration.instanceId,
    address: registration.host,
    port: registration.port,
    sslPort: null,
    payload: null,
    registrationTimeUTC: registration.startedAt,
    serviceType: 'DYNAMIC',
    uriSpec: null,
    enabled: true,
  };
}

/** Consul's service id: the same for every run of this service on this address, so a restart replaces its predecessor. */
export function consulServiceId(registration: Registration): string {
  return `${registration.service}-${hostPort(registration).replace(/[[\]]/g, '')}`;
}
