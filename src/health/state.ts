import type { ProbeResult } from './probe.js';

export type CheckState = 'pending' | 'passing' | 'failing';

/** A provider's check as operators see it (`/api/services`, the status page, `dnsbridge lookup`). */
export interface CheckStatus {
  /** `pending` until the first result; a pending provider is answered. */
  state: CheckState;
  check: string;
  last?: { result: ProbeResult['result']; detail: string; ms: number; at: number };
  /** Why it is out of the answers, while failing. */
  reason?: string;
}

/**
 * One provider's rise/fall state: it turns failing after `fall` failures in a row and passing
 * again after `rise` passes in a row, as HAProxy and Envoy count.
 */
export class ProviderHealth {
  private state: CheckState = 'pending';
  private streak = 0;
  private last?: CheckStatus['last'];

  constructor(
    private readonly check: string,
    private readonly rise: number,
    private readonly fall: number,
  ) {}

  get failing(): boolean {
    return this.state === 'failing';
  }

  /** Why it is out of answers, once failing. */
  get reason(): string {
    return `${this.check} check failed ${this.fall} times in a row (last: ${this.last?.detail ?? 'none'})`;
  }

  /** Takes one result; true when the provider entered or left the answers. */
  record(outcome: ProbeResult, at: number): boolean {
    this.last = { result: outcome.result, detail: outcome.detail, ms: Math.round(outcome.ms * 10) / 10, at };
    const passed = outcome.result === 'pass';
    if (this.state === 'failing') {
      this.streak = passed ? this.streak + 1 : 0;
      if (this.streak < this.rise) return false;
    } else {
      this.streak = passed ? 0 : this.streak + 1;
      if (passed) this.state = 'passing';
      if (this.streak < this.fall) return false;
    }
    this.state = this.state === 'failing' ? 'passing' : 'failing';
    this.streak = 0;
    return true;
  }

  status(): CheckStatus {
    return { state: this.state, check: this.check, ...(this.last ? { last: this.last } : {}), ...(this.failing ? { reason: this.reason } : {}) };
  }
}
