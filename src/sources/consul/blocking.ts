/** What one blocking-query reply means: the index to send next, and whether the result changed. */
export interface IndexStep {
  next: bigint;
  changed: boolean;
}

/**
 * Consul's documented rules for a blocking-query loop (website/content/api-docs/features/blocking.mdx),
 * given the index of the previous reply (undefined before the first) and of this one:
 * - an index that did not move is no change (the wait ran out, or an unrelated write);
 * - an index that went backwards (snapshot restore, another server) restarts the loop from 0,
 *   and this reply, being current, is a change;
 * - an index of 0 is never sent back, as it would not block: 1 is always safe.
 */
export function stepIndex(previous: bigint | undefined, returned: bigint): IndexStep {
  const safe = returned > 0n ? returned : 1n;
  if (previous === undefined) return { next: safe, changed: true };
  if (returned === previous) return { next: safe, changed: false };
  if (returned < previous) return { next: 0n, changed: true };
  return { next: safe, changed: true };
}

/** Consul caps `wait` at 10 minutes. */
export const MAX_WAIT_SECONDS = 600;

export function capWait(seconds: number): number {
  return Math.max(1, Math.min(MAX_WAIT_SECONDS, Math.round(seconds)));
}

export interface PaceOptions {
  /** Requests that may follow each other at once. */
  burst: number;
  /** One more request is allowed per this long. */
  intervalMs: number;
}

/**
 * The rate limit blocking.mdx asks of a blocking-query loop: a token bucket, so a quiet result
 * (one reply per `wait`, or a change now and then) is asked again at once, while a result that
 * keeps churning degrades to one request per `intervalMs` after `burst` quick ones.
 */
export class TokenBucket {
  private tokens: number;
  private updated: number;

  constructor(
    private readonly options: PaceOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = options.burst;
    this.updated = now();
  }

  /** Takes a token; returns how long to wait first (0 when one was there). */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.options.burst, this.tokens + (now - this.updated) / this.options.intervalMs);
    this.updated = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil(-this.tokens * this.options.intervalMs);
  }
}
