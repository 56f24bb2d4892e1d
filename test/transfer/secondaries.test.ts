import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig } from '../harness/dig.js';
import { eventually } from '../harness/eventually.js';
import { startKnot } from '../harness/knot.js';
import { startNsd } from '../harness/nsd.js';
import { freePort } from '../harness/ports.js';
import type { Secondary } from '../harness/secondary.js';
import { requireTool } from '../harness/tools.js';
import { connectZooKeeper, startZooKeeper, type ZooKeeperServer } from '../harness/zookeeper.js';
import { scrape, tempDir, total } from '../ops/helpers.js';
import { ask, zkArgs } from '../sources/zookeeper/helpers.js';

const ZONE = 'service.local';
const WAIT = { attempts: 600, intervalMs: 100 };

/** A TSIG key file as BIND's tsig-keygen writes it, and its parts for the secondaries' configurations. */
async function makeKey(dir: string, name: string): Promise<{ file: string; key: { name: string; secret: string } }> {
  const text = execFileSync(requireTool('tsig-keygen', 'bind9'), ['-a', 'hmac-sha256', name], { encoding: 'utf8' });
  const file = join(dir, `${name}.key`);
  await writeFile(file, text);
  return { file, key: { name, secret: /secret "([^"]+)"/.exec(text)![1] } };
}

async function soaSerial(server: string): Promise<number> {
  const reply = await dig(server, ZONE, 'SOA');
  return Number(String(reply.answer[0]).split(/\s+/)[6]);
}

/** Polls until `server` answers `name` `type` with `records`; returns how long that took, in ms. */
async function answerSeen(server: string, name: string, type: string, expected: { status: string; records: string[] }): Promise<number> {
  const started = performance.now();
  await eventually(async () => assert.deepEqual(await ask(server, name, type), expected), { attempts: 3000, intervalMs: 10 });
  return performance.now() - started;
}

