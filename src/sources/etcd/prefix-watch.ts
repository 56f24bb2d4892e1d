import { EtcdPermissionDeniedError, type IKeyValue, type IRangeResponse, type IWatchResponse, type Namespace, type Watcher } from 'etcd3';
import type { Logger } from 'pino';
import { isError } from '../../registry/fields.js';
import { nowMs } from '../../registry/lag.js';
import type { SourceProvider } from '../../registry/provider.js';
import { Backoff, type BackoffOptions } from '../../util/backoff.js';
import { sleep } from '../../util/sleep.js';
import type { Connection } from './connection.js';
import { decodeEntry } from './decode.js';

/** What every prefix of the source shares. */
export interface PrefixWatchContext {
  client: Namespace;
  connection: Connection;
  /** The endpoints, for messages. */
  where: string;
  retry: BackoffOptions;
  log: Logger;
  stats: { watchEvents: number; decodeFailures: number; lastSync?: number };
}

/** Told what happens to one prefix. */
export interface PrefixListener {
  /** The prefix was read or changed: its providers are to be published; `eventAt` when a watch event changed it. */
  changed(eventAt?: number): void;
  /** A read failed before any succeeded: the prefix cannot be answered yet. */
  unavailable(): void;
}

interface Entry {
  modRevision: string;
  /** Absent when the value did not decode, or says it is not serving. */
  provider?: SourceProvider;
}

/**
 * One key prefix: read, then watched from that read's revision + 1 so no change in between is
 * missed. A watch canceled by etcd (its revision was compacted) is read and watched again.
 */
export class PrefixWatch {
  loaded = false;
  private entries = new Map<string, Entry>();
  /** Every change up to this revision is applied; a watch resumes just after it. */
  private revision = 0;
  private watcher?: Watcher;
  private closed = false;
  private retry: Backoff;

  constructor(
    readonly prefix: string,
    private readonly context: PrefixWatchContext,
    private readonly listener: PrefixListener,
  ) {
    this.retry = new Backoff(context.retry);
  }

  start(): void {
    void this.follow();
  }

  providers(): SourceProvider[] {
    const providers: SourceProvider[] = [];
    for (const entry of this.entries.values()) if (entry.provider) providers.push(entry.provider);
    return providers;
  }

  /** Stops watching. Only a live watcher is cancelled: etcd3 crashes cancelling one it dropped. */
  async close(): Promise<void> {
    this.closed = true;
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.cancel().catch((error: Error) => this.context.log.debug({ err: error, key: this.prefix }, 'etcd watch cancel failed'));
  }

  /** Reads until a read succeeds (waiting for etcd between tries), then watches. */
  private async follow(): Promise<void> {
    while (!this.closed) {
      if (await this.read()) return this.watch();
      await sleep(this.retry.duration);
      this.retry = this.retry.next();
      await this.context.connection.whenUp();
    }
  }

  private async read(): Promise<boolean> {
    let response: IRangeResponse;
    try {
      response = await this.context.client.getAll().prefix(this.prefix).exec();
    } catch (error) {
      this.readFailed(error as Error);
      return false;
    }
    if (this.closed) return false;
    this.context.connection.up();
    this.entries = this.decodeAll(response.kvs);
    this.revision = Number(response.header.revision);
    this.loaded = true;
    this.context.stats.lastSync = Date.now();
    this.listener.changed();
    return true;
  }

  private readFailed(error: Error): void {
    if (error instanceof EtcdPermissionDeniedError) {
      this.context.log.error({ code: 'ETCD_DENIED', key: this.prefix }, `etcd ${this.context.where}: reading ${this.prefix} denied: ${error.message}`);
    } else {
      this.context.connection.down(error);
    }
    if (!this.loaded) this.listener.unavailable();
  }

