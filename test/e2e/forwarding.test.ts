// Names outside our zone go to the upstreams (real dnsmasq servers on loopback ports), `--zone`
// names to theirs; hostname providers are resolved through the upstreams too.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { caresError, caresResolver } from '../harness/cares.js';
import { dig, rdata } from '../harness/dig.js';
import { startDnsmasq, type Dnsmasq } from '../harness/dnsmasq.js';

const bigAddresses = Array.from({ length: 100 }, (_, i) => `198.51.100.${i + 1}`);

/** A UDP socket that reads queries and never answers: an upstream that is down but not refusing. */
async function silentUpstream(): Promise<{ address: string; close(): void }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${socket.address().port}`, close: () => socket.close() };
}

async function registryFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-forward-'));
  const file = join(dir, 'services.yaml');
  await writeFile(file, text);
  return file;
}

describe('forwarding to upstream resolvers and per-zone servers', () => {
  let upstream: Dnsmasq;
  let consul: Dnsmasq;
  let bridge: BridgeProcess;

  before(async () => {
    const hostsDir = await mkdtemp(join(tmpdir(), 'dnsbridge-hosts-'));
    await writeFile(join(hostsDir, 'big'), bigAddresses.map((address) => `${address} big.example.test\n`).join(''));
    upstream = await startDnsmasq({
      config: [
        'local=/example.test/',
        'local-ttl=300',
        'host-record=web.example.test,192.0.2.10',
        'host-record=db1.example.test,192.0.2.20,2001:db8::20',
        `addn-hosts=${join(hostsDir, 'big')}`,
      ],
    });
    consul = await startDnsmasq({ config: ['local=/consul/', 'host-record=api.service.consul,10.9.9.9'] });
    const file = await registryFile(
      ['named: ["localhost:5000", "db1.example.test:5432"]', 'partly: ["10.0.0.7:80", "ghost.example.test:80"]', 'viaconsul: ["api.service.consul:8500"]', ''].join('\n'),
    );
    bridge = await startBridge(['--file', file, '--upstream', upstream.address, '--zone', `consul=${consul.address}`, '--upstream-timeout', '1000']);
  });
  after(async () => {
    await bridge?.stop();
    await upstream?.stop();
    await consul?.stop();
  });

  it('forwards a name outside our zone and says recursion is available', async () => {
    assert.deepEqual(await caresResolver(bridge.address).resolve4('web.example.test'), ['192.0.2.10']);
    const reply = await dig(bridge.address, 'web.example.test', 'A');
    assert.equal(reply.status, 'NOERROR');
    assert.ok(reply.flags.includes('ra'));
    assert.deepEqual(rdata(reply.answer), ['192.0.2.10']);
  });

  it("passes on the upstream's NXDOMAIN", async () => {
    assert.equal(await caresError(caresResolver(bridge.address).resolve4('missing.example.test')), 'ENOTFOUND');
    assert.equal((await dig(bridge.address, 'missing.example.test', 'A')).status, 'NXDOMAIN');
  });

  it('routes the consul zone to its own server', async () => {
    assert.deepEqual(await caresResolver(bridge.address).resolve4('api.service.consul'), ['10.9.9.9']);
    assert.deepEqual(rdata((await dig(bridge.address, 'API.Service.Consul', 'A')).answer), ['10.9.9.9']);
  });

  it('an upstream answer too big for UDP: fetched over TCP, sent to the client with TC=1, then whole over TCP', async () => {
    const overUdp = await dig(bridge.address, 'big.example.test', 'A', ['+ignore']);
    assert.ok(overUdp.flags.includes('tc'));
    const overTcp = await dig(bridge.address, 'big.example.test', 'A', ['+tcp']);
    assert.deepEqual(rdata(overTcp.answer), [...bigAddresses].sort());
  });

  it('a provider registered by hostname is answered with its addresses, localhost included', async () => {
    const resolver = caresResolver(bridge.address);
    assert.deepEqual((await resolver.resolve4('named.service.local')).sort(), ['127.0.0.1', '192.0.2.20']);
    assert.deepEqual((await resolver.resolve6('named.service.local')).sort(), ['2001:db8::20', '::1']);
    const srv = await dig(bridge.address, 'named.service.local', 'SRV');
    assert.deepEqual(rdata(srv.answer), ['10 1 5000 localhost.', '10 1 5432 db1.example.test.']);
    assert.deepEqual(rdata(srv.additional), ['127.0.0.1', '192.0.2.20', '2001:db8::20', '::1']);
  });

  it("a provider hostname under a --zone is resolved by that zone's servers", async () => {
    assert.deepEqual(await caresResolver(bridge.address).resolve4('viaconsul.service.local'), ['10.9.9.9']);
  });

  it('a hostname that does not resolve leaves the other providers answered', async () => {
    assert.deepEqual(await caresResolver(bridge.address).resolve4('partly.service.local'), ['10.0.0.7']);
    const srv = await dig(bridge.address, 'partly.service.local', 'SRV');
    assert.deepEqual(rdata(srv.answer), ['10 1 80 0a000007.addr.service.local.', '10 1 80 ghost.example.test.']);
  });

  it('keeps forwarded answers for their TTL: served from cache once the upstream is gone', async () => {
    await dig(bridge.address, 'web.example.test', 'A');
    await upstream.stop();
    const reply = await dig(bridge.address, 'web.example.test', 'A');
    assert.deepEqual(rdata(reply.answer), ['192.0.2.10']);
    const ttl = Number(reply.answer[0].split(/\s+/)[1]);
    assert.ok(ttl > 0 && ttl <= 300, `TTL ${ttl}`);
  });
});

describe('when upstreams fail', () => {
  let silent: { address: string; close(): void };
  let upstream: Dnsmasq;
  let downOnly: BridgeProcess;
  let failover: BridgeProcess;

  before(async () => {
    silent = await silentUpstream();
    upstream = await startDnsmasq({ config: ['local=/example.test/', 'host-record=web.example.test,192.0.2.10'] });
    const file = await registryFile('api: ["10.0.0.1:8080"]\n');
    downOnly = await startBridge(['--file', file, '--upstream', silent.address, '--upstream-timeout', '300']);
    failover = await startBridge(['--file', file, '--upstream', `${silent.address},${upstream.address}`, '--upstream-timeout', '300']);
  });
  after(async () => {
    await downOnly?.stop();
    await failover?.stop();
    await upstream?.stop();
    silent?.close();
  });

  it('SERVFAIL when no upstream answers, while our zone is still served', async () => {
    assert.equal((await dig(downOnly.address, 'web.example.test', 'A')).status, 'SERVFAIL');
    assert.equal(await caresError(caresResolver(downOnly.address).resolve4('web.example.test')), 'ESERVFAIL');
    assert.deepEqual(rdata((await dig(downOnly.address, 'api.service.local', 'A')).answer), ['10.0.0.1']);
  });

  it('fails over to the next upstream when the first does not answer', async () => {
    assert.deepEqual(rdata((await dig(failover.address, 'web.example.test', 'A')).answer), ['192.0.2.10']);
  });
});

describe('clients outside --allow', () => {
  let bridge: BridgeProcess;

  before(async () => {
    bridge = await startBridge(['--file', await registryFile('api: ["10.0.0.1:8080"]\n'), '--allow', '10.0.0.0/8']);
  });
  after(() => bridge?.stop());

  it('get REFUSED, for our zone and for forwarded names', async () => {
    assert.equal((await dig(bridge.address, 'api.service.local', 'A')).status, 'REFUSED');
    assert.equal((await dig(bridge.address, 'example.com', 'A', ['+tcp'])).status, 'REFUSED');
    assert.equal(await caresError(caresResolver(bridge.address).resolve4('api.service.local')), 'EREFUSED');
  });
});
