import type { Logger } from 'pino';
import type { CheckResult, HealthCheck } from './check.js';
import { messageOf } from './errors.js';
import type { Keeper } from './keeper.js';
import { sleep } from '../util/sleep.js';

/**
 * Health gating: runs the check every interval and keeps every backend registered while it
 * passes and withdrawn while it fails. Each backend retries on its own, so one registry
 * being down does not hold up the others.
 */
export class Sidecar {
  private stopped = false;
  /** Aborted by stop(), ending the wait for the next check. */
  private readonly stopping = new AbortController();
  private passing: boolean | undefined;

  constructor(
    private readonly keepers: readonly Keeper[],
    private readonly check: HealthCheck,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    void this.run();
  }

  /** Stops checking and withdraws from every backend at once, without waiting for a check in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    const results = await Promise.allSettled(this.keepers.map((keeper) => keeper.close()));
    for (const result of results) {
      if (result.status === 'rejected') this.log.warn(`could not withdraw: ${messageOf(result.reason)}; the registry drops it when the session or TTL runs out`);
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const started = Date.now();
      const result = await this.check();
      if (this.stopped) return;
      this.apply(result);
      await sleep(this.intervalMs - (Date.now() - started), this.stopping.signal);
    }
  }

  private apply(result: CheckResult): void {
    if (result.ok !== this.passing) {
      this.log[result.ok ? 'info' : 'warn']({ check: result.detail }, `check ${result.ok ? 'passes' : 'fails'}: ${result.detail}`);
      this.passing = result.ok;
    }
    for (const keeper of this.keepers) keeper.want(result.ok, result.detail);
  }
}
