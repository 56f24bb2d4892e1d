import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from '../../../src/util/backoff.js';
import { sleep } from '../../../src/util/sleep.js';

/** The first `count` delays of a backoff failing again and again. */
function delays(backoff: Backoff, count: number): number[] {
  const seen: number[] = [];
  for (let current = backoff; seen.length < count; current = current.next()) seen.push(current.duration);
  return seen;
}

describe('Backoff', () => {
  const limits = { initialMs: 100, maxMs: 1000 };

  it('doubles up to the cap, waiting between half and all of the ceiling', () => {
    assert.deepEqual(delays(new Backoff({ ...limits, random: () => 0 }), 6), [50, 100, 200, 400, 500, 500]);
    assert.deepEqual(delays(new Backoff({ ...limits, random: () => 0.5 }), 6), [75, 150, 300, 600, 750, 750]);
    assert.deepEqual(delays(new Backoff({ ...limits, random: () => 0.999999 }), 6), [100, 200, 400, 800, 1000, 1000]);
  });

  it('spreads the delays of clients that failed together', () => {
    const spread = new Set(Array.from({ length: 50 }, () => new Backoff(limits).next().next().duration));
    assert.ok(spread.size > 10, `50 clients' third delays took only ${spread.size} values`);
    for (const delay of spread) assert.ok(delay >= 200 && delay <= 400, `${delay} is outside [200, 400]`);
  });

  it('counts the failures and starts over after a success', () => {
    const failing = new Backoff({ ...limits, random: () => 0 }).next().next().next();
    assert.equal(failing.attempt, 3);
    assert.equal(failing.duration, 400);
    assert.equal(failing.reset().attempt, 0);
    assert.equal(failing.reset().duration, 50);
  });

  it('stays at the cap after any number of failures', () => {
    assert.equal(new Backoff({ ...limits, random: () => 0.5 }, 5000).duration, 750);
  });
});

describe('sleep', () => {
  it('waits the time asked', async () => {
    const started = performance.now();
    await sleep(30);
    assert.ok(performance.now() - started >= 29, 'returned early');
  });

  it('ends at once when aborted, or when the time is not positive', async () => {
    const stop = new AbortController();
    const started = performance.now();
    const waiting = sleep(60_000, stop.signal);
    stop.abort();
    await waiting;
    await sleep(60_000, stop.signal);
    await sleep(-5);
    assert.ok(performance.now() - started < 1000, 'an aborted sleep kept waiting');
  });
});
