import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startBridge } from '../../harness/bridge.js';
import { dig, rdata } from '../../harness/dig.js';
import { startEtcd } from '../../harness/etcd.js';
import { eventually } from '../../harness/eventually.js';
import { sourceStatus, v2delete, v2put } from './helpers.js';

async function srv(server: string, name: string): Promise<{ status: string; records: string[] }> {
  const reply = await dig(server, name, 'SRV');
  return { status: reply.status, records: rdata(reply.answer) };
}

const addr = (ip: string) => `${Buffer.from(ip.split('.').map(Number)).toString('hex')}.addr.service.local.`;

describe('etcd v2 source: entries and events', () => {
  it('reads every format the v3 source reads, at any depth, skipping bad entries by name; set, delete, expire and directory deletes show in the next answer', async (t) => {
    const etcd = await startEtcd({ v2: true });
    t.after(() => etcd.close());
    await v2put(etcd.url, '/api/providers/10.0.22.1:80', '10.0.22.1:80');
    await v2put(etcd.url, '/api/providers/json', JSON.stringify({ host: '10.0.22.2', port: 81, weight: 5 }));
    await v2put(etcd.url, '/api/providers/rack-1/sky', JSON.stringify({ host: '10.0.22.3', port: 82, priority: 20 }));
    await v2put(etcd.url, '/api/providers/10.0.22.4:83', '{"pid": 1234}');
    await v2put(etcd.url, '/api/providers/bad', 'junk');
    await v2put(etcd.url, '/other/providers/skydns', JSON.stringify({ host: '10.0.22.9', port: 90 }));
    const bridge = await startBridge(['--etcd2', etcd.url, '--etcd2-prefix', '/{service}/providers', '--etcd2-prefix', '/skydns/local/service/{service}/']);
    t.after(() => bridge.stop());

    // The first query waits for the first read at most 1.5 s (SERVFAIL after): a busy machine may need another.
    await eventually(async () =>
      assert.deepEqual(await srv(bridge.address, 'api.service.local'), {
        status: 'NOERROR',
        records: [`10 1 80 ${addr('10.0.22.1')}`, `10 5 81 ${addr('10.0.22.2')}`, `20 1 82 ${addr('10.0.22.3')}`, `10 1 83 ${addr('10.0.22.4')}`].sort(),
      }),
    );
    assert.match(bridge.output(), /etcd v2 key \/api\/providers\/bad skipped: \\"junk\\" is not host:port/);
    assert.equal((await sourceStatus(bridge)).decodeFailures, 1);

    // A second template: SkyDNS's layout, answered together with the first.
    await v2put(etcd.url, '/skydns/local/service/api/x1', JSON.stringify({ host: '10.0.22.5', port: 84 }));
    await eventually(async () => assert.ok((await srv(bridge.address, 'api.service.local')).records.includes(`10 1 84 ${addr('10.0.22.5')}`)));

    await v2delete(etcd.url, '/api/providers/json');
    await v2put(etcd.url, '/api/providers/10.0.22.1:80', '10.0.22.6:86');
    const kept = [`10 1 86 ${addr('10.0.22.6')}`, `20 1 82 ${addr('10.0.22.3')}`, `10 1 83 ${addr('10.0.22.4')}`, `10 1 84 ${addr('10.0.22.5')}`].sort();
    await eventually(async () => assert.deepEqual((await srv(bridge.address, 'api.service.local')).records, kept));
    // A key with a TTL shows, then etcd's `expire` event removes it.
    await v2put(etcd.url, '/api/providers/short', '10.0.22.7:87', { ttl: '5' });
    await eventually(async () => assert.ok((await srv(bridge.address, 'api.service.local')).records.includes(`10 1 87 ${addr('10.0.22.7')}`)));
    await eventually(async () => assert.deepEqual((await srv(bridge.address, 'api.service.local')).records, kept), { attempts: 200, intervalMs: 100 });
    // The whole directory goes, and everything below it.
    await v2delete(etcd.url, '/api', true);
    await eventually(async () => assert.deepEqual(await srv(bridge.address, 'api.service.local'), { status: 'NOERROR', records: [`10 1 84 ${addr('10.0.22.5')}`] }));
    assert.ok((await sourceStatus(bridge)).watchEvents >= 5);
  });
});
