import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { AnswerCache, cachedAnswer, replyFromCache, type CachedAnswer } from '../../../src/cache/answer-cache.js';
import { answerForm, cacheKey, formQuery, type AnswerForm } from '../../../src/cache/answer-form.js';
import { parseQuery, type Query } from '../../../src/dns/query.js';
import type { ResourceRecord } from '../../../src/dns/records.js';
import { encodeMovableAnswer } from '../../../src/dns/response.js';
import { query } from '../../harness/wire.js';

function parsed(msg: Buffer): Query {
  const result = parseQuery(msg);
  if (result.kind !== 'query') throw new Error(result.reason);
  return result.query;
}

const form = (name: string): AnswerForm => ({ name, type: 1, class: 1, limit: 512, edns: 'none' });

function entry(services: string[], bytes: Buffer = Buffer.alloc(12), name = 'api.service.local'): CachedAnswer {
  return cachedAnswer({ bytes, rcode: 0, zone: 'service', form: form(name), services });
}

describe('AnswerCache: invalidation by service', () => {
  it('drops exactly the answers built from the changed service', () => {
    const cache = new AnswerCache({ max: 100 });
    cache.set('api|1', entry(['api'], undefined, 'api'), 60_000);
    cache.set('api|28', entry(['api'], undefined, 'api.v6'), 60_000);
    cache.set('web|1', entry(['web']), 60_000);
    cache.set('example.com|1', entry([]), 60_000);
    const dropped = cache.invalidate('api');
    assert.deepEqual(dropped.map((d) => [d.key, d.form.name]).sort(), [['api|1', 'api'], ['api|28', 'api.v6']], 'what they answered, to encode again');
    assert.ok(dropped.every((d) => d.ttlMs > 59_000 && d.ttlMs <= 60_000), 'with the time they had left');
    assert.equal(cache.get('api|1'), undefined);
    assert.equal(cache.get('api|28'), undefined);
    assert.ok(cache.get('web|1'));
    assert.ok(cache.get('example.com|1'));
    assert.equal(cache.invalidate('api').length, 0, 'nothing left to drop');
  });

  it('an answer built from two services goes when either changes', () => {
    const cache = new AnswerCache({ max: 100 });
    cache.set('both', entry(['api', 'web']), 60_000);
    assert.equal(cache.invalidate('web').length, 1);
    assert.equal(cache.get('both'), undefined);
    assert.equal(cache.invalidate('api').length, 0, 'the index forgot the key with the entry');
  });

  it('an answer replaced under the same key is indexed once', () => {
    const cache = new AnswerCache({ max: 100 });
    cache.set('k', entry(['api']), 60_000);
    cache.set('k', entry(['api']), 60_000);
    assert.equal(cache.invalidate('api').length, 1);
  });

  it('evicted answers leave the index too', () => {
    const cache = new AnswerCache({ max: 2 });
    cache.set('a', entry(['api']), 60_000);
    cache.set('b', entry(['web']), 60_000);
    cache.set('c', entry(['db']), 60_000);
    assert.equal(cache.size, 2);
    assert.equal(cache.invalidate('api').length, 0);
    assert.equal(cache.invalidate('web').length, 1);
  });

  it('an answer past its time is gone', () => {
    const cache = new AnswerCache({ max: 10 });
    cache.set('k', entry([]), 60_000);
    assert.ok(cache.get('k', Date.now() + 59_000));
    assert.equal(cache.get('k', Date.now() + 61_000), undefined);
    assert.equal(cache.size, 0, 'and no longer held');
  });

  it('a TTL of zero is not stored', () => {
    const cache = new AnswerCache({ max: 10 });
    cache.set('k', entry([]), 0);
    assert.equal(cache.get('k'), undefined);
  });

  it('a reload drops the answers whose form it picks', () => {
    const cache = new AnswerCache({ max: 10 });
    cache.set('a', entry([], undefined, 'www.example.com'), 60_000);
    cache.set('b', entry(['api'], undefined, 'api.service.local'), 60_000);
    assert.equal(cache.drop((f) => f.name.endsWith('.example.com')), 1);
    assert.equal(cache.get('a'), undefined);
    assert.ok(cache.get('b'));
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
  it('is a pure function of the form: the lowercased question plus size limit and EDNS flavour', () => {
    const plain = answerForm(parsed(query('ApI.Service.Local', 1)), 512);
    assert.deepEqual(plain, { name: 'api.service.local', type: 1, class: 1, limit: 512, edns: 'none' });
    assert.equal(cacheKey(plain), 'api.service.local|1|1|512|none');
    const keys = new Set([
      cacheKey(plain),
      cacheKey(answerForm(parsed(query('api.service.local', 28)), 512)),
      cacheKey(answerForm(parsed(query('api.service.local', 1)), 65535)),
      cacheKey(answerForm(parsed(query('api.service.local', 1, { edns: {} })), 512)),
      cacheKey(answerForm(parsed(query('api.service.local', 1, { edns: { dnssecOk: true } })), 512)),
    ]);
    assert.equal(keys.size, 5);
  });

  it("a form's question encodes the same answer as the query it came from", () => {
    const edns = parsed(query('api.service.local', 1, { edns: { dnssecOk: true } }));
    const again = formQuery(answerForm(edns, 1232));
    assert.deepEqual([again.name, again.type, again.class, again.edns?.dnssecOk], ['api.service.local', 1, 1, true]);
  });
});

describe('replyFromCache: the hot path patches ID, RD/CD and the question spelling only', () => {
  const addresses = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
  const records = addresses.map((address): ResourceRecord => ({ name: 'api.service.local', ttl: 5, type: 'A', address }));
  const stored = parsed(query('api.service.local', 1));
  const options = { limit: 512, authoritative: true, recursionAvailable: true };
  const encoded = encodeMovableAnswer(stored, { rcode: 0, answer: records, authority: [], additional: [] }, options);
  const rotating = (): CachedAnswer => ({ ...entry(['api'], Buffer.from(encoded.bytes)), records: encoded.records });

  it("answers with the client's ID, RD bit and spelling, in both record and question", () => {
    const msg = query('ApI.SeRvIcE.LoCaL', 1, { id: 0xabcd });
    msg.writeUInt16BE(0x0000, 2); // RD clear
    const decoded = dnsPacket.decode(replyFromCache(rotating(), msg, parsed(msg), Date.now()));
    assert.equal(decoded.id, 0xabcd);
    assert.equal(decoded.flag_rd, false);
    assert.ok(decoded.flag_aa && decoded.flag_ra);
    assert.equal(decoded.questions![0].name, 'ApI.SeRvIcE.LoCaL');
    assert.deepEqual(decoded.answers!.map((rr) => rr.name), ['ApI.SeRvIcE.LoCaL', 'ApI.SeRvIcE.LoCaL', 'ApI.SeRvIcE.LoCaL']);
  });

  it('rotates the answer records one step per reply from one stored encoding, which stays untouched', () => {
    const cached = rotating();
    const orders = Array.from({ length: 4 }, (_, i) => {
      const msg = query('api.service.local', 1, { id: i });
      const decoded = dnsPacket.decode(replyFromCache(cached, msg, parsed(msg), Date.now()));
      return decoded.answers!.map((rr) => (rr as dnsPacket.StringAnswer).data).join(' ');
    });
    assert.deepEqual(orders, ['10.0.0.1 10.0.0.2 10.0.0.3', '10.0.0.2 10.0.0.3 10.0.0.1', '10.0.0.3 10.0.0.1 10.0.0.2', '10.0.0.1 10.0.0.2 10.0.0.3']);
    assert.ok(cached.bytes.equals(encoded.bytes));
  });

  it('rotated SRV answers keep every name readable: nothing points into the moved records', () => {
    const srv = ['a.example.test', 'b.example.test', 'c.example.test'].map((target, i): ResourceRecord => ({ name: 'api.service.local', ttl: 5, type: 'SRV', priority: 10, weight: 1, port: 8080 + i, target }));
    const glue = srv.map((rr, i): ResourceRecord => ({ name: (rr as { target: string }).target, ttl: 5, type: 'A', address: `10.0.0.${i + 1}` }));
    const q = parsed(query('api.service.local', 33));
    const srvEncoded = encodeMovableAnswer(q, { rcode: 0, answer: srv, authority: [], additional: glue }, options);
    const cached: CachedAnswer = { ...entry(['api'], srvEncoded.bytes), records: srvEncoded.records };
    for (let i = 0; i < 3; i++) {
      const decoded = dnsPacket.decode(replyFromCache(cached, query('api.service.local', 33), q, Date.now()));
      const targets = decoded.answers!.map((rr) => (rr as dnsPacket.SrvAnswer).data.target);
      assert.deepEqual([...targets].sort(), ['a.example.test', 'b.example.test', 'c.example.test']);
      assert.equal(targets[0], ['a', 'b', 'c'][i] + '.example.test');
      assert.deepEqual(decoded.additionals!.map((rr) => `${rr.name} ${(rr as dnsPacket.StringAnswer).data}`), ['a.example.test 10.0.0.1', 'b.example.test 10.0.0.2', 'c.example.test 10.0.0.3']);
    }
  });

  it('counts down the TTLs of forwarded answers as they age', () => {
    const bytes = Buffer.from(encoded.bytes);
    const offsets = [12 + 19 + 4 + 6, 12 + 19 + 4 + 16 + 6];
    const cached: CachedAnswer = { ...entry([], bytes), ttls: { offsets, values: [300, 5], storedAt: 1_000_000 } };
    const msg = query('api.service.local', 1);
    const decoded = dnsPacket.decode(replyFromCache(cached, msg, parsed(msg), 1_000_000 + 10_500));
    assert.deepEqual(decoded.answers!.map((rr) => (rr as dnsPacket.StringAnswer).ttl), [290, 0, 5]);
  });
});
