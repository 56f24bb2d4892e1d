import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeAnswer } from '../../../src/dns/response.js';
import { encodeSubnetEcho, subnetNetwork, type ClientSubnet } from '../../../src/dns/ecs.js';
import { parseQuery, type Query } from '../../../src/dns/query.js';
import { query, u16 } from '../../harness/wire.js';

/** An EDNS option: code, length, data. */
function option(code: number, data: Buffer): Buffer {
  return Buffer.concat([u16(code, data.length), data]);
}

/** A Client Subnet option's data: family, source prefix, scope prefix, address octets. */
function subnet(family: number, source: number, scope: number, ...octets: number[]): Buffer {
  return Buffer.concat([u16(family), Buffer.from([source, scope, ...octets])]);
}

function ask(...options: Buffer[]): ReturnType<typeof parseQuery> {
  return parseQuery(query('api.service.local', 1, { edns: { rdata: Buffer.concat(options) } }));
}

function ecsOf(...options: Buffer[]): ClientSubnet | undefined {
  const parsed = ask(...options);
  assert.equal(parsed.kind, 'query', JSON.stringify(parsed));
  return (parsed as { query: Query }).query.ecs;
}

describe('EDNS Client Subnet in queries (RFC 7871)', () => {
  it('reads family, source prefix, the address and where its octets are', () => {
    const msg = query('api.service.local', 1, { edns: { rdata: Buffer.concat([option(10, Buffer.from('cookie12')), option(8, subnet(1, 24, 0, 192, 0, 2))]) } });
    const ecs = (parseQuery(msg) as { query: Query }).query.ecs;
    assert.deepEqual({ ...ecs, addressOffset: undefined }, { family: 1, sourcePrefix: 24, address: '192.0.2.0', addressOffset: undefined, addressLength: 3 });
    assert.deepEqual([...msg.subarray(ecs!.addressOffset, ecs!.addressOffset + 3)], [192, 0, 2]);
  });

  it('reads IPv6, odd prefixes and the zero-length subnet (do not use my address)', () => {
    assert.equal(ecsOf(option(8, subnet(2, 56, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0x12)))?.address, '2001:db8:0:1200:0:0:0:0');
    assert.equal(ecsOf(option(8, subnet(1, 23, 0, 10, 1, 2)))?.address, '10.1.2.0');
    assert.deepEqual(ecsOf(option(8, subnet(1, 0, 0)))?.sourcePrefix, 0);
    assert.equal(ecsOf(option(10, Buffer.from('cookie12'))), undefined);
  });

  const malformed: [string, Buffer, RegExp][] = [
    ['an unknown family', option(8, subnet(3, 0, 0)), /unknown family 3/],
    ['too few address octets', option(8, subnet(1, 24, 0, 192, 0)), /2 bytes for source prefix 24/],
    ['too many address octets', option(8, subnet(1, 16, 0, 192, 0, 2)), /3 bytes for source prefix 16/],
    ['bits set past the source prefix', option(8, subnet(1, 23, 0, 10, 1, 3)), /bits set past source prefix 23/],
    ['a source prefix longer than the address', option(8, subnet(1, 33, 0, 1, 2, 3, 4, 5)), /longer than an address/],
    ['a scope prefix in a query', option(8, subnet(1, 24, 24, 192, 0, 2)), /scope prefix 24 in a query/],
    ['fewer than 4 bytes', option(8, Buffer.from([0, 1, 24])), /shorter than 4 bytes/],
    ['two of them', Buffer.concat([option(8, subnet(1, 0, 0)), option(8, subnet(1, 0, 0))]), /more than one/],
  ];
  for (const [what, data, reason] of malformed) {
    it(`FORMERR for ${what}`, () => {
      const parsed = ask(data);
      assert.equal(parsed.kind, 'formerr');
      assert.match((parsed as { reason: string }).reason, reason);
    });
  }

  it('ignores a broken option that is not a Client Subnet, as before', () => {
    assert.equal(ask(Buffer.from([0, 10, 0, 9, 1])).kind, 'query');
  });
});

describe('EDNS Client Subnet in answers', () => {
  it('echoes family, source prefix and scope last in OPT, with zeros for the address octets', () => {
    assert.deepEqual([...encodeSubnetEcho({ family: 1, sourcePrefix: 24, scopePrefix: 16 })], [0, 8, 0, 7, 0, 1, 24, 16, 0, 0, 0]);
    const q = (ask(option(8, subnet(1, 24, 0, 192, 0, 2))) as { query: Query }).query;
    const bytes = encodeAnswer(q, { rcode: 0, answer: [{ name: q.name, ttl: 5, type: 'A', address: '10.0.0.1' }], authority: [], additional: [] }, {
      limit: 1232,
      authoritative: true,
      recursionAvailable: false,
      subnet: { family: 1, sourcePrefix: 24, scopePrefix: 0 },
    });
    assert.deepEqual([...bytes.subarray(-11)], [0, 8, 0, 7, 0, 1, 24, 0, 0, 0, 0]);
  });

  it('gives --max-answers the subnet as the client network, at most a /24 (IPv6 /56)', () => {
    const v4 = (source: number, ...octets: number[]) => subnetNetwork(ecsOf(option(8, subnet(1, source, 0, ...octets)))!);
    assert.deepEqual(v4(32, 10, 1, 2, 3), { network: '10.1.2.0/24', prefix: 24 });
    assert.deepEqual(v4(16, 10, 1), { network: '10.1.0.0/16', prefix: 16 });
    assert.deepEqual(v4(0), { network: '0.0.0.0/0', prefix: 0 });
    const v6 = subnetNetwork(ecsOf(option(8, subnet(2, 64, 0, 0xfd, 0, 0, 1, 0, 2, 0x01, 0xff)))!);
    assert.deepEqual(v6, { network: 'fd000001000201/56', prefix: 56 });
  });
});
