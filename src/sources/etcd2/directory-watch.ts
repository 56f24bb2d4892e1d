import { isError } from '../../registry/fields.js';
import { nowMs } from '../../registry/lag.js';
import type { SourceProvider } from '../../registry/provider.js';
import { decodeEntry } from '../etcd/decode.js';
import type { PrefixListener } from '../etcd/prefix-watch.js';
import type { WatchedPrefix } from '../etcd/service-watch.js';
import type { V2Event, V2Node } from '../../clients/etcd2.js';
import { isAtOrBelow, removes, V2Follower, type FollowerContext, type FollowHandler } from './follower.js';

/** What every directory of the source shares. */
export interface DirectoryWatchContext extends FollowerContext {
  stats: { watchEvents: number; decodeFailures: number; lastSync?: number };
}

interface Entry {
  modifiedIndex: number;
  /** Absent when the value did not decode, or says it is not serving. */
  provider?: SourceProvider;
}

/** One v2 directory of a service: its keys decoded into providers, kept current by a `V2Follower`. */
export class DirectoryWatch implements WatchedPrefix, FollowHandler {
  loaded = false;
  private entries = new Map<string, Entry>();
  private readonly follower: V2Follower;

  constructor(
    readonly dir: string,
    private readonly context: DirectoryWatchContext,
    private readonly listener: PrefixListener,
  ) {
    this.follower = new V2Follower(dir, context, this);
  }

  start(): void {
    this.follower.start();
  }

  providers(): SourceProvider[] {
    const providers: SourceProvider[] = [];
    for (const entry of this.entries.values()) if (entry.provider) providers.push(entry.provider);
    return providers;
  }

  async close(): Promise<void> {
    this.follower.close();
  }

  /** Decodes a read's keys, reusing those unchanged since the last read (no repeated warnings). */
  read(nodes: V2Node[]): void {
    const entries = new Map<string, Entry>();
    for (const node of nodes) {
      const known = this.entries.get(node.key);
      entries.set(node.key, known?.modifiedIndex === node.modifiedIndex ? known : this.decode(node));
    }
    this.entries = entries;
    this.loaded = true;
    this.context.stats.lastSync = Date.now();
    this.listener.changed();
  }

  changed(event: V2Event): void {
    const { node } = event;
    if (removes(event)) {
      for (const key of this.entries.keys()) if (isAtOrBelow(key, node.key)) this.entries.delete(key);
    } else if (!node.dir) {
      this.entries.set(node.key, this.decode(node));
    }
    this.context.stats.watchEvents++;
    this.listener.changed(nowMs());
  }

  readFailed(): void {
    if (!this.loaded) this.listener.unavailable();
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
