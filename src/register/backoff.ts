export interface BackoffOptions {
  firstMs: number;
  maxMs: number;
  /** Returns [0, 1); injected so tests can pin the jitter. */
  random?: () => number;
}

/**
 * Exponential backoff with jitter: the n-th retry waits between half and all of
 * min(max, first * 2^n), so many sidecars that lost the same backend do not retry in step.
 */
export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** Milliseconds to wait before the next try; each call doubles the ceiling. */
  next(): number {
    const ceiling = Math.min(this.options.maxMs, this.options.firstMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    const random = this.options.random ?? Math.random;
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  }

  /** After a success: the next failure starts from the first delay again. */
  reset(): void {
    this.attempt = 0;
  }

  /** How many retries in a row so far. */
  get failures(): number {
    return this.attempt;
  }
}
