import type { EnsureResult } from '../../registry/source.js';
import { Backoff, type BackoffOptions } from '../../util/backoff.js';
import { sleep } from '../../util/sleep.js';
import { stepIndex } from './blocking.js';
import { ConsulError, type ConsulCatalog } from './client.js';

export interface PollOptions {
  /** `wait` of each blocking query, seconds (capped by the caller). */
  waitSeconds: number;
  /** Least time between two requests, so a fast-changing service cannot turn the loop into a busy loop. */
  minIntervalMs: number;
  backoff: BackoffOptions;
}

/** Hears what one service's poll learns. */
export interface PollListener {
  /** The index moved: these are the service's passing entries now. */
  changed(service: string, entries: unknown[]): void;
  /** A request was answered. */
  reached(service: string): void;
  /** A request failed; the poll retries after a backoff. */
  failed(service: string, error: ConsulError): void;
}

/**
 * One service's change feed: `health.service(passing)` as blocking queries, in a loop until
 * stopped, retrying forever with backoff while the agent cannot be reached.
 */
export class ServicePoll {
  private readonly abort = new AbortController();
  /** Index of the last reply; undefined until the first one. */
  private previous?: bigint;
  private index = 0n;
  private lastFailed = false;
  private waiting: ((result: EnsureResult) => void)[] = [];

  constructor(
    readonly service: string,
    private readonly catalog: ConsulCatalog,
    private readonly options: PollOptions,
    private readonly listener: PollListener,
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
    let started = -Infinity;
    for (let retry = new Backoff(this.options.backoff); !signal.aborted; ) {
      await sleep(started + this.options.minIntervalMs - performance.now(), signal);
      started = performance.now();
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
    const reply = await this.catalog.passingInstances({
      service: this.service,
      index: this.index,
      waitSeconds: this.options.waitSeconds,
      signal: this.abort.signal,
    });
    if (this.abort.signal.aborted) return; // released while the reply was on its way
    const step = stepIndex(this.previous, reply.index);
    this.previous = reply.index;
    this.index = step.next;
    this.lastFailed = false;
    if (step.changed) this.listener.changed(this.service, reply.entries);
    this.listener.reached(this.service);
    this.settle('ready');
  }

  private fail(error: unknown): void {
    this.lastFailed = true;
    const failure = error instanceof ConsulError ? error : new ConsulError('UNREACHABLE', `${this.catalog.url}: ${String(error)}`);
    this.listener.failed(this.service, failure);
    this.settle('unavailable');
  }

  private settle(result: EnsureResult): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve(result);
  }
}
