import { fromFields, fromHostPort, isError, isServiceName, parseHostPort } from '../../registry/fields.js';
import type { Provider } from '../../registry/provider.js';

/** The providers one ZooKeeper node stands for (none for a disabled or not ALIVE one), or why it stands for none. */
export type DecodedNode = Provider[] | { error: string };

type Json = Record<string, unknown>;

/**
 * Decodes one child node of a provider path; first match wins: Curator ServiceInstance,
 * Finagle ServerSet member, `{host|address, port}` JSON, `host:port` text, and last the
 * node's own name as `host:port` (zc.zk writes `{"pid": …}` as data).
 */
export function decodeNode(name: string, data: Buffer | undefined, origin: string): DecodedNode {
  const text = data?.toString('utf8').trim() ?? '';
  const json = parseObject(text);
  if (json && isCuratorInstance(json)) return fromCurator(json, origin);
  if (json && 'serviceEndpoint' in json) return fromServerSet(json, origin);
  const fromData = json ? fromJsonFields(json, origin) : fromText(text, origin);
  if (fromData && !isError(fromData)) return [fromData];
  const fromName = parseHostPort(name) ? fromHostPort(name, origin) : undefined;
  if (fromName && !isError(fromName)) return [fromName];
  return { error: fromData?.error ?? `neither the data ${describe(text)} nor the node name "${name}" is host:port` };
}

function parseObject(text: string): Json | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** Curator's ServiceInstance always carries these beside `address` and `port`. */
function isCuratorInstance(json: Json): boolean {
  return 'address' in json && ('registrationTimeUTC' in json || 'serviceType' in json);
}

function fromCurator(json: Json, origin: string): DecodedNode {
  if (json.enabled === false) return [];
  // An instance registered with only an SSL port is reached on that port.
  const port = json.port ?? json.sslPort;
  const provider = fromFields({ address: json.address, port }, origin);
  return isError(provider) ? { error: `Curator instance: ${provider.error}` } : [provider];
}

function fromServerSet(json: Json, origin: string): DecodedNode {
  if (json.status !== 'ALIVE') return [];
  const main = endpoint(json.serviceEndpoint, origin);
  if (isError(main)) return { error: `ServerSet serviceEndpoint: ${main.error}` };
  const providers = [main];
  const additional = json.additionalEndpoints ?? {};
  if (typeof additional !== 'object' || Array.isArray(additional)) return { error: 'ServerSet additionalEndpoints is not a map' };
  for (const [name, value] of Object.entries(additional as Json)) {
    if (!isServiceName(name)) return { error: `ServerSet additional endpoint "${name}" is not a DNS label` };
    const extra = endpoint(value, origin);
    if (isError(extra)) return { error: `ServerSet additional endpoint "${name}": ${extra.error}` };
    extra.endpoint = name.toLowerCase();
    providers.push(extra);
  }
  return providers;
}

function endpoint(value: unknown, origin: string): Provider | { error: string } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { error: 'not a {host, port} object' };
  const { host, port } = value as Json;
  return fromFields({ host, port }, origin);
}

/** JSON without `host` or `address` (zc.zk's `{"pid": …}`) is no provider by itself: undefined. */
function fromJsonFields(json: Json, origin: string): Provider | { error: string } | undefined {
  if (!('host' in json) && !('address' in json)) return undefined;
  return fromFields(json, origin);
}

function fromText(text: string, origin: string): Provider | { error: string } | undefined {
  return text && parseHostPort(text) ? fromHostPort(text, origin) : undefined;
}

function describe(text: string): string {
  if (!text) return '(empty)';
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}
