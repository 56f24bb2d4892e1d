import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SummedFigures } from '../../../src/cluster/figures.js';
import { History, quantileMs } from '../../../src/ops/history.js';
import { LATENCY_BOUNDS, type QueryFigures } from '../../../src/ops/metrics.js';
import type { InstanceStatus } from '../../../src/registry/source.js';

const buckets = LATENCY_BOUNDS.length + 1;
const noTop = { services: [], counters: 0 };
/** A histogram with `count` answers in the bucket ending at `bound` seconds. */
function latency(entries: [bound: number, count: number][]): number[] {
  const counts = new Array<number>(buckets).fill(0);
  for (const [bound, count] of entries) counts[bound === Infinity ? LATENCY_BOUNDS.length : LATENCY_BOUNDS.indexOf(bound)] += count;
  return counts;
}

function status(name: string, watchEvents: number, state: InstanceStatus['state'] = 'connected'): InstanceStatus {
  return { name, kind: 'zookeeper', state, watchedServices: 1, watchEvents, decodeFailures: 0, synced: true };
}

describe('the charts\' history', () => {
  it('samples what happened since the last sample: answers by kind, latency quantiles, watch events and connection', () => {
    let queries: QueryFigures = { hits: 10, misses: 2, forwarded: 1, latency: latency([[0.0001, 13]]), top: noTop };
    let statuses = [status('zk', 5)];
    let unhealthy: number | undefined;
    let now = 1000;
    const history = new History({ queries: () => queries, statuses: () => statuses, unhealthy: () => unhealthy }, 3, () => now);
    queries = { hits: 110, misses: 2, forwarded: 4, latency: latency([[0.0001, 111], [0.01, 2], [Infinity, 3]]), top: noTop };
    statuses = [status('zk', 9, 'disconnected')];
    unhealthy = 2;
    now = 2000;
    const sample = history.sample();
    assert.deepEqual({ ...sample, p50: undefined, p99: undefined }, {
      t: 2000, hits: 100, misses: 0, forwarded: 3, p50: undefined, p99: undefined, unhealthy: 2, sources: { zk: [4, 0] },
    });
    // 103 answers: the median within 50–100 µs, the 99th percentile past 10 ms (the slowest were above the last bound).
    assert.ok(sample.p50! > 0.05 && sample.p50! <= 0.1, String(sample.p50));
    assert.equal(sample.p99, 5000);
    assert.equal(history.sample().p50, null, 'no answers, no latency');
  });

  it('keeps a fixed number of samples, oldest first', () => {
    let now = 0;
    const history = new History({ queries: () => ({ hits: 0, misses: 0, forwarded: 0, latency: [], top: noTop }), statuses: () => [], unhealthy: () => undefined }, 3, () => now);
    for (let i = 1; i <= 5; i++) {
      now = i;
      history.sample();
    }
    assert.deepEqual(history.samples().map((s) => s.t), [3, 4, 5]);
  });

  it('interpolates quantiles inside a bucket, as Prometheus does', () => {
    assert.equal(quantileMs(latency([[0.001, 4]]), 0.5), 0.75, 'half way between 0.5 and 1 ms');
    assert.equal(quantileMs(latency([]), 0.5), null);
  });
});

describe('the DNS workers\' figures summed', () => {
  it('adds what each worker counted since its last report; a replaced worker takes nothing away', () => {
    const sum = new SummedFigures<string>();
    sum.report('a', { hits: 5, misses: 1, forwarded: 0, latency: [6], top: noTop });
    sum.report('b', { hits: 3, misses: 0, forwarded: 2, latency: [5], top: noTop });
    sum.report('a', { hits: 8, misses: 1, forwarded: 0, latency: [9], top: noTop });
    assert.deepEqual(sum.total(), { hits: 11, misses: 1, forwarded: 2, latency: [14], top: noTop });
    sum.remove('a');
    sum.report('a2', { hits: 1, misses: 0, forwarded: 0, latency: [1], top: noTop });
    assert.deepEqual(sum.total(), { hits: 12, misses: 1, forwarded: 2, latency: [15], top: noTop });
  });

  it('sums the workers\' busiest services by name', () => {
    const sum = new SummedFigures<string>();
    const figures = { hits: 0, misses: 0, forwarded: 0, latency: [] };
    sum.report('a', { ...figures, top: { services: [{ service: 'api', queries: 5, nxdomain: 0 }, { service: 'gone', queries: 2, nxdomain: 2 }], counters: 2 } });
    sum.report('b', { ...figures, top: { services: [{ service: 'gone', queries: 4, nxdomain: 4 }], counters: 1 } });
    assert.deepEqual(sum.total().top, { services: [{ service: 'gone', queries: 6, nxdomain: 6 }, { service: 'api', queries: 5, nxdomain: 0 }], counters: 3 });
  });
});
