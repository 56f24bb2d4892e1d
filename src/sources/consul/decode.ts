import { fromFields, isError, type Decoded } from '../../registry/fields.js';
import { DEFAULT_PRIORITY, DEFAULT_WEIGHT, type SourceProvider } from '../../registry/provider.js';

export interface DecodedInstances {
  providers: SourceProvider[];
  /** One line per skipped entry, naming the service and node. */
  warnings: string[];
}

type Json = Record<string, unknown>;

/**
 * Decodes `/v1/health/service/:service` entries (`{Node, Service, Checks}`) into providers:
 * `Service.Address`, or `Node.Address` when the service has none (as Consul's DNS does);
 * `Service.Port`, `Service.Tags`, and `Service.Weights.Passing` as the SRV weight.
 */
export function decodeHealthEntries(service: string, entries: readonly unknown[]): DecodedInstances {
  const providers: SourceProvider[] = [];
  const warnings: string[] = [];
  entries.forEach((entry, index) => {
    const decoded = decodeEntry(service, entry);
    if (isError(decoded)) warnings.push(`consul service "${service}" ${describeEntry(entry, index)} skipped: ${decoded.error}`);
    else providers.push(decoded);
  });
  return { providers, warnings };
}

function decodeEntry(service: string, entry: unknown): Decoded {
  if (!isObject(entry) || !isObject(entry.Service)) return { error: 'no "Service" object' };
  const instance = entry.Service;
  const node = isObject(entry.Node) ? entry.Node : {};
  const address = nonEmpty(instance.Address) ?? nonEmpty(node.Address);
  if (address === undefined) return { error: 'neither Service.Address nor Node.Address is set' };
  const weights = isObject(instance.Weights) ? instance.Weights : {};
  const origin = `consul:${String(node.Node ?? '?')}/${String(instance.ID ?? service)}`;
  // Priority as every other source's default, so Consul instances share load with ZooKeeper's and etcd's.
  return fromFields(
    { host: address, port: instance.Port, tags: instance.Tags ?? [], weight: weights.Passing ?? DEFAULT_WEIGHT, priority: DEFAULT_PRIORITY },
    origin,
  );
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
