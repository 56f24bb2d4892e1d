import type { HealthFigures } from '../health/monitor.js';
import type { CheckStatus } from '../health/state.js';
import type { Provider } from '../registry/provider.js';
import type { EnsureResult, InstanceStatus } from '../registry/source.js';
import type { Explanation } from '../server/explain.js';
import type { Change } from './changes.js';
import type { TopList } from './metrics.js';
import { readiness } from './readiness.js';

/** What the HTTP side reads from the registry (the `Registry` in the process that runs the sources). */
export interface RegistryReader {
  serviceNames(): string[];
  providers(service: string): readonly Provider[];
  statuses(): InstanceStatus[];
  ensure(service: string): Promise<EnsureResult>;
}

/** The bridge's own health checks, where they run (the process that runs the sources). */
export interface HealthReader {
  statusOf(service: string, provider: Provider): CheckStatus | undefined;
  figures(): HealthFigures;
}

export interface CacheFigures {
  size: number;
  hits: number;
  misses: number;
}

/** A provider with where it came from (its `source` instance and `datacenter`) and whether its source is live. */
export interface ProviderJson extends Provider {
  /** `stale`: its source lost the registry; the provider is what it last read. */
  health: 'live' | 'stale';
  /** The bridge's own check of it, when its service is checked (`--health-check`). */
  check?: CheckStatus;
}

export interface ServiceJson {
  name: string;
  providers: ProviderJson[];
}

export interface StatusJson {
  ready: boolean;
  readiness: string[];
  sources: (InstanceStatus & { stale: boolean })[];
  /** Null where the cache lives in worker processes. */
  cache: (CacheFigures & { hitRatio: number | null }) | null;
  changes: readonly Change[];
  /** The bridge's health checks: figures, and the services answered in full because all their providers fail. */
  health: HealthFigures | null;
  /** Zone transfers, when configured: the serial and each secondary's last transfer and NOTIFY. */
  transfers?: TransferStatus;
}

export interface TransferStatus {
  serial: number;
  /** The oldest serial an IXFR can start from; older ones get the whole zone. */
  journalFrom?: number;
  secondaries: { client: string; type: string; result: string; serial: number; messages: number; records: number; at: number; reason?: string }[];
  notifies: { secondary: string; result: string; at: number }[];
}

export function serviceJson(registry: RegistryReader, name: string, health?: HealthReader, statuses = registry.statuses()): ServiceJson {
  const connected = new Set(statuses.filter((s) => s.state === 'connected').map((s) => s.name));
  const providers = registry.providers(name).map((p): ProviderJson => {
    const check = health?.statusOf(name, p);
    return { ...p, health: connected.has(p.source) ? 'live' : 'stale', ...(check ? { check } : {}), ...(check?.reason ? { unhealthy: check.reason } : {}) };
  });
  return { name, providers };
}

export function servicesJson(registry: RegistryReader, health?: HealthReader): { services: ServiceJson[] } {
  const statuses = registry.statuses();
  return { services: registry.serviceNames().map((name) => serviceJson(registry, name, health, statuses)) };
}

export function statusJson(
  registry: RegistryReader,
  cache: CacheFigures | undefined,
  changes: readonly Change[],
  listening: boolean,
  health?: HealthReader,
  transfers?: TransferStatus,
): StatusJson {
  const statuses = registry.statuses();
  const { ready, lines } = readiness(listening, statuses);
  return {
    ready,
    readiness: lines,
    sources: statuses.map((s) => ({ ...s, stale: s.state !== 'connected' })),
    cache: cache ? cacheJson(cache) : null,
    changes,
    health: health?.figures() ?? null,
    ...(transfers ? { transfers } : {}),
  };
}

function cacheJson({ size, hits, misses }: CacheFigures): CacheFigures & { hitRatio: number | null } {
  return { size, hits, misses, hitRatio: hits + misses ? hits / (hits + misses) : null };
}

/**
 * An explanation with each source instance's kind, datacenter and connection state, read where
 * the sources run; for a service name, sources without a provider of it are listed too.
 */
export function explainJson(explanation: Explanation, statuses: readonly InstanceStatus[]): Explanation {
  if (!explanation.sources) return explanation;
  const byName = new Map(explanation.sources.map((s) => [s.name, s]));
  const sources = statuses.map((status) => {
    const { name, kind, datacenter, state, detail } = status;
    const known = byName.get(name) ?? { name, providers: 0, answered: 0, stale: state !== 'connected' };
    return { ...known, kind, ...(datacenter ? { datacenter } : {}), state, ...(detail ? { detail } : {}) };
  });
  return { ...explanation, sources };
}

/** Services the status page lists as the busiest. */
const TOP_SHOWN = 20;

/** The busiest services of the last minute, each with the providers it has now (0 stands out: asked for, none there). */
export interface TopJson {
  /** `queries` and `nxdomain` are lower bounds: the sketch may have let a name go and taken it back. */
  services: { service: string; queries: number; nxdomain: number; providers: number }[];
  /** Counters the bounded top-k sketches hold, summed over DNS processes. */
  counters: number;
}

export function topJson(registry: Pick<RegistryReader, 'providers'>, top: TopList): TopJson {
  return { services: top.services.slice(0, TOP_SHOWN).map((t) => ({ ...t, providers: registry.providers(t.service).length })), counters: top.counters };
}
