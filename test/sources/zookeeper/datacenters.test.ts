import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../../harness/bridge.js';
import { dig, rdata } from '../../harness/dig.js';
import { eventually } from '../../harness/eventually.js';
import { connectZooKeeper, startZooKeeper, type ZooKeeperServer, type ZooKeeperTestClient } from '../../harness/zookeeper.js';
import { getJson, tempDir, writeTemp } from '../../ops/helpers.js';

interface ShownProvider {
  host: string;
  source: string;
  datacenter?: string;
  health: string;
}

describe('two ZooKeeper ensembles in one bridge, labelled as datacenters east and west', () => {
  let east: ZooKeeperServer;
  let west: ZooKeeperServer;
  let eastRegistrar: ZooKeeperTestClient;
  let westRegistrar: ZooKeeperTestClient;
  let bridge: BridgeProcess;
  let westStopped = false;

  const shown = async (): Promise<string[][]> => {
    const { body } = await getJson<{ providers: ShownProvider[] }>(bridge.http, '/api/services/api');
    return body.providers.map((p) => [p.host, p.source, p.datacenter ?? '-', p.health]).sort((a, b) => a[0].localeCompare(b[0]));
  };
  const answer = async () => rdata((await dig(bridge.address, 'api.service.local')).answer).sort();

  before(async () => {
    [east, west] = await Promise.all([startZooKeeper(), startZooKeeper()]);
    [eastRegistrar, westRegistrar] = await Promise.all([connectZooKeeper(east.address), connectZooKeeper(west.address)]);
    await eastRegistrar.create('/api/providers/10.0.41.1:80', '{"pid": 1}', 'ephemeral');
    // Persistent, and the registrar gone: west's ZooKeeper stopping is then the only thing that happens to it.
    await westRegistrar.create('/api/providers/10.0.42.1:80', '{"pid": 2}', 'persistent');
    await westRegistrar.close();
    const config = await writeTemp(
      await tempDir(),
      'dnsbridge.yaml',
      [
        'sources:',
        `  - { kind: zookeeper, name: zk-east, datacenter: east, servers: "${east.address}", session-timeout: 4000 }`,
        `  - { kind: zookeeper, name: zk-west, datacenter: west, servers: "${west.address}", session-timeout: 4000 }`,
        '',
      ].join('\n'),
    );
    bridge = await startBridge(['--config', config]);
  });
  after(async () => {
    await bridge?.stop();
    await eastRegistrar?.close();
    await Promise.all([east?.stop(), westStopped ? undefined : west?.stop()]);
  });

  it('answers the union, and shows each provider with its instance and datacenter', async () => {
    assert.deepEqual(await answer(), ['10.0.41.1', '10.0.42.1']);
    assert.deepEqual(await shown(), [
      ['10.0.41.1', 'zk-east', 'east', 'live'],
      ['10.0.42.1', 'zk-west', 'west', 'live'],
    ]);
  });

  it("serves west's providers stale once its ZooKeeper stops, while east's stay live and follow changes", async () => {
    await west.stop();
    westStopped = true;
    await eventually(async () =>
      assert.deepEqual(await shown(), [
        ['10.0.41.1', 'zk-east', 'east', 'live'],
        ['10.0.42.1', 'zk-west', 'west', 'stale'],
      ]),
    );
    assert.deepEqual(await answer(), ['10.0.41.1', '10.0.42.1'], "west's last known provider is still answered");
    await eastRegistrar.create('/api/providers/10.0.41.2:80', '{"pid": 3}', 'ephemeral');
    await eventually(async () => assert.deepEqual(await answer(), ['10.0.41.1', '10.0.41.2', '10.0.42.1']));
    assert.deepEqual((await shown()).find((p) => p[0] === '10.0.41.2'), ['10.0.41.2', 'zk-east', 'east', 'live']);
  });
});
