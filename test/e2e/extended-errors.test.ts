// Extended DNS Errors (RFC 8914) as real clients read them: dig (BIND) and dnspython. Each
// failure that looks alike in the rcode says why: a stale answer while ZooKeeper is down, a dead
// upstream, a client outside --allow, a refused zone transfer.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig, rdata } from '../harness/dig.js';
import { startDnsmasq } from '../harness/dnsmasq.js';
import { askDnspython } from '../harness/dnspython.js';
import { eventually } from '../harness/eventually.js';
import { connectZooKeeper, startZooKeeper } from '../harness/zookeeper.js';

async function registryFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-ede-'));
  const file = join(dir, 'services.yaml');
  await writeFile(file, text);
  return file;
}

describe('Extended DNS Errors', { concurrency: true }, () => {
  let bridge: BridgeProcess;
  before(async () => {
    bridge = await startBridge(['--file', await registryFile('api: ["10.0.0.1:80"]\n'), '--allow', '127.0.0.2/32']);
  });
  after(() => bridge?.stop());

  it('Prohibited (18) for a client outside --allow, naming the rule', async () => {
    const refused = await dig(bridge.address, 'api.service.local');
    assert.equal(refused.status, 'REFUSED');
    assert.deepEqual(refused.ede, [{ code: '18 (Prohibited)', text: 'client 127.0.0.1 is not in --allow' }]);
    const python = await askDnspython(bridge.host, bridge.port, 'api.service.local');
    assert.deepEqual(python, { rcode: 'REFUSED', ede: [{ code: 18, text: 'client 127.0.0.1 is not in --allow' }], answer: [] });
    const allowed = await dig(bridge.address, 'api.service.local', 'A', ['-b', '127.0.0.2']);
    assert.deepEqual([allowed.status, rdata(allowed.answer), allowed.ede], ['NOERROR', ['10.0.0.1'], []]);
  });

  it('a refused zone transfer: REFUSED with Prohibited over TCP and UDP, NOTAUTH with Not Authoritative below the zone', async () => {
    const client = ['-b', '127.0.0.2', '+comments'];
    for (const transport of ['+tcp', '+notcp']) {
      const axfr = await dig(bridge.address, 'service.local', 'AXFR', [...client, transport]);
      assert.equal(axfr.status, 'REFUSED', transport);
      assert.deepEqual(axfr.ede, [{ code: '18 (Prohibited)', text: 'zone transfers of service.local are not allowed' }], transport);
      assert.deepEqual(axfr.answer, [], transport);
    }
    const ixfr = await dig(bridge.address, 'service.local', 'IXFR=1', [...client, '+notcp']);
    assert.deepEqual([ixfr.status, ixfr.ede[0]?.code], ['REFUSED', '18 (Prohibited)']);
    const below = await dig(bridge.address, 'api.service.local', 'AXFR', client);
    assert.deepEqual(below.ede, [{ code: '20 (Not Authoritative)', text: 'api.service.local is not a zone; the zone is service.local' }]);
    assert.equal(below.status, 'NOTAUTH');
  });
});

describe('Extended DNS Errors: transfers read by dnspython', () => {
  let bridge: BridgeProcess;
  before(async () => {
    bridge = await startBridge(['--file', await registryFile('api: ["10.0.0.1:80"]\n')]);
  });
  after(() => bridge?.stop());

  it('AXFR over TCP and UDP: REFUSED, Prohibited, nothing of the zone', async () => {
    for (const transport of ['tcp', 'udp'] as const) {
      const axfr = await askDnspython(bridge.host, bridge.port, 'service.local', 'AXFR', transport);
      assert.deepEqual(axfr, { rcode: 'REFUSED', ede: [{ code: 18, text: 'zone transfers of service.local are not allowed' }], answer: [] }, transport);
    }
  });
});

describe('Extended DNS Errors: a dead upstream', () => {
  it('No Reachable Authority (22) naming the upstream that did not answer', async (t) => {
    const upstream = await startDnsmasq({ config: ['local=/example.test/', 'host-record=web.example.test,192.0.2.10', 'host-record=db.example.test,192.0.2.20'] });
    t.after(() => upstream.stop());
    const bridge = await startBridge(['--upstream', upstream.address, '--upstream-timeout', '300']);
    t.after(() => bridge.stop());
    const live = await dig(bridge.address, 'web.example.test');
    assert.deepEqual([live.status, rdata(live.answer), live.ede], ['NOERROR', ['192.0.2.10'], []]);

    await upstream.stop();
    const text = `every upstream failed: no answer from ${upstream.address} in 300 ms`;
    const dead = await dig(bridge.address, 'db.example.test');
    assert.equal(dead.status, 'SERVFAIL');
    assert.deepEqual(dead.ede, [{ code: '22 (No Reachable Authority)', text }]);
    assert.deepEqual(await askDnspython(bridge.host, bridge.port, 'db.example.test'), { rcode: 'SERVFAIL', ede: [{ code: 22, text }], answer: [] });
  });
});

describe('Extended DNS Errors: a stale answer while ZooKeeper is stopped', () => {
  it('Stale Answer (3) naming the source while it is down, in cached answers too, and none once it is back', async (t) => {
    const zk = await startZooKeeper();
    t.after(() => zk.stop());
    const registrar = await connectZooKeeper(zk.address);
    await registrar.create('/api/providers/10.0.20.1:80', '');
    await registrar.close();
    const file = await registryFile('web: ["10.0.30.1:80"]\n');
    // Two workers as well: they learn the sources' state from the primary.
    const bridges = await Promise.all(
      ['1', '2'].map((workers) => startBridge(['--zookeeper', zk.address, '--zk-session-timeout', '4000', '--file', file, '--workers', workers])),
    );
    t.after(() => Promise.all(bridges.map((bridge) => bridge.stop())));
    const stale = { code: '3 (Stale Answer)', text: 'source zookeeper is not connected: its providers are as last read' };
    for (const bridge of bridges) {
      const fresh = await dig(bridge.address, 'api.service.local');
      assert.deepEqual([fresh.status, rdata(fresh.answer), fresh.ede], ['NOERROR', ['10.0.20.1'], []]);
    }

    await zk.stop();
    for (const bridge of bridges) {
      // The answer cached before the outage is replaced by one that says it is stale.
      await eventually(async () => assert.deepEqual((await dig(bridge.address, 'api.service.local')).ede, [stale]), { attempts: 300 });
      const python = await askDnspython(bridge.host, bridge.port, 'api.service.local');
      assert.deepEqual(python, { rcode: 'NOERROR', ede: [{ code: 3, text: stale.text }], answer: ['10.0.20.1'] });
      // The file source is connected: its service's answers are not stale.
      assert.deepEqual((await dig(bridge.address, 'web.service.local')).ede, []);
    }

    await zk.start();
    for (const bridge of bridges) {
      await eventually(async () => assert.deepEqual((await dig(bridge.address, 'api.service.local')).ede, []), { attempts: 600 });
      assert.deepEqual(rdata((await dig(bridge.address, 'api.service.local')).answer), ['10.0.20.1']);
    }
  });
});
