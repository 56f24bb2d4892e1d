import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startBridge } from '../../harness/bridge.js';
import { dig, rdata } from '../../harness/dig.js';
import { prepareEtcd, startEtcd } from '../../harness/etcd.js';
import { eventually } from '../../harness/eventually.js';
import { freePort } from '../../harness/ports.js';
import { startTcpProxy } from '../../harness/tcp-proxy.js';
import { sourceStatus, v2delete, v2put } from './helpers.js';

async function srv(server: string, name: string): Promise<{ status: string; records: string[] }> {
  const reply = await dig(server, name, 'SRV');
  return { status: reply.status, records: rdata(reply.answer) };
}

const WAIT = { attempts: 300, intervalMs: 100 };

describe('etcd v2 source: etcd failures', { concurrency: true }, () => {
  it('starts while etcd is down, tries every endpoint, and serves once etcd is up', async (t) => {
    const etcd = await prepareEtcd({ v2: true });
    t.after(() => etcd.close());
    const closed = `http://127.0.0.1:${await freePort()}`;
    const bridge = await startBridge(['--etcd2', `${closed},${etcd.url}`]);
    t.after(() => bridge.stop());
    assert.equal((await srv(bridge.address, 'late.service.local')).status, 'SERVFAIL', 'unknown while etcd is down: SERVFAIL, not NXDOMAIN');
    await eventually(async () => assert.equal((await sourceStatus(bridge)).state, 'disconnected'), WAIT);

    await etcd.start();
    await v2put(etcd.url, '/late/providers/10.0.20.1:80', '10.0.20.1:80');
    await eventually(async () => assert.deepEqual(await srv(bridge.address, 'late.service.local'), { status: 'NOERROR', records: ['10 1 80 0a001401.addr.service.local.'] }), WAIT);
    assert.equal((await sourceStatus(bridge)).state, 'connected');
  });

  it('serves the last known providers while cut off, and reads again when its waitIndex was cleared meanwhile', async (t) => {
    const etcd = await startEtcd({ v2: true });
    t.after(() => etcd.close());
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: etcd.clientPort });
    t.after(() => proxy.close());
    await v2put(etcd.url, '/cut/providers/10.0.21.1:80', '10.0.21.1:80');
    const bridge = await startBridge(['--etcd2', `http://${proxy.address}`]);
    t.after(() => bridge.stop());
    const before = { status: 'NOERROR', records: ['10 1 80 0a001501.addr.service.local.'] };
    await eventually(async () => assert.deepEqual(await srv(bridge.address, 'cut.service.local'), before), WAIT);

    await proxy.cut();
    await eventually(async () => assert.equal((await sourceStatus(bridge)).state, 'disconnected'), WAIT);
    await v2delete(etcd.url, '/cut/providers/10.0.21.1:80');
    await v2put(etcd.url, '/cut/providers/10.0.21.2:80', '10.0.21.2:80');
    // etcd keeps the last 1,000 events: after these the bridge's waitIndex is gone (errorCode 401).
    for (let i = 0; i < 1100; i++) await v2put(etcd.url, `/filler/key${i}`, 'x');
    assert.deepEqual(await srv(bridge.address, 'cut.service.local'), before, 'stale, not NXDOMAIN, while cut off');

    await proxy.restore();
    await eventually(async () => assert.deepEqual(await srv(bridge.address, 'cut.service.local'), { status: 'NOERROR', records: ['10 1 80 0a001502.addr.service.local.'] }), WAIT);
    assert.match(bridge.output(), /ETCD2_INDEX_CLEARED/, 'it read the directory again');
    assert.equal((await sourceStatus(bridge)).state, 'connected');
  });
});
