import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEtcd } from '../../harness/etcd.js';
import { connectZooKeeper, startZooKeeper } from '../../harness/zookeeper.js';
import { addr, answerBecomes, ask, startEtcdBridge, tracker } from './helpers.js';

const srv = (...ips: string[]) => ({ status: 'NOERROR', records: ips.map((ip) => `10 1 80 ${addr(ip)}`) });

describe('etcd source beside the ZooKeeper source', () => {
  it('answers the union of both registries, and follows changes in each', async (t) => {
    const track = tracker(t);
    const [etcd, zk] = await Promise.all([startEtcd(), startZooKeeper()]);
    track({ stop: () => etcd.close() });
    track(zk);
    const registrar = await connectZooKeeper(zk.address);
    track({ stop: () => registrar.close() });
    await registrar.create('/api/providers/10.0.14.1:80', '{"pid": 1234}');
    await etcd.client().put('/api/providers/10.0.14.2:80').value('10.0.14.2:80');
    await etcd.client().put('/etcd-only/providers/10.0.14.3:80').value('');
    await registrar.create('/zk-only/providers/10.0.14.4:80');
    const bridge = track(await startEtcdBridge(['--etcd', etcd.url, '--zookeeper', zk.address]));
    assert.deepEqual(await ask(bridge.address, 'api.service.local'), srv('10.0.14.1', '10.0.14.2'));
    assert.deepEqual(await ask(bridge.address, 'etcd-only.service.local'), srv('10.0.14.3'));
    assert.deepEqual(await ask(bridge.address, 'zk-only.service.local'), srv('10.0.14.4'));

    await etcd.client().delete().key('/api/providers/10.0.14.2:80');
    await answerBecomes(bridge.address, 'api.service.local', 'SRV', srv('10.0.14.1'));
    await registrar.create('/api/providers/10.0.14.5:80');
    await etcd.client().put('/api/providers/10.0.14.6:80').value('');
    await answerBecomes(bridge.address, 'api.service.local', 'SRV', srv('10.0.14.1', '10.0.14.5', '10.0.14.6'));
  });
});
