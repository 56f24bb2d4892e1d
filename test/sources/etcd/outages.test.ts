import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { prepareEtcd, startEtcd } from '../../harness/etcd.js';
import { startSilentProxy } from '../../harness/silent-proxy.js';
import { startTcpProxy } from '../../harness/tcp-proxy.js';
import { addr, answerBecomes, ask, logMessages, startEtcdBridge, tracker, until, type EtcdBridge } from './helpers.js';

const srv = (...ips: string[]) => ({ status: 'NOERROR', records: ips.map((ip) => `10 1 80 ${addr(ip)}`) });

async function disconnected(bridge: EtcdBridge): Promise<string> {
  let detail = '';
  await until(async () => {
    const status = await bridge.etcdStatus();
    detail = status.detail ?? '';
    return status.state === 'disconnected';
  }, 'the bridge saying etcd is disconnected');
  return detail;
}

// Each test has its own etcd and bridge: they run side by side.
describe('etcd source: etcd failures', { concurrency: true }, () => {
  it('keeps answering known services while etcd is stopped, says so, and shows the changes made after its restart', async (t) => {
    const track = tracker(t);
    const etcd = await startEtcd();
    track({ stop: () => etcd.close() });
    await etcd.client().put('/alpha/providers/10.0.10.1:80').value('');
    await etcd.client().put('/beta/providers/10.0.10.2:80').value('');
    const bridge = track(await startEtcdBridge(['--etcd', etcd.url]));
    assert.deepEqual(await ask(bridge.address, 'alpha.service.local'), srv('10.0.10.1'));
    assert.deepEqual(await ask(bridge.address, 'beta.service.local'), srv('10.0.10.2'));

    await etcd.stop();
    assert.match(await disconnected(bridge), new RegExp(`^etcd ${etcd.url}: `), 'the detail names the endpoint');
    // A type not asked before is not in the answer cache: it comes from the kept providers.
    assert.deepEqual(await ask(bridge.address, 'alpha.service.local', 'A'), { status: 'NOERROR', records: ['10.0.10.1'] });
    assert.deepEqual(await ask(bridge.address, 'beta.service.local', 'A'), { status: 'NOERROR', records: ['10.0.10.2'] });
    assert.equal((await ask(bridge.address, 'gamma.service.local')).status, 'SERVFAIL', 'unknown while etcd is down: SERVFAIL, not NXDOMAIN');

    await etcd.start();
    const writer = etcd.client();
    await writer.put('/alpha/providers/10.0.10.3:80').value('');
    await writer.delete().key('/beta/providers/10.0.10.2:80');
    await writer.put('/gamma/providers/10.0.10.4:80').value('');
    await answerBecomes(bridge.address, 'alpha.service.local', 'SRV', srv('10.0.10.1', '10.0.10.3'));
    await answerBecomes(bridge.address, 'beta.service.local', 'SRV', { status: 'NXDOMAIN', records: [] });
    await answerBecomes(bridge.address, 'gamma.service.local', 'SRV', srv('10.0.10.4'));
    assert.equal((await bridge.etcdStatus()).state, 'connected');
  });

  it('catches up on changes made while it was cut off, and re-reads when its revision was compacted meanwhile', async (t) => {
    const track = tracker(t);
    const etcd = await startEtcd();
    track({ stop: () => etcd.close() });
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: etcd.clientPort });
    track({ stop: () => proxy.close() });
    const writer = etcd.client();
    await writer.put('/one/providers/10.0.11.1:80').value('');
    await writer.put('/two/providers/10.0.11.2:80').value('');
    const bridge = track(await startEtcdBridge(['--etcd', `http://${proxy.address}`]));
    assert.deepEqual(await ask(bridge.address, 'one.service.local'), srv('10.0.11.1'));
    assert.deepEqual(await ask(bridge.address, 'two.service.local'), srv('10.0.11.2'));

    await proxy.cut();
    await disconnected(bridge);
    await writer.delete().key('/one/providers/10.0.11.1:80');
    await writer.put('/one/providers/10.0.11.3:80').value('');
    await writer.put('/two/providers/10.0.11.4:80').value('');
    await proxy.restore();
    await answerBecomes(bridge.address, 'one.service.local', 'SRV', srv('10.0.11.3'));
    await answerBecomes(bridge.address, 'two.service.local', 'SRV', srv('10.0.11.2', '10.0.11.4'));
    assert.ok(!logMessages(bridge.output()).some((m) => m.includes('canceled')), 'resumed its watches without reading again');

    await proxy.cut();
    await disconnected(bridge);
    await writer.delete().key('/one/providers/10.0.11.3:80');
    await writer.put('/one/providers/10.0.11.5:80').value('');
    await writer.delete().key('/two/providers/10.0.11.2:80');
    await etcd.compactToNow();
    await proxy.restore();
    await answerBecomes(bridge.address, 'one.service.local', 'SRV', srv('10.0.11.5'));
    await answerBecomes(bridge.address, 'two.service.local', 'SRV', srv('10.0.11.4'));
    const rereads = logMessages(bridge.output()).filter((m) => /\/(one|two)\/providers\/: watch from revision \d+ canceled .*reading it again/.test(m));
    assert.equal(rereads.length, 2, `one re-read per watched prefix:\n${rereads.join('\n')}`);
  });

  it('reads again when etcd comes back rebuilt, behind the revision it had seen', async (t) => {
    const track = tracker(t);
    const etcd = await startEtcd();
    track({ stop: () => etcd.close() });
    const before = etcd.client();
    for (let i = 1; i <= 5; i++) await before.put(`/phoenix/providers/10.0.18.${i}:80`).value('');
    const bridge = track(await startEtcdBridge(['--etcd', etcd.url]));
    assert.deepEqual(await ask(bridge.address, 'phoenix.service.local', 'A'), { status: 'NOERROR', records: ['10.0.18.1', '10.0.18.2', '10.0.18.3', '10.0.18.4', '10.0.18.5'] });

    await etcd.stop();
    await rm(etcd.dataDir, { recursive: true });
    await mkdir(etcd.dataDir);
    await etcd.start();
    await etcd.client().put('/phoenix/providers/10.0.18.9:80').value('');
    await answerBecomes(bridge.address, 'phoenix.service.local', 'A', { status: 'NOERROR', records: ['10.0.18.9'] });
    assert.ok(logMessages(bridge.output()).some((m) => m.includes('rebuilt or restored?')));
  });

  it('starts before etcd: serves its other sources, then etcd services once etcd is up', async (t) => {
    const track = tracker(t);
    const etcd = await prepareEtcd();
    track({ stop: () => etcd.close() });
    const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-'));
    track({ stop: () => rm(dir, { recursive: true, force: true }) });
    const file = join(dir, 'services.yaml');
    await writeFile(file, 'web: ["10.0.12.1:80"]\n');
    const bridge = track(await startEtcdBridge(['--etcd', etcd.url, '--file', file]));
    assert.deepEqual(await ask(bridge.address, 'web.service.local'), srv('10.0.12.1'));
    assert.equal((await ask(bridge.address, 'api.service.local')).status, 'SERVFAIL');
    assert.match(await disconnected(bridge), new RegExp(`^etcd ${etcd.url}: `));

    await etcd.start();
    await etcd.client().put('/api/providers/10.0.12.2:80').value('');
    await answerBecomes(bridge.address, 'api.service.local', 'SRV', srv('10.0.12.2'));
    assert.equal((await bridge.etcdStatus()).state, 'connected');
  });

  it('notices a connection that went silent (gRPC keepalive) and catches up through a new one', async (t) => {
    const track = tracker(t);
    const etcd = await startEtcd();
    track({ stop: () => etcd.close() });
    const proxy = await startSilentProxy({ host: '127.0.0.1', port: etcd.clientPort });
    track({ stop: () => proxy.close() });
    const writer = etcd.client();
    await writer.put('/quiet/providers/10.0.13.1:80').value('');
    const bridge = track(await startEtcdBridge(['--etcd', `http://${proxy.address}`]));
    assert.deepEqual(await ask(bridge.address, 'quiet.service.local'), srv('10.0.13.1'));

    proxy.silence();
    await writer.put('/quiet/providers/10.0.13.2:80').value('');
    await answerBecomes(bridge.address, 'quiet.service.local', 'SRV', srv('10.0.13.1', '10.0.13.2'), 60_000);
  });
});
