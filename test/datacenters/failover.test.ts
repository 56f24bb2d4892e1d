import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig, rdata } from '../harness/dig.js';
import { eventually } from '../harness/eventually.js';
import { startEtcd, type EtcdServer } from '../harness/etcd.js';
import { startTestProvider, type TestProvider } from '../harness/provider.js';
import { connectZooKeeper, startZooKeeper, type ZooKeeperServer, type ZooKeeperTestClient } from '../harness/zookeeper.js';
import { tempDir, writeTemp } from '../ops/helpers.js';
import { addr, logShows } from '../sources/zookeeper/helpers.js';

const checks = ['--health-check', 'tcp', '--health-interval', '300', '--health-timeout', '250', '--health-fall', '2', '--health-rise', '2'];

/** The SRV record data dnsbridge gives a provider at `priority`. */
const srv = (provider: TestProvider, priority = 10) => `${priority} 1 ${provider.port} ${addr(provider.host)}`;

/**
 * Two real ZooKeeper servers as datacenters east and west, and an etcd whose source has no
 * datacenter label (so it counts as local); the bridge is in east and fails over to west.
 * Providers are real listeners on their own loopback addresses, so A answers tell them apart.
 */
describe('datacenters: east (ZooKeeper and an unlabelled etcd) fails over to west (ZooKeeper)', () => {
  let east: ZooKeeperServer;
  let west: ZooKeeperServer;
  let etcd: EtcdServer;
  let eastRegistrar: ZooKeeperTestClient;
  let westRegistrar: ZooKeeperTestClient;
  let bridge: BridgeProcess;
  /** The same configuration with DNS workers: health results and registry changes reach them over IPC. */
  let workers: BridgeProcess;
  let eastProvider: TestProvider;
  let etcdProvider: TestProvider;
  let westProvider: TestProvider;

  const answer = async (name: string, type = 'A', extra: string[] = []) => rdata((await dig(bridge.address, name, type, extra)).answer);
  /** Both bridges' answers become `expected`, the single process's and the workers'. */
  const answerBecomes = (name: string, expected: string[]) =>
    eventually(
      async () => {
        for (const server of [bridge, workers]) assert.deepEqual(rdata((await dig(server.address, name)).answer), [...expected].sort(), server.address);
      },
      { attempts: 400 },
    );
  const registerEast = () => eastRegistrar.create(`/api/providers/${eastProvider.address}`, '{"pid": 1}', 'ephemeral');
  const registerEtcd = () => etcd.client().put(`/api/providers/${etcdProvider.address}`).value(etcdProvider.address);

  before(async () => {
    [east, west, etcd] = await Promise.all([startZooKeeper(), startZooKeeper(), startEtcd()]);
    [eastProvider, etcdProvider, westProvider] = await Promise.all(['127.0.1.1', '127.0.1.2', '127.0.2.1'].map((host) => startTestProvider(host)));
    [eastRegistrar, westRegistrar] = await Promise.all([connectZooKeeper(east.address), connectZooKeeper(west.address)]);
    await registerEast();
    await registerEtcd();
    await westRegistrar.create(`/api/providers/${westProvider.address}`, '{"pid": 2}', 'ephemeral');
    await eastRegistrar.create('/west/providers/127.0.1.9:80', '{"pid": 3}', 'ephemeral');
    const config = await writeTemp(
      await tempDir(),
      'dnsbridge.yaml',
      [
        'datacenter: east',
        'failover: [west]',
        'srv-failover-priority: 100',
        'client-datacenter: ["127.0.0.2/32=east", "127.0.0.3/32=west"]',
        'sources:',
        `  - { kind: zookeeper, name: zk-east, datacenter: east, servers: "${east.address}", session-timeout: 4000 }`,
        `  - { kind: zookeeper, name: zk-west, datacenter: west, servers: "${west.address}", session-timeout: 4000 }`,
        `  - { kind: etcd, endpoints: ["${etcd.url}"] }`,
        '',
      ].join('\n'),
    );
    [bridge, workers] = await Promise.all([startBridge(['--config', config, ...checks]), startBridge(['--config', config, ...checks, '--workers', '2'])]);
  });
  after(async () => {
    await Promise.all([bridge?.stop(), workers?.stop()]);
    await Promise.all([eastRegistrar?.close(), westRegistrar?.close()]);
    await Promise.all([eastProvider, etcdProvider, westProvider].map((p) => p?.close()));
    await Promise.all([east?.stop(), west?.stop(), etcd?.close()]);
  });

  it('answers the local datacenter alone; the unlabelled etcd source counts as local', async () => {
    assert.deepEqual(await answer('api.service.local'), ['127.0.1.1', '127.0.1.2']);
  });

  it('a datacenter is a sub-zone: api.west.service.local answers west only, in every name form', async () => {
    assert.deepEqual(await answer('api.west.service.local'), ['127.0.2.1']);
    assert.deepEqual(await answer('_api._tcp.west.service.local', 'SRV'), [srv(westProvider)]);
    assert.deepEqual(await answer('api.west.service.local', 'SRV'), [srv(westProvider)]);
    assert.deepEqual(await answer('api.east.service.local'), ['127.0.1.1', '127.0.1.2']);
    assert.equal((await dig(bridge.address, 'west.service.local')).status, 'NOERROR', 'the sub-zone itself exists, with names below it');
  });

  it('--srv-failover-priority 100: SRV answers carry west at priority 110, so SRV clients fail over by themselves', async () => {
    assert.deepEqual(await answer('api.service.local', 'SRV'), [srv(eastProvider), srv(etcdProvider), srv(westProvider, 110)].sort());
    assert.deepEqual(await answer('_api._tcp.service.local', 'SRV'), [srv(eastProvider), srv(etcdProvider), srv(westProvider, 110)].sort());
  });

  it('clients placed by --client-datacenter each get their own datacenter (dig -b)', async () => {
    assert.deepEqual(await answer('api.service.local', 'A', ['-b', '127.0.0.2']), ['127.0.1.1', '127.0.1.2']);
    assert.deepEqual(await answer('api.service.local', 'A', ['-b', '127.0.0.3']), ['127.0.2.1']);
    assert.deepEqual(await answer('api.west.service.local', 'A', ['-b', '127.0.0.2']), ['127.0.2.1'], 'a sub-zone does not depend on the client');
  });

  it('every local provider failing its health check gives west; one back gives local again (also with --workers 2)', async () => {
    await answerBecomes('api.service.local', ['127.0.1.1', '127.0.1.2']);
    await Promise.all([eastProvider.close(), etcdProvider.close()]);
    await answerBecomes('api.service.local', ['127.0.2.1']);
    await eastProvider.open();
    await answerBecomes('api.service.local', ['127.0.1.1']);
    await etcdProvider.open();
    await answerBecomes('api.service.local', ['127.0.1.1', '127.0.1.2']);
  });

  it('the local datacenter emptied in its registries gives west at watch speed; registered again, local (also with --workers 2)', async () => {
    await eastRegistrar.remove(`/api/providers/${eastProvider.address}`);
    await answerBecomes('api.service.local', ['127.0.1.2']);
    await etcd.client().delete().key(`/api/providers/${etcdProvider.address}`);
    await answerBecomes('api.service.local', ['127.0.2.1']);
    await registerEtcd();
    await answerBecomes('api.service.local', ['127.0.1.2']);
    await registerEast();
    await answerBecomes('api.service.local', ['127.0.1.1', '127.0.1.2']);
  });

  it('a service named like a datacenter is reached under a datacenter, with a warning in the log', async () => {
    assert.deepEqual(await answer('west.east.service.local'), ['127.0.1.9']);
    await logShows(bridge.output, 'service west has the name of a datacenter');
    assert.deepEqual(await answer('west.service.local'), [], "west.service.local is west's sub-zone");
  });
});
