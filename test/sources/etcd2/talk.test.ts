import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startBridge } from '../../harness/bridge.js';
import { dig, rdata } from '../../harness/dig.js';
import { startDnsmasq } from '../../harness/dnsmasq.js';
import { startEtcd } from '../../harness/etcd.js';
import { eventually } from '../../harness/eventually.js';
import { startTalkClient } from './helpers.js';

// The talk's own registration, with Debian's python3-etcd, against etcd 3.4 serving the v2 API.
describe('etcd v2 source: the ep2016 talk', () => {
  it("answers the provider its HealthPinger keeps alive, and drops it once the pinger stops and the TTL runs out", async (t) => {
    const etcd = await startEtcd({ v2: true });
    t.after(() => etcd.close());
    const upstream = await startDnsmasq({ config: ['host-record=yazd,10.1.2.7'] });
    t.after(() => upstream.stop());
    const bridge = await startBridge(['--etcd2', etcd.url, '--upstream', upstream.address]);
    t.after(() => bridge.stop());
    const talk = await startTalkClient(etcd.clientPort, 'yazd', 5000);
    t.after(() => talk.stop());

    // yazd's address comes from the upstream in the background: the additional section fills in.
    const srv = await eventually(async () => {
      const reply = await dig(bridge.address, 'ep2016.service.local', 'SRV');
      assert.equal(reply.status, 'NOERROR');
      assert.deepEqual(rdata(reply.additional), ['10.1.2.7']);
      return reply;
    });
    assert.deepEqual(rdata(srv.answer), ['10 1 5000 yazd.']);
    assert.deepEqual(rdata((await dig(bridge.address, 'ep2016.service.local', 'A')).answer), ['10.1.2.7']);
    // The pinger writes the key again every 4 s (a `set` event each time): the answer stays.
    const writes = () => talk.output().split('registered yazd:5000').length - 1;
    await eventually(() => assert.ok(writes() >= 2, 'written again'), { attempts: 200 });
    assert.deepEqual(rdata((await dig(bridge.address, 'ep2016.service.local', 'SRV')).answer), ['10 1 5000 yazd.']);

    // Killed, the pinger cannot deregister: etcd's `expire` event (ttl=5) removes the provider.
    talk.child.kill('SIGKILL');
    const killed = Date.now();
    await eventually(async () => assert.equal((await dig(bridge.address, 'ep2016.service.local', 'SRV')).status, 'NXDOMAIN'), { attempts: 400 });
    console.log(`the talk's provider left the answers ${Date.now() - killed} ms after its pinger was killed (ttl 5 s, written every 4 s)`);
  });
});
