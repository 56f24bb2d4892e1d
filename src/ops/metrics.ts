import { Counter, Gauge, Histogram, Registry as PromRegistry, type Metric } from 'prom-client';
import type { AnswerCache } from '../cache/answer-cache.js';
import { Rcode, RcodeName, typeName } from '../dns/constants.js';
import type { ForwardObserver } from '../forward/forwarder.js';
import { formatEndpoint } from '../forward/endpoint.js';
import type { Registry } from '../registry/registry.js';
import type { SourceStatus } from '../registry/source.js';
import type { QueryObserver } from '../server/handler.js';
import { TopServices, type TopService } from './top-services.js';

const PREFIX = 'dnsbridge_';

/** Answer latency histogram bounds, seconds. */
export const LATENCY_BOUNDS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5];

/** Counts since start, for the status page's charts; summed over DNS workers like `/metrics`. */
export interface QueryFigures {
  /** Answers from the cache. */
  hits: number;
  /** Answers the bridge made without the cache: from its zone, or refused. */
  misses: number;
  /** Answers from an upstream, not from the cache. */
  forwarded: number;
  /** Answers per `LATENCY_BOUNDS` bucket (not cumulative), then those above the last bound. */
  latency: number[];
  /** Not a count since start: the busiest services of the last minute now. */
  top: TopList;
}

export interface TopList {
  services: TopService[];
  /** Counters the top-k sketches hold (bounded, whatever is queried). */
  counters: number;
}

/** Services listed per process: the page shows 20; more are kept so summing DNS workers stays close. */
export const TOP_SERVICES_LISTED = 50;

/**
 * Prometheus metrics. Per-query counts are plain numbers bumped on the hot path and read out at
 * scrape time: a labelled prom-client counter costs about a microsecond per call, a tenth of a hit.
 */
export class Metrics implements QueryObserver, ForwardObserver {
  readonly registry = new PromRegistry();
  /** Answers by zone, then by `queryCountKey(type, rcode, cached)`: numbers, so a hit builds no string. */
  private readonly queryCounts = new Map<string, Map<number, number>>();
  private readonly malformedCounts = new Map<string, number>();
  private truncatedCount = 0;
  private forwardedCount = 0;
  private staleCount = 0;
  /** Whether a source is not connected now: our zone's answers may then lag its registry. */
  private lagging: () => boolean = () => false;
  private readonly latency: ScrapedHistogram;
  private readonly upstreamLatency: Histogram<'upstream'>;
  private readonly upstreamOutcomes: Counter<'upstream' | 'outcome'>;
  /** The services most asked for in the last minute, with their NXDOMAINs. */
  readonly top = new TopServices();

  constructor() {
    const registers = [this.registry];
    const counts = this.queryCounts;
    const malformed = this.malformedCounts;
    new Counter({
      name: `${PREFIX}queries_total`,
      help: 'Queries answered, by zone, type and response code',
      labelNames: ['zone', 'type', 'rcode', 'cached'],
      registers,
      collect() {
        this.reset();
        for (const [zone, byKey] of counts) {
          for (const [key, value] of byKey) {
            const { type, rcode, cached } = fromQueryCountKey(key);
            this.inc({ zone, type: typeName(type), rcode: RcodeName[rcode] ?? String(rcode), cached: String(cached) }, value);
          }
        }
      },
    });
    new Counter({
      name: `${PREFIX}malformed_packets_total`,
      help: 'Packets that were not a usable query, by reason',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, value] of malformed) this.inc({ reason }, value);
      },
    });
    this.scrapedCounter('truncated_answers_total', 'UDP answers sent with TC=1', () => this.truncatedCount);
    this.scrapedCounter('forwarded_queries_total', 'Questions sent upstream (client queries and provider hostname lookups)', () => this.forwardedCount);
    this.scrapedCounter('stale_answers_total', 'Answers from our zone given while a source was not connected to its registry', () => this.staleCount);
    this.latency = new ScrapedHistogram(
      `${PREFIX}query_duration_seconds`,
      'Time from packet to answer',
      LATENCY_BOUNDS,
    );
    this.registry.registerMetric(this.latency as unknown as Metric);
    this.upstreamLatency = new Histogram({
      name: `${PREFIX}upstream_duration_seconds`,
      help: 'One try at one upstream',
      labelNames: ['upstream'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5],
      registers,
    });
    this.upstreamOutcomes = new Counter({
      name: `${PREFIX}upstream_tries_total`,
      help: 'Tries at upstreams by outcome: answer, timeout, error, failover (SERVFAIL/REFUSED, next upstream tried)',
      labelNames: ['upstream', 'outcome'],
      registers,
    });
  }

  answered(event: Parameters<QueryObserver['answered']>[0]): void {
    let byKey = this.queryCounts.get(event.zone);
    if (!byKey) this.queryCounts.set(event.zone, (byKey = new Map()));
    const key = queryCountKey(event.type, event.rcode, event.cached);
    byKey.set(key, (byKey.get(key) ?? 0) + 1);
    this.latency.observe(event.seconds);
    if (event.service !== '') this.top.count(event.service, event.rcode === Rcode.NXDOMAIN);
    if (event.zone === 'service' && this.lagging()) this.staleCount++;
  }

  /** Read once a second for the charts, off the query path: it walks the few per-zone counts. */
  queryFigures(): QueryFigures {
    const top = { services: this.top.top(TOP_SERVICES_LISTED), counters: this.top.tracked };
    const figures: QueryFigures = { hits: 0, misses: 0, forwarded: 0, latency: this.latency.buckets(), top };
    for (const [zone, byKey] of this.queryCounts) {
      for (const [key, value] of byKey) {
        if (key % 2 === 1) figures.hits += value;
        else if (zone === 'service' || zone === '-') figures.misses += value;
        else figures.forwarded += value;
      }
    }
    return figures;
  }

  forwarded(): void {
    this.forwardedCount++;
  }

  malformed(reason: string): void {
    const key = reason.replace(/\d+/g, 'N');
    this.malformedCounts.set(key, (this.malformedCounts.get(key) ?? 0) + 1);
  }

  truncated(): void {
    this.truncatedCount++;
  }

  attempt(upstream: Parameters<ForwardObserver['attempt']>[0], seconds: number, outcome: Parameters<ForwardObserver['attempt']>[2]): void {
    const label = formatEndpoint(upstream);
    this.upstreamLatency.observe({ upstream: label }, seconds);
    this.upstreamOutcomes.inc({ upstream: label, outcome });
  }

  /** Cache figures, read at scrape time. */
  watchCache(cache: AnswerCache): void {
    const registers = [this.registry];
    new Gauge({ name: `${PREFIX}cache_entries`, help: 'Answers in the cache', registers, collect() { this.set(cache.size); } });
    this.scrapedCounter('cache_hits_total', 'Answers served from the cache', () => cache.hits);
    this.scrapedCounter('cache_misses_total', 'Questions not in the cache', () => cache.misses);
    this.scrapedCounter('cache_invalidations_total', 'Cached answers dropped by registry changes', () => cache.invalidations);
    this.scrapedCounter('cache_refreshes_total', 'Dropped answers encoded again right after their registry change', () => cache.refreshes);
  }

  /** A counter whose value is read from a plain number when scraped. */
  private scrapedCounter(name: string, help: string, read: () => number): void {
    new Counter({ name: `${PREFIX}${name}`, help, registers: [this.registry], collect() { this.reset(); this.inc(read()); } });
  }

  /** Per-source figures, and stale answers counted, in a process that both runs the sources and answers. */
  watchSources(registry: Registry): void {
    registerSourceMetrics(this.registry, registry);
    this.lagging = atMostEverySecond(() => registry.statuses().some((s) => s.state !== 'connected'));
  }
}

