import type { Backend } from '../../../src/register/backends/backend.js';
import { RegisterError } from '../../../src/register/errors.js';

/**
 * A registry in memory: `visible` is what a lookup would see. While `down`, every call
 * fails as an unreachable registry does. `changed` resolves at the next change of `visible`.
 */
export class FakeBackend implements Backend {
  readonly name = 'fake registry';
  readonly location = '/api/providers/10.0.0.7:5000';
  visible = false;
  down = false;
  closed = false;
  failedCalls = 0;
  notes: string[] = [];
  private lostListener: ((reason: string) => void) | undefined;
  private waiters: { until: (visible: boolean) => boolean; resolve: () => void }[] = [];

  async publish(note: string): Promise<void> {
    this.reachable();
    this.notes.push(note);
    this.set(true);
  }

  async withdraw(note: string): Promise<void> {
    this.reachable();
    this.notes.push(note);
    this.set(false);
  }

  onLost(listener: (reason: string) => void): void {
    this.lostListener = listener;
  }

  async close(): Promise<void> {
    this.reachable();
    this.closed = true;
    this.set(false);
  }

  /** The registry drops the registration by itself, as an expired session does. */
  lose(): void {
    this.set(false);
    this.lostListener?.('session expired');
  }

  /** Resolves once `visible` equals `wanted` (at once if it does already). */
  becomes(wanted: boolean): Promise<void> {
    if (this.visible === wanted) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ until: (visible) => visible === wanted, resolve }));
  }

  private reachable(): void {
    if (!this.down) return;
    this.failedCalls++;
    throw new RegisterError('EBACKEND', `${this.name}: connection refused`);
  }

  private set(visible: boolean): void {
    this.visible = visible;
    const ready = this.waiters.filter((w) => w.until(visible));
    this.waiters = this.waiters.filter((w) => !w.until(visible));
    for (const waiter of ready) waiter.resolve();
  }
}
