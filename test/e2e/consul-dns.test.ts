// Forwarding of `*.consul` to Consul's DNS interface. Consul cannot be installed here, so a real
// dnsmasq on a loopback port stands in for it, serving what Consul would: TTL 0 records with AA.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig, rdata } from '../harness/dig.js';
import { startDnsmasq, type Dnsmasq } from '../harness/dnsmasq.js';
import { encodePlainQuery, udpExchange, withoutId } from '../harness/raw-query.js';

const BIG_COUNT = 300;

function hostsFile(webAddress: string): string {
  const big = Array.from({ length: BIG_COUNT }, (_, i) => `10.1.${Math.floor(i / 250)}.${(i % 250) + 1} big.service.consul`);
  return [`${webAddress} web.service.consul`, ...big, ''].join('\n');
}

/** Asks until `check` holds: waits for the stand-in to reload, not a timing assertion. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never happened: ${what}`);
}

describe('*.consul forwarded to Consul DNS (dnsmasq standing in for Consul)', () => {
  let hosts: string;
  let consulDns: Dnsmasq;
  let bridge: BridgeProcess;

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-consul-dns-'));
    hosts = join(dir, 'consul-hosts');
    await writeFile(hosts, hostsFile('10.0.0.5'));
    const registry = join(dir, 'services.yaml');
    await writeFile(registry, 'api: ["10.0.0.1:8080"]\n');
    consulDns = await startDnsmasq({
      config: ['local=/consul/', `addn-hosts=${hosts}`, 'srv-host=web.service.consul,0a000005.addr.dc1.consul,8080,1,1'],
    });
    bridge = await startBridge(['--file', registry, '--zone', `consul=${consulDns.address}`, '--upstream-timeout', '1000']);
  });
  after(async () => {
    await bridge?.stop();
    await consulDns?.stop();
  });

  it('answers web.service.consul A and SRV with the bytes the stand-in sent, except the ID', async () => {
    for (const type of ['A', 'SRV'] as const) {
      const direct = await udpExchange(consulDns.address, encodePlainQuery('web.service.consul', type, 1111));
      const bridged = await udpExchange(bridge.address, encodePlainQuery('web.service.consul', type, 2222));
      assert.equal(bridged.readUInt16BE(0), 2222, 'the reply carries the client query ID');
      assert.deepEqual(withoutId(bridged), withoutId(direct), `${type} reply differs from the stand-in's`);
    }
  });

  it('keeps the records, TTL 0 and the AA bit of the stand-in for an EDNS client (dig)', async () => {
    const srv = await dig(bridge.address, 'web.service.consul', 'SRV');
    assert.equal(srv.status, 'NOERROR');
    assert.ok(srv.flags.includes('aa'), `flags: ${srv.flags.join(' ')}`);
    assert.deepEqual(srv.answer, ['web.service.consul. 0 IN SRV 1 1 8080 0a000005.addr.dc1.consul.']);
    const a = await dig(bridge.address, 'web.service.consul', 'A');
    assert.deepEqual(a.answer, ['web.service.consul. 0 IN A 10.0.0.5']);
  });

  it('passes NXDOMAIN through as the stand-in sent it', async () => {
    const direct = await udpExchange(consulDns.address, encodePlainQuery('nope.service.consul', 'A', 1));
    const bridged = await udpExchange(bridge.address, encodePlainQuery('nope.service.consul', 'A', 1));
    assert.equal(bridged[3] & 0x0f, 3, 'rcode is NXDOMAIN');
    assert.deepEqual(withoutId(bridged), withoutId(direct));
  });

  it('does not cache TTL 0 answers: a changed answer shows at the next query', async () => {
    assert.deepEqual(rdata((await dig(bridge.address, 'web.service.consul', 'A')).answer), ['10.0.0.5']);
    await writeFile(hosts, hostsFile('10.0.0.6'));
    consulDns.child.kill('SIGHUP');
    await until(async () => rdata((await dig(consulDns.address, 'web.service.consul', 'A')).answer)[0] === '10.0.0.6', 'stand-in reloaded');
    assert.deepEqual(rdata((await dig(bridge.address, 'web.service.consul', 'A')).answer), ['10.0.0.6']);
  });

  it('fetches a large answer over TCP after the stand-in truncated it over UDP', async () => {
    const overUdp = await dig(consulDns.address, 'big.service.consul', 'A', ['+ignore']);
    assert.ok(overUdp.flags.includes('tc'), 'premise: the stand-in truncates this answer over UDP');
    const bridged = await dig(bridge.address, 'big.service.consul', 'A', ['+tcp']);
    assert.equal(bridged.status, 'NOERROR');
    assert.equal(bridged.answer.length, BIG_COUNT);
    assert.ok(bridged.flags.includes('aa'));
  });

  it('answers SERVFAIL once the stand-in is stopped, while service.local names keep answering', async () => {
    await consulDns.stop();
    const finished: string[] = [];
    const consul = dig(bridge.address, 'web.service.consul', 'A').then((reply) => (finished.push('consul'), reply));
    const local = dig(bridge.address, 'api.service.local', 'A').then((reply) => (finished.push('local'), reply));
    const [consulReply, localReply] = await Promise.all([consul, local]);
    assert.equal(consulReply.status, 'SERVFAIL');
    assert.deepEqual(rdata(localReply.answer), ['10.0.0.1']);
    assert.deepEqual(finished, ['local', 'consul'], 'service.local was answered while Consul DNS was timing out');
  });
});
