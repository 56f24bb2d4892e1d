import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { parseQuery, type Query } from '../../../src/dns/query.js';
import { encodeAnswer, encodeRcode } from '../../../src/dns/response.js';
import { refuseTransfer } from '../../../src/zone/transfer.js';
import { query } from '../../harness/wire.js';

function parsed(msg: Buffer): Query {
  const result = parseQuery(msg);
  if (result.kind !== 'query') throw new Error(`not a query: ${result.reason}`);
  return result.query;
}

/** The EDE options (code 15) of a message's OPT record, decoded by dns-packet: INFO-CODE and EXTRA-TEXT. */
function edeOf(message: Buffer): { code: number; text: string }[] {
  const opt = (dnsPacket.decode(message).additionals ?? []).find((r) => r.type === 'OPT') as dnsPacket.OptAnswer | undefined;
  // dns-packet's types list only the options it decodes; others come as { code, data }.
  const options = (opt?.options ?? []) as unknown as { code: number; data: Buffer }[];
  return options.filter((o) => o.code === 15).map((o) => ({ code: o.data.readUInt16BE(0), text: o.data.subarray(2).toString('utf8') }));
}

describe('Extended DNS Errors (RFC 8914) in the OPT record', () => {
  const errors = [
    { code: 3, text: 'source zookeeper is not connected' },
    { code: 22, text: 'no answer from 127.0.0.1:9' },
  ];

  it('golden bytes: option 15, length, INFO-CODE, EXTRA-TEXT after the OPT header', () => {
    const q = parsed(query('a.b', 1, { edns: { udpSize: 1232 } }));
    const bytes = encodeRcode(q, 5, q, false, [{ code: 18, text: 'no' }]);
    // root, OPT, 1232, ext-rcode 0, version 0, flags 0, RDLENGTH 8 | code 15, length 4, 18, "no"
    assert.equal(bytes.subarray(-19).toString('hex'), ['00', '0029', '04d0', '00', '00', '0000', '0008', '000f', '0004', '0012', '6e6f'].join(''));
  });

  it('every error is one option, in order, in answers and rcode-only answers', () => {
    const q = parsed(query('a.b', 1, { edns: { udpSize: 1232 } }));
    const answer = encodeAnswer(q, { rcode: 0, answer: [{ name: 'a.b', ttl: 5, type: 'A', address: '10.0.0.1' }], authority: [], additional: [], errors }, { limit: 1232, authoritative: true, recursionAvailable: false });
    assert.deepEqual(edeOf(answer), errors);
    assert.deepEqual(edeOf(encodeRcode(q, 2, q, true, errors)), errors);
  });

  it('kept in the empty TC=1 answer of an answer too large for UDP', () => {
    const q = parsed(query('a.b', 1, { edns: { udpSize: 512 } }));
    const records = Array.from({ length: 60 }, (_, i) => ({ name: 'a.b', ttl: 5, type: 'A' as const, address: `10.0.0.${i}` }));
    const bytes = encodeAnswer(q, { rcode: 0, answer: records, authority: [], additional: [], errors }, { limit: 512, authoritative: true, recursionAvailable: false });
    assert.ok(dnsPacket.decode(bytes).flag_tc);
    assert.deepEqual(edeOf(bytes), errors);
  });

  it('left out for a client that sent no OPT record (RFC 6891: no OPT in the answer)', () => {
    const q = parsed(query('a.b', 1));
    assert.equal(dnsPacket.decode(encodeRcode(q, 5, q, false, errors)).additionals?.length ?? 0, 0);
  });
});

describe('refuseTransfer: AXFR/IXFR while no transfers are configured', () => {
  const cases = [
    { name: 'service.local', rcode: 5, code: 18, text: 'zone transfers of service.local are not allowed' },
    { name: 'api.service.local', rcode: 9, code: 20, text: 'api.service.local is not a zone; the zone is service.local' },
  ];
  for (const { name, rcode, code, text } of cases) {
    it(`${name}: rcode ${rcode}, EDE ${code}`, () => {
      assert.deepEqual(refuseTransfer(name, 'service.local'), { rcode, errors: [{ code, text }] });
    });
  }
});
