// The proof that programs need no code change: inside a network namespace whose resolv.conf
// points at 127.0.0.1, the bridge listens on port 53 and glibc's resolver (getent) finds
// services and, through the bridge, every other name. Needs root, as CI runs.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI } from '../harness/bridge.js';
import { startDnsmasq, type Dnsmasq } from '../harness/dnsmasq.js';
import { createNetns, type Netns } from '../harness/netns.js';
import { startProcess, type Running } from '../harness/process.js';
import { requireTool } from '../harness/tools.js';

const UPSTREAM_PORT = 5300;
const bigAddresses = Array.from({ length: 100 }, (_, i) => `10.1.0.${i + 1}`);

/** The addresses in `getent` output, one per line: `10.0.0.1  STREAM api.service.local`. */
function addresses(output: string): string[] {
  return [...new Set(output.trim().split('\n').map((line) => line.split(/\s+/)[0]))].sort();
}

describe('glibc resolves through the bridge on port 53 (network namespace)', () => {
  let netns: Netns;
  let upstream: Dnsmasq;
  let bridge: Running;
  let getent: string;

  before(async () => {
    getent = requireTool('getent', 'libc-bin');
    const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-glibc-'));
    const file = join(dir, 'services.yaml');
    await writeFile(file, `api: ["10.0.0.1:8080", "10.0.0.2:8081"]\nbig: [${bigAddresses.map((a) => `"${a}:80"`).join(', ')}]\n`);
    // Our own nsswitch.conf: a host with nss-mdns would keep *.local names away from DNS.
    netns = await createNetns({ resolvConf: 'nameserver 127.0.0.1\n', nsswitch: 'hosts: files dns\n' });
    upstream = await startDnsmasq({ config: ['local=/example.test/', 'host-record=web.example.test,192.0.2.10'], port: UPSTREAM_PORT, launcher: netns.launcher });
    const args = [CLI, 'serve', '--listen', '127.0.0.1:53', '--upstream', `127.0.0.1:${UPSTREAM_PORT}`, '--file', file, '--workers', '1'];
    bridge = await startProcess(netns.launcher[0], [...netns.launcher.slice(1), process.execPath, ...args], {
      ready: (output) => output.includes('dnsbridge listening'),
      name: 'dnsbridge in a network namespace',
    });
  });
  after(async () => {
    await bridge?.stop();
    await upstream?.stop();
    await netns?.remove();
  });

  it('getent hosts api.service.local: the service resolves', async () => {
    const output = await netns.exec(getent, ['hosts', 'api.service.local']);
    assert.match(output, /^10\.0\.0\.[12]\s+api\.service\.local/);
  });

  it('getaddrinfo (getent ahosts, A and AAAA together) gets every provider: AAAA is NODATA, not NXDOMAIN', async () => {
    assert.deepEqual(addresses(await netns.exec(getent, ['ahosts', 'api.service.local'])), ['10.0.0.1', '10.0.0.2']);
  });

  it('100 providers: glibc retries over TCP after TC=1 and gets them all', async () => {
    assert.deepEqual(addresses(await netns.exec(getent, ['ahostsv4', 'big.service.local'])), [...bigAddresses].sort());
  });

  it('a name outside our zone resolves through the upstream', async () => {
    const output = await netns.exec(getent, ['hosts', 'web.example.test']);
    assert.match(output, /^192\.0\.2\.10\s+web\.example\.test/);
  });

  it('an unknown service is not found (getent exits 2)', async () => {
    await assert.rejects(netns.exec(getent, ['hosts', 'nope.service.local']), (error: { code?: number }) => error.code === 2);
  });
});

describe('glibc with --max-answers 1 (network namespace)', () => {
  let netns: Netns;
  let bridge: Running;
  let getent: string;

  before(async () => {
    getent = requireTool('getent', 'libc-bin');
    const file = join(await mkdtemp(join(tmpdir(), 'dnsbridge-glibc-subset-')), 'services.yaml');
    await writeFile(file, 'api: ["10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080", "10.0.0.4:8080"]\n');
    netns = await createNetns({ resolvConf: 'nameserver 127.0.0.1\n', nsswitch: 'hosts: files dns\n' });
    const args = [CLI, 'serve', '--listen', '127.0.0.1:53', '--upstream', `127.0.0.1:${UPSTREAM_PORT}`, '--file', file, '--workers', '1', '--max-answers', '1'];
    bridge = await startProcess(netns.launcher[0], [...netns.launcher.slice(1), process.execPath, ...args], {
      ready: (output) => output.includes('dnsbridge listening'),
      name: 'dnsbridge --max-answers 1 in a network namespace',
    });
  });
  after(async () => {
    await bridge?.stop();
    await netns?.remove();
  });

  it('getent ahosts returns one address, the same at every call', async () => {
    const first = addresses(await netns.exec(getent, ['ahosts', 'api.service.local']));
    assert.equal(first.length, 1, first.join(' '));
    for (let i = 0; i < 10; i++) assert.deepEqual(addresses(await netns.exec(getent, ['ahosts', 'api.service.local'])), first);
  });
});
