import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FAIL_OPEN_NOTE, healthStep } from '../../../src/health/filter.js';
import type { Provider } from '../../../src/registry/provider.js';

const provider = (host: string, unhealthy?: string): Provider => ({ host, port: 80, priority: 10, weight: 1, tags: [], origin: 'test', source: 'test', ...(unhealthy ? { unhealthy } : {}) });

describe('the health step of an answer', () => {
  it('leaves out the failing providers and says why', () => {
    const providers = [provider('10.0.0.1'), provider('10.0.0.2', 'tcp check failed 3 times in a row')];
    const step = healthStep(providers);
    assert.deepEqual(step.kept.map((p) => p.host), ['10.0.0.1']);
    assert.deepEqual(step.removed.map((r) => [r.provider.host, r.why]), [['10.0.0.2', 'tcp check failed 3 times in a row']]);
    assert.equal(step.note, undefined);
  });

  it('keeps everyone, with the fail-open note, when every provider fails', () => {
    const providers = [provider('10.0.0.1', 'x'), provider('10.0.0.2', 'y')];
    const step = healthStep(providers);
    assert.equal(step.kept, providers);
    assert.deepEqual(step.removed, []);
    assert.equal(step.note, FAIL_OPEN_NOTE);
  });

  it('returns its input when nothing fails', () => {
    const providers = [provider('10.0.0.1')];
    assert.equal(healthStep(providers).kept, providers);
  });
});
