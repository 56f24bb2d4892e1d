import { isIP } from 'node:net';
import type { Provider } from '../registry/provider.js';

/** One registry change as an operator reads it: which providers came and went. */
export interface Change {
  /** Epoch ms. */
  at: number;
  service: string;
  added: string[];
  removed: string[];
  /** Providers the bridge's health check took out of the answers, and those it brought back. */
  failed: string[];
  recovered: string[];
  /** Providers after the change. */
  providers: number;
}

/** `host:port` (`[v6]:port`), with a dual-stack provider's other address and the named endpoint when there are. */
export function providerLabel(provider: Pick<Provider, 'host' | 'port' | 'endpoint' | 'otherFamilyAddress'>): string {
  const host = isIP(provider.host) === 6 ? `[${provider.host}]` : provider.host;
  const other = provider.otherFamilyAddress ? ` (also ${provider.otherFamilyAddress})` : '';
  return `${host}:${provider.port}${other}${provider.endpoint ? ` (${provider.endpoint})` : ''}`;
}

/** The most recent registry changes, newest first, diffed against what each service had before. */
export class ChangeLog {
  private readonly recent: Change[] = [];
  private readonly known = new Map<string, { labels: ReadonlySet<string>; failing: ReadonlySet<string> }>();

  constructor(
    private readonly limit = 50,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records the new providers of `service`; undefined when nothing an operator would see changed. */
  record(service: string, providers: readonly Provider[]): Change | undefined {
    const before = this.known.get(service) ?? { labels: new Set<string>(), failing: new Set<string>() };
    const labels = new Set(providers.map(providerLabel));
    const failing = new Set(providers.filter((p) => p.unhealthy !== undefined).map(providerLabel));
    if (labels.size) this.known.set(service, { labels, failing });
    else this.known.delete(service);
    const change: Change = {
      at: this.now(),
      service,
      added: [...labels].filter((label) => !before.labels.has(label)),
      removed: [...before.labels].filter((label) => !labels.has(label)),
      failed: [...failing].filter((label) => !before.failing.has(label)),
      recovered: [...before.failing].filter((label) => !failing.has(label) && labels.has(label)),
      providers: providers.length,
    };
    if (!change.added.length && !change.removed.length && !change.failed.length && !change.recovered.length) return undefined;
    this.recent.unshift(change);
    if (this.recent.length > this.limit) this.recent.pop();
    return change;
  }

  list(): readonly Change[] {
    return this.recent;
  }
}
