import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Etcd3 } from 'etcd3';
import { runCli } from '../../harness/bridge.js';
import { startEtcd, type EtcdServer } from '../../harness/etcd.js';
import { eventually } from '../../harness/eventually.js';
import { freePort } from '../../harness/ports.js';
import type { Running } from '../../harness/process.js';
import { connectZooKeeper, startZooKeeper, type ZooKeeperServer, type ZooKeeperTestClient } from '../../harness/zookeeper.js';
import { PATIENTLY, startRegister } from './helpers.js';

const NODE = '/api/providers/127.0.0.1:5000';

describe('dnsbridge register --exec, in ZooKeeper and etcd at once', () => {
  let zk: ZooKeeperServer;
  let zkClient: ZooKeeperTestClient;
  let etcd: EtcdServer;
  let etcdClient: Etcd3;
  let dir: string;
  const started: Running[] = [];

  before(async () => {
    [zk, etcd] = await Promise.all([startZooKeeper(), startEtcd()]);
    zkClient = await connectZooKeeper(zk.address);
    etcdClient = etcd.client();
    dir = await mkdtemp(join(tmpdir(), 'dnsbridge-exec-'));
  });
  after(async () => {
    await Promise.all(started.map((r) => r.stop()));
    await zkClient?.close();
    await Promise.all([zk?.stop(), etcd?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  async function register(args: string[], readyWhen?: string): Promise<Running> {
    const backends = ['--service', 'api', '--port', '5000', '--zookeeper', zk.address, '--etcd', etcd.url, '--ttl', '2', '--interval', '200ms'];
    const running = await startRegister([...backends, ...args], readyWhen);
    started.push(running);
    return running;
  }

  const inZooKeeper = async () => (await zkClient.children('/api/providers').catch((): string[] => [])).includes('127.0.0.1:5000');
  const inEtcd = async () => (await etcdClient.get(`/api/providers/127.0.0.1:5000`).string()) !== null;

  it('registers while the program runs; when it exits, withdraws from both and exits with its code', async () => {
    const pidFile = join(dir, 'pid');
    const stop = join(dir, 'stop');
    const program = `echo $$ > ${pidFile}; while [ ! -e ${stop} ]; do sleep 0.05; done; exit 3`;
    const running = await register(['--exec', '--', 'sh', '-c', program]);
    await eventually(async () => assert.deepEqual([await inZooKeeper(), await inEtcd()], [true, true]), PATIENTLY);
    const data = await new Promise<string>((resolve, reject) => zkClient.raw.getData(NODE, (error, buffer) => (error ? reject(error) : resolve(buffer.toString()))));
    assert.deepEqual(JSON.parse(data), { pid: Number((await readFile(pidFile, 'utf8')).trim()) }, 'zc.zk data names the program');
    await writeFile(stop, '');
    assert.equal(await running.exited, 3);
    assert.deepEqual([await inZooKeeper(), await inEtcd()], [false, false], 'withdrawn before register exited');
  });

  it('registers only once the program passes its check; SIGTERM withdraws, stops the program and exits 0', async () => {
    const port = await freePort();
    const listen = join(dir, 'listen');
    const stopped = join(dir, 'got-sigterm');
    const server = [
      `const fs = require('node:fs');`,
      `process.on('SIGTERM', () => { fs.writeFileSync(${JSON.stringify(stopped)}, ''); process.exit(0); });`,
      `const wait = setInterval(() => { if (!fs.existsSync(${JSON.stringify(listen)})) return; clearInterval(wait);`,
      `require('node:http').createServer((_, r) => r.end('ok')).listen(${port}, '127.0.0.1'); }, 50);`,
    ].join('\n');
    // --drain 0: the program is told at once (drain.test.ts covers the drain).
    const running = await register(['--check-http', `http://127.0.0.1:${port}/health`, '--drain', '0', '--exec', '--', process.execPath, '-e', server], 'check fails');
    assert.deepEqual([await inZooKeeper(), await inEtcd()], [false, false], 'not registered while the check fails');
    await writeFile(listen, '');
    await eventually(async () => assert.deepEqual([await inZooKeeper(), await inEtcd()], [true, true]), PATIENTLY);
    assert.equal(await running.stop(), 0);
    assert.ok(existsSync(stopped), 'the program got SIGTERM');
    assert.deepEqual([await inZooKeeper(), await inEtcd()], [false, false]);
  });

  it('a program that cannot be started: exit 127, saying so, and nothing registered', async () => {
    const args = ['register', '--service', 'api', '--port', '5000', '--address', '127.0.0.1', '--etcd', etcd.url, '--exec', '--', '/nonexistent/program'];
    const { code, output } = await runCli(args);
    assert.equal(code, 127);
    assert.match(output, /cannot run \/nonexistent\/program: spawn \/nonexistent\/program ENOENT/);
    assert.doesNotMatch(output, /registered/);
  });
});
