import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { startDnsmasq, type Dnsmasq } from '../harness/dnsmasq.js';
import { encodePlainQuery, udpExchange } from '../harness/raw-query.js';
import { get, loggedTimes, startHeldUpstream, type HeldUpstream } from './helpers.js';

describe('SIGTERM', () => {
  let upstream: Dnsmasq;
  let held: HeldUpstream;
  let bridge: BridgeProcess;

  before(async () => {
    upstream = await startDnsmasq({ config: ['local=/example.test/', 'host-record=web.example.test,192.0.2.10'] });
    held = await startHeldUpstream({ host: '127.0.0.1', port: upstream.port });
    // The forwarded query below waits on the test, not on a clock: give it all the time it needs.
    bridge = await startBridge(['--upstream', held.address, '--upstream-timeout', '30000']);
  });
  after(async () => {
    await bridge?.stop();
    held?.close();
    await upstream?.stop();
  });

  it('stops taking queries, still answers the one in flight, and exits 0', async () => {
    const inFlight = udpExchange(bridge.address, encodePlainQuery('web.example.test', 'A', 7), 60_000);
    await held.holding;
    bridge.child.kill('SIGTERM');
    await loggedTimes(bridge, '"msg":"stopping"', 1);
    const ready = await get(bridge.http, '/readyz');
    assert.equal(ready.status, 503, 'a load balancer stops sending queries while the bridge drains');
    assert.match(ready.body, /shutting down/);
    held.release();
    const reply = dnsPacket.decode(await inFlight);
    assert.deepEqual(
      reply.answers?.map((a) => (a as { data: unknown }).data),
      ['192.0.2.10'],
    );
    assert.equal(await bridge.exited, 0, bridge.output());
  });
});
