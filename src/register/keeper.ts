import type { Logger } from 'pino';
import type { Backend } from './backends/backend.js';
import { Backoff, type BackoffOptions } from '../util/backoff.js';
import { sleep } from '../util/sleep.js';
import { messageOf } from './errors.js';

type State = 'present' | 'absent';

/**
 * Keeps one backend in the wanted state: retries forever with backoff while it cannot be
 * reached (saying so), and starts over when the backend drops the registration by itself.
 */
export class Keeper {
  private wanted: State = 'absent';
  /** What the backend holds as far as we know; undefined: not known (never asked, or lost). */
  private held: State | undefined;
  private note = '';
  /** Bumped when the backend loses the registration, so an answer from before is not trusted. */
  private generation = 0;
  private running = false;
  /** The backend call in flight, so close() does not race it. */
  private current: Promise<void> = Promise.resolve();
  private closed = false;
  /** Aborted by close(), ending a wait before the next try. */
  private readonly closing = new AbortController();
  private backoff: Backoff;

  constructor(
    private readonly backend: Backend,
    private readonly log: Logger,
    backoff: BackoffOptions,
  ) {
    this.backoff = new Backoff(backoff);
    backend.onLost?.((reason) => this.lost(reason));
  }

  /** Asks for the registration to be visible or not; `note` is the check's last result. */
  want(visible: boolean, note: string): void {
    if (this.closed) return;
    this.note = note;
    const state = visible ? 'present' : 'absent';
    if (state === this.wanted && state === this.held && visible) void this.refresh();
    this.wanted = state;
    void this.run();
  }

  /** Stops retrying and removes the registration. */
  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    await this.current;
    await this.backend.close();
  }

  private lost(reason: string): void {
    if (this.closed) return;
    this.generation++;
    this.held = undefined;
    this.log.warn({ at: this.backend.location }, `${this.backend.name}: registration lost (${reason}); restoring it`);
    void this.run();
  }

  private async refresh(): Promise<void> {
    if (!this.backend.refresh || this.running) return;
    this.running = true;
    this.current = this.backend.refresh(this.note).catch((error) => {
      this.log.warn(`${this.backend.name}: ${messageOf(error)}`);
      this.held = undefined;
    });
    await this.current;
    this.running = false;
    void this.run();
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.closed && this.held !== this.wanted) {
        this.current = this.step(this.wanted);
        await this.current;
      }
    } finally {
      this.running = false;
    }
  }

  private async step(target: State): Promise<void> {
    const generation = this.generation;
    try {
      await (target === 'present' ? this.backend.publish(this.note) : this.backend.withdraw(this.note));
      if (generation !== this.generation || this.closed) return;
      this.held = target;
      this.saySettled(target);
    } catch (error) {
      this.held = undefined;
      const delay = this.backoff.duration;
      this.backoff = this.backoff.next();
      this.log.warn({ retryInMs: delay }, `${this.backend.name}: ${messageOf(error)}; retrying in ${delay} ms`);
      await sleep(delay, this.closing.signal);
    }
  }

  private saySettled(state: State): void {
    const recovered = this.backoff.attempt > 0;
    this.backoff = this.backoff.reset();
    const what = state === 'present' ? 'registered' : 'withdrawn';
    this.log.info({ at: this.backend.location, note: this.note }, `${this.backend.name}: ${what} ${this.backend.location}${recovered ? ' (reachable again)' : ''}`);
  }
}
