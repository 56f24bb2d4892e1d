import { fromFields, fromHostPort, isError, type Decoded } from '../../registry/fields.js';
import { DEFAULT_PRIORITY } from '../../registry/provider.js';

/** The fields of a SkyDNS / CoreDNS `msg.Service`; JSON with only these and `host` is read as one. */
const SKYDNS_FIELDS = new Set(['host', 'port', 'priority', 'weight', 'ttl', 'text', 'mail', 'targetstrip', 'group', 'key']);

/** Stands in for a missing SkyDNS port while the shared decoder checks the rest; the provider gets port 0. */
const PORT_CHECK_STAND_IN = 1;

/**
 * Decodes one etcd key/value into a provider. First match wins: SkyDNS/CoreDNS JSON, JSON with
 * host or address (Curator's shape included), the text `host:port`, the key's last segment.
 * Undefined for an entry that says it is not serving (Curator's `enabled: false`). The etcd v2
 * source reads its values with it too, under its own `origin`.
 */
export function decodeEntry(key: string, value: string, origin = `etcd:${key}`): Decoded | undefined {
  const fromValue = decodeValue(value, origin);
  if (!fromValue || !isError(fromValue)) return fromValue;
  const fromKey = fromHostPort(key.slice(key.lastIndexOf('/') + 1), origin);
  if (!isError(fromKey)) return fromKey;
  return { error: `${fromValue.error}, and the key's last segment ${fromKey.error}` };
}

function decodeValue(value: string, origin: string): Decoded | undefined {
  const json = parseObject(value);
  if (!json) return fromHostPort(value, origin);
  if (isSkyDns(json)) return fromSkyDns(json, origin);
  if (json.enabled === false) return undefined;
  if ('host' in json || 'address' in json) return fromJson(json, origin);
  return { error: 'value is JSON without "host" or "address"' };
}

function parseObject(value: string): Record<string, unknown> | undefined {
  if (!value.trimStart().startsWith('{')) return undefined;
  try {
    const data: unknown = JSON.parse(value);
    return data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isSkyDns(data: Record<string, unknown>): boolean {
  return 'host' in data && Object.keys(data).every((field) => SKYDNS_FIELDS.has(field));
}

/** SkyDNS/CoreDNS: priority defaults to 10, a missing or zero port is port 0 (A/AAAA only), `ttl` caps the answer. */
function fromSkyDns(data: Record<string, unknown>, origin: string): Decoded {
  const ttl = ttlOf(data.ttl);
  if (typeof ttl === 'object') return ttl;
  const portless = data.port === undefined || data.port === 0;
  const decoded = fromFields(portless ? { ...data, port: PORT_CHECK_STAND_IN } : data, origin, { priority: DEFAULT_PRIORITY, ttl });
  if (!isError(decoded) && portless) decoded.port = 0;
  return decoded;
}

/**
 * `{host|address, port, priority?, weight?, tags?, ttl?}`; Curator's `sslPort` stands in for a
 * null `port`, its other fields are ignored.
 */
function fromJson(data: Record<string, unknown>, origin: string): Decoded {
  const ttl = ttlOf(data.ttl);
  if (typeof ttl === 'object') return ttl;
  const port = data.port ?? data.sslPort;
  return fromFields({ ...data, port }, origin, { ttl });
}

/** A TTL in seconds; 0 or absent means none (as CoreDNS reads it). */
function ttlOf(value: unknown): number | undefined | { error: string } {
  if (value === undefined || value === null || value === 0) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 2 ** 31 - 1) return value;
  return { error: `ttl ${JSON.stringify(value)} is not a number of seconds` };
}
