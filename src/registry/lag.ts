/** When a change reached a source, and when the registry says it was written, for the lag figures. */
export interface ChangeTiming {
  /** Epoch ms the watch event arrived. */
  eventAt: number;
  /** Epoch ms the registry recorded the write (ZooKeeper's mtime), where it reports one. */
  writtenAt?: number;
}

/** Epoch ms with a fraction: lags are often under a millisecond. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Bucket bounds of the lag histograms, ms. */
export const LAG_BOUNDS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
/** Recent lags kept for the sparkline. */
const RECENT = 60;

/** One kind of lag of one source: counts per bucket (the last one above every bound) and the latest values. */
export interface LagFigures {
  buckets: number[];
  count: number;
  /** Newest last, ms. */
  recent: number[];
}

/** A bounded histogram and the last RECENT values: what the page draws as a sparkline and a histogram. */
export class LagHistogram {
  private readonly buckets = new Array<number>(LAG_BOUNDS_MS.length + 1).fill(0);
  private readonly recent: number[] = [];
  private count = 0;

  observe(ms: number): void {
    const value = Math.max(0, ms);
    let i = LAG_BOUNDS_MS.findIndex((bound) => value <= bound);
    if (i < 0) i = LAG_BOUNDS_MS.length;
    this.buckets[i]++;
    this.count++;
    this.recent.push(Math.round(value * 10) / 10);
    if (this.recent.length > RECENT) this.recent.shift();
  }

  figures(): LagFigures {
    return { buckets: [...this.buckets], count: this.count, recent: [...this.recent] };
  }
}

/** A source's lags: watch event to answers ready, and where known, registry write to answers ready. */
export interface SourceLag {
  eventToAnswer: LagFigures;
  writeToAnswer?: LagFigures;
}

export class SourceLagRecorder {
  private readonly event = new LagHistogram();
  private write?: LagHistogram;

  record(timing: ChangeTiming, readyAt: number): void {
    this.event.observe(readyAt - timing.eventAt);
    if (timing.writtenAt !== undefined) (this.write ??= new LagHistogram()).observe(readyAt - timing.writtenAt);
  }

  figures(): SourceLag {
    return { eventToAnswer: this.event.figures(), ...(this.write ? { writeToAnswer: this.write.figures() } : {}) };
  }
}
