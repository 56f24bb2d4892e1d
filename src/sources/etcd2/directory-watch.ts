import type { Logger } from 'pino';
import { isError } from '../../registry/fields.js';
import type { Provider } from '../../registry/provider.js';
import { Backoff, type BackoffOptions } from '../../util/backoff.js';
import { sleep } from '../../util/sleep.js';
import type { Connection } from '../etcd/connection.js';
import { decodeEntry } from '../etcd/decode.js';
import type { PrefixListener } from '../etcd/prefix-watch.js';
import type { WatchedPrefix } from '../etcd/service-watch.js';
import { EVENT_INDEX_CLEARED, V2Error, type Etcd2Client, type V2Event, type V2Node } from './client.js';

/** What every directory of the source shares. */
export interface DirectoryWatchContext {
  client: Etcd2Client;
  connection: Connection;
  retry: BackoffOptions;
  /** A long poll with no change is ended and asked again after this long: a silent connection shows. */
  renewMs: number;
  log: Logger;
  stats: { watchEvents: number; decodeFailures: number; lastSync?: number };
}

/** Actions after which the node (and, for a directory, everything below it) is gone. */
const REMOVING = new Set(['delete', 'expire', 'compareAndDelete']);

interface Entry {
  modifiedIndex: number;
  /** Absent when the value did not decode, or says it is not serving. */
  provider?: Provider;
}

/**
 * One v2 directory: read recursively, then long-polled from the read's `X-Etcd-Index` + 1, the
 * index moving past every event, so no change is missed. When etcd no longer keeps that index
 * (errorCode 401: only the last 1,000 events are kept), the directory is read again.
 */
export class DirectoryWatch implements WatchedPrefix {
  loaded = false;
  private entries = new Map<string, Entry>();
  /** Every change up to this index is applied; the next long poll waits from just after it. */
  private index = 0;
  private readonly closing = new AbortController();
  private retry: Backoff;

  constructor(
    readonly dir: string,
    private readonly context: DirectoryWatchContext,
    private readonly listener: PrefixListener,
  ) {
    this.retry = new Backoff(context.retry);
  }

  start(): void {
    void this.follow();
  }

  providers(): Provider[] {
    const providers: Provider[] = [];
    for (const entry of this.entries.values()) if (entry.provider) providers.push(entry.provider);
    return providers;
  }

  async close(): Promise<void> {
    this.closing.abort();
  }

  private get closed(): boolean {
    return this.closing.signal.aborted;
  }

  /** Reads, then long-polls until the index is outdated; reads again, pausing longer if this repeats. */
  private async follow(): Promise<void> {
    while (!this.closed) {
      if (await this.read()) await this.watch();
      if (this.closed) return;
      await sleep(this.retry.duration);
      this.retry = this.retry.next();
      await this.context.connection.whenUp();
    }
  }

  private async read(): Promise<boolean> {
    let result: { node?: V2Node; index: number };
    try {
      result = await this.context.client.read(this.dir);
    } catch (error) {
      if (this.closed) return false;
      this.context.connection.down(error as Error);
      if (!this.loaded) this.listener.unavailable();
      return false;
    }
    if (this.closed) return false;
    this.context.connection.up();
    this.entries = this.decodeAll(leavesOf(result.node));
    this.index = result.index;
    this.loaded = true;
    this.context.stats.lastSync = Date.now();
    this.listener.changed();
    return true;
  }

  /** Returns when etcd no longer has the index to wait from (read again), or when closed. */
  private async watch(): Promise<void> {
    const { client, connection, renewMs, log } = this.context;
    while (!this.closed) {
      try {
        const { event, index } = await client.wait(this.dir, this.index + 1, renewMs, this.closing.signal);
        connection.up();
        // No event until etcd's index when the poll began: nothing changed here up to it.
        if (event) this.apply(event);
        else this.index = Math.max(this.index, index);
      } catch (error) {
        if (this.closed) return;
        if (error instanceof V2Error && error.errorCode === EVENT_INDEX_CLEARED) {
          log.warn({ code: 'ETCD2_INDEX_CLEARED', key: this.dir }, `etcd ${client.endpoints.join(',')}: ${this.dir}: waiting from index ${this.index + 1}: ${error.message}; reading it again`);
          return;
        }
        connection.down(error as Error);
        await sleep(this.retry.duration);
        this.retry = this.retry.next();
        await connection.whenUp();
      }
    }
  }

  private apply(event: V2Event): void {
    const { node } = event;
    if (REMOVING.has(event.action)) {
      const below = `${node.key}/`;
      for (const key of this.entries.keys()) if (key === node.key || key.startsWith(below)) this.entries.delete(key);
    } else if (!node.dir) {
      this.entries.set(node.key, this.decode(node));
    }
    this.index = Math.max(this.index, node.modifiedIndex);
    this.context.stats.watchEvents++;
    this.retry = this.retry.reset();
    this.listener.changed();
  }

  /** Decodes a read's keys, reusing those unchanged since the last read (no repeated warnings). */
  private decodeAll(nodes: readonly V2Node[]): Map<string, Entry> {
    const entries = new Map<string, Entry>();
    for (const node of nodes) {
      const known = this.entries.get(node.key);
      entries.set(node.key, known?.modifiedIndex === node.modifiedIndex ? known : this.decode(node));
    }
    return entries;
  }

  private decode(node: V2Node): Entry {
    const decoded = decodeEntry(node.key, node.value ?? '', `etcd2:${node.key}`);
    if (!decoded) return { modifiedIndex: node.modifiedIndex };
    if (!isError(decoded)) return { modifiedIndex: node.modifiedIndex, provider: decoded };
    this.context.stats.decodeFailures++;
    this.context.log.warn({ code: 'ETCD_BAD_ENTRY', key: node.key }, `etcd v2 key ${node.key} skipped: ${decoded.error}`);
    return { modifiedIndex: node.modifiedIndex };
  }
}

/** The keys with values at and below a node: a directory's own node carries none. */
function leavesOf(node: V2Node | undefined): V2Node[] {
  if (!node) return [];
  if (!node.dir) return [node];
  return (node.nodes ?? []).flatMap(leavesOf);
}
