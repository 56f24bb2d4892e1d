import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { healthStep } from '../../../src/health/filter.js';
import type { Provider } from '../../../src/registry/provider.js';
import { runSteps, tagStep, type AnswerStep } from '../../../src/zone/answer-step.js';

const provider = (host: string, tags: string[], unhealthy?: string): Provider => ({ host, port: 80, priority: 10, weight: 1, tags, origin: 'test', source: 'test', ...(unhealthy ? { unhealthy } : {}) });

describe('the answer steps', () => {
  it('the tag step keeps the providers carrying every tag and names the tags each other one lacks', () => {
    const providers = [provider('10.0.0.1', ['canary', 'v2']), provider('10.0.0.2', ['canary']), provider('10.0.0.3', [])];
    const step = tagStep(providers, { kind: 'service', service: 'api', tags: ['canary', 'v2'] });
    assert.deepEqual(step.kept.map((p) => p.host), ['10.0.0.1']);
    assert.deepEqual(step.removed.map((r) => [r.provider.host, r.why]), [
      ['10.0.0.2', 'does not carry the tag v2'],
      ['10.0.0.3', 'does not carry the tags canary, v2'],
    ]);
  });

  it('the tag step returns its input when the name has no tags or everyone carries them', () => {
    const providers = [provider('10.0.0.1', ['canary'])];
    assert.equal(tagStep(providers, { kind: 'service', service: 'api' }).kept, providers);
    assert.equal(tagStep(providers, { kind: 'srv', service: 'api', tags: ['canary'] }).kept, providers);
  });

  it('runSteps feeds each step what the one before kept and records every step when traced', () => {
    const providers = [provider('10.0.0.1', ['canary']), provider('10.0.0.2', ['canary'], 'HTTP 500'), provider('10.0.0.3', [])];
    const trace: AnswerStep[] = [];
    const kept = runSteps([tagStep, healthStep], providers, { kind: 'service', service: 'api', tags: ['canary'] }, trace);
    assert.deepEqual(kept.map((p) => p.host), ['10.0.0.1']);
    assert.deepEqual(trace.map((s) => [s.step, s.removed.map((r) => r.provider.host)]), [['tag', ['10.0.0.3']], ['health', ['10.0.0.2']]]);
  });
});
