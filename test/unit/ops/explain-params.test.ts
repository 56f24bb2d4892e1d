import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainQuestion } from '../../../src/ops/explain-params.js';
import { fromWorkers, type Explanation } from '../../../src/server/explain.js';

const ask = (query: string, remote = '::ffff:127.0.0.1') => explainQuestion(new URLSearchParams(query), remote);

describe('/api/explain parameters', () => {
  it('a name, lowercased without its trailing dot; type A and the asking address by default', () => {
    assert.deepEqual(ask('name=Canary.API.service.local.'), { name: 'canary.api.service.local', type: 1, client: '127.0.0.1' });
    assert.deepEqual(ask('name=api&type=srv&client=::1'), { name: 'api', type: 33, client: '::1' });
    assert.deepEqual(ask('name=x.example&type=TYPE65'), { name: 'x.example', type: 65, client: '127.0.0.1' });
  });

  it('a message naming the parameter that is not usable', () => {
    assert.match(ask('') as string, /^name: "" is not a DNS name/);
    assert.match(ask(`name=${'a'.repeat(64)}.local`) as string, /^name: /);
    assert.match(ask('name=api&type=AXFR') as string, /^type: "AXFR" is not a question type \(A, NS, .* or TYPEnnn\)/);
    assert.match(ask('name=api&type=TYPE70000') as string, /^type: /);
    assert.equal(ask('name=api&client=10.0.0') as string, 'client: "10.0.0" is not an IP address');
  });
});

describe('explanations from several DNS workers', () => {
  const explanation = (cached: boolean, rcode: string): Explanation => ({
    name: 'www.example.org',
    type: 'A',
    client: '127.0.0.1',
    route: 'forward',
    rcode,
    why: ['forwarded'],
    answer: [],
    cache: { cached, forms: cached ? [{ key: 'k', form: 'UDP without EDNS, up to 512 bytes', rcode, expiresIn: 30 }] : [] },
  });

  it("one decision, from a worker that has the answer cached, and every worker's cached forms naming it", () => {
    const merged = fromWorkers(3, [
      { pid: 11, explanation: explanation(false, 'x') },
      { pid: 12, explanation: explanation(true, 'NXDOMAIN') },
    ])!;
    assert.equal(merged.rcode, 'NXDOMAIN');
    assert.deepEqual(merged.cache, {
      cached: true,
      forms: [{ key: 'k', form: 'UDP without EDNS, up to 512 bytes', rcode: 'NXDOMAIN', expiresIn: 30, worker: 12 }],
      workers: { asked: 3, answered: 2 },
    });
  });

  it('none when no worker replied', () => {
    assert.equal(fromWorkers(2, []), undefined);
  });
});
