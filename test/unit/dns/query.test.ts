import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseQuery, udpLimit, type Query } from '../../../src/dns/query.js';
import { dottedName, header, opt, query, u16, wireName } from '../../harness/wire.js';

function parsedQuery(msg: Buffer): Query {
  const parsed = parseQuery(msg);
  assert.equal(parsed.kind, 'query', `expected a query, got ${JSON.stringify(parsed)}`);
  return (parsed as { query: Query }).query;
}

describe('parseQuery: well-formed queries', () => {
  it('reads ID, flags, the lowercased name, type, class and where the question ends', () => {
    const msg = query('ApI.SeRvIcE.LoCaL', 33, { id: 0xbeef });
    const q = parsedQuery(msg);
    assert.equal(q.id, 0xbeef);
    assert.equal(q.flags, 0x0100);
    assert.equal(q.name, 'api.service.local');
    assert.equal(q.type, 33);
    assert.equal(q.class, 1);
    assert.equal(q.nameEnd, 12 + 19);
    assert.equal(q.questionEnd, 12 + 19 + 4);
    assert.equal(q.edns, undefined);
  });

  it('reads the root name as the empty string', () => {
    assert.equal(parsedQuery(query('', 2)).name, '');
  });

  it('escapes bytes outside letters, digits, "-", "_" and "*" so no two names share a key', () => {
    const msg = Buffer.concat([header(), wireName(Buffer.from('a.b'), 'local'), u16(1, 1)]);
    assert.equal(parsedQuery(msg).name, 'a\\046b.local');
  });

  it('reads EDNS: the UDP size, the version and the DO bit', () => {
    const q = parsedQuery(query('api.service.local', 1, { edns: { udpSize: 4096, dnssecOk: true } }));
    assert.deepEqual(q.edns, { udpSize: 4096, version: 0, dnssecOk: true });
  });

  it('finds the OPT record after other additional records, including compressed ones', () => {
    const other = Buffer.concat([u16(0xc00c, 1, 1, 0, 30, 4), Buffer.from([10, 0, 0, 1])]);
    const msg = Buffer.concat([header({ arcount: 2 }), dottedName('api.service.local'), u16(1, 1), other, opt({ udpSize: 1400 })]);
    assert.equal(parsedQuery(msg).edns?.udpSize, 1400);
  });
});

describe('parseQuery: input that is not a plain query', () => {
  const name = dottedName('api.service.local');
  const longName = wireName(...Array.from({ length: 5 }, () => 'x'.repeat(63)));
  const cases: { title: string; msg: Buffer; kind: string; reason: RegExp }[] = [
    { title: 'shorter than a header', msg: Buffer.alloc(11), kind: 'drop', reason: /header/ },
    { title: 'a response (QR=1)', msg: Buffer.concat([header({ flags: 0x8100 }), name, u16(1, 1)]), kind: 'drop', reason: /response/ },
    { title: 'opcode STATUS', msg: Buffer.concat([header({ flags: 2 << 11 }), name, u16(1, 1)]), kind: 'notimp', reason: /opcode 2/ },
    { title: 'opcode NOTIFY', msg: Buffer.concat([header({ flags: 4 << 11 }), name, u16(6, 1)]), kind: 'notimp', reason: /opcode 4/ },
    { title: 'opcode UPDATE', msg: Buffer.concat([header({ flags: 5 << 11 }), name, u16(6, 1)]), kind: 'notimp', reason: /opcode 5/ },
    { title: 'no question', msg: header({ qdcount: 0 }), kind: 'formerr', reason: /QDCOUNT 0/ },
    { title: 'two questions', msg: Buffer.concat([header({ qdcount: 2 }), name, u16(1, 1), name, u16(28, 1)]), kind: 'formerr', reason: /QDCOUNT 2/ },
    { title: 'a compression pointer in the question', msg: Buffer.concat([header(), Buffer.from([3, 0x61, 0x70, 0x69, 0xc0, 0x0c]), u16(1, 1)]), kind: 'formerr', reason: /pointer/ },
    { title: 'a name longer than 255 bytes', msg: Buffer.concat([header(), longName, u16(1, 1)]), kind: 'formerr', reason: /255/ },
    { title: 'a label longer than 63 bytes', msg: Buffer.concat([header(), Buffer.from([64]), Buffer.alloc(64, 0x61), Buffer.from([0]), u16(1, 1)]), kind: 'formerr', reason: /reserved label type/ },
    { title: 'a name cut short', msg: Buffer.concat([header(), Buffer.from([3, 0x61, 0x70])]), kind: 'formerr', reason: /cut short/ },
    { title: 'a name without its terminating zero', msg: Buffer.concat([header(), Buffer.from([3, 0x61, 0x70, 0x69])]), kind: 'formerr', reason: /cut short/ },
    { title: 'a question without type and class', msg: Buffer.concat([header(), name, u16(1)]), kind: 'formerr', reason: /question cut short/ },
    { title: 'an additional record cut short', msg: Buffer.concat([header({ arcount: 1 }), name, u16(1, 1), Buffer.from([0, 0, 41])]), kind: 'formerr', reason: /cut short/ },
    { title: 'an OPT record whose data runs past the end', msg: Buffer.concat([header({ arcount: 1 }), name, u16(1, 1), opt().subarray(0, 9), u16(20)]), kind: 'formerr', reason: /data cut short/ },
    { title: 'more records announced than present', msg: Buffer.concat([header({ arcount: 3 }), name, u16(1, 1), opt()]), kind: 'formerr', reason: /cut short/ },
    { title: 'two OPT records', msg: Buffer.concat([header({ arcount: 2 }), name, u16(1, 1), opt(), opt()]), kind: 'formerr', reason: /more than one OPT/ },
    { title: 'EDNS version 1', msg: query('api.service.local', 1, { edns: { version: 1 } }), kind: 'badvers', reason: /version 1/ },
  ];
  for (const { title, msg, kind, reason } of cases) {
    it(`${kind}: ${title}`, () => {
      const parsed = parseQuery(msg);
      assert.equal(parsed.kind, kind);
      assert.match((parsed as { reason: string }).reason, reason);
      if (parsed.kind !== 'drop' && parsed.kind !== 'query') assert.equal(parsed.id, 0x1234, 'the ID is kept so the error can be answered');
    });
  }

  it('BADVERS keeps the question so the answer can echo it', () => {
    const parsed = parseQuery(query('api.service.local', 1, { edns: { version: 1 } }));
    assert.equal(parsed.kind === 'badvers' && parsed.question?.name, 'api.service.local');
  });
});

describe('udpLimit', () => {
  const cases: { title: string; edns?: number; limit: number }[] = [
    { title: 'no EDNS: the classic 512 bytes', limit: 512 },
    { title: 'EDNS 4096 is capped at 1232 (DNS Flag Day 2020)', edns: 4096, limit: 1232 },
    { title: 'EDNS 1232', edns: 1232, limit: 1232 },
    { title: 'EDNS 1000 is honoured', edns: 1000, limit: 1000 },
    { title: 'EDNS below 512 counts as 512 (RFC 6891 6.2.5)', edns: 100, limit: 512 },
  ];
  for (const { title, edns, limit } of cases) {
    it(title, () => {
      const q = parsedQuery(query('a.service.local', 1, edns === undefined ? {} : { edns: { udpSize: edns } }));
      assert.equal(udpLimit(q), limit);
    });
  }
});
