// PTR answers for provider addresses, read with `dig -x`: one PTR per service at the address,
// following registry changes; other reverse names go to the upstream (a real dnsmasq).
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig, rdata } from '../harness/dig.js';
import { startDnsmasq, type Dnsmasq } from '../harness/dnsmasq.js';
import { eventually } from '../harness/eventually.js';

/** `dig -x ADDRESS`: dig builds the reverse name itself. */
async function reverse(server: string, address: string): Promise<{ status: string; names: string[] }> {
  const reply = await dig(server, '-x', address);
  return { status: reply.status, names: rdata(reply.answer) };
}

describe('reverse names of provider addresses', () => {
  let upstream: Dnsmasq;
  let bridge: BridgeProcess;
  let file: string;

  before(async () => {
    // dnsmasq answers 10.in-addr.arpa and ip6.arpa itself: one PTR of its own, NXDOMAIN for the rest, cached 300 s.
    upstream = await startDnsmasq({ config: ['local=/10.in-addr.arpa/', 'local=/ip6.arpa/', 'local-ttl=300', 'ptr-record=9.0.0.10.in-addr.arpa,other.example.test'] });
    file = join(await mkdtemp(join(tmpdir(), 'dnsbridge-ptr-')), 'services.yaml');
    await writeFile(file, 'api: ["10.0.0.1:80", "[fd00::3]:80"]\ndb: ["10.0.0.1:5432", "[fd00::3]:5432"]\n');
    bridge = await startBridge(['--file', file, '--upstream', upstream.address]);
  });
  after(async () => {
    await bridge?.stop();
    await upstream?.stop();
  });

  it('an address of two services gets two PTRs, IPv4 and IPv6 alike', async () => {
    assert.deepEqual(await reverse(bridge.address, '10.0.0.1'), { status: 'NOERROR', names: ['api.service.local.', 'db.service.local.'] });
    assert.deepEqual(await reverse(bridge.address, 'fd00::3'), { status: 'NOERROR', names: ['api.service.local.', 'db.service.local.'] });
    const aa = await dig(bridge.address, '-x', '10.0.0.1');
    assert.ok(aa.flags.includes('aa'), 'our own answer, authoritative');
  });

  it('other addresses are forwarded; a provider taking one replaces the cached forwarded answer', async () => {
    assert.deepEqual(await reverse(bridge.address, '10.0.0.9'), { status: 'NOERROR', names: ['other.example.test.'] });
    await writeFile(file, 'api: ["10.0.0.1:80", "[fd00::3]:80"]\ndb: ["10.0.0.1:5432", "[fd00::3]:5432"]\nweb: ["10.0.0.9:80"]\n');
    await eventually(async () => assert.deepEqual(await reverse(bridge.address, '10.0.0.9'), { status: 'NOERROR', names: ['web.service.local.'] }));
  });

  it('a removed provider leaves the PTRs: its address is forwarded again (NXDOMAIN at the upstream), IPv4 and IPv6 alike', async () => {
    assert.equal((await reverse(bridge.address, '10.0.0.1')).names.length, 2);
    await writeFile(file, 'api: ["[fd00::3]:80"]\ndb: ["10.0.0.1:5432"]\n');
    await eventually(async () => assert.deepEqual(await reverse(bridge.address, '10.0.0.1'), { status: 'NOERROR', names: ['db.service.local.'] }));
    assert.deepEqual(await reverse(bridge.address, 'fd00::3'), { status: 'NOERROR', names: ['api.service.local.'] });
    await writeFile(file, 'api: ["[fd00::4]:80"]\ndb: ["10.0.0.2:5432"]\n');
    await eventually(async () => assert.deepEqual(await reverse(bridge.address, '10.0.0.1'), { status: 'NXDOMAIN', names: [] }));
    await eventually(async () => assert.deepEqual(await reverse(bridge.address, 'fd00::3'), { status: 'NXDOMAIN', names: [] }));
    assert.deepEqual(await reverse(bridge.address, '10.0.0.2'), { status: 'NOERROR', names: ['db.service.local.'] });
    assert.deepEqual(await reverse(bridge.address, 'fd00::4'), { status: 'NOERROR', names: ['api.service.local.'] });
  });
});
