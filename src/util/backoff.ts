export interface BackoffOptions {
  /** The ceiling of the first delay. */
  initialMs: number;
  /** The ceiling never grows past this. */
  maxMs: number;
  /** Returns [0, 1); Math.random unless a test pins the jitter. */
  random?: () => number;
}

/**
 * Exponential backoff with jitter: retry n waits between half and all of min(max, initial * 2^n),
 * so many clients that lost the same registry do not retry in step. Immutable: `next()` is the
 * backoff after one more failure. Its shape (`duration`, `next()`) is also what etcd3 takes as
 * `faultHandling.watchBackoff`, so etcd3's watch stream can follow the same schedule.
 */
export class Backoff {
  /** Milliseconds to wait before this retry. */
  readonly duration: number;

  constructor(
    private readonly options: BackoffOptions,
    /** Failures in a row so far. */
    readonly attempt = 0,
  ) {
    const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
    const random = options.random ?? Math.random;
    this.duration = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  }

  next(): Backoff {
    return new Backoff(this.options, this.attempt + 1);
  }

  /** After a success: the next failure starts from the first delay again. */
  reset(): Backoff {
    return new Backoff(this.options);
  }
}
