import { Counter, Gauge, Histogram, Registry as PromRegistry } from 'prom-client';
import type { AnswerCache } from '../cache/answer-cache.js';
import { RcodeName, typeName } from '../dns/constants.js';
import type { ForwardObserver } from '../forward/forwarder.js';
import { formatEndpoint } from '../forward/endpoint.js';
import type { Registry } from '../registry/registry.js';
import type { QueryObserver } from '../server/handler.js';

const PREFIX = 'dnsbridge_';

/**
 * Prometheus metrics. Per-query counts are plain numbers bumped on the hot path and read out at
 * scrape time: a labelled prom-client counter costs about a microsecond per call, a tenth of a hit.
 */
export class Metrics implements QueryObserver, ForwardObserver {
  readonly registry = new PromRegistry();
  private readonly queryCounts = new Map<string, number>();
  private readonly malformedCounts = new Map<string, number>();
  private truncatedCount = 0;
  private readonly latency: Histogram;
  private readonly upstreamLatency: Histogram<'upstream'>;
  private readonly upstreamOutcomes: Counter<'upstream' | 'outcome'>;

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
        for (const [key, value] of counts) {
          const [zone, type, rcode, cached] = key.split('|');
          this.inc({ zone, type, rcode, cached }, value);
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
    const self = this;
    new Counter({
      name: `${PREFIX}truncated_answers_total`,
      help: 'UDP answers sent with TC=1',
      registers,
      collect() {
        this.reset();
        this.inc(self.truncatedCount);
      },
    });
    this.latency = new Histogram({
      name: `${PREFIX}query_duration_seconds`,
      help: 'Time from packet to answer',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5],
      registers,
    });
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
    const key = `${event.zone}|${typeName(event.type)}|${RcodeName[event.rcode] ?? event.rcode}|${event.cached}`;
    this.queryCounts.set(key, (this.queryCounts.get(key) ?? 0) + 1);
    this.latency.observe(event.seconds);
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
    const cacheCounter = (name: string, help: string, read: () => number) =>
      new Counter({ name: `${PREFIX}${name}`, help, registers, collect() { this.reset(); this.inc(read()); } });
    cacheCounter('cache_hits_total', 'Answers served from the cache', () => cache.hits);
    cacheCounter('cache_misses_total', 'Questions not in the cache', () => cache.misses);
    cacheCounter('cache_invalidations_total', 'Cached answers dropped by registry changes', () => cache.invalidations);
  }

  /** Per-source figures, read at scrape time (in the process that runs the sources). */
  watchSources(registry: Registry): void {
    const registers = [this.registry];
    const sourceGauge = (name: string, help: string, read: (s: ReturnType<Registry['statuses']>[number]) => number) =>
      new Gauge({
        name: `${PREFIX}source_${name}`,
        help,
        labelNames: ['source'],
        registers,
        collect() {
          for (const status of registry.statuses()) this.set({ source: status.name }, read(status));
        },
      });
    sourceGauge('connected', '1 when the source is connected to its registry', (s) => (s.state === 'connected' ? 1 : 0));
    sourceGauge('watched_services', 'Services the source watches', (s) => s.watchedServices);
    sourceGauge('watch_events', 'Watch events received (a counter)', (s) => s.watchEvents);
    sourceGauge('decode_failures', 'Registry entries skipped as malformed (a counter)', (s) => s.decodeFailures);
    sourceGauge('last_sync_timestamp_seconds', 'When the source last read its registry completely', (s) => (s.lastSync ?? 0) / 1000);
  }
}
