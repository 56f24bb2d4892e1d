import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import zookeeper, { type Stat } from 'node-zookeeper-client';
import { CLI, startBridge, type BridgeProcess } from '../../harness/bridge.js';
import { dig, rdata } from '../../harness/dig.js';
import { eventually } from '../../harness/eventually.js';
import { startProcess, type Running } from '../../harness/process.js';
import { connectZooKeeper, startZooKeeper, type ZooKeeperServer, type ZooKeeperTestClient } from '../../harness/zookeeper.js';
import { healthSwitch, PATIENTLY, startRegister, type HealthSwitch } from './helpers.js';

const NODE = '/api/providers/127.0.0.1:5000';

describe('dnsbridge register in a real ZooKeeper, answered by dnsbridge serve', () => {
  let zk: ZooKeeperServer;
  let reader: ZooKeeperTestClient;
  let replacing: Promise<void> | undefined;
  let bridge: BridgeProcess;
  let health: HealthSwitch;
  const started: Running[] = [];

  before(async () => {
    zk = await startZooKeeper();
    reader = await connectZooKeeper(zk.address, { sessionTimeoutMs: 10_000 });
    bridge = await startBridge(['--zookeeper', zk.address]);
    health = await healthSwitch();
  });
  after(async () => {
    await Promise.all(started.map((r) => r.stop()));
    await bridge?.stop();
    await reader?.close();
    await zk?.stop();
    await health?.remove();
  });

  async function register(extra: string[] = [], readyWhen?: string): Promise<Running> {
    await health.pass();
    const args = ['--service', 'api', '--port', '5000', '--zookeeper', zk.address, '--ttl', '2', '--check-cmd', health.check, '--interval', '200ms'];
    const running = await startRegister([...args, ...extra], readyWhen);
    started.push(running);
    return running;
  }

  /**
   * The node's data and owning session, or undefined when it is not there. The test's client
   * (node-zookeeper-client, no read timeout) can hang after a ZooKeeper restart: after 5 s
   * without an answer it is replaced, and the caller's `eventually` asks again.
   */
  function node(path = NODE): Promise<{ data: string; owner: string } | undefined> {
    const client = reader;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        replaceReader(client);
        reject(new Error(`test reader: no answer for ${path} in 5 s`));
      }, 5000);
      client.raw.getData(path, (error, data, stat: Stat) => {
        clearTimeout(timer);
        if (error) return error instanceof zookeeper.Exception && error.getCode() === zookeeper.Exception.NO_NODE ? resolve(undefined) : reject(error);
        resolve({ data: data.toString(), owner: stat.ephemeralOwner.toString('hex') });
      });
    });
  }

  function replaceReader(stuck: ZooKeeperTestClient): void {
    if (reader !== stuck || replacing) return;
    stuck.raw.close();
    replacing = connectZooKeeper(zk.address, { sessionTimeoutMs: 10_000 })
      .then((fresh) => void (reader = fresh))
      .catch(() => undefined)
      .finally(() => (replacing = undefined));
  }

  async function answered(): Promise<string[]> {
    const reply = await dig(bridge.address, 'api.service.local', 'SRV');
    return rdata(reply.answer);
  }

  it('creates the ephemeral ep2016 node with zc.zk data, serve answers it, and SIGTERM withdraws it at once', async () => {
    const running = await register();
    const created = await node();
    assert.deepEqual(JSON.parse(created?.data ?? '{}'), { pid: running.child.pid });
    assert.notEqual(created?.owner, '0000000000000000', 'ephemeral: owned by a session');
    assert.deepEqual(await answered(), ['10 1 5000 7f000001.addr.service.local.']);
    assert.equal(await running.stop(), 0);
    assert.equal(await node(), undefined, 'gone as soon as register has exited');
    assert.deepEqual(await answered(), [], 'gone from the next answer');
  });

  it('withdraws the node within the failing check and brings it back when the check passes', async () => {
    const running = await register();
    await health.fail();
    await eventually(async () => assert.equal(await node(), undefined), PATIENTLY);
    await eventually(async () => assert.deepEqual(await answered(), []), PATIENTLY);
    await health.pass();
    await eventually(async () => assert.deepEqual(await answered(), ['10 1 5000 7f000001.addr.service.local.']), PATIENTLY);
    await running.stop();
  });

  it('kill -9 leaves the node to the session timeout, then it is gone from DNS', async () => {
    const running = await register();
    running.child.kill('SIGKILL');
    await running.exited;
    await eventually(async () => assert.equal(await node(), undefined, 'removed by ZooKeeper when the session expired'), PATIENTLY);
    await eventually(async () => assert.deepEqual(await answered(), []), PATIENTLY);
  });

  it('a register started again right after kill -9 takes the node over: the old session expiring does not remove it', async () => {
    const killed = await register();
    // Killed right after it with twice the session timeout, its node goes only after the killed session expired.
    const sentinel = await register(['--service', 'sentinel', '--ttl', '4']);
    const old = await node();
    killed.child.kill('SIGKILL');
    sentinel.child.kill('SIGKILL');
    const again = await register();
    const taken = await node();
    assert.notEqual(taken?.owner, old?.owner);
    assert.deepEqual(JSON.parse(taken?.data ?? '{}'), { pid: again.child.pid });
    await eventually(async () => assert.equal(await node('/sentinel/providers/127.0.0.1:5000'), undefined), PATIENTLY);
    assert.deepEqual(await node(), taken, 'still there after the killed session expired');
    assert.deepEqual(await answered(), ['10 1 5000 7f000001.addr.service.local.']);
    await again.stop();
  });

  it('ZooKeeper restarted and the session expired meanwhile: the node is created again under a new session', async () => {
    const running = await register();
    const before = await node();
    await zk.stop();
    // Frozen, register cannot renew its session once ZooKeeper is back: the session expires.
    running.child.kill('SIGSTOP');
    await zk.start();
    await eventually(async () => assert.equal(await node(), undefined, 'expired with its session'), PATIENTLY);
    running.child.kill('SIGCONT');
    const restored = await eventually(async () => {
      const now = await node();
      assert.ok(now && now.owner !== before?.owner, 'created again by a new session');
      return now;
    }, PATIENTLY);
    assert.deepEqual(JSON.parse(restored.data), { pid: running.child.pid });
    await eventually(() => assert.match(running.output(), /registration lost/));
    await eventually(async () => assert.deepEqual(await answered(), ['10 1 5000 7f000001.addr.service.local.']), PATIENTLY);
    await running.stop();
  });

  it('writes a Curator ServiceInstance under --zk-path, which serve reads with that path', async () => {
    const running = await register(['--format', 'curator', '--zk-path', '/services/{service}']);
    const children = await reader.children('/services/api');
    assert.equal(children.length, 1);
    const instance = JSON.parse((await node(`/services/api/${children[0]}`))?.data ?? '{}');
    assert.deepEqual(
      { name: instance.name, id: instance.id, address: instance.address, port: instance.port, enabled: instance.enabled, serviceType: instance.serviceType },
      { name: 'api', id: children[0], address: '127.0.0.1', port: 5000, enabled: true, serviceType: 'DYNAMIC' },
    );
    const curatorBridge = await startBridge(['--zookeeper', zk.address, '--zk-path', '/services/{service}']);
    try {
      assert.deepEqual(rdata((await dig(curatorBridge.address, 'api.service.local', 'A')).answer), ['127.0.0.1']);
    } finally {
      await curatorBridge.stop();
    }
    await running.stop();
    assert.deepEqual(await reader.children('/services/api'), []);
  });

  it('keeps retrying while ZooKeeper is down at start, saying so, and registers once it is up', async () => {
    await zk.stop();
    const running = await register([], 'retrying in');
    assert.match(running.output(), new RegExp(`zookeeper ${zk.address}: no session: no answer in \\d+ ms; retrying in \\d+ ms`));
    await zk.start();
    await eventually(async () => assert.ok(await node()), PATIENTLY);
    await running.stop();
  });

  it('registers under a digest-protected path with the digest from DNSBRIDGE_ZK_DIGEST_FILE, which beats DNSBRIDGE_ZK_DIGEST; others may read the node but not delete it', async (t) => {
    const { ACL, Id, Permission } = zookeeper;
    const owner = await connectZooKeeper(zk.address, { digest: 'alice:secret' });
    const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-zk-digest-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'digest'), 'alice:secret\n', { mode: 0o600 });
    try {
      await owner.create('/secure/api', '', 'persistent', [new ACL(Permission.ALL, new Id('auth', '')), new ACL(Permission.READ, new Id('world', 'anyone'))]);
      const running = await startProcess(process.execPath, [CLI, 'register', '--service', 'api', '--port', '5000', '--address', '127.0.0.1', '--zookeeper', zk.address, '--zk-path', '/secure/{service}'], {
        env: { ...process.env, DNSBRIDGE_ZK_DIGEST_FILE: join(dir, 'digest'), DNSBRIDGE_ZK_DIGEST: 'alice:guess' },
        ready: (output) => output.includes(': registered '),
        name: 'register',
      });
      started.push(running);
      assert.deepEqual(JSON.parse((await node('/secure/api/127.0.0.1:5000'))?.data ?? '{}'), { pid: running.child.pid });
      await assert.rejects(reader.remove('/secure/api/127.0.0.1:5000'), /NO_AUTH/);
      await running.stop();
      assert.deepEqual(await owner.children('/secure/api'), []);
    } finally {
      await owner.close();
    }
  });
});
