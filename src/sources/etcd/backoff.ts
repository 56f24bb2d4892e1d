export interface BackoffLimits {
  initialMs: number;
  maxMs: number;
}

/**
 * An exponential delay with jitter (half to all of the current ceiling), immutable: `next()` is the delay after one more
 * failure. Its shape (`duration`, `next()`) is what etcd3 expects of `faultHandling.watchBackoff`,
 * so the watch stream reconnects on the same schedule as our reads.
 */
export class Backoff {
  readonly duration: number;

  constructor(
    private readonly limits: BackoffLimits,
    private readonly ceiling = limits.initialMs,
  ) {
    this.duration = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  next(): Backoff {
    return new Backoff(this.limits, Math.min(this.limits.maxMs, this.ceiling * 2));
  }

  /** The first delay again, after a success. */
  reset(): Backoff {
    return new Backoff(this.limits);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
