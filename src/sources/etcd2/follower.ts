import type { Logger } from 'pino';
import { Backoff, type BackoffOptions } from '../../util/backoff.js';
import { sleep } from '../../util/sleep.js';
import type { Connection } from '../etcd/connection.js';
import { EVENT_INDEX_CLEARED, V2Error, type Etcd2Client, type V2Event, type V2Node } from '../../clients/etcd2.js';

/** What every followed directory of a source shares. */
export interface FollowerContext {
  client: Etcd2Client;
  connection: Connection;
  retry: BackoffOptions;
  /** A long poll with no change is ended and asked again after this long: a silent connection shows. */
  renewMs: number;
  log: Logger;
}

/** Told what a followed directory holds and how it changes. */
export interface FollowHandler {
  /** A complete read: every key with a value at and below the directory. */
  read(nodes: V2Node[]): void;
  /** One change after the last read. */
  changed(event: V2Event): void;
  /** A read failed. */
  readFailed(): void;
}

/**
 * One v2 directory followed: read recursively, then long-polled from the read's `X-Etcd-Index`
 * + 1, the index moving past every event, so no change is missed. When etcd no longer keeps that
 * index (errorCode 401: only the last 1,000 events are kept), the directory is read again.
 */
export class V2Follower {
  /** Every change up to this index is applied; the next long poll waits from just after it. */
  private index = 0;
  private readonly closing = new AbortController();
  private retry: Backoff;

  constructor(
    readonly dir: string,
    private readonly context: FollowerContext,
    private readonly handler: FollowHandler,
  ) {
    this.retry = new Backoff(context.retry);
  }

  start(): void {
    void this.follow();
  }

  close(): void {
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
      this.handler.readFailed();
      return false;
    }
    if (this.closed) return false;
    this.context.connection.up();
    this.index = result.index;
    this.handler.read(leavesOf(result.node));
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
        if (!event) {
          this.index = Math.max(this.index, index);
          continue;
        }
        this.index = Math.max(this.index, event.node.modifiedIndex);
        this.retry = this.retry.reset();
        this.handler.changed(event);
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
}

/** Actions after which the node (and, for a directory, everything below it) is gone. */
const REMOVING = new Set(['delete', 'expire', 'compareAndDelete']);

/** Whether an event removes `node.key` and everything below it; otherwise it sets a value (or makes a directory). */
export function removes(event: V2Event): boolean {
  return REMOVING.has(event.action);
}

/** Whether `key` is `dir` or below it. */
export function isAtOrBelow(key: string, dir: string): boolean {
  return key === dir || key.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** The keys with values at and below a node: a directory's own node carries none. */
function leavesOf(node: V2Node | undefined): V2Node[] {
  if (!node) return [];
  if (!node.dir) return [node];
  return (node.nodes ?? []).flatMap(leavesOf);
}
