import { isIP } from 'node:net';
import { isValidName } from '../dns/names.js';
import { DEFAULT_PRIORITY, DEFAULT_WEIGHT, NO_TAGS, newProvider, type SourceProvider } from './provider.js';

/** A provider, or why the entry cannot be one. Every source's decoder returns this. */
export type Decoded = SourceProvider | { error: string };

/** Normalises a host: an IP address as is (no brackets), a hostname lowercased; undefined if neither. */
export function normaliseHost(host: string): string | undefined {
  const bare = host.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare)) return bare;
  const name = bare.toLowerCase().replace(/\.$/, '');
  return name && !name.includes('..') && /^[a-z0-9_.-]+$/.test(name) && isValidName(name) ? name : undefined;
}

export function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** Parses `host:port`, `[v6]:port`; undefined when it is not that. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text.trim()) ?? /^([^:\s]+):(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const host = normaliseHost(match[1]);
  const port = Number(match[2]);
  return host && isPort(port) ? { host, port } : undefined;
}

/** Builds a provider from `host:port` text. */
export function fromHostPort(text: string, origin: string): Decoded {
  const parsed = parseHostPort(text);
  if (!parsed) return { error: `"${truncate(text)}" is not host:port` };
  return newProvider(parsed.host, parsed.port, DEFAULT_PRIORITY, DEFAULT_WEIGHT, NO_TAGS, origin);
}

/**
 * Builds a provider from `{host|address, port, priority?, weight?, tags?}`, the shape most
 * registries' JSON shares; `defaults` supplies what a format implies (SkyDNS priority 10).
 */
export function fromFields(data: Record<string, unknown>, origin: string, defaults: Partial<SourceProvider> = {}): Decoded {
  const rawHost = data.host ?? data.address;
  if (typeof rawHost !== 'string') return { error: 'no "host" or "address" string' };
  const host = normaliseHost(rawHost);
  if (!host) return { error: `host "${truncate(rawHost)}" is not an address or hostname` };
  const port = typeof data.port === 'string' && /^\d+$/.test(data.port) ? Number(data.port) : data.port;
  if (!isPort(port)) return { error: `port ${JSON.stringify(data.port)} is not 1-65535` };
  const priority = data.priority ?? defaults.priority ?? DEFAULT_PRIORITY;
  const weight = data.weight ?? defaults.weight ?? DEFAULT_WEIGHT;
  if (!isUint16(priority)) return { error: `priority ${JSON.stringify(priority)} is not 0-65535` };
  if (!isUint16(weight)) return { error: `weight ${JSON.stringify(weight)} is not 0-65535` };
  const tags = data.tags ?? defaults.tags ?? [];
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) return { error: '"tags" is not a list of strings' };
  return newProvider(host, port, priority, weight, tags.length ? tags.map((t) => t.toLowerCase()) : NO_TAGS, origin, defaults.ttl);
}

function isUint16(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535;
}

export function isError(decoded: Decoded): decoded is { error: string } {
  return 'error' in decoded;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A service name usable as one DNS label. */
export function isServiceName(name: string): boolean {
  return /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/i.test(name);
}
