import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Etcd3 } from 'etcd3';
import { startBridge, type BridgeProcess } from '../../harness/bridge.js';
import { dig, rdata } from '../../harness/dig.js';
import { startEtcd, type EtcdServer } from '../../harness/etcd.js';
import type { Running } from '../../harness/process.js';
import { eventually } from '../../harness/eventually.js';
import { healthSwitch, PATIENTLY, startRegister, type HealthSwitch } from './helpers.js';

const KEY = '/api/providers/127.0.0.1:5000';

describe('dnsbridge register in a real etcd, answered by dnsbridge serve', () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  let bridge: BridgeProcess;
  let health: HealthSwitch;
  const started: Running[] = [];

  before(async () => {
    etcd = await startEtcd();
    client = etcd.client();
    bridge = await startBridge(['--etcd', etcd.url]);
    health = await healthSwitch();
  });
  after(async () => {
    await Promise.all(started.map((r) => r.stop()));
    await bridge?.stop();
    await etcd?.close();
    await health?.remove();
  });

  async function register(extra: string[] = []): Promise<Running> {
    await health.pass();
    const running = await startRegister(['--service', 'api', '--port', '5000', '--etcd', etcd.url, '--ttl', '2', '--check-cmd', health.check, '--interval', '200ms', ...extra]);
    started.push(running);
    return running;
  }

  /** The key's value and lease, or undefined when it is not there. */
  async function entry(): Promise<{ value: string; lease: string } | undefined> {
    const response = await client.get(KEY).exec();
    const kv = response.kvs[0];
    return kv ? { value: kv.value.toString(), lease: kv.lease } : undefined;
  }

  const answered = async () => rdata((await dig(bridge.address, 'api.service.local', 'SRV')).answer);

  it('puts the ep2016 layout under a lease, serve answers it, and SIGTERM removes it at once and exits 0', async () => {
    const running = await register();
    const stored = await entry();
    assert.equal(stored?.value, '127.0.0.1:5000');
    assert.notEqual(stored?.lease, '0', 'the key lives under a lease');
    await eventually(async () => assert.deepEqual(await answered(), ['10 1 5000 7f000001.addr.service.local.']), PATIENTLY);
    assert.equal(await running.stop(), 0);
    assert.equal(await entry(), undefined, 'gone as soon as register has exited');
    await eventually(async () => assert.deepEqual(await answered(), []), PATIENTLY);
  });

  it('withdraws the key while the check fails and puts it back when it passes', async () => {
    const running = await register();
    await health.fail();
    await eventually(async () => assert.equal(await entry(), undefined, 'withdrawn while the check fails'), PATIENTLY);
    await eventually(() => assert.match(running.output(), /check fails: test -e .*: exit 1/));
    await eventually(async () => assert.deepEqual(await answered(), []), PATIENTLY);
    await health.pass();
    await eventually(async () => assert.equal((await entry())?.value, '127.0.0.1:5000', 'back once the check passes'), PATIENTLY);
    await eventually(async () => assert.deepEqual(await answered(), ['10 1 5000 7f000001.addr.service.local.']), PATIENTLY);
    await running.stop();
  });

  it('kill -9 leaves the key to its lease: it goes when the TTL runs out', async () => {
    const running = await register();
    const { lease } = (await entry()) ?? { lease: '' };
    running.child.kill('SIGKILL');
    await running.exited;
    await eventually(async () => assert.equal(await entry(), undefined, 'gone with its lease'), PATIENTLY);
    await eventually(async () => assert.deepEqual(await answered(), []), PATIENTLY);
    const ttl = await etcd.etcdctl('lease', 'timetolive', BigInt(lease).toString(16));
    assert.match(ttl, /already expired/, 'removed by the lease expiring, not by register');
  });

  it('a lease lost (revoked from outside) is granted anew and the key put again', async () => {
    const running = await register();
    const before = await entry();
    await etcd.etcdctl('lease', 'revoke', BigInt(before?.lease ?? '0').toString(16));
    const restored = await eventually(async () => {
      const now = await entry();
      assert.ok(now && now.lease !== before?.lease, 'put again under a new lease');
      return now;
    }, PATIENTLY);
    assert.equal(restored.value, '127.0.0.1:5000');
    await eventually(() => assert.match(running.output(), /registration lost/));
    await running.stop();
  });

  it('etcd stopped past the TTL and restarted: the key is restored under a new lease and outlives the old one', async () => {
    const running = await register();
    const before = await entry();
    await etcd.stop();
    await eventually(() => assert.match(running.output(), /registration lost/, 'register noticed the lease is lost'), PATIENTLY);
    await etcd.start();
    const restored = await eventually(async () => {
      const now = await entry();
      assert.ok(now && now.lease !== before?.lease, 'put again under a new lease');
      return now;
    }, PATIENTLY);
    assert.equal(restored.value, '127.0.0.1:5000');
    const oldLease = BigInt(before?.lease ?? '0').toString(16);
    await eventually(async () => assert.match(await etcd.etcdctl('lease', 'timetolive', oldLease), /already expired/, 'the old lease expired'), PATIENTLY);
    assert.deepEqual(await entry(), restored, 'the key does not depend on the old lease');
    await running.stop();
  });

  it('SIGTERM while etcd is down: exits 0 after one bounded try, saying the key is left to its lease', async () => {
    const running = await register();
    await etcd.stop();
    try {
      assert.equal(await running.stop(), 0);
      assert.match(running.output(), /could not withdraw: etcd .*: revoke the lease of \/api\/providers\/127.0.0.1:5000: .*; the registry drops it when the session or TTL runs out/);
    } finally {
      await etcd.start();
    }
  });

  it('logs in with the password by the secret rule: --etcd-password-file beats DNSBRIDGE_ETCD_PASSWORD_FILE and DNSBRIDGE_ETCD_PASSWORD', async (t) => {
    const secured = await startEtcd();
    t.after(() => secured.close());
    await secured.enableAuth({ name: 'reader', password: 'reader-password', readPrefix: '/api/' });
    const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-etcd-password-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'right'), 'root-password\n', { mode: 0o600 });
    await writeFile(join(dir, 'wrong'), 'guess\n', { mode: 0o600 });
    const running = await startRegister(
      ['--service', 'api', '--port', '5000', '--etcd', secured.url, '--etcd-user', 'root', '--etcd-password-file', join(dir, 'right')],
      ': registered ',
      { DNSBRIDGE_ETCD_PASSWORD_FILE: join(dir, 'wrong'), DNSBRIDGE_ETCD_PASSWORD: 'guess' },
    );
    t.after(() => running.stop());
    assert.equal((await secured.client().get(KEY).exec()).kvs[0]?.value.toString(), '127.0.0.1:5000');
    assert.ok(!running.output().includes('root-password'), 'the password is not logged');
  });
});
