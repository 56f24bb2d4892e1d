import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig, rdata } from '../harness/dig.js';
import { query } from '../harness/wire.js';

/** Sends `count` queries from one socket as fast as it can; counts full and TC=1 answers. */
async function flood(port: number, count: number): Promise<{ answered: number; truncated: number }> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
  const counts = { answered: 0, truncated: 0 };
  socket.on('message', (reply) => {
    if (reply[2] & 0x02) counts.truncated++;
    else counts.answered++;
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve) => socket.send(query('api.service.local', 1, { id: i }), port, '127.0.0.1', () => resolve()));
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  socket.close();
  return counts;
}

describe('response rate limiting (--rate-limit)', () => {
  let limited: BridgeProcess;
  let unlimited: BridgeProcess;

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-rrl-'));
    await writeFile(join(dir, 'services.yaml'), 'api: ["10.0.0.1:8080"]\n');
    limited = await startBridge(['--file', join(dir, 'services.yaml'), '--rate-limit', '50', '--rate-limit-slip', '2']);
    unlimited = await startBridge(['--file', join(dir, 'services.yaml')]);
  });
  after(() => Promise.all([limited?.stop(), unlimited?.stop()]));

  it('a flood from one client is mostly dropped, with small TC=1 answers, and TCP still answers it', async () => {
    const withLimit = await flood(limited.port, 3000);
    const withoutLimit = await flood(unlimited.port, 3000);
    assert.equal(withoutLimit.truncated, 0);
    assert.ok(
      withLimit.answered * 3 < withoutLimit.answered,
      `${withLimit.answered} full answers with --rate-limit 50, ${withoutLimit.answered} without`,
    );
    assert.ok(withLimit.truncated > 0, 'some limited queries were told to retry over TCP');
    const overTcp = await dig(limited.address, 'api.service.local', 'A', ['+tcp']);
    assert.deepEqual(rdata(overTcp.answer), ['10.0.0.1']);
  });
});
