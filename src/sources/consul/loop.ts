import type { EnsureResult } from '../../registry/source.js';
import { ConsulError, type BlockingQuery, type IndexedReply } from '../../clients/consul.js';
import { Backoff, type BackoffOptions } from '../../util/backoff.js';
import { sleep } from '../../util/sleep.js';
import { stepIndex, TokenBucket, type PaceOptions } from './blocking.js';

export interface LoopOptions {
  /** `wait` of each blocking query, seconds (capped by the caller). */
  waitSeconds: number;
  pace: PaceOptions;
  backoff: BackoffOptions;
}

/** Hears what one blocking loop learns. */
export interface LoopListener<T> {
  /** The index moved: this is the result now; `since` is the index of the previous reply. */
  changed(reply: IndexedReply<T>, since: bigint | undefined): void;
  /** A request was answered. */
  reached(): void;
  /** A request failed; the loop retries after a backoff. */
  failed(error: ConsulError): void;
}

/**
 * One endpoint's change feed: blocking queries in a loop until stopped, paced by a token
 * bucket, retrying forever with backoff while Consul cannot be reached or pushes back (429).
 */
export class BlockingLoop<T> {
  private readonly abort = new AbortController();
  /** Index of the last reply; undefined until the first one. */
  private previous?: bigint;
  private index = 0n;
  private lastFailed = false;
  private waiting: ((result: EnsureResult) => void)[] = [];

  constructor(
    private readonly read: (query: BlockingQuery) => Promise<IndexedReply<T>>,
    private readonly options: LoopOptions,
    private readonly listener: LoopListener<T>,
  ) {}

  start(): void {
    void this.run();
  }

  stop(): void {
    this.abort.abort();
    this.settle('unavailable');
  }

  get loaded(): boolean {
    return this.previous !== undefined;
  }

  /** `ready` once the first reply was delivered; `unavailable` while the last try failed; else waits for the first try. */
  ready(): Promise<EnsureResult> {
    if (this.loaded) return Promise.resolve('ready');
    if (this.lastFailed || this.abort.signal.aborted) return Promise.resolve('unavailable');
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    const bucket = new TokenBucket(this.options.pace);
    for (let retry = new Backoff(this.options.backoff); !signal.aborted; ) {
      // Failures are paced by the backoff; the bucket paces replies that come back at once (churn).
      if (retry.attempt === 0) await sleep(bucket.take(), signal);
      try {
        await this.ask();
        retry = retry.reset();
      } catch (error) {
        if (signal.aborted) return;
        this.fail(error);
        await sleep(retry.duration, signal);
        retry = retry.next();
      }
    }
  }

  private async ask(): Promise<void> {
    const reply = await this.read({ index: this.index, waitSeconds: this.options.waitSeconds, signal: this.abort.signal });
    if (this.abort.signal.aborted) return; // stopped while the reply was on its way
    const since = this.previous;
    const step = stepIndex(since, reply.index);
    this.previous = reply.index;
    this.index = step.next;
    this.lastFailed = false;
    if (step.changed) this.listener.changed(reply, since);
    this.listener.reached();
    this.settle('ready');
  }

  private fail(error: unknown): void {
    this.lastFailed = true;
    this.listener.failed(error instanceof ConsulError ? error : new ConsulError('UNREACHABLE', String(error)));
    this.settle('unavailable');
  }

  private settle(result: EnsureResult): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve(result);
  }
}
