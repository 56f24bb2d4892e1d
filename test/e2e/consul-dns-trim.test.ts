// Consul's DNS trims a UDP answer to 3 records without setting TC (enable_truncate is off by
// default). A TEST DOUBLE of Consul's DNS interface stands in for it (test/doubles/consul-dns-double.ts):
// Consul cannot be installed here, and dnsmasq sets TC, which Consul does not.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig, rdata } from '../harness/dig.js';
import { CONSUL_UDP_ANSWER_LIMIT, ConsulDnsDouble } from '../doubles/consul-dns-double.js';

const addresses = Array.from({ length: 10 }, (_, i) => `10.2.0.${i + 1}`);

describe('*.consul answers Consul trims over UDP (against a Consul DNS TEST DOUBLE)', () => {
  let consulDns: ConsulDnsDouble;
  let bridge: BridgeProcess;

  before(async () => {
    consulDns = await ConsulDnsDouble.start({ 'web.service.consul': addresses });
    bridge = await startBridge(['--zone', `consul=${consulDns.address}`]);
  });
  after(async () => {
    await bridge?.stop();
    await consulDns?.stop();
  });

  it('a UDP client gets what Consul gives over UDP: 3 records, no TC (double)', async () => {
    const reply = await dig(bridge.address, 'web.service.consul', 'A');
    assert.equal(rdata(reply.answer).length, CONSUL_UDP_ANSWER_LIMIT);
    assert.ok(!reply.flags.includes('tc'));
  });

  it('a TCP client is forwarded over TCP and gets the untrimmed answer (double)', async () => {
    const reply = await dig(bridge.address, 'web.service.consul', 'A', ['+tcp']);
    assert.deepEqual(rdata(reply.answer).sort(), [...addresses].sort());
  });
});
