import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressToHex, classify, type ZoneName } from '../../../src/zone/names.js';

describe('classify: the name forms under the domain', () => {
  const domain = 'service.local';
  const cases: [string, ZoneName | undefined][] = [
    ['service.local', { kind: 'apex' }],
    ['api.service.local', { kind: 'service', service: 'api' }],
    ['canary.api.service.local', { kind: 'service', service: 'api', tags: ['canary'] }],
    ['v2.canary.api.service.local', { kind: 'service', service: 'api', tags: ['v2', 'canary'] }],
    ['a.b.c.api.service.local', { kind: 'service', service: 'api', tags: ['a', 'b', 'c'] }],
    ['_api._tcp.service.local', { kind: 'srv', service: 'api' }],
    ['_api._udp.service.local', { kind: 'srv', service: 'api' }],
    ['_api._canary.service.local', { kind: 'srv', service: 'api', tags: ['canary'] }],
    ['_http._tcp.api.service.local', { kind: 'srv', service: 'api', endpoint: 'http' }],
    ['0a000001.addr.service.local', { kind: 'addr', address: '10.0.0.1' }],
    ['fd000000000000000000000000000003.addr.service.local', { kind: 'addr', address: 'fd00:0:0:0:0:0:0:3' }],
    ['addr.service.local', { kind: 'empty' }],
    ['_tcp.api.service.local', { kind: 'empty' }],
    ['0a0001.addr.service.local', { kind: 'none' }],
    ['xyz12345.addr.service.local', { kind: 'none' }],
    ['_api.service.local', { kind: 'none' }],
    ['_api.tcp.service.local', { kind: 'none' }],
    ['__._tcp.service.local', { kind: 'none' }],
    ['_x.canary.api.service.local', { kind: 'none' }],
    ['canary._tcp.api.service.local', { kind: 'none' }],
    ['canary._http._tcp.api.service.local', { kind: 'none' }],
    ['_http._tcp.canary.api.service.local', { kind: 'none' }],
    ['canary._api._tcp.service.local', { kind: 'none' }],
    ['x.0a000001.addr.service.local', { kind: 'none' }],
    ['canary.addr.service.local', { kind: 'none' }],
    ['a\\046b.service.local', { kind: 'none' }],
    ['myservice.local', undefined],
    ['example.com', undefined],
    ['local', undefined],
  ];
  for (const [name, expected] of cases) {
    it(`${name} -> ${expected ? JSON.stringify(expected) : 'outside the domain'}`, () => {
      assert.deepEqual(classify(name, domain), expected);
    });
  }

  it('works under any domain, such as service.internal', () => {
    assert.deepEqual(classify('canary.api.service.internal', 'service.internal'), { kind: 'service', service: 'api', tags: ['canary'] });
    assert.equal(classify('api.service.local', 'service.internal'), undefined);
  });
});

describe('classify with datacenters east and west: each a sub-zone', () => {
  const domain = 'service.local';
  const datacenters = new Set(['east', 'west']);
  const cases: [string, ZoneName | undefined][] = [
    ['api.west.service.local', { kind: 'service', service: 'api', datacenter: 'west' }],
    ['canary.api.west.service.local', { kind: 'service', service: 'api', tags: ['canary'], datacenter: 'west' }],
    ['v2.canary.api.east.service.local', { kind: 'service', service: 'api', tags: ['v2', 'canary'], datacenter: 'east' }],
    ['_api._tcp.west.service.local', { kind: 'srv', service: 'api', datacenter: 'west' }],
    ['_api._canary.west.service.local', { kind: 'srv', service: 'api', tags: ['canary'], datacenter: 'west' }],
    ['_http._tcp.api.west.service.local', { kind: 'srv', service: 'api', endpoint: 'http', datacenter: 'west' }],
    ['west.west.service.local', { kind: 'service', service: 'west', datacenter: 'west' }],
    ['west.service.local', { kind: 'empty' }],
    ['_tcp.api.west.service.local', { kind: 'empty' }],
    ['api.service.local', { kind: 'service', service: 'api' }],
    ['api.south.service.local', { kind: 'service', service: 'south', tags: ['api'] }],
    ['0a000001.addr.west.service.local', { kind: 'none' }],
    ['addr.west.service.local', { kind: 'none' }],
    ['0a000001.addr.service.local', { kind: 'addr', address: '10.0.0.1' }],
    ['_x.api.west.service.local', { kind: 'none' }],
  ];
  for (const [name, expected] of cases) {
    it(`${name} -> ${expected ? JSON.stringify(expected) : 'outside the domain'}`, () => {
      assert.deepEqual(classify(name, domain, datacenters), expected);
    });
  }
});

describe('addressToHex: Consul-style synthetic SRV targets', () => {
  const cases: [string, string][] = [
    ['10.0.0.1', '0a000001'],
    ['192.168.255.1', 'c0a8ff01'],
    ['fd00::3', 'fd000000000000000000000000000003'],
    ['::1', '00000000000000000000000000000001'],
  ];
  for (const [address, hex] of cases) {
    it(`${address} -> ${hex}, and back`, () => {
      assert.equal(addressToHex(address), hex);
      const back = classify(`${hex}.addr.service.local`, 'service.local');
      assert.equal(back?.kind, 'addr');
      assert.equal(addressToHex((back as { address: string }).address), hex);
    });
  }
});
