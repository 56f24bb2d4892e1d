/** A recurring job: run every `intervalMs`, never two at once for the same key. */
interface Job {
  intervalMs: number;
  run: () => Promise<void>;
  timer?: NodeJS.Timeout;
  removed: boolean;
}

export interface SchedulerOptions {
  /** Most jobs running at once; the others wait their turn in order. */
  maxInFlight: number;
  /** Uniform in [0, 1): the jitter. */
  random?: () => number;
}

/**
 * Runs each job every interval. A new job first runs at a random point of its first interval,
 * so many providers added at once (a service's first query) are spread over the interval rather
 * than probed in one burst; each later run starts an interval (±10%) after the previous one started.
 */
export class CheckScheduler {
  private readonly jobs = new Map<string, Job>();
  /** Jobs due, oldest first from `head`: taking one must not move the others (thousands wait when probes are slow). */
  private queue: Job[] = [];
  private head = 0;
  private running = 0;
  private readonly random: () => number;

  constructor(private readonly options: SchedulerOptions) {
    this.random = options.random ?? Math.random;
  }

  get size(): number {
    return this.jobs.size;
  }

  add(key: string, intervalMs: number, run: () => Promise<void>): void {
    if (this.jobs.has(key)) return;
    const job: Job = { intervalMs, run, removed: false };
    this.jobs.set(key, job);
    this.after(job, this.random() * intervalMs);
  }

  remove(key: string): void {
    const job = this.jobs.get(key);
    if (!job) return;
    job.removed = true;
    clearTimeout(job.timer);
    this.jobs.delete(key);
  }

  stop(): void {
    for (const key of [...this.jobs.keys()]) this.remove(key);
    this.queue = [];
    this.head = 0;
  }

  private after(job: Job, delayMs: number): void {
    job.timer = setTimeout(() => {
      this.queue.push(job);
      this.pump();
    }, delayMs);
    job.timer.unref();
  }

  private pump(): void {
    while (this.running < this.options.maxInFlight && this.head < this.queue.length) {
      const job = this.queue[this.head++];
      // Drop the taken ones once they are most of the array: amortised O(1) per job.
      if (this.head * 2 > this.queue.length) [this.queue, this.head] = [this.queue.slice(this.head), 0];
      if (job.removed) continue;
      this.running++;
      const started = performance.now();
      void job.run().finally(() => {
        this.running--;
        if (!job.removed) {
          const next = job.intervalMs * (0.9 + 0.2 * this.random());
          this.after(job, Math.max(0, started + next - performance.now()));
        }
        this.pump();
      });
    }
  }
}
