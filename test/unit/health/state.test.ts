import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProviderHealth } from '../../../src/health/state.js';

const pass = { result: 'pass' as const, ms: 0.3, detail: 'connected' };
const fail = { result: 'fail' as const, ms: 0.2, detail: 'ECONNREFUSED' };

/** Feeds results in order; returns the indexes where the provider entered or left the answers. */
function transitions(health: ProviderHealth, results: (typeof pass | typeof fail)[]): number[] {
  return results.flatMap((result, i) => (health.record(result, i) ? [i] : []));
}

describe('a provider\'s check state (rise and fall)', () => {
  it('stays answered while pending and passing, and leaves after `fall` failures in a row', () => {
    const health = new ProviderHealth('tcp', 2, 3);
    assert.equal(health.status().state, 'pending');
    assert.deepEqual(transitions(health, [pass, fail, fail, pass, fail, fail, fail]), [6]);
    assert.equal(health.failing, true);
    assert.match(health.reason, /tcp check failed 3 times in a row \(last: ECONNREFUSED\)/);
  });

  it('comes back after `rise` passes in a row; a failure in between starts the count again', () => {
    const health = new ProviderHealth('http:/health', 2, 1);
    assert.deepEqual(transitions(health, [fail, pass, fail, pass, pass]), [0, 4]);
    assert.equal(health.status().state, 'passing');
    assert.equal(health.status().reason, undefined);
  });

  it('a first failure with fall 1 takes a pending provider out at once', () => {
    const health = new ProviderHealth('tcp', 1, 1);
    assert.deepEqual(transitions(health, [fail]), [0]);
    assert.deepEqual(health.status().last, { result: 'fail', detail: 'ECONNREFUSED', ms: 0.2, at: 0 });
  });
});
