import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capWait, stepIndex } from '../../../../src/sources/consul/blocking.js';

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
