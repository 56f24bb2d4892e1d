import { TOP_SERVICES_LISTED, type QueryFigures } from '../ops/metrics.js';
import { mergeTop } from '../ops/top-services.js';

/**
 * The DNS workers' query counts summed, as `/metrics` sums them. Each worker reports its counts
 * since it started; what grew since its last report is added, so a worker that dies and is
 * replaced takes nothing away and its replacement counts from zero.
 */
export class SummedFigures<Worker> {
  private readonly last = new Map<Worker, QueryFigures>();
  private readonly sum: Omit<QueryFigures, 'top'> = { hits: 0, misses: 0, forwarded: 0, latency: [] };

  report(worker: Worker, figures: QueryFigures): void {
    const before = this.last.get(worker);
    this.last.set(worker, figures);
    this.sum.hits += figures.hits - (before?.hits ?? 0);
    this.sum.misses += figures.misses - (before?.misses ?? 0);
    this.sum.forwarded += figures.forwarded - (before?.forwarded ?? 0);
    figures.latency.forEach((count, i) => (this.sum.latency[i] = (this.sum.latency[i] ?? 0) + count - (before?.latency[i] ?? 0)));
  }

  remove(worker: Worker): void {
    this.last.delete(worker);
  }

  /** The counts summed; the busiest services are each worker's latest list, summed. */
  total(): QueryFigures {
    const reports = [...this.last.values()];
    const top = { services: mergeTop(reports.map((r) => r.top.services), TOP_SERVICES_LISTED), counters: reports.reduce((sum, r) => sum + r.top.counters, 0) };
    return { ...this.sum, latency: [...this.sum.latency], top };
  }
}
