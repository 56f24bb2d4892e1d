import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { startEtcd } from '../harness/etcd.js';
import { eventually } from '../harness/eventually.js';
import { connectZooKeeper, startZooKeeper } from '../harness/zookeeper.js';
import { dig, rdata } from '../harness/dig.js';
import { get, getJson, scrape, total } from '../ops/helpers.js';
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

  it('etcd: lists a keyspace whose keys-only listing is past gRPC\'s 4 MiB message limit (read in pages)', async (t) => {
    const etcd = await startEtcd();
    stopAfter(t, { close: () => etcd.close() });
    // 25,000 services of one provider with long key names: about 6 MiB of keys in one listing.
    const services = 25_000;
    const pad = 'x'.repeat(200);
    const client = etcd.client();
    let next = 0;
    await Promise.all(
      Array.from({ length: 128 }, async () => {
        for (let i = next++; i < services; i = next++) await client.put(`/svc${i}/providers/${pad}-10.3.${i >> 8 & 255}.${i & 255}:80`).value('').exec();
      }),
    );
    const bridge = await startBridge(['--etcd', etcd.url, '--preload']);
    stopAfter(t, bridge);
    await eventually(async () => {
      const { body } = await getJson(bridge.http, '/api/status');
      assert.equal(body.sources[0].preload?.listed, services);
    }, { attempts: 600, intervalMs: 100 });
    assert.doesNotMatch(bridge.output(), /listing the services failed/);
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

// With --preload, ready means answered from memory: the first query of every listed service, in
// the forms clients send first (A, AAAA, SRV; dig's EDNS and glibc's plain form), is a cache hit
// whose answer was encoded before it arrived, in one process and in each of two workers.
describe('--preload: first queries after /readyz are cache hits', { concurrency: true }, () => {
  for (const workers of ['1', '2']) {
    it(`ZooKeeper and etcd, --workers ${workers}`, async (t) => {
      const [zk, etcd] = await Promise.all([startZooKeeper(), startEtcd()]);
      stopAfter(t, zk);
      stopAfter(t, { close: () => etcd.close() });
      const writer = await connectZooKeeper(zk.address);
      for (const ip of ['10.0.4.1', '10.0.4.2', '10.0.4.3']) await writer.create(`/api/providers/${ip}:80`, '');
      await writer.create('/web/providers/10.0.4.9:8080', '');
      await writer.close();
      await etcd.etcdctl('put', '/db/providers/a', '10.0.5.1:5432');
      const bridge = await startBridge([...zkArgs(zk.address), '--etcd', etcd.url, '--preload', '--workers', workers]);
      stopAfter(t, bridge);
      await eventually(async () => assert.equal(await readyStatus(bridge), 200), { attempts: 300, intervalMs: 100 });
      const expected: Record<string, string[]> = { api: ['10.0.4.1', '10.0.4.2', '10.0.4.3'], web: ['10.0.4.9'], db: ['10.0.5.1'] };
      let asked = 0;
      for (const [service, addresses] of Object.entries(expected)) {
        for (const edns of [[], ['+noedns']]) {
          const name = `${service}.service.local`;
          const a = await dig(bridge.address, name, 'A', edns);
          assert.deepEqual([a.status, rdata(a.answer)], ['NOERROR', addresses]);
          const aaaa = await dig(bridge.address, name, 'AAAA', edns);
          assert.deepEqual([aaaa.status, aaaa.answer], ['NOERROR', []]);
          const srv = await dig(bridge.address, name, 'SRV', edns);
          assert.equal(srv.answer.length, addresses.length);
          asked += 3;
        }
      }
      const metrics = await scrape(bridge.http);
      assert.equal(total(metrics, 'dnsbridge_cache_misses_total'), 0, 'no first query missed');
      assert.equal(total(metrics, 'dnsbridge_cache_hits_total'), asked);
    });
  }
});
