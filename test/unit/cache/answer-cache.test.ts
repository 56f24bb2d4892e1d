import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { AnswerCache, cacheKey, replyFromCache, type CachedAnswer } from '../../../src/cache/answer-cache.js';
import { parseQuery, type Query } from '../../../src/dns/query.js';
import type { ResourceRecord } from '../../../src/dns/records.js';
import { encodeAnswer } from '../../../src/dns/response.js';
import { query } from '../../harness/wire.js';

function parsed(msg: Buffer): Query {
  const result = parseQuery(msg);
  if (result.kind !== 'query') throw new Error(result.reason);
  return result.query;
}

function entry(services: string[], variants: Buffer[] = [Buffer.alloc(12)]): CachedAnswer {
  return { variants, next: 0, rcode: 0, zone: 'service', services };
}

describe('AnswerCache: invalidation by service', () => {
  it('drops exactly the answers built from the changed service', () => {
    const cache = new AnswerCache({ max: 100 });
    cache.set('api|1', entry(['api']), 60_000);
    cache.set('api|28', entry(['api']), 60_000);
    cache.set('web|1', entry(['web']), 60_000);
    cache.set('example.com|1', entry([]), 60_000);
    assert.equal(cache.invalidate('api'), 2);
    assert.equal(cache.get('api|1'), undefined);
    assert.equal(cache.get('api|28'), undefined);
    assert.ok(cache.get('web|1'));
    assert.ok(cache.get('example.com|1'));
    assert.equal(cache.invalidate('api'), 0, 'nothing left to drop');
  });

  it('an answer built from two services goes when either changes', () => {
    const cache = new AnswerCache({ max: 100 });
    cache.set('both', entry(['api', 'web']), 60_000);
    assert.equal(cache.invalidate('web'), 1);
    assert.equal(cache.get('both'), undefined);
    assert.equal(cache.invalidate('api'), 0, 'the index forgot the key with the entry');
  });

  it('an answer replaced under the same key is indexed once', () => {
    const cache = new AnswerCache({ max: 100 });
    cache.set('k', entry(['api']), 60_000);
    cache.set('k', entry(['api']), 60_000);
    assert.equal(cache.invalidate('api'), 1);
  });

  it('evicted answers leave the index too', () => {
    const cache = new AnswerCache({ max: 2 });
    cache.set('a', entry(['api']), 60_000);
    cache.set('b', entry(['web']), 60_000);
    cache.set('c', entry(['db']), 60_000);
    assert.equal(cache.size, 2);
    assert.equal(cache.invalidate('api'), 0);
    assert.equal(cache.invalidate('web'), 1);
  });

  it('a TTL of zero is not stored', () => {
    const cache = new AnswerCache({ max: 10 });
    cache.set('k', entry([]), 0);
    assert.equal(cache.get('k'), undefined);
  });

  it('changedSince tells whether an answer built after a mark may be stale', () => {
    const cache = new AnswerCache({ max: 10 });
    cache.invalidate('old');
    const mark = cache.mark();
    assert.equal(cache.changedSince(mark, ['api']), false);
    assert.equal(cache.changedSince(mark, ['old']), false, 'an invalidation before the mark does not count');
    cache.invalidate('web');
    assert.equal(cache.changedSince(mark, ['api']), false);
    cache.invalidate('api');
    assert.equal(cache.changedSince(mark, ['api']), true);
  });

  it('counts hits and misses', () => {
    const cache = new AnswerCache({ max: 10 });
    cache.set('k', entry([]), 60_000);
    cache.get('k');
    cache.get('nope');
    assert.deepEqual([cache.hits, cache.misses], [1, 1]);
  });
});

describe('cacheKey', () => {
  it('is the lowercased question plus size limit and EDNS flavour', () => {
    const plain = parsed(query('ApI.Service.Local', 1));
    assert.equal(cacheKey(plain, 512), 'api.service.local|1|1|512|n');
    const keys = new Set([
      cacheKey(plain, 512),
      cacheKey(parsed(query('api.service.local', 28)), 512),
      cacheKey(plain, 65535),
      cacheKey(parsed(query('api.service.local', 1, { edns: {} })), 512),
      cacheKey(parsed(query('api.service.local', 1, { edns: { dnssecOk: true } })), 512),
    ]);
    assert.equal(keys.size, 5);
  });
});

describe('replyFromCache: the hot path patches ID, RD/CD and the question spelling only', () => {
  const records = (order: string[]): ResourceRecord[] => order.map((address) => ({ name: 'api.service.local', ttl: 5, type: 'A', address }));
  const stored = parsed(query('api.service.local', 1));
  const options = { limit: 512, authoritative: true, recursionAvailable: true };
  const variants = [['10.0.0.1', '10.0.0.2'], ['10.0.0.2', '10.0.0.1']].map((order) =>
    encodeAnswer(stored, { rcode: 0, answer: records(order), authority: [], additional: [] }, options),
  );

  it("answers with the client's ID, RD bit and spelling, in both record and question", () => {
    const cached = entry(['api'], variants);
    const msg = query('ApI.SeRvIcE.LoCaL', 1, { id: 0xabcd });
    msg.writeUInt16BE(0x0000, 2); // RD clear
    const decoded = dnsPacket.decode(replyFromCache(cached, msg, parsed(msg), Date.now()));
    assert.equal(decoded.id, 0xabcd);
    assert.equal(decoded.flag_rd, false);
    assert.ok(decoded.flag_aa && decoded.flag_ra);
    assert.equal(decoded.questions![0].name, 'ApI.SeRvIcE.LoCaL');
    assert.deepEqual(decoded.answers!.map((rr) => rr.name), ['ApI.SeRvIcE.LoCaL', 'ApI.SeRvIcE.LoCaL']);
  });

  it('takes the rotated variants in turn and leaves the stored bytes untouched', () => {
    const cached = entry(['api'], variants.map((v) => Buffer.from(v)));
    const firsts = Array.from({ length: 4 }, (_, i) => {
      const msg = query('api.service.local', 1, { id: i });
      const decoded = dnsPacket.decode(replyFromCache(cached, msg, parsed(msg), Date.now()));
      return (decoded.answers![0] as dnsPacket.StringAnswer).data;
    });
    assert.deepEqual(firsts, ['10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.2']);
    assert.ok(cached.variants[0].equals(variants[0]));
  });

  it('counts down the TTLs of forwarded answers as they age', () => {
    const bytes = Buffer.from(variants[0]);
    const offsets = [12 + 19 + 4 + 6, 12 + 19 + 4 + 16 + 6];
    const cached: CachedAnswer = { ...entry([], [bytes]), ttls: { offsets, values: [300, 5], storedAt: 1_000_000 } };
    const msg = query('api.service.local', 1);
    const decoded = dnsPacket.decode(replyFromCache(cached, msg, parsed(msg), 1_000_000 + 10_500));
    assert.deepEqual(decoded.answers!.map((rr) => (rr as dnsPacket.StringAnswer).ttl), [290, 0]);
  });
});
