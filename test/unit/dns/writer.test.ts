import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { parseQuery, type Query } from '../../../src/dns/query.js';
import type { ResourceRecord, ZoneAnswer } from '../../../src/dns/records.js';
import { encodeAnswer, encodeQuery, encodeRcode } from '../../../src/dns/response.js';
import { ipv6Bytes } from '../../../src/dns/writer.js';
import { query } from '../../harness/wire.js';

function parsed(msg: Buffer): Query {
  const result = parseQuery(msg);
  if (result.kind !== 'query') throw new Error(`not a query: ${result.reason}`);
  return result.query;
}

const zoneOptions = { limit: 65535, authoritative: true, recursionAvailable: true };

function answerOf(answer: ResourceRecord[], authority: ResourceRecord[] = [], additional: ResourceRecord[] = []): ZoneAnswer {
  return { rcode: 0, answer, authority, additional };
}

describe('encodeAnswer: golden bytes', () => {
  it('writes a one-record answer exactly, the owner name pointing at the question', () => {
    const q = parsed(query('a.b', 1));
    const bytes = encodeAnswer(q, answerOf([{ name: 'a.b', ttl: 5, type: 'A', address: '10.0.0.1' }]), zoneOptions);
    const golden = Buffer.from(
      [
        '1234 8580 0001 0001 0000 0000', // ID, QR AA RD RA, one question, one answer
        '0161 0162 00 0001 0001', // a.b A IN
        'c00c 0001 0001 00000005 0004 0a000001', // pointer to the question, A IN, TTL 5, 10.0.0.1
      ]
        .join('')
        .replace(/\s/g, ''),
      'hex',
    );
    assert.equal(bytes.toString('hex'), golden.toString('hex'));
  });
});

describe('encodeAnswer: every record type decodes with dns-packet (an independent codec)', () => {
  const records: ResourceRecord[] = [
    { name: 'api.service.local', ttl: 5, type: 'A', address: '10.0.0.1' },
    { name: 'api.service.local', ttl: 5, type: 'AAAA', address: 'fd00::3' },
    { name: 'api.service.local', ttl: 7, type: 'SRV', priority: 10, weight: 5, port: 8081, target: '0a000002.addr.service.local' },
    { name: 'api.service.local', ttl: 9, type: 'TXT', text: ['v=1', 'hello world'] },
    { name: 'service.local', ttl: 5, type: 'NS', host: 'ns.service.local' },
  ];
  const soa: ResourceRecord = {
    name: 'service.local',
    ttl: 5,
    type: 'SOA',
    mname: 'ns.service.local',
    rname: 'hostmaster.service.local',
    serial: 4_000_000_000,
    refresh: 3600,
    retry: 600,
    expire: 86400,
    minimum: 5,
  };
  const glue: ResourceRecord = { name: '0a000002.addr.service.local', ttl: 5, type: 'A', address: '10.0.0.2' };
  const q = parsed(query('api.service.local', 255, { edns: { udpSize: 4096 } }));
  const bytes = encodeAnswer(q, answerOf(records, [soa], [glue]), zoneOptions);
  const decoded = dnsPacket.decode(bytes);

  it('has the header flags and the question', () => {
    assert.equal(decoded.id, 0x1234);
    assert.equal(decoded.type, 'response');
    assert.ok(decoded.flag_aa && decoded.flag_rd && decoded.flag_ra && !decoded.flag_tc);
    assert.deepEqual(decoded.questions, [{ name: 'api.service.local', type: 'ANY', class: 'IN' }]);
  });

  it('round-trips each answer record', () => {
    const answers = decoded.answers!.map((rr) => ({ name: rr.name, type: rr.type, ttl: (rr as { ttl: number }).ttl, data: (rr as { data: unknown }).data }));
    assert.deepEqual(answers, [
      { name: 'api.service.local', type: 'A', ttl: 5, data: '10.0.0.1' },
      { name: 'api.service.local', type: 'AAAA', ttl: 5, data: 'fd00::3' },
      { name: 'api.service.local', type: 'SRV', ttl: 7, data: { priority: 10, weight: 5, port: 8081, target: '0a000002.addr.service.local' } },
      { name: 'api.service.local', type: 'TXT', ttl: 9, data: [Buffer.from('v=1'), Buffer.from('hello world')] },
      { name: 'service.local', type: 'NS', ttl: 5, data: 'ns.service.local' },
    ]);
  });

  it('round-trips the SOA in the authority section', () => {
    const [authority] = decoded.authorities as dnsPacket.SoaAnswer[];
    assert.equal(authority.type, 'SOA');
    assert.deepEqual(authority.data, {
      mname: 'ns.service.local',
      rname: 'hostmaster.service.local',
      serial: 4_000_000_000,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: 5,
    });
  });

  it('puts the glue and one OPT record advertising 1232 bytes in the additional section', () => {
    const additionals = decoded.additionals!;
    assert.deepEqual(
      additionals.filter((rr) => rr.type === 'A').map((rr) => [rr.name, (rr as dnsPacket.StringAnswer).data]),
      [['0a000002.addr.service.local', '10.0.0.2']],
    );
    const opts = additionals.filter((rr): rr is dnsPacket.OptAnswer => rr.type === 'OPT');
    assert.equal(opts.length, 1);
    assert.equal(opts[0].udpPayloadSize, 1232);
    assert.equal(opts[0].ednsVersion, 0);
  });

  it('writes the SRV target uncompressed (RFC 2782) though its suffix was written before', () => {
    const target = Buffer.from('08306130303030303204616464720773657276696365056c6f63616c00', 'hex');
    const srvAt = bytes.indexOf(Buffer.from([0x00, 0x21, 0x00, 0x01])); // TYPE SRV, CLASS IN
    const rdlength = bytes.readUInt16BE(srvAt + 8);
    assert.equal(rdlength, 6 + target.length);
    assert.ok(bytes.subarray(srvAt + 16, srvAt + 16 + target.length).equals(target));
  });

  it('compresses names elsewhere: the glue owner points at the SRV target', () => {
    const uncompressed = dnsPacket.encode({ ...decoded, type: 'response' });
    assert.ok(bytes.length < uncompressed.length, `${bytes.length} bytes, uncompressed ${uncompressed.length}`);
  });
});

