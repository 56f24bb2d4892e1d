// register --drain: on SIGTERM the registration goes at once, the --exec program keeps serving the
// clients that still hold its address, then gets SIGTERM, and its exit code is passed on.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../../harness/bridge.js';
import { dig, rdata } from '../../harness/dig.js';
import { eventually } from '../../harness/eventually.js';
import { freePort } from '../../harness/ports.js';
import { startZooKeeper, type ZooKeeperServer } from '../../harness/zookeeper.js';
import { PATIENTLY, startRegister } from './helpers.js';

/** A program serving HTTP on `port` that, on SIGTERM, leaves `marker` and exits 7. */
function program(port: number, marker: string): string[] {
  const source = [
    `const fs = require('node:fs');`,
    `process.on('SIGTERM', () => { fs.writeFileSync(${JSON.stringify(marker)}, ''); process.exit(7); });`,
    `require('node:http').createServer((_, r) => r.end('ok')).listen(${port}, '127.0.0.1');`,
  ].join('\n');
  return ['--exec', '--', process.execPath, '-e', source];
}

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(body));
    }).once('error', reject);
  });
}

describe('dnsbridge register --drain', () => {
  let zk: ZooKeeperServer;
  let bridge: BridgeProcess;
  let dir: string;

  before(async () => {
    zk = await startZooKeeper();
    bridge = await startBridge(['--zookeeper', zk.address, '--zk-session-timeout', '4000']);
    dir = await mkdtemp(join(tmpdir(), 'dnsbridge-drain-'));
  });
  after(async () => {
    await bridge?.stop();
    await zk?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function registered(service: string, port: number, drain: string, marker: string) {
    const args = ['--service', service, '--port', String(port), '--zookeeper', zk.address, '--ttl', '4', '--check-tcp', `127.0.0.1:${port}`, '--interval', '200ms', '--drain', drain];
    const running = await startRegister([...args, ...program(port, marker)]);
    await eventually(async () => assert.deepEqual(rdata((await dig(bridge.address, `${service}.service.local`, 'SRV')).answer), [`10 1 ${port} 7f000001.addr.service.local.`]), PATIENTLY);
    return running;
  }

  it('SIGTERM: the name leaves the next answer while the program still serves; then the program gets SIGTERM and its code is passed on', async () => {
    const port = await freePort();
    const marker = join(dir, 'drained-stopped');
    const running = await registered('drained', port, '4', marker);
    running.child.kill('SIGTERM');
    await eventually(async () => assert.equal((await dig(bridge.address, 'drained.service.local', 'SRV')).status, 'NXDOMAIN'), PATIENTLY);
    assert.equal(await get(port), 'ok', 'withdrawn, and still serving its clients');
    assert.ok(!existsSync(marker), 'the program has not been told to stop yet');
    assert.match(running.output(), /draining: the program keeps serving for 4 s/);
    assert.equal(await running.exited, 7);
    assert.ok(existsSync(marker), 'the program got SIGTERM after the drain');
  });

  it('a second SIGTERM ends the drain early', async () => {
    const port = await freePort();
    const marker = join(dir, 'cut-stopped');
    const running = await registered('cut', port, '3600', marker);
    running.child.kill('SIGTERM');
    await eventually(() => assert.match(running.output(), /draining/), PATIENTLY);
    assert.equal(await get(port), 'ok');
    running.child.kill('SIGTERM');
    assert.equal(await running.exited, 7);
    assert.ok(existsSync(marker));
    assert.match(running.output(), /drain ended early/);
  });
});
