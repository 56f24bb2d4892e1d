import { isIP } from 'node:net';
import { fromFields, isError, normaliseHost, type Decoded } from '../../registry/fields.js';
import { DEFAULT_PRIORITY, DEFAULT_WEIGHT, type SourceProvider } from '../../registry/provider.js';

export interface DecodedInstances {
  providers: SourceProvider[];
  /** One line per skipped entry, naming the service and node. */
  warnings: string[];
  /** The nodes the instances run on, so a node-level health change can be traced to this service. */
  nodes: Set<string>;
}

export interface DecodeOptions {
  /** Consul DNS's `only_passing`: drop `warning` instances too, not only `critical` ones. */
  onlyPassing: boolean;
}

type Json = Record<string, unknown>;

/**
 * Decodes `/v1/health/service/:service` entries (`{Node, Service, Checks}`) into providers, keeping
 * the instances Consul's own DNS would answer (agent/dns.go, `filterServiceNodes` and `findWeight`):
 * - an instance with any `critical` check is left out; maintenance is a critical check
 *   (`_node_maintenance`, `_service_maintenance:<id>`, agent/agent.go), so it leaves too;
 * - with `onlyPassing` a `warning` check leaves it out as well; otherwise it stays with
 *   `Weights.Warning` as its SRV weight (`Weights.Passing` when all pass; both default 1);
 * - the addresses of `instanceAddresses` below: a dual-stack instance answers A and AAAA;
 * - port 0 is kept: Consul allows port-less services and its DNS still answers their A records.
 */
export function decodeHealthEntries(service: string, entries: readonly unknown[], options: DecodeOptions = { onlyPassing: false }): DecodedInstances {
  const providers: SourceProvider[] = [];
  const warnings: string[] = [];
  const nodes = new Set<string>();
  entries.forEach((entry, index) => {
    if (isObject(entry) && isObject(entry.Node) && typeof entry.Node.Node === 'string') nodes.add(entry.Node.Node);
    const health = aggregateStatus(entry);
    if (health === 'critical' || (options.onlyPassing && health === 'warning')) return;
    const decoded = decodeEntry(service, entry, health);
    if (isError(decoded)) warnings.push(`consul service "${service}" ${describeEntry(entry, index)} skipped: ${decoded.error}`);
    else providers.push(decoded);
  });
  return { providers, warnings, nodes };
}

/** Consul's aggregated status (api/health.go `AggregatedStatus`): critical beats warning beats passing. */
function aggregateStatus(entry: unknown): 'passing' | 'warning' | 'critical' {
  const checks = isObject(entry) && Array.isArray(entry.Checks) ? entry.Checks : [];
  let status: 'passing' | 'warning' | 'critical' = 'passing';
  for (const check of checks) {
    const value = isObject(check) ? check.Status : undefined;
    if (value === 'critical') return 'critical';
    if (value === 'warning') status = 'warning';
  }
  return status;
}

function decodeEntry(service: string, entry: unknown, health: 'passing' | 'warning'): Decoded {
  if (!isObject(entry) || !isObject(entry.Service)) return { error: 'no "Service" object' };
  const instance = entry.Service;
  const node = isObject(entry.Node) ? entry.Node : {};
  const { srv, a, aaaa } = instanceAddresses(instance, node);
  if (srv === undefined) return { error: 'neither Service.Address nor Node.Address is set' };
  const weights = isObject(instance.Weights) ? instance.Weights : {};
  const weight = (health === 'warning' ? weights.Warning : weights.Passing) ?? DEFAULT_WEIGHT;
  const origin = `consul:${String(node.Node ?? '?')}/${String(instance.ID ?? service)}`;
  // Port 0 passes the shared check as a placeholder and is put back after it: SRV then says 0.
  const portless = instance.Port === 0;
  // Priority as every other source's default, so Consul instances share load with ZooKeeper's and etcd's.
  const fields = { host: srv, port: portless ? 1 : instance.Port, tags: instance.Tags ?? [], weight, priority: DEFAULT_PRIORITY };
  const decoded = fromFields(fields, origin);
  if (isError(decoded)) return decoded;
  if (portless) decoded.port = 0;
  const other = otherFamily(decoded.host, a, aaaa);
  if (other !== undefined) decoded.otherFamilyAddress = other;
  return decoded;
}

/** An instance's addresses by what they are used for, each as the query type's lookup finds it. */
interface InstanceAddresses {
  a?: string;
  aaaa?: string;
  /** The SRV target; also the address of a single-stack instance. */
  srv?: string;
}

/** One side's candidates: its `lan_ipv4` and `lan_ipv6` tagged addresses and its plain `Address`. */
interface Candidates {
  v4?: string;
  v6?: string;
  plain?: string;
}

/**
 * The addresses Consul's DNS answers for an instance (agent/dns.go `nodeServiceRecords`,
 * agent/translate_addr.go `translateAddressAccept`): A takes `lan_ipv4`, AAAA `lan_ipv6`, and SRV
 * (which accepts any) `lan_ipv6` before `lan_ipv4`, each falling back to `Address`; the
 * service's own first (`Service.TaggedAddresses` holds `{Address, Port}` objects), the node's
 * (`Node.TaggedAddresses` holds strings) when the service has none for that query. The agent
 * fills the service's tagged address of its `Address`'s family itself (agent/agent.go).
 */
function instanceAddresses(instance: Json, node: Json): InstanceAddresses {
  const sides = [candidates(instance.TaggedAddresses, instance.Address, (tagged) => (isObject(tagged) ? tagged.Address : undefined)), candidates(node.TaggedAddresses, node.Address, (tagged) => tagged)];
  const first = (order: readonly (keyof Candidates)[]) => {
    for (const side of sides) for (const key of order) if (side[key] !== undefined) return side[key];
    return undefined;
  };
  return { a: first(['v4', 'plain']), aaaa: first(['v6', 'plain']), srv: first(['v6', 'v4', 'plain']) };
}

function candidates(tagged: unknown, plain: unknown, addressOf: (tagged: unknown) => unknown): Candidates {
  const map = isObject(tagged) ? tagged : {};
  const ip = (value: unknown, family: 4 | 6) => {
    const text = nonEmpty(value);
    return text !== undefined && isIP(text) === family ? text : undefined;
  };
  return { v4: ip(addressOf(map.lan_ipv4), 4), v6: ip(addressOf(map.lan_ipv6), 6), plain: nonEmpty(plain) };
}

/** The other family's address a dual-stack instance answers beside `host`, if any. */
function otherFamily(host: string, a: string | undefined, aaaa: string | undefined): string | undefined {
  const family = isIP(host);
  const other = family === 6 ? a : family === 4 ? aaaa : undefined;
  const address = other === undefined ? undefined : normaliseHost(other);
  return address !== undefined && isIP(address) === (family === 6 ? 4 : 6) ? address : undefined;
}

function describeEntry(entry: unknown, index: number): string {
  if (!isObject(entry)) return `entry ${index}`;
  const node = isObject(entry.Node) ? entry.Node.Node : undefined;
  const id = isObject(entry.Service) ? entry.Service.ID : undefined;
  return `on node "${String(node ?? '?')}" (instance "${String(id ?? '?')}")`;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
