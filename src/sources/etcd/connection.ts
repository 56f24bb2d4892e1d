import type { Logger } from 'pino';
import type { ConnectionState } from '../../registry/source.js';
import { Backoff, type BackoffOptions } from '../../util/backoff.js';
import { sleep } from '../../util/sleep.js';

/** How long etcd must stay unreachable before first queries stop waiting for it. */
const OUTAGE_AFTER_MS = 2000;

/**
 * Whether etcd can be reached, as reads and watch streams report it. While it cannot, a probe
 * retries with backoff forever, so `whenUp()` waiters (reads to retry) run as soon as it is back.
 */
export class Connection {
  state: ConnectionState = 'connecting';
  /** Why it is not connected: the endpoints and what happened. */
  detail?: string;
  private waiters: (() => void)[] = [];
  private downSince = 0;
  private probing = false;
  private stopped = false;

  constructor(
    /** The endpoints, for messages. */
    private readonly where: string,
    /** A cheap call that succeeds only when etcd answers. */
    private readonly probe: () => Promise<unknown>,
    private readonly retry: BackoffOptions,
    private readonly log: Logger,
  ) {}

  /** Learns the state at once, so status is right before any service is queried. */
  start(): void {
    this.probe().then(
      () => this.up(),
      (error: Error) => this.down(error),
    );
  }

  up(): void {
    if (this.stopped || this.state === 'connected') return;
    if (this.state === 'disconnected') this.log.info({ endpoints: this.where }, `etcd ${this.where}: connected again`);
    this.state = 'connected';
    this.detail = undefined;
    this.wakeWaiters();
  }

  down(error: Error): void {
    if (this.stopped) return;
    const detail = `etcd ${this.where}: ${error.message}`;
    if (this.state !== 'disconnected') {
      this.log.warn({ code: 'ETCD_UNREACHABLE', endpoints: this.where }, `${detail}; serving the last known providers, retrying`);
    }
    if (this.state !== 'disconnected') this.downSince = Date.now();
    this.state = 'disconnected';
    this.detail = detail;
    void this.probeUntilUp();
  }

  /**
   * True when etcd has been unreachable for a while: a first query then fails at once instead of
   * waiting. A moment's failure (one dead endpoint among several) does not count.
   */
  get outage(): boolean {
    return this.state === 'disconnected' && Date.now() - this.downSince > OUTAGE_AFTER_MS;
  }

  /** Resolves when etcd answers again (at once when it does now). */
  whenUp(): Promise<void> {
    if (this.state === 'connected' || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private async probeUntilUp(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    let delay = new Backoff(this.retry);
    while (this.state === 'disconnected' && !this.stopped) {
      await sleep(delay.duration);
      delay = delay.next();
      await this.probe().then(
        () => this.up(),
        (error: Error) => (this.detail = `etcd ${this.where}: ${error.message}`),
      );
    }
    this.probing = false;
  }
}
