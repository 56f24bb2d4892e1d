import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { networkOf, RateLimiter } from '../../src/server/rate-limit.js';

describe('response rate limiting', () => {
  it('answers up to the rate, then slips every second limited query and drops the rest', () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 3, slip: 2 }, () => now);
    const decisions = Array.from({ length: 7 }, () => limiter.decide('192.0.2.7'));
    assert.deepEqual(decisions, ['answer', 'answer', 'answer', 'drop', 'slip', 'drop', 'slip']);
    now += 1000;
    assert.equal(limiter.decide('192.0.2.7'), 'answer', 'the bucket refills with time');
  });

  it('counts a client network together and other networks apart', () => {
    const limiter = new RateLimiter({ perSecond: 1, slip: 0 }, () => 0);
    assert.equal(limiter.decide('192.0.2.7'), 'answer');
    assert.equal(limiter.decide('192.0.2.8'), 'drop', 'same /24');
    assert.equal(limiter.decide('198.51.100.1'), 'answer', 'another /24');
  });

  it('groups IPv4 by /24 and IPv6 by /56', () => {
    assert.equal(networkOf('192.0.2.200'), '192.0.2');
    assert.equal(networkOf('::ffff:192.0.2.200'), '192.0.2');
    assert.equal(networkOf('2001:db8:1:23ff::1'), networkOf('2001:db8:1:2300::9'));
    assert.notEqual(networkOf('2001:db8:1:2300::1'), networkOf('2001:db8:1:2400::1'));
  });
});
