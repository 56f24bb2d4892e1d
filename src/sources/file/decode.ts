import { fromFields, fromHostPort, isError, isServiceName, type Decoded } from '../../registry/fields.js';
import type { SourceProvider } from '../../registry/provider.js';

export interface DecodedFile {
  services: Map<string, SourceProvider[]>;
  /** One line per skipped entry, naming it. */
  warnings: string[];
}

/** Decodes the registry file's YAML value: a map of service name to a list of providers. */
export function decodeRegistry(data: unknown, path: string): DecodedFile | string {
  const services = new Map<string, SourceProvider[]>();
  const warnings: string[] = [];
  if (data === null || data === undefined) return { services, warnings };
  if (typeof data !== 'object' || Array.isArray(data)) return `${path}: expected a map of service name to providers`;
  for (const [name, entries] of Object.entries(data)) {
    if (!isServiceName(name)) {
      warnings.push(`${path}: service "${name}" skipped: not a DNS label`);
      continue;
    }
    const service = name.toLowerCase();
    if (!Array.isArray(entries)) {
      warnings.push(`${path}: service "${name}" skipped: expected a list of providers`);
      continue;
    }
    const providers: SourceProvider[] = [];
    entries.forEach((entry, index) => {
      const decoded = decodeEntry(entry, `file:${path}#${service}[${index}]`);
      if (isError(decoded)) warnings.push(`${path}: ${service}[${index}] ${JSON.stringify(entry)} skipped: ${decoded.error}`);
      else providers.push(decoded);
    });
    services.set(service, [...(services.get(service) ?? []), ...providers]);
  }
  return { services, warnings };
}

function decodeEntry(entry: unknown, origin: string): Decoded {
  if (typeof entry === 'string') return fromHostPort(entry, origin);
  if (entry && typeof entry === 'object' && !Array.isArray(entry)) return fromFields(entry as Record<string, unknown>, origin);
  return { error: 'expected "host:port" or {host, port, priority?, weight?, tags?}' };
}
