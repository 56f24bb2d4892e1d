import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { rssMiB } from '../harness/process.js';
import { dig, rdata } from '../harness/dig.js';
import { query } from '../harness/wire.js';

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
}

function framed(message: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return Buffer.concat([length, message]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('TCP abuse: connections and memory stay bounded, other clients are served', () => {
  let bridge: BridgeProcess;

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-tcp-'));
    const providers = Array.from({ length: 100 }, (_, i) => `"10.0.${i >> 8}.${i & 255}:8080"`).join(', ');
    await writeFile(join(dir, 'services.yaml'), `api: ["10.0.0.1:8080"]\nbig: [${providers}]\n`);
    bridge = await startBridge(['--file', join(dir, 'services.yaml')]);
  });
  after(() => bridge?.stop());

  async function stillAnswers(): Promise<void> {
    const viaTcp = await dig(bridge.address, 'api.service.local', 'A', ['+tcp']);
    assert.deepEqual(rdata(viaTcp.answer), ['10.0.0.1']);
    const viaUdp = await dig(bridge.address, 'api.service.local', 'A');
    assert.deepEqual(rdata(viaUdp.answer), ['10.0.0.1']);
  }

  it('a thousand idle connections: new clients are still served, memory stays bounded, idle ones are closed', { timeout: 60_000 }, async () => {
    const before = await rssMiB(bridge.child.pid!);
    const idle: net.Socket[] = [];
    for (let i = 0; i < 1000; i++) idle.push(await connect(bridge.port));
    await stillAnswers();
    const during = await rssMiB(bridge.child.pid!);
    assert.ok(during - before < 150, `RSS grew ${Math.round(during - before)} MiB with 1000 idle connections`);
    // The server closes connections with nothing to do after its idle timeout (10 s).
    await Promise.all(idle.map((socket) => closed(socket)));
    await stillAnswers();
  });

  it('a slow sender (one byte at a time) is cut off while others are served', { timeout: 30_000 }, async () => {
    const slow = await connect(bridge.port);
    const bytes = framed(query('api.service.local', 1));
    const cut = closed(slow);
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < bytes.length && !slow.destroyed) slow.write(bytes.subarray(sent, ++sent));
    }, 700);
    await stillAnswers();
    await cut;
    clearInterval(drip);
    assert.ok(sent < bytes.length, 'the server closed the connection before the dripped query was complete');
  });

  it('a client that never reads its answers is disconnected once its unread answers pile up', { timeout: 60_000 }, async () => {
    const greedy = await connect(bridge.port);
    greedy.pause();
    const cut = closed(greedy);
    const request = framed(query('big.service.local', 33));
    for (let i = 0; i < 5000 && !greedy.destroyed; i++) {
      if (!greedy.write(Buffer.concat(Array.from({ length: 20 }, () => request)))) await sleep(5);
    }
    await stillAnswers();
    greedy.resume();
    greedy.on('data', () => {});
    await cut;
    const after = await rssMiB(bridge.child.pid!);
    assert.ok(after < 400, `RSS ${Math.round(after)} MiB after a non-reading client`);
    await stillAnswers();
  });
});
