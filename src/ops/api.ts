import type { Provider } from '../registry/provider.js';
import type { EnsureResult, SourceStatus } from '../registry/source.js';
import type { Change } from './changes.js';
import { readiness } from './readiness.js';

/** What the HTTP side reads from the registry (the `Registry` in the process that runs the sources). */
export interface RegistryReader {
  serviceNames(): string[];
  providersBySource(service: string): { source: string; providers: readonly Provider[] }[];
  statuses(): SourceStatus[];
  ensure(service: string): Promise<EnsureResult>;
}

export interface CacheFigures {
  size: number;
  hits: number;
  misses: number;
}

/** A provider with where it came from and whether its source is live. */
export interface ProviderJson extends Provider {
  source: string;
  /** `stale`: its source lost the registry; the provider is what it last read. */
  health: 'live' | 'stale';
}

export interface ServiceJson {
  name: string;
  providers: ProviderJson[];
}

export interface StatusJson {
  ready: boolean;
  readiness: string[];
  sources: (SourceStatus & { stale: boolean })[];
  /** Null where the cache lives in worker processes. */
  cache: (CacheFigures & { hitRatio: number | null }) | null;
  changes: readonly Change[];
}

export function serviceJson(registry: RegistryReader, name: string, statuses = registry.statuses()): ServiceJson {
  const connected = new Set(statuses.filter((s) => s.state === 'connected').map((s) => s.name));
  const providers = registry.providersBySource(name).flatMap(({ source, providers }) =>
    providers.map((p): ProviderJson => ({ ...p, source, health: connected.has(source) ? 'live' : 'stale' })),
  );
  return { name, providers };
}

export function servicesJson(registry: RegistryReader): { services: ServiceJson[] } {
  const statuses = registry.statuses();
  return { services: registry.serviceNames().map((name) => serviceJson(registry, name, statuses)) };
}

export function statusJson(registry: RegistryReader, cache: CacheFigures | undefined, changes: readonly Change[], listening: boolean): StatusJson {
  const statuses = registry.statuses();
  const { ready, lines } = readiness(listening, statuses);
  return {
    ready,
    readiness: lines,
    sources: statuses.map((s) => ({ ...s, stale: s.state !== 'connected' })),
    cache: cache ? cacheJson(cache) : null,
    changes,
  };
}

function cacheJson({ size, hits, misses }: CacheFigures): CacheFigures & { hitRatio: number | null } {
  return { size, hits, misses, hitRatio: hits + misses ? hits / (hits + misses) : null };
}