describe('encodeAnswer: size limits', () => {
  const many = (count: number): ResourceRecord[] =>
    Array.from({ length: count }, (_, i) => ({ name: 'api.service.local', ttl: 5, type: 'A', address: `10.0.${i >> 8}.${i & 255}` }));

  it('an A record costs 16 bytes once its owner is compressed', () => {
    const q = parsed(query('api.service.local', 1));
    const one = encodeAnswer(q, answerOf(many(1)), zoneOptions).length;
    const hundred = encodeAnswer(q, answerOf(many(100)), zoneOptions).length;
    assert.equal(hundred - one, 99 * 16);
  });

  it('sends an answer over the limit empty with TC=1, keeping question and OPT', () => {
    const q = parsed(query('api.service.local', 1, { edns: { udpSize: 1232 } }));
    const bytes = encodeAnswer(q, answerOf(many(100)), { ...zoneOptions, limit: 1232 });
    const decoded = dnsPacket.decode(bytes);
    assert.ok(decoded.flag_tc);
    assert.equal(decoded.answers!.length, 0);
    assert.equal(decoded.questions![0].name, 'api.service.local');
    assert.deepEqual(decoded.additionals!.map((rr) => rr.type), ['OPT']);
  });

  it('truncates rather than throws when the answer would pass 65,535 bytes', () => {
    const q = parsed(query('api.service.local', 1));
    const decoded = dnsPacket.decode(encodeAnswer(q, answerOf(many(5000)), zoneOptions));
    assert.ok(decoded.flag_tc);
    assert.equal(decoded.answers!.length, 0);
  });

  it('keeps RD and CD of the query and sets the rcode', () => {
    const msg = query('gone.service.local', 1);
    msg.writeUInt16BE(0x0110, 2); // RD + CD
    const bytes = encodeAnswer(parsed(msg), { rcode: 3, answer: [], authority: [], additional: [] }, { ...zoneOptions, recursionAvailable: false });
    assert.equal(bytes.readUInt16BE(2), 0x8000 | 0x0400 | 0x0100 | 0x0010 | 3);
  });
});

describe('encodeRcode and encodeQuery', () => {
  it('FORMERR without a readable question: header only, RD kept', () => {
    const bytes = encodeRcode({ id: 7, flags: 0x0100 }, 1);
    assert.equal(bytes.toString('hex'), '000781010000000000000000');
  });

  it('NOTIMP echoes the opcode', () => {
    const bytes = encodeRcode({ id: 7, flags: 4 << 11 }, 4);
    assert.equal(bytes.readUInt16BE(2), 0x8000 | (4 << 11) | 4);
  });

  it('BADVERS splits rcode 16 between the header (0) and the OPT record (1)', () => {
    const q = parsed(query('a.b', 1, { edns: { udpSize: 1232 } }));
    const decoded = dnsPacket.decode(encodeRcode(q, 16, q));
    assert.equal(decoded.flags! & 0xf, 0);
    const [optRecord] = decoded.additionals as dnsPacket.OptAnswer[];
    assert.equal(optRecord.extendedRcode, 1);
  });

  it('echoes the DO bit of the query in the OPT record (RFC 3225)', () => {
    for (const dnssecOk of [true, false]) {
      const q = parsed(query('a.b', 1, { edns: { dnssecOk } }));
      const [optRecord] = dnsPacket.decode(encodeAnswer(q, answerOf([]), zoneOptions)).additionals as dnsPacket.OptAnswer[];
      assert.equal(optRecord.flag_do, dnssecOk);
    }
  });

  it('a forwarded query asks for recursion and advertises EDNS with the DO bit when asked', () => {
    const decoded = dnsPacket.decode(encodeQuery('example.com', 28, 1, { dnssecOk: true }));
    assert.ok(decoded.flag_rd);
    assert.deepEqual(decoded.questions, [{ name: 'example.com', type: 'AAAA', class: 'IN' }]);
    const [optRecord] = decoded.additionals as dnsPacket.OptAnswer[];
    assert.equal(optRecord.udpPayloadSize, 1232);
    assert.equal(optRecord.flag_do, true);
  });
});

describe('ipv6Bytes', () => {
  const cases: [string, string][] = [
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['fd00::3', 'fd000000000000000000000000000003'],
    ['2001:db8::1:0:0:1', '20010db8000000000001000000000001'],
    ['2001:db8:0:0:0:0:2:1', '20010db8000000000000000000020001'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
    ['fe80::1%eth0', 'fe800000000000000000000000000001'],
  ];
  for (const [text, hex] of cases) {
    it(text, () => assert.equal(ipv6Bytes(text).toString('hex'), hex));
  }
});
