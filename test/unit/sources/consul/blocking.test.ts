import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capWait, stepIndex, TokenBucket } from '../../../../src/sources/consul/blocking.js';

describe("stepIndex: Consul's blocking-query index rules", () => {
  const cases: [string, bigint | undefined, bigint, { next: bigint; changed: boolean }][] = [
    ['the first reply is a change', undefined, 7n, { next: 7n, changed: true }],
    ['an index that moved is a change', 7n, 9n, { next: 9n, changed: true }],
    ['an index that did not move is no change (wait ran out)', 9n, 9n, { next: 9n, changed: false }],
    ['an index that went backwards restarts from 0 and is a change', 9n, 4n, { next: 0n, changed: true }],
    ['an index of 0 is never sent back: 1 is', undefined, 0n, { next: 1n, changed: true }],
    ['an index stuck at 0 still blocks on 1', 0n, 0n, { next: 1n, changed: false }],
    ['indexes beyond 2^53 stay exact', 2n ** 60n, 2n ** 60n + 1n, { next: 2n ** 60n + 1n, changed: true }],
  ];
  for (const [what, previous, returned, expected] of cases) {
    it(what, () => assert.deepEqual(stepIndex(previous, returned), expected));
  }
});

describe('capWait', () => {
  it("keeps wait within Consul's 10 minute limit", () => {
    assert.equal(capWait(3600), 600);
    assert.equal(capWait(0), 1);
    assert.equal(capWait(60), 60);
  });
});

describe("TokenBucket: blocking.mdx's pacing of a blocking-query loop", () => {
  it('lets a burst of 2 through at once, then one request per interval while replies keep coming back at once', () => {
    let now = 0;
    const bucket = new TokenBucket({ burst: 2, intervalMs: 15_000 }, () => now);
    assert.deepEqual([bucket.take(), bucket.take()], [0, 0]);
    assert.equal(bucket.take(), 15_000);
    now += 15_000;
    assert.equal(bucket.take(), 15_000);
  });

  it('never delays a quiet result: one reply per wait refills the bucket', () => {
    let now = 0;
    const bucket = new TokenBucket({ burst: 2, intervalMs: 15_000 }, () => now);
    for (let reply = 0; reply < 10; reply++) {
      assert.equal(bucket.take(), 0);
      now += 60_000;
    }
  });
});
