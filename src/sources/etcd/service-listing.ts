import { Range, type IWatchResponse, type Watcher } from 'etcd3';
import { isServiceName } from '../../registry/fields.js';
import { sleep } from '../../util/sleep.js';
import type { PrefixWatchContext } from './prefix-watch.js';
import { prefixOf } from './prefixes.js';

/** Keys per listing read: about 0.5 MiB of keys-only reply, well under gRPC's 4 MiB message limit. */
const LISTING_PAGE = 10_000;

interface Listed {
  /** The key range read: everything before `{service}`. */
  prefix: string;
  /** Captures the service name in a key under `prefix`. */
  match: RegExp;
}

/** Where a template's services are listed: `/{service}/providers/` reads the keys under `/`. */
export function listingRange(template: string): Listed {
  const full = prefixOf(template, '{service}');
  const at = full.indexOf('{service}');
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return { prefix: full.slice(0, at), match: new RegExp(`^${escape(full.slice(0, at))}([^/]+)${escape(full.slice(at + '{service}'.length))}`) };
}

/**
 * Every service the prefixes hold: a keys-only range read, then a watch from its revision + 1
 * counting each service's keys, so a service is listed at its first key and dropped with its last.
 */
export class EtcdServiceListing {
  private readonly ranges: Listed[];
  /** Keys per service, per range. */
  private counts: Map<string, number>[] = [];
  private watchers: (Watcher | undefined)[] = [];
  private revision = 0;
  private last?: string;
  private closed = false;

  constructor(
    templates: readonly string[],
    private readonly context: PrefixWatchContext,
    private readonly listed: (services: readonly string[]) => void,
  ) {
    const byPrefix = new Map(templates.map((template) => listingRange(template)).map((range) => [range.match.source, range]));
    this.ranges = [...byPrefix.values()];
  }

  start(): void {
    void this.follow();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.watchers.map((watcher) => watcher?.cancel().catch(() => {})));
  }

  /** Reads until a read succeeds (waiting for etcd between tries), then watches. */
  private async follow(): Promise<void> {
    for (let delay = this.context.retry.initialMs; !this.closed; delay = Math.min(delay * 2, this.context.retry.maxMs)) {
      if (await this.read()) return this.watch();
      await sleep(delay);
      await this.context.connection.whenUp();
    }
  }

  private async read(): Promise<boolean> {
    try {
      const counts: Map<string, number>[] = [];
      let revision = 0;
      for (const range of this.ranges) {
        const count = new Map<string, number>();
        const rangeRevision = await this.readPages(range, count);
        counts.push(count);
        revision = revision === 0 ? rangeRevision : Math.min(revision, rangeRevision);
      }
      if (this.closed) return false;
      [this.counts, this.revision] = [counts, revision];
      this.publish();
      return true;
    } catch (error) {
      this.context.log.warn({ code: 'ETCD_LIST_FAILED' }, `etcd ${this.context.where}: listing the services failed: ${(error as Error).message}; trying again`);
      return false;
    }
  }

  /**
   * Counts the keys of one range, a page at a time, every page read at the first page's revision
   * (one consistent snapshot); returns that revision, which the watch starts after. Paged because
   * one keys-only reply of 100,000 keys is past gRPC's 4 MiB message limit, and etcd refuses it.
   */
  private async readPages(range: Listed, count: Map<string, number>): Promise<number> {
    // The range builder's keys() drops the response header, whose revision the watch starts after.
    const { start, end } = Range.prefix(range.prefix);
    let key = start;
    let revision: string | undefined;
    for (;;) {
      const response = await this.context.client.kv.range({ key, range_end: end, keys_only: true, limit: LISTING_PAGE, revision });
      revision ??= response.header.revision;
      for (const kv of response.kvs) this.add(count, range, kv.key.toString(), 1);
      if (!response.more || response.kvs.length === 0) return Number(revision);
      // The next page starts just after the last key read.
      key = Buffer.concat([response.kvs[response.kvs.length - 1].key, Buffer.from([0])]);
    }
  }

  private watch(): void {
    this.watchers = this.ranges.map((range, i) => {
      if (this.closed) return undefined;
      const watcher = this.context.client.watch().prefix(range.prefix).startRevision(String(this.revision + 1)).watcher();
      watcher
        .on('data', (response) => this.apply(watcher, i, response))
        .on('disconnected', () => (watcher.request.start_revision = String(this.revision + 1)))
        .on('error', () => void this.readAgain(watcher));
      return watcher;
    });
  }

  /** A watch etcd dropped (its revision compacted) is gone: every range is read and watched again. */
  private async readAgain(watcher: Watcher): Promise<void> {
    if (!this.watchers.includes(watcher) || this.closed) return;
    const others = this.watchers.filter((w) => w && w !== watcher);
    this.watchers = [];
    await Promise.all(others.map((w) => w!.cancel().catch(() => {})));
    await this.follow();
  }

  private apply(watcher: Watcher, index: number, response: IWatchResponse): void {
    if (this.watchers[index] !== watcher) return;
    let changed = false;
    for (const event of response.events) {
      this.revision = Math.max(this.revision, Number(event.kv.mod_revision));
      const key = event.kv.key.toString();
      // A put with version 1 creates the key; other puts change a key already counted.
      if (event.type === 'Delete') changed = this.add(this.counts[index], this.ranges[index], key, -1) || changed;
      else if (event.kv.version === '1') changed = this.add(this.counts[index], this.ranges[index], key, 1) || changed;
    }
    if (changed) this.publish();
  }

  /** Counts a key in or out; true when its service appeared or went. */
  private add(counts: Map<string, number>, range: Listed, key: string, delta: number): boolean {
    const service = range.match.exec(key)?.[1];
    if (!service || !isServiceName(service) || service !== service.toLowerCase()) return false;
    const before = counts.get(service) ?? 0;
    const count = Math.max(0, before + delta);
    if (count > 0) counts.set(service, count);
    else counts.delete(service);
    return (before === 0) !== (count === 0);
  }

  private publish(): void {
    const services = [...new Set(this.counts.flatMap((count) => [...count.keys()]))].sort();
    const text = services.join(' ');
    if (text === this.last) return;
    this.last = text;
    this.listed(services);
  }
}