  private watch(): void {
    if (this.closed) return;
    // watcher() attaches at once: create() resolves a tick after 'connected', and events that
    // arrive in the same chunk would be emitted before our listeners were on.
    const watcher = this.context.client.watch().prefix(this.prefix).startRevision(String(this.revision + 1)).watcher();
    this.watcher = watcher;
    watcher
      .on('data', (response) => this.apply(watcher, response))
      .on('connected', (response) => this.connected(watcher, response))
      .on('disconnected', (error) => this.disconnected(watcher, error))
      .on('error', (error) => this.canceled(watcher, error));
  }

  /**
   * A watch (re)attached to an etcd behind what was already seen: it was rebuilt or restored
   * from a backup, and would never send the changes it makes below that revision. Read again.
   */
  private connected(watcher: Watcher, response: IWatchResponse): void {
    this.context.connection.up();
    const revision = Number(response.header.revision);
    if (watcher !== this.watcher || revision >= this.revision) return;
    void watcher.cancel().catch((error: Error) => this.context.log.debug({ err: error, key: this.prefix }, 'etcd watch cancel failed'));
    void this.readAgain('ETCD_REVISION_BEHIND', `etcd is at revision ${revision}, behind the ${this.revision} already seen (rebuilt or restored?)`);
  }

  /**
   * etcd3 would resume from the revision in the last response header, which can be ahead of
   * events not yet delivered (a create response carries the current revision); resume after
   * the last change applied instead.
   */
  private disconnected(watcher: Watcher, error: Error): void {
    watcher.request.start_revision = String(this.revision + 1);
    this.context.connection.down(error);
  }

  /** etcd dropped the watch ("Watcher canceled", e.g. compacted). It is gone: no cancel(). */
  private canceled(watcher: Watcher, error: Error): void {
    if (watcher !== this.watcher) return;
    void this.readAgain('ETCD_WATCH_CANCELED', `watch from revision ${this.revision + 1} canceled (${error.message})`);
  }

  /** Replaces the watch with a new read and watch, after a pause that grows if this repeats. */
  private async readAgain(code: string, why: string): Promise<void> {
    this.watcher = undefined;
    this.context.log.warn({ code, key: this.prefix }, `etcd ${this.context.where}: ${this.prefix}: ${why}; reading it again`);
    await sleep(this.retry.duration);
    this.retry = this.retry.next();
    await this.follow();
  }

  /** Applies one response of the current watch; an empty one (a progress notice) changes nothing. */
  private apply(watcher: Watcher, response: IWatchResponse): void {
    if (watcher !== this.watcher || response.events.length === 0) return;
    for (const event of response.events) {
      const key = event.kv.key.toString();
      if (event.type === 'Delete') this.entries.delete(key);
      else this.entries.set(key, this.decode(event.kv));
      this.revision = Math.max(this.revision, Number(event.kv.mod_revision));
    }
    this.context.stats.watchEvents += response.events.length;
    this.retry = this.retry.reset();
    this.listener.changed(nowMs());
  }

  /** Decodes a read's keys, reusing those unchanged since the last read (no repeated warnings). */
  private decodeAll(kvs: readonly IKeyValue[]): Map<string, Entry> {
    const entries = new Map<string, Entry>();
    for (const kv of kvs) {
      const key = kv.key.toString();
      const known = this.entries.get(key);
      entries.set(key, known?.modRevision === kv.mod_revision ? known : this.decode(kv));
    }
    return entries;
  }

  private decode(kv: IKeyValue): Entry {
    const key = kv.key.toString();
    const decoded = decodeEntry(key, kv.value.toString());
    if (!decoded) return { modRevision: kv.mod_revision };
    if (!isError(decoded)) return { modRevision: kv.mod_revision, provider: decoded };
    this.context.stats.decodeFailures++;
    this.context.log.warn({ code: 'ETCD_BAD_ENTRY', key }, `etcd key ${key} skipped: ${decoded.error}`);
    return { modRevision: kv.mod_revision };
  }
}
