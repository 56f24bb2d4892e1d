import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpaceSaving, TopServices } from '../../../src/ops/top-services.js';

describe('the space-saving sketch', () => {
  it('counts exactly while the names fit', () => {
    const sketch = new SpaceSaving(4);
    for (const [name, times] of [['a', 5], ['b', 3], ['c', 1]] as const) for (let i = 0; i < times; i++) sketch.count(name, name === 'c');
    assert.deepEqual(sketch.entries().sort((x, y) => y.queries - x.queries), [
      { service: 'a', queries: 5, nxdomain: 0 },
      { service: 'b', queries: 3, nxdomain: 0 },
      { service: 'c', queries: 1, nxdomain: 1 },
    ]);
  });

  it('keeps the heavy hitters through a flood of distinct names, in bounded counters', () => {
    const sketch = new SpaceSaving(16);
    for (let i = 0; i < 20_000; i++) {
      sketch.count(`random-${i}`, true);
      if (i % 10 === 0) sketch.count('api', false);
      if (i % 20 === 0) sketch.count('web', false);
    }
    assert.equal(sketch.size, 16);
    const top = sketch.entries().sort((x, y) => y.queries - x.queries);
    // api is asked often enough never to lose its counter: its count is exact.
    assert.deepEqual(top[0], { service: 'api', queries: 2000, nxdomain: 0 });
    // A flood name took over a counter: it is reported with what it surely got, not what it inherited.
    for (const entry of top.filter((t) => t.service.startsWith('random-'))) assert.equal(entry.queries, 1);
  });
});

describe('the busiest services of the last minute', () => {
  it('sums the windows kept and forgets a window once it is older than all of them', () => {
    let now = 0;
    const top = new TopServices({ capacity: 8, windowMs: 10, windows: 3, now: () => now });
    top.count('old', false);
    now = 10;
    top.top(5);
    top.count('api', true);
    top.count('api', false);
    assert.deepEqual(top.top(5), [{ service: 'api', queries: 2, nxdomain: 1 }, { service: 'old', queries: 1, nxdomain: 0 }]);
    now = 30;
    assert.deepEqual(top.top(5), [{ service: 'api', queries: 2, nxdomain: 1 }]);
    assert.ok(top.tracked <= 8 * 3);
    now = 1000;
    assert.deepEqual(top.top(5), [], 'idle past every window: nothing left');
  });
});