// One ZooKeeper, one bridge as hidden primary, NSD and Knot as its secondaries, all with one TSIG key.
describe('zone transfers to real secondaries (NSD, Knot DNS)', () => {
  let zk: ZooKeeperServer;
  let writer: Awaited<ReturnType<typeof connectZooKeeper>>;
  let bridge: BridgeProcess;
  let bridgeArgs: string[];
  let bridgePort: number;
  let secondaries: Secondary[] = [];
  let dir: string;
  let key: { name: string; secret: string };

  before(async () => {
    dir = await tempDir();
    zk = await startZooKeeper();
    writer = await connectZooKeeper(zk.address);
    await writer.create('/api/providers/10.0.5.1:8080', '');
    await writer.create('/api/providers/10.0.5.2:8081', '');
    const made = await makeKey(dir, 'transfer-key');
    key = made.key;
    [bridgePort] = [await freePort()];
    const [nsdPort, knotPort] = [await freePort(), await freePort()];
    bridgeArgs = [...zkArgs(zk.address), '--transfer-allow', '127.0.0.1', '--notify', `127.0.0.1:${nsdPort},127.0.0.1:${knotPort}`, '--tsig-key-file', made.file];
    bridge = await startBridge(bridgeArgs, { port: bridgePort });
    const options = { zone: ZONE, primaryPort: bridgePort, key };
    secondaries = await Promise.all([startNsd({ ...options, port: nsdPort }), startKnot({ ...options, port: knotPort })]);
  });

  after(async () => {
    await Promise.all(secondaries.map((secondary) => secondary.stop()));
    await bridge?.stop();
    await writer?.close();
    await zk?.stop();
  });

  it('each secondary loads the zone with the TSIG key and answers A and SRV as the bridge does', async () => {
    for (const type of ['A', 'SRV']) {
      const fromBridge = await ask(bridge.address, `api.${ZONE}`, type);
      assert.equal(fromBridge.records.length, 2);
      for (const secondary of secondaries) await answerSeen(secondary.address, `api.${ZONE}`, type, fromBridge);
    }
    const metrics = await scrape(bridge.http);
    assert.ok((total(metrics, 'dnsbridge_transfers_total', { result: 'ok' }) ?? 0) >= 2, 'both transferred from the bridge');
  });

  it('a provider created in ZooKeeper reaches every secondary after NOTIFY, and leaves it when deleted', async () => {
    for (const secondary of secondaries) await answerSeen(secondary.address, `api.${ZONE}`, 'A', await ask(bridge.address, `api.${ZONE}`, 'A'));
    await writer.create('/web/providers/10.0.5.9:80', '');
    const created = await Promise.all(secondaries.map((s) => answerSeen(s.address, `web.${ZONE}`, 'A', { status: 'NOERROR', records: ['10.0.5.9'] })));
    await writer.remove('/web/providers/10.0.5.9:80');
    const deleted = await Promise.all(secondaries.map((s) => answerSeen(s.address, `web.${ZONE}`, 'A', { status: 'NXDOMAIN', records: [] })));
    secondaries.forEach((s, i) => console.log(`# ${s.name}: ZooKeeper create -> answer ${created[i].toFixed(0)} ms, delete -> NXDOMAIN ${deleted[i].toFixed(0)} ms (polled every 10 ms)`));
    const notifies = total(await scrape(bridge.http), 'dnsbridge_notifies_total', { result: 'acknowledged' }) ?? 0;
    assert.ok(notifies >= 4, `NOTIFYs acknowledged: ${notifies}`);
  });

  it('a one-provider change in a 1,000-service zone goes to both secondaries over IXFR', async () => {
    for (let i = 0; i < 1000; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => writer.create(`/bulk${i + j}/providers/10.1.${(i + j) >> 8}.${(i + j) & 255}:80`, '')));
    }
    for (const secondary of secondaries) await answerSeen(secondary.address, `bulk999.${ZONE}`, 'A', { status: 'NOERROR', records: ['10.1.3.231'] });
    // NSD answers a burst of IXFRs it could not apply in time ("update failed") with one AXFR at its
    // next transfer: one more change first, so the measured one starts from the steady state.
    await writer.create('/bulk1/providers/10.3.0.1:80', '');
    for (const secondary of secondaries) await answerSeen(secondary.address, `bulk1.${ZONE}`, 'A', { status: 'NOERROR', records: ['10.1.0.1', '10.3.0.1'] });
    // The bulk load's last transfers may still be under way: count from a quiet moment on.
    const transfersSoFar = async () => total(await scrape(bridge.http), 'dnsbridge_transfers_total') ?? 0;
    let seen = await transfersSoFar();
    await eventually(async () => {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const now = await transfersSoFar();
      const quiet = now === seen;
      seen = now;
      assert.ok(quiet, 'transfers still going on');
    }, { attempts: 30, intervalMs: 0 });
    const beforeChange = await scrape(bridge.http);
    await writer.create('/bulk500/providers/10.2.0.1:80', '');
    for (const secondary of secondaries) await answerSeen(secondary.address, `bulk500.${ZONE}`, 'A', { status: 'NOERROR', records: ['10.1.1.244', '10.2.0.1'] });
    const afterChange = await scrape(bridge.http);
    const count = (metrics: Map<string, number>, type: string) => total(metrics, 'dnsbridge_transfers_total', { type, result: 'ok' }) ?? 0;
    assert.equal(count(afterChange, 'axfr') + count(afterChange, 'ixfr-axfr'), count(beforeChange, 'axfr') + count(beforeChange, 'ixfr-axfr'), 'no whole-zone transfer');
    assert.ok(count(afterChange, 'ixfr') >= count(beforeChange, 'ixfr') + 2, 'an IXFR for each secondary');
  });

  it('a restarted bridge has a higher serial, and the secondaries pick up what changed meanwhile', async () => {
    const serialBefore = await soaSerial(bridge.address);
    await bridge.stop();
    await writer.create('/api/providers/10.0.5.3:8082', '');
    bridge = await startBridge(bridgeArgs, { port: bridgePort });
    const expected = { status: 'NOERROR', records: ['10.0.5.1', '10.0.5.2', '10.0.5.3'] };
    await answerSeen(bridge.address, `api.${ZONE}`, 'A', expected);
    await eventually(async () => assert.ok((await soaSerial(bridge.address)) > serialBefore), WAIT);
    for (const secondary of secondaries) await answerSeen(secondary.address, `api.${ZONE}`, 'A', expected);
  });

  it('a secondary with a wrong key gets nothing, and the bridge logs why', async () => {
    const wrong = await makeKey(dir, 'transfer-key');
    const port = await freePort();
    const stranger = await startNsd({ zone: ZONE, primaryPort: bridgePort, key: wrong.key, port });
    try {
      await eventually(() => assert.match(bridge.output(), /transfer refused to 127\.0\.0\.1: [AI]XFR of service\.local: TSIG BADSIG/), WAIT);
      const reply = await dig(stranger.address, `api.${ZONE}`, 'A');
      assert.equal(reply.answer.length, 0, `the wrongly keyed secondary answered ${JSON.stringify(reply.answer)}`);
      assert.notEqual(reply.status, 'NOERROR');
    } finally {
      await stranger.stop();
    }
  });
});

describe('zone transfers not configured', () => {
  it('AXFR stays refused without --transfer-allow', async (t) => {
    const dir = await tempDir();
    const registry = join(dir, 'services.yaml');
    await writeFile(registry, 'api: ["10.0.6.1:80"]\n');
    const bridge = await startBridge(['--file', registry]);
    t.after(() => bridge.stop());
    const kdig = requireTool('kdig', 'knot-dnsutils');
    const [host, port] = [bridge.host, String(bridge.port)];
    const run = spawnSync(kdig, [`@${host}`, '-p', port, ZONE, 'AXFR', '+time=5', '+retry=0'], { encoding: 'utf8' });
    const output = run.stdout + run.stderr;
    assert.match(output, /REFUSED/);
    assert.doesNotMatch(output, /10\.0\.6\.1/);
  });
});