/** Per-source figures, read at scrape time, in `prom` of the process that runs the sources. */
export function registerSourceMetrics(prom: PromRegistry, registry: Registry): void {
  const registers = [prom];
  const labelNames = ['source'];
  type Read = (s: SourceStatus) => number;
  // Reset first: a source removed by a reload drops out of the scrape.
  const gauge = (name: string, help: string, read: Read) =>
    new Gauge({
      name: `${PREFIX}source_${name}`,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const s of registry.statuses()) this.set({ source: s.name }, read(s));
      },
    });
  const counter = (name: string, help: string, read: Read) =>
    new Counter({
      name: `${PREFIX}source_${name}`,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const s of registry.statuses()) this.inc({ source: s.name }, read(s));
      },
    });
  gauge('connected', '1 when the source is connected to its registry', (s) => (s.state === 'connected' ? 1 : 0));
  gauge('watched_services', 'Services the source watches', (s) => s.watchedServices);
  counter('watch_events_total', 'Watch events received', (s) => s.watchEvents);
  counter('decode_failures_total', 'Registry entries skipped as malformed', (s) => s.decodeFailures);
  gauge('last_sync_timestamp_seconds', 'When the source last read its registry completely', (s) => (s.lastSync ?? 0) / 1000);
}

/** Type (16 bits), rcode (12 bits) and cached (1 bit) in one small integer. */
function queryCountKey(type: number, rcode: number, cached: boolean): number {
  return (((type & 0xffff) << 12) | (rcode & 0xfff)) * 2 + (cached ? 1 : 0);
}

function fromQueryCountKey(key: number): { type: number; rcode: number; cached: boolean } {
  const typeRcode = Math.floor(key / 2);
  return { type: typeRcode >>> 12, rcode: typeRcode & 0xfff, cached: key % 2 === 1 };
}

/**
 * A histogram kept as plain counts and handed to prom-client at scrape time (its own
 * `observe` was an eighth of a cache hit's time). Summed over workers like any histogram.
 */
export class ScrapedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) {
      if (value <= this.bounds[i]) {
        this.counts[i]++;
        return;
      }
    }
  }

  /** Counts per bucket (not cumulative), then the count above the last bound. */
  buckets(): number[] {
    let within = 0;
    for (const count of this.counts) within += count;
    return [...this.counts, this.count - within];
  }

  /** The metric as prom-client's registry reads it: cumulative buckets, sum and count. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string | number>; value: number; metricName: string }[] }> {
    let cumulative = 0;
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = this.bounds.map((bound, i) => ({ labels: { le: bound }, value: (cumulative += this.counts[i]), metricName: `${this.name}_bucket` }));
    values.push({ labels: { le: '+Inf' }, value: this.count, metricName: `${this.name}_bucket` });
    values.push({ labels: {}, value: this.sum, metricName: `${this.name}_sum` }, { labels: {}, value: this.count, metricName: `${this.name}_count` });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

/** `read()` at most once a second; calls in between get its last answer (it runs per query). */
function atMostEverySecond(read: () => boolean): () => boolean {
  let value = false;
  let readAt = -Infinity;
  return () => {
    const now = Date.now();
    if (now - readAt >= 1000) [value, readAt] = [read(), now];
    return value;
  };
}
