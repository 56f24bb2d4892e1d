import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listingOf } from '../../../src/sources/etcd2/service-listing.js';
import { startBridge, type BridgeProcess } from '../../harness/bridge.js';
import { dig, rdata } from '../../harness/dig.js';
import { startEtcd } from '../../harness/etcd.js';
import { eventually } from '../../harness/eventually.js';
import { get, getJson } from '../../ops/helpers.js';
import { v2delete, v2put } from './helpers.js';

/** Service names the bridge holds providers of, read without a DNS query (which would load it). */
async function known(bridge: BridgeProcess): Promise<string[]> {
  const { body } = await getJson<{ services: { name: string }[] }>(bridge.http, '/api/services');
  return body.services.map((service) => service.name).sort();
}

describe('etcd v2 source: --preload', () => {
  it('lists services by the keys below their directories', () => {
    const { dir, match } = listingOf('/{service}/providers');
    assert.equal(dir, '/');
    assert.equal(match.exec('/ep2016/providers/yazd:5000')?.[1], 'ep2016');
    assert.equal(match.exec('/ep2016/providers'), null, 'a directory alone lists nothing');
    assert.equal(match.exec('/ep2016/color'), null);
    const skydns = listingOf('/skydns/local/service/{service}/');
    assert.equal(skydns.dir, '/skydns/local/service');
    assert.equal(skydns.match.exec('/skydns/local/service/api/x1')?.[1], 'api');
  });

  it('loads every listed service before its first query, follows new and removed ones, and answers them while etcd is down', async (t) => {
    const etcd = await startEtcd({ v2: true });
    t.after(() => etcd.close());
    await v2put(etcd.url, '/api/providers/10.0.24.1:80', '10.0.24.1:80');
    await v2put(etcd.url, '/ep2016/color', '#859900');
    const bridge = await startBridge(['--etcd2', etcd.url, '--preload']);
    t.after(() => bridge.stop());
    await eventually(async () => assert.equal((await get(bridge.http, '/readyz')).status, 200), { attempts: 300, intervalMs: 100 });
    assert.deepEqual(await known(bridge), ['api'], 'ready means loaded; /ep2016/color is no provider directory');

    await v2put(etcd.url, '/web/providers/10.0.24.2:80', '10.0.24.2:80');
    await v2put(etcd.url, '/gone/providers/10.0.24.3:80', '10.0.24.3:80');
    await eventually(async () => assert.deepEqual(await known(bridge), ['api', 'gone', 'web']), { attempts: 200, intervalMs: 50 });
    await v2delete(etcd.url, '/gone', true);
    await eventually(async () => assert.deepEqual(await known(bridge), ['api', 'web']), { attempts: 200, intervalMs: 50 });

    await etcd.stop();
    assert.deepEqual(rdata((await dig(bridge.address, 'web.service.local', 'A')).answer), ['10.0.24.2'], 'loaded before anyone asked');
  });
});
