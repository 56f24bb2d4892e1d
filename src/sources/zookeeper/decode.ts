import { fromFields, fromHostPort, isError, isServiceName, parseHostPort } from '../../registry/fields.js';
import type { SourceProvider } from '../../registry/provider.js';

/**
 * The providers one ZooKeeper node stands for (none for a disabled or not ALIVE one), or why it
 * stands for none; `needsServicePort`: a binder instance with no port of its own, which the
 * provider path's own node (binder's service node) may give.
 */
export type DecodedNode = SourceProvider[] | { error: string; needsServicePort?: boolean };

type Json = Record<string, unknown>;

/**
 * Decodes one child node of a provider path; first match wins: Curator ServiceInstance,
 * Finagle ServerSet member, Joyent registrar/binder instance, `{host|address, port}` JSON,
 * `host:port` text, and last the node's own name as `host:port` (zc.zk writes `{"pid": …}`
 * as data). `servicePort` is the port of binder's service node, when it gives one.
 */
export function decodeNode(name: string, data: Buffer | undefined, origin: string, servicePort?: number): DecodedNode {
  const text = data?.toString('utf8').trim() ?? '';
  const json = parseObject(text);
  if (json && isCuratorInstance(json)) return fromCurator(json, origin);
  if (json && 'serviceEndpoint' in json) return fromServerSet(json, origin);
  const binder = json && binderInstance(json);
  if (binder) return fromBinder(binder, origin, servicePort);
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

/**
 * Joyent registrar's instance: `{"type": T, T: {"address": …, "ports": [...]}}`, T being
 * `load_balancer`, `host` or another registrar host type. Undefined for any other JSON.
 */
function binderInstance(json: Json): { type: string; address: unknown; ports?: unknown } | undefined {
  const { type } = json;
  if (typeof type !== 'string' || type === 'service') return undefined;
  const body = json[type];
  if (!body || typeof body !== 'object' || Array.isArray(body) || !('address' in body)) return undefined;
  const { address, ports } = body as Json;
  return { type, address, ports };
}

/** One provider per port of the instance, or at the service node's port when it lists none. */
function fromBinder(instance: { type: string; address: unknown; ports?: unknown }, origin: string, servicePort: number | undefined): DecodedNode {
  const ports = Array.isArray(instance.ports) && instance.ports.length > 0 ? instance.ports : servicePort === undefined ? [] : [servicePort];
  if (ports.length === 0) return { error: `binder ${instance.type} instance has no port, and its service node gives none`, needsServicePort: true };
  const providers: SourceProvider[] = [];
  for (const port of ports) {
    const provider = fromFields({ address: instance.address, port }, origin);
    if (isError(provider)) return { error: `binder ${instance.type} instance: ${provider.error}` };
    providers.push(provider);
  }
  return providers;
}

/** The port of binder's service node: `{"type": "service", "service": {"srvce": "_api", "proto": "_tcp", "port": 8080}}`. */
export function binderServicePort(data: Buffer | undefined): number | undefined {
  const json = parseObject(data?.toString('utf8').trim() ?? '');
  const service = json?.type === 'service' ? json.service : undefined;
  const port = service && typeof service === 'object' ? (service as Json).port : undefined;
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535 ? port : undefined;
}

function endpoint(value: unknown, origin: string): SourceProvider | { error: string } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { error: 'not a {host, port} object' };
  const { host, port } = value as Json;
  return fromFields({ host, port }, origin);
}

/** JSON without `host` or `address` (zc.zk's `{"pid": …}`) is no provider by itself: undefined. */
function fromJsonFields(json: Json, origin: string): SourceProvider | { error: string } | undefined {
  if (!('host' in json) && !('address' in json)) return undefined;
  return fromFields(json, origin);
}

function fromText(text: string, origin: string): SourceProvider | { error: string } | undefined {
  return text && parseHostPort(text) ? fromHostPort(text, origin) : undefined;
}

function describe(text: string): string {
  if (!text) return '(empty)';
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}
