import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { startEtcd } from '../harness/etcd.js';
import { eventually } from '../harness/eventually.js';
import { connectZooKeeper, startZooKeeper } from '../harness/zookeeper.js';
import { get, getJson } from '../ops/helpers.js';
import { ask, zkArgs } from './zookeeper/helpers.js';

/** Service names the bridge holds providers of, read without a DNS query (which would load it). */
async function known(bridge: BridgeProcess): Promise<string[]> {
  const { body } = await getJson<{ services: { name: string }[] }>(bridge.http, '/api/services');
  return body.services.map((service) => service.name);
}

async function readyStatus(bridge: BridgeProcess): Promise<number> {
  return (await get(bridge.http, '/readyz')).status;
}

function stopAfter(t: TestContext, thing: { stop(): Promise<unknown> } | { close(): Promise<unknown> }): void {
  t.after(() => ('stop' in thing ? thing.stop() : thing.close()));
}

// A preloaded service is in memory before its first query: with the registry stopped, that query is
// still answered. Without --preload the same first query would have nothing to answer from.
describe('--preload', { concurrency: true }, () => {
  it('ZooKeeper: /readyz waits for the listed services; one created after start is answered while ZooKeeper is down', async (t) => {
    const zk = await startZooKeeper();
    stopAfter(t, zk);
    let writer = await connectZooKeeper(zk.address);
    await writer.create('/api/providers/10.0.1.1:80', '');
    await writer.close();
    await zk.stop();
    const bridge = await startBridge([...zkArgs(zk.address), '--preload']);
    stopAfter(t, bridge);
    assert.equal(await readyStatus(bridge), 503, 'nothing listed while ZooKeeper is down');
    await zk.start();
    await eventually(async () => assert.equal(await readyStatus(bridge), 200), { attempts: 300, intervalMs: 100 });
    assert.deepEqual(await known(bridge), ['api'], 'ready means loaded');
    writer = await connectZooKeeper(zk.address);
    await writer.create('/web/providers/10.0.1.2:80', '');
    await writer.close();
    await eventually(async () => assert.deepEqual(await known(bridge), ['api', 'web']), { attempts: 200, intervalMs: 50 });
    await zk.stop();
    assert.deepEqual(await ask(bridge.address, 'web.service.local', 'A'), { status: 'NOERROR', records: ['10.0.1.2'] });
  });

  it('etcd: a service put after start is loaded before its first query and answered while etcd is down', async (t) => {
    const etcd = await startEtcd();
    stopAfter(t, { close: () => etcd.close() });
    await etcd.etcdctl('put', '/api/providers/a', '10.0.2.1:80');
    const bridge = await startBridge(['--etcd', etcd.url, '--preload']);
    stopAfter(t, bridge);
    await eventually(async () => assert.equal(await readyStatus(bridge), 200), { attempts: 300, intervalMs: 100 });
    assert.deepEqual(await known(bridge), ['api']);
    await etcd.etcdctl('put', '/web/providers/a', '10.0.2.2:80');
    await eventually(async () => assert.deepEqual(await known(bridge), ['api', 'web']), { attempts: 200, intervalMs: 50 });
    await etcd.stop();
    assert.deepEqual(await ask(bridge.address, 'web.service.local', 'A'), { status: 'NOERROR', records: ['10.0.2.2'] });
  });

  it('etcd: without --preload nothing is loaded before a query', async (t) => {
    const etcd = await startEtcd();
    stopAfter(t, { close: () => etcd.close() });
    await etcd.etcdctl('put', '/api/providers/a', '10.0.3.1:80');
    const bridge = await startBridge(['--etcd', etcd.url]);
    stopAfter(t, bridge);
    await eventually(async () => assert.equal(await readyStatus(bridge), 200), { attempts: 300, intervalMs: 100 });
    assert.deepEqual(await known(bridge), []);
  });
});
