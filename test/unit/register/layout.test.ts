import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { primaryAddress } from '../../../src/register/address.js';
import { parseDuration } from '../../../src/register/duration.js';
import { consulServiceId, etcdEntry, zookeeperNode, type Registration } from '../../../src/register/registration.js';

const registration: Registration = {
  service: 'ep2016',
  host: '10.0.0.7',
  port: 5000,
  tags: ['canary'],
  instanceId: '53565860-0000-4000-8000-000000000001',
  pid: 1234,
  startedAt: 1628750040704,
};

describe('where and how a registration is written', () => {
  it('ZooKeeper hostport: the ep2016 layout, an ephemeral host:port node with zc.zk data', () => {
    const node = zookeeperNode(registration, '/{service}/providers', 'hostport');
    assert.equal(node.parent, '/ep2016/providers');
    assert.equal(node.path, '/ep2016/providers/10.0.0.7:5000');
    assert.deepEqual(JSON.parse(node.data.toString()), { pid: 1234 });
  });

  it('ZooKeeper curator: basePath/service/instanceId with a ServiceInstance', () => {
    const node = zookeeperNode(registration, '/services/{service}', 'curator');
    assert.equal(node.path, '/services/ep2016/53565860-0000-4000-8000-000000000001');
    assert.deepEqual(JSON.parse(node.data.toString()), {
      name: 'ep2016',
      id: '53565860-0000-4000-8000-000000000001',
      address: '10.0.0.7',
      port: 5000,
      sslPort: null,
      payload: null,
      registrationTimeUTC: 1628750040704,
      serviceType: 'DYNAMIC',
      uriSpec: null,
      enabled: true,
    });
  });

  it('json carries the tags; IPv6 names are bracketed', () => {
    const node = zookeeperNode({ ...registration, host: 'fd00::7' }, '/{service}/providers/', 'json');
    assert.equal(node.path, '/ep2016/providers/[fd00::7]:5000');
    assert.deepEqual(JSON.parse(node.data.toString()), { host: 'fd00::7', port: 5000, tags: ['canary'] });
  });

  it('etcd hostport: the ep2016 layout, key /ep2016/providers/host:port with value host:port', () => {
    assert.deepEqual(etcdEntry(registration, '/{service}/providers/', 'hostport'), { key: '/ep2016/providers/10.0.0.7:5000', value: '10.0.0.7:5000' });
    assert.equal(etcdEntry(registration, '/x/{service}', 'json').key, '/x/ep2016/10.0.0.7:5000');
  });

  it('Consul service id: stable for the service at this address', () => {
    assert.equal(consulServiceId(registration), 'ep2016-10.0.0.7:5000');
    assert.equal(consulServiceId({ ...registration, host: '::1' }), 'ep2016-::1:5000');
  });
});

describe('durations and the primary address', () => {
  it('parses Consul-style durations', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('2s'), 2000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('1m'), 60_000);
    assert.equal(parseDuration('2'), undefined);
    assert.equal(parseDuration('-1s'), undefined);
  });

  it('picks the first non-internal IPv4 address', () => {
    const lo = { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' } as const;
    const v6 = { address: 'fe80::1', netmask: 'ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: 'fe80::1/64', scopeid: 2 } as const;
    const eth = { address: '10.0.0.7', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '10.0.0.7/24' } as const;
    assert.equal(primaryAddress({ lo: [lo], eth0: [v6, eth] }), '10.0.0.7');
    assert.equal(primaryAddress({ lo: [lo] }), undefined);
  });
});
