import type { InstanceStatus } from '../registry/source.js';
import { LATENCY_BOUNDS, type QueryFigures } from './metrics.js';

/** One second of the bridge, as the status page's charts draw it. */
export interface Sample {
  /** Epoch ms at the end of the second. */
  t: number;
  /** Answers in this second: from the cache, made without it, forwarded. */
  hits: number;
  misses: number;
  forwarded: number;
  /** Answer latency quantiles over this second, ms; null without answers. */
  p50: number | null;
  p99: number | null;
  /** Providers the health checks take out of answers now; null without health checks. */
  unhealthy: number | null;
  /** Per source instance: watch events in this second, and 1 while connected to its registry (0 otherwise). */
  sources: Record<string, [events: number, connected: 0 | 1]>;
}

export interface HistoryReader {
  /** Counts since start (summed over DNS workers). */
  queries(): QueryFigures;
  statuses(): InstanceStatus[];
  /** Unhealthy providers now, or undefined when nothing is checked. */
  unhealthy(): number | undefined;
}

/** 15 minutes at one sample a second. */
export const HISTORY_SAMPLES = 900;

/**
 * The last 15 minutes, a sample a second, in a ring of fixed size: what a status page draws
 * when it opens. Each sample is the difference of the counters since the previous one.
 */
export class History {
  private readonly ring: (Sample | undefined)[];
  private next = 0;
  private lastQueries: QueryFigures;
  private lastEvents = new Map<string, number>();

  constructor(
    private readonly reader: HistoryReader,
    readonly capacity = HISTORY_SAMPLES,
    private readonly now: () => number = Date.now,
  ) {
    this.ring = new Array<Sample | undefined>(capacity);
    this.lastQueries = reader.queries();
    for (const s of reader.statuses()) this.lastEvents.set(s.name, s.watchEvents);
  }

  /** Takes the sample of the second just past and keeps it, dropping the oldest past `capacity`. */
  sample(): Sample {
    const queries = this.reader.queries();
    const latency = queries.latency.map((count, i) => count - (this.lastQueries.latency[i] ?? 0));
    const sources: Sample['sources'] = {};
    const events = new Map<string, number>();
    for (const s of this.reader.statuses()) {
      events.set(s.name, s.watchEvents);
      sources[s.name] = [Math.max(0, s.watchEvents - (this.lastEvents.get(s.name) ?? s.watchEvents)), s.state === 'connected' ? 1 : 0];
    }
    const sample: Sample = {
      t: this.now(),
      hits: Math.max(0, queries.hits - this.lastQueries.hits),
      misses: Math.max(0, queries.misses - this.lastQueries.misses),
      forwarded: Math.max(0, queries.forwarded - this.lastQueries.forwarded),
      p50: quantileMs(latency, 0.5),
      p99: quantileMs(latency, 0.99),
      unhealthy: this.reader.unhealthy() ?? null,
      sources,
    };
    [this.lastQueries, this.lastEvents] = [queries, events];
    this.ring[this.next] = sample;
    this.next = (this.next + 1) % this.capacity;
    return sample;
  }

  /** Every sample kept, oldest first. */
  samples(): Sample[] {
    const ordered = [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    return ordered.filter((sample): sample is Sample => sample !== undefined);
  }
}

/**
 * The `q` quantile of a second's latency histogram in ms, interpolated inside its bucket as
 * Prometheus's histogram_quantile does; answers above the last bound count as at that bound.
 */
export function quantileMs(counts: readonly number[], q: number): number | null {
  let total = 0;
  for (const count of counts) total += count;
  if (total <= 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    if (below + counts[i] >= rank && counts[i] > 0) {
      if (i >= LATENCY_BOUNDS.length) break;
      const lower = i === 0 ? 0 : LATENCY_BOUNDS[i - 1];
      return 1000 * (lower + (LATENCY_BOUNDS[i] - lower) * ((rank - below) / counts[i]));
    }
    below += counts[i];
  }
  return 1000 * LATENCY_BOUNDS[LATENCY_BOUNDS.length - 1];
}
