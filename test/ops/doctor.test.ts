import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli, startBridge, type BridgeProcess } from '../harness/bridge.js';
import { startDnsmasq, type Dnsmasq } from '../harness/dnsmasq.js';
import { freePort } from '../harness/ports.js';
import { judgeHostsLine } from '../../src/ops/doctor/nsswitch.js';
import { checkResolvConf } from '../../src/ops/doctor/resolv.js';
import { tempDir, writeTemp } from './helpers.js';

describe('dnsbridge doctor on this host', () => {
  let other: Dnsmasq;
  let holder: Dnsmasq;
  let bridge: BridgeProcess;
  let registry: string;

  before(async () => {
    other = await startDnsmasq({ config: ['local=/example.test/', 'host-record=web.example.test,192.0.2.10'] });
    holder = await startDnsmasq({ config: ['local=/example.test/'] });
    registry = await writeTemp(await tempDir(), 'services.yaml', 'api: ["10.0.0.1:80"]\n');
    bridge = await startBridge(['--file', registry]);
  });
  after(async () => {
    await bridge?.stop();
    await other?.stop();
    await holder?.stop();
  });

  // Every server it asks is on loopback: the upstream and the consul zone are the dnsmasq.
  const doctor = (listen: string, extra: string[] = []) =>
    runCli(['doctor', '--listen', listen, '--upstream', other.address, '--zone', `consul=${other.address}`, '--file', registry, ...extra]);

  it('finds our bridge at its address, the upstream and the source reachable, and says what keeps resolv.conf from using it', async () => {
    const { code, output } = await doctor(bridge.address);
    assert.match(output, new RegExp(`^ok {4}listen ${bridge.address}: a dnsbridge answers there for service\\.local$`, 'm'));
    assert.match(output, new RegExp(`^ok {4}upstream ${other.address}: answers$`, 'm'));
    assert.match(output, new RegExp(`^ok {4}--zone consul ${other.address}: answers$`, 'm'));
    assert.match(output, /^ok {4}source file: connected$/m);
    // glibc only asks port 53: a bridge on a test port can never be in resolv.conf.
    assert.match(output, /^FAIL {2}\/etc\/resolv\.conf: the bridge listens on 127\.0\.0\.1:\d+, but resolv\.conf can only name port 53 servers\n {6}fix: run the bridge with --listen 127\.0\.0\.1:53/m);
    assert.match(output, /^(ok|WARN|FAIL) {2,4}\/etc\/nsswitch\.conf \(hosts line\): /m);
    assert.match(output, /\d+ problems? to fix\n$/);
    assert.equal(code, 1);
  });

  it('says when another DNS server holds the address', async () => {
    const { code, output } = await doctor(holder.address);
    assert.match(output, new RegExp(`^FAIL  listen ${holder.address}: taken by .*which does not answer as a dnsbridge\\n {6}fix: stop that program`, 'm'));
    assert.equal(code, 1);
  });

  it('says a free address is free', async () => {
    const free = `127.0.0.1:${await freePort()}`;
    const { output } = await doctor(free);
    assert.match(output, new RegExp(`^ok {4}listen ${free}: free`, 'm'));
  });
});

describe('what doctor says about resolv.conf', () => {
  const cases: [name: string, listen: number, text: string, status: string, found: RegExp][] = [
    ['the bridge first', 53, 'nameserver 127.0.0.1\nnameserver 10.0.0.1\n', 'ok', /first nameserver 127\.0\.0\.1 is the bridge/],
    ['the bridge second', 53, 'nameserver 10.0.0.1\nnameserver 127.0.0.1\n', 'fail', /the bridge is not first, so glibc asks 10\.0\.0\.1 first/],
    ['no bridge', 53, 'nameserver 10.0.0.1\n', 'fail', /none is the bridge/],
    ['rotate', 53, 'nameserver 127.0.0.1\noptions rotate\n', 'warn', /rotate/],
    ['a port other than 53', 1053, 'nameserver 127.0.0.1\n', 'fail', /can only name port 53 servers/],
  ];
  for (const [name, port, text, status, found] of cases) {
    it(name, async () => {
      const path = await writeTemp(await tempDir(), 'resolv.conf', text);
      const check = checkResolvConf({ host: '127.0.0.1', port }, path);
      assert.equal(check.status, status);
      assert.match(check.found, found);
      if (status !== 'ok') assert.ok(check.fix);
    });
  }

  it('tells where the old nameservers go', async () => {
    const path = await writeTemp(await tempDir(), 'resolv.conf', 'nameserver 10.0.0.1\nnameserver 10.0.0.2\n');
    assert.match(checkResolvConf({ host: '127.0.0.1', port: 53 }, path).fix ?? '', /put "nameserver 127\.0\.0\.1" first .* --upstream 10\.0\.0\.1,10\.0\.0\.2/);
  });
});

describe('what doctor says about the hosts line of nsswitch.conf', () => {
  const cases: [line: string, domain: string, status: string][] = [
    ['files dns', 'service.local', 'ok'],
    ['files mdns4_minimal [NOTFOUND=return] dns', 'service.local', 'fail'],
    ['files mdns4_minimal [NOTFOUND=return] dns myhostname', 'service.local', 'fail'],
    ['files mdns4 dns', 'service.local', 'warn'],
    ['files dns mdns4', 'service.local', 'ok'],
    ['files mdns4_minimal [NOTFOUND=return] dns', 'service.internal', 'ok'],
    ['files myhostname', 'service.local', 'fail'],
  ];
  for (const [line, domain, status] of cases) {
    it(`"${line}" for ${domain}: ${status}`, () => {
      const check = judgeHostsLine(line, domain);
      assert.equal(check.status, status, check.found);
      if (status !== 'ok') assert.ok(check.fix);
    });
  }
});
