import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RRType } from '../../../src/dns/constants.js';
import { DEFAULT_PRIORITY, DEFAULT_WEIGHT, type SourceProvider } from '../../../src/registry/provider.js';
import { HostAddresses } from '../../../src/zone/host-addresses.js';
import { reverseAddress } from '../../../src/zone/names.js';
import { ReverseIndex, reverseDependencies } from '../../../src/zone/reverse-index.js';
import { ServiceZone } from '../../../src/zone/service-zone.js';
import { writableRegistry } from '../../harness/registry.js';

const provider = (host: string, port = 80): SourceProvider => ({ host, port, priority: DEFAULT_PRIORITY, weight: DEFAULT_WEIGHT, tags: [], origin: 'test' });
const V6_NAME = '3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa';

describe('reverseAddress: the address of a reverse name, in addressToHex form', () => {
  const cases: [string, string | undefined][] = [
    ['1.0.0.10.in-addr.arpa', '0a000001'],
    ['255.1.168.192.in-addr.arpa', 'c0a801ff'],
    [V6_NAME, 'fd000000000000000000000000000003'],
    ['0.10.in-addr.arpa', undefined],
    ['256.0.0.10.in-addr.arpa', undefined],
    ['01.0.0.10.in-addr.arpa', undefined],
    ['x.0.0.10.in-addr.arpa', undefined],
    ['1.1.0.0.10.in-addr.arpa', undefined],
    ['d.f.ip6.arpa', undefined],
    [V6_NAME.replace('3', 'g'), undefined],
    ['in-addr.arpa', undefined],
    ['1.0.0.10.example.com', undefined],
  ];
  for (const [name, expected] of cases) {
    it(`${name} -> ${expected ?? 'not an address'}`, () => assert.equal(reverseAddress(name), expected));
  }
});

describe('ReverseIndex and PTR answers', () => {
  function setup() {
    const { registry, write } = writableRegistry('file');
    const index = new ReverseIndex(registry);
    const changed: string[] = [];
    index.onChange((dependency) => changed.push(dependency));
    const hosts = new HostAddresses(async () => Promise.reject(new Error('no lookups here')), { failureTtlMs: 1000, minTtlMs: 1000, maxTtlMs: 1000, idleMs: 1000 });
    const zone = new ServiceZone({ domain: 'service.local', ttl: 5, hostWaitMs: 100, maxAnswers: 0 }, registry, hosts, index);
    return { registry, write, index, changed, zone };
  }
  const ptrs = (zone: ServiceZone, name: string) => zone.answerNow(name, RRType.PTR).answer.answer.map((rr) => (rr.type === 'PTR' ? rr.host : rr.type));

  it('one PTR per service at an address, IPv4 and IPv6; hostnames are not indexed', () => {
    const { write, index, zone } = setup();
    write('api', [provider('10.0.0.1'), provider('fd00::3'), provider('web.example.test')]);
    write('db', [provider('10.0.0.1', 5432)]);
    assert.deepEqual(ptrs(zone, '1.0.0.10.in-addr.arpa'), ['api.service.local', 'db.service.local']);
    assert.deepEqual(ptrs(zone, V6_NAME), ['api.service.local']);
    assert.ok(index.answers('1.0.0.10.in-addr.arpa'));
    assert.ok(!index.answers('2.0.0.10.in-addr.arpa'));
    const result = zone.answerNow('1.0.0.10.in-addr.arpa', RRType.PTR);
    assert.deepEqual(result.services, ['api', 'db', 'reverse:0a000001']);
    assert.deepEqual(zone.answerNow('1.0.0.10.in-addr.arpa', RRType.A).answer, { rcode: 0, answer: [], authority: [], additional: [] });
  });

  it("a dual-stack provider's other-family address has the reverse name too", () => {
    const { write, zone } = setup();
    write('web', [{ ...provider('fd00::3'), otherFamilyAddress: '10.0.0.1' }]);
    assert.deepEqual(ptrs(zone, V6_NAME), ['web.service.local']);
    assert.deepEqual(ptrs(zone, '1.0.0.10.in-addr.arpa'), ['web.service.local']);
  });

  it('a change tells the old and the new address, and nothing when the addresses stay', () => {
    const { write, index, changed, zone } = setup();
    write('api', [provider('10.0.0.1')]);
    write('api', [provider('10.0.0.1', 8080)]);
    assert.deepEqual(changed, ['reverse:0a000001']);
    write('api', [provider('10.0.0.2')]);
    assert.deepEqual(changed, ['reverse:0a000001', 'reverse:0a000001', 'reverse:0a000002']);
    assert.ok(!index.answers('1.0.0.10.in-addr.arpa'));
    assert.equal(zone.answerNow('1.0.0.10.in-addr.arpa', RRType.PTR).answer.rcode, 3);
  });

  it('forwarded answers of reverse names depend on their address; other names on nothing', () => {
    assert.deepEqual(reverseDependencies('1.0.0.10.in-addr.arpa'), ['reverse:0a000001']);
    assert.deepEqual(reverseDependencies('example.com'), []);
  });
});
