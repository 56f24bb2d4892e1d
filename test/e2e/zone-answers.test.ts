// Our zone's answers as independent clients see them: c-ares (Node's dns.promises.Resolver)
// and BIND's dig, against a running `dnsbridge serve` with a registry file.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { caresError, caresResolver } from '../harness/cares.js';
import { dig, rdata } from '../harness/dig.js';

const bigProviders = Array.from({ length: 100 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);

const registry = [
  'api: ["10.0.0.1:8080", {host: 10.0.0.2, port: 8081, weight: 5, tags: [canary]}, {host: "fd00::3", port: 8082, priority: 20}]',
  'web: [{host: 10.0.3.1, port: 80, tags: [canary, v2]}, {host: 10.0.3.2, port: 80, tags: [canary]}, {host: 10.0.3.3, port: 80, tags: [v2, eu]}]',
  'v4only: ["10.0.1.1:80"]',
  'rot: ["10.0.2.1:80", "10.0.2.2:80", "10.0.2.3:80", "10.0.2.4:80"]',
  `big: [${bigProviders.map((address) => `"${address}:80"`).join(', ')}]`,
  '',
].join('\n');

/** The owner, type and data of each record line, TTL left out. */
function records(lines: readonly string[]): string[] {
  return lines.map((line) => {
    const [owner, , , type, ...data] = line.split(/\s+/);
    return `${owner} ${type} ${data.join(' ')}`;
  });
}

describe('our zone through c-ares and dig', () => {
  let bridge: BridgeProcess;

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-zone-'));
    await writeFile(join(dir, 'services.yaml'), registry);
    bridge = await startBridge(['--file', join(dir, 'services.yaml')]);
  });
  after(() => bridge?.stop());

  describe('addresses and SRV', () => {
    it('A and AAAA: every provider address, with our TTL', async () => {
      const resolver = caresResolver(bridge.address);
      const v4 = await resolver.resolve4('api.service.local', { ttl: true });
      assert.deepEqual(v4.map((r) => r.address).sort(), ['10.0.0.1', '10.0.0.2']);
      assert.ok(v4.every((r) => r.ttl === 5));
      assert.deepEqual(await resolver.resolve6('api.service.local'), ['fd00::3']);
      const viaDig = await dig(bridge.address, 'api.service.local', 'AAAA');
      assert.equal(viaDig.status, 'NOERROR');
      assert.ok(viaDig.flags.includes('aa'), 'our zone answers authoritatively');
      assert.deepEqual(rdata(viaDig.answer), ['fd00::3']);
    });

    for (const name of ['api.service.local', '_api._tcp.service.local']) {
      it(`SRV ${name}: one record per provider, the targets' addresses as glue`, async () => {
        const srv = await caresResolver(bridge.address).resolveSrv(name);
        assert.deepEqual(srv.map((r) => `${r.priority} ${r.weight} ${r.port} ${r.name}`).sort(), [
          '10 1 8080 0a000001.addr.service.local',
          '10 5 8081 0a000002.addr.service.local',
          '20 1 8082 fd000000000000000000000000000003.addr.service.local',
        ]);
        const viaDig = await dig(bridge.address, name, 'SRV');
        assert.deepEqual(records(viaDig.additional).sort(), [
          '0a000001.addr.service.local. A 10.0.0.1',
          '0a000002.addr.service.local. A 10.0.0.2',
          'fd000000000000000000000000000003.addr.service.local. AAAA fd00::3',
        ]);
      });
    }

    it('the .addr. SRV targets resolve to the providers they stand for', async () => {
      const resolver = caresResolver(bridge.address);
      const targets = await resolver.resolveSrv('api.service.local');
      const addresses = await Promise.all(
        targets.map((t) => (t.name.length > 40 ? resolver.resolve6(t.name) : resolver.resolve4(t.name)).then((a) => `${t.port} ${a.join()}`)),
      );
      assert.deepEqual(addresses.sort(), ['8080 10.0.0.1', '8081 10.0.0.2', '8082 fd00::3']);
    });

    it('tags: only the providers carrying the tag, in both name forms', async () => {
      const resolver = caresResolver(bridge.address);
      assert.deepEqual(await resolver.resolve4('canary.api.service.local'), ['10.0.0.2']);
      const srv = await resolver.resolveSrv('_api._canary.service.local');
      assert.deepEqual(srv.map((r) => `${r.port} ${r.name}`), ['8081 0a000002.addr.service.local']);
      assert.equal(await caresError(resolver.resolve4('blue.api.service.local')), 'ENOTFOUND', 'a tag nobody carries');
    });

    it('several tags: only the providers carrying every one, NXDOMAIN when none carries them all', async () => {
      const resolver = caresResolver(bridge.address);
      assert.deepEqual(await resolver.resolve4('canary.v2.web.service.local'), ['10.0.3.1']);
      assert.deepEqual(rdata((await dig(bridge.address, 'v2.canary.web.service.local', 'SRV')).answer), ['10 1 80 0a000301.addr.service.local.']);
      assert.deepEqual((await resolver.resolve4('v2.web.service.local')).sort(), ['10.0.3.1', '10.0.3.3']);
      const none = await dig(bridge.address, 'canary.eu.web.service.local');
      assert.equal(none.status, 'NXDOMAIN');
    });

    it('answers in the spelling of the question, on a miss and on a hit', async () => {
      for (const name of ['ApI.SeRvIcE.LoCaL', 'API.SERVICE.LOCAL']) {
        const reply = await dig(bridge.address, name, 'A');
        assert.equal(reply.answer.length, 2);
        for (const line of reply.answer) assert.ok(line.startsWith(`${name}. `), line);
      }
    });

    it('rotates the order of providers between answers', async () => {
      const firsts: string[] = [];
      for (let i = 0; i < 4; i++) firsts.push(rdata((await dig(bridge.address, 'rot.service.local', 'A')).answer.slice(0, 1))[0]);
      assert.deepEqual([...firsts].sort(), ['10.0.2.1', '10.0.2.2', '10.0.2.3', '10.0.2.4'], `first records: ${firsts.join(', ')}`);
    });
  });

  describe('negative answers and the apex', () => {
    it('NXDOMAIN for an unknown service, with the SOA in authority', async () => {
      assert.equal(await caresError(caresResolver(bridge.address).resolve4('nope.service.local')), 'ENOTFOUND');
      const reply = await dig(bridge.address, 'nope.service.local', 'A');
      assert.equal(reply.status, 'NXDOMAIN');
      assert.ok(reply.flags.includes('aa'));
      assert.deepEqual(records(reply.authority), ['service.local. SOA ' + rdata(reply.authority)[0]]);
      assert.match(rdata(reply.authority)[0], /^ns\.service\.local\. hostmaster\.service\.local\. \d+ 3600 600 86400 5$/);
    });

    const nodata: [string, string][] = [
      ['v4only.service.local', 'AAAA'],
      ['api.service.local', 'TXT'],
      ['_api._tcp.service.local', 'A'],
    ];
    for (const [name, type] of nodata) {
      it(`NODATA (NOERROR, no answer, the SOA) for ${name} ${type}: the name exists`, async () => {
        const reply = await dig(bridge.address, name, type);
        assert.equal(reply.status, 'NOERROR');
        assert.deepEqual(reply.answer, []);
        assert.equal(records(reply.authority)[0].split(' ').slice(0, 2).join(' '), 'service.local. SOA');
        const lookup = type === 'AAAA' ? 'resolve6' : type === 'TXT' ? 'resolveTxt' : 'resolve4';
        assert.equal(await caresError(caresResolver(bridge.address)[lookup](name)), 'ENODATA');
      });
    }

    it('SOA and NS at the apex', async () => {
      const resolver = caresResolver(bridge.address);
      const soa = await resolver.resolveSoa('service.local');
      assert.deepEqual({ ...soa, serial: 0 }, { nsname: 'ns.service.local', hostmaster: 'hostmaster.service.local', serial: 0, refresh: 3600, retry: 600, expire: 86400, minttl: 5 });
      assert.deepEqual(await resolver.resolveNs('service.local'), ['ns.service.local']);
    });
  });

  describe('EDNS and truncation', () => {
    it('returns an OPT record advertising 1232 bytes, whatever size the client offers', async () => {
      for (const bufsize of ['+bufsize=512', '+bufsize=1232', '+bufsize=4096']) {
        assert.equal((await dig(bridge.address, 'api.service.local', 'A', [bufsize])).ednsUdp, 1232, bufsize);
      }
      assert.equal((await dig(bridge.address, 'api.service.local', 'A', ['+noedns'])).ednsUdp, undefined, 'no OPT to a client without EDNS');
    });

    it('100 providers over UDP: TC=1 even when the client offers 4096 (capped at 1232), within 512 without EDNS', async () => {
      const capped = await dig(bridge.address, 'big.service.local', 'A', ['+ignore', '+bufsize=4096']);
      assert.ok(capped.flags.includes('tc'), `flags: ${capped.flags.join(' ')}`);
      assert.ok(capped.size <= 1232);
      const classic = await dig(bridge.address, 'big.service.local', 'A', ['+ignore', '+noedns']);
      assert.ok(classic.flags.includes('tc'));
      assert.ok(classic.size <= 512);
    });

    it('the full answer over TCP: dig +tcp, and c-ares retrying by itself after TC=1', async () => {
      const viaTcp = await dig(bridge.address, 'big.service.local', 'A', ['+tcp']);
      assert.ok(!viaTcp.flags.includes('tc'));
      assert.deepEqual(rdata(viaTcp.answer), [...bigProviders].sort());
      const viaCares = await caresResolver(bridge.address).resolve4('big.service.local');
      assert.deepEqual(viaCares.sort(), [...bigProviders].sort());
      const srv = await dig(bridge.address, '_big._tcp.service.local', 'SRV', ['+tcp']);
      assert.equal(srv.answer.length, 100);
      assert.equal(srv.additional.length, 100);
    });
  });
});

describe('listening on IPv6 loopback', () => {
  let bridge: BridgeProcess;

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-v6-'));
    await writeFile(join(dir, 'services.yaml'), 'api: ["10.0.0.1:8080"]\n');
    bridge = await startBridge(['--file', join(dir, 'services.yaml')], { host: '::1' });
  });
  after(() => bridge?.stop());

  it('answers over UDP and TCP at [::1]:PORT', async () => {
    assert.deepEqual(await caresResolver(bridge.address).resolve4('api.service.local'), ['10.0.0.1']);
    assert.deepEqual(rdata((await dig(bridge.address, 'api.service.local', 'A', ['+tcp'])).answer), ['10.0.0.1']);
  });
});
