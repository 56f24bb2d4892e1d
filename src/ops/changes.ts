import { isIP } from 'node:net';
import type { Provider } from '../registry/provider.js';

/** One registry change as an operator reads it: which providers came and went. */
export interface Change {
  /** Epoch ms. */
  at: number;
  service: string;
  added: string[];
  removed: string[];
  /** Providers after the change. */
  providers: number;
}

/** `host:port` (`[v6]:port`), with the named endpoint when there is one. */
export function providerLabel(provider: Provider): string {
  const host = isIP(provider.host) === 6 ? `[${provider.host}]` : provider.host;
  return `${host}:${provider.port}${provider.endpoint ? ` (${provider.endpoint})` : ''}`;
}

/** The most recent registry changes, newest first, diffed against what each service had before. */
export class ChangeLog {
  private readonly recent: Change[] = [];
  private readonly known = new Map<string, ReadonlySet<string>>();

  constructor(
    private readonly limit = 50,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records the new providers of `service`; undefined when nothing an operator would see changed. */
  record(service: string, providers: readonly Provider[]): Change | undefined {
    const before = this.known.get(service) ?? new Set<string>();
    const after = new Set(providers.map(providerLabel));
    if (after.size) this.known.set(service, after);
    else this.known.delete(service);
    const added = [...after].filter((label) => !before.has(label));
    const removed = [...before].filter((label) => !after.has(label));
    if (!added.length && !removed.length) return undefined;
    const change: Change = { at: this.now(), service, added, removed, providers: providers.length };
    this.recent.unshift(change);
    if (this.recent.length > this.limit) this.recent.pop();
    return change;
  }

  list(): readonly Change[] {
    return this.recent;
  }
}
