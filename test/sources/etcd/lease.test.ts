import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEtcd } from '../../harness/etcd.js';
import { addr, ask, startEtcdBridge, tracker, until } from './helpers.js';

describe('etcd source: the ep2016 layout with leases', () => {
  it('answers a provider while another process keeps its 5 s lease alive, and drops it with the delete event when that process stops', async (t) => {
    const track = tracker(t);
    const etcd = await startEtcd();
    track({ stop: () => etcd.close() });
    // Answers may be cached for an hour: only the watch event can take the provider out.
    const bridge = track(await startEtcdBridge(['--etcd', etcd.url, '--ttl', '3600']));
    const keeper = await etcd.putWithLease('/ep2016/providers/yazd:5000', 'yazd:5000', 5);
    await etcd.client().put('/ep2016/providers/10.0.8.1:5000').value('10.0.8.1:5000');
    const both = { status: 'NOERROR', records: [`10 1 5000 ${addr('10.0.8.1')}`, '10 1 5000 yazd.'] };
    assert.deepEqual(await ask(bridge.address, 'ep2016.service.local'), both);

    await new Promise((resolve) => setTimeout(resolve, 6000));
    assert.deepEqual(await ask(bridge.address, 'ep2016.service.local'), both, 'kept alive past its TTL');

    const seen = (await bridge.etcdStatus()).watchEvents;
    await keeper.stop();
    await until(async () => (await etcd.etcdctl('get', '/ep2016/providers/yazd:5000')) === '', 'the lease expiring', 30_000);
    await until(async () => (await bridge.etcdStatus()).watchEvents > seen, 'the bridge getting the delete event', 30_000);
    assert.deepEqual(await ask(bridge.address, 'ep2016.service.local'), { status: 'NOERROR', records: [`10 1 5000 ${addr('10.0.8.1')}`] });
  });
});
