import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { startBridge } from '../../harness/bridge.js';
import { startSilentProxy } from '../../harness/silent-proxy.js';
import { startTcpProxy, type TcpProxy } from '../../harness/tcp-proxy.js';
import { connectZooKeeper, startZooKeeper } from '../../harness/zookeeper.js';
import { addr, answerBecomes, ask, logShows, zkArgs } from './helpers.js';

/** What a test started, stopped when it ends (last started first). */
function tracker(t: TestContext): <T extends { stop(): Promise<unknown> }>(thing: T) => T {
  const started: { stop(): Promise<unknown> }[] = [];
  t.after(async () => {
    while (started.length) await started.pop()!.stop();
  });
  return (thing) => {
    started.push(thing);
    return thing;
  };
}

async function until(condition: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// Each test has its own ZooKeeper and bridge: they run side by side.
describe('ZooKeeper source: ZooKeeper failures', { concurrency: true }, () => {
  it('keeps answering known services while ZooKeeper is stopped, and shows the changes made after its restart', async (t) => {
    const track = tracker(t);
    const zk = track(await startZooKeeper());
    const before = await connectZooKeeper(zk.address);
    track({ stop: () => before.close() });
    await before.create('/alpha/providers/10.0.10.1:80', '');
    await before.create('/beta/providers/10.0.10.2:80', '');
    await before.close();
    const bridge = track(await startBridge(zkArgs(zk.address)));
    assert.equal((await ask(bridge.address, 'alpha.service.local')).status, 'NOERROR');
    assert.equal((await ask(bridge.address, 'beta.service.local')).status, 'NOERROR');

    await zk.stop();
    await logShows(bridge.output, `zookeeper ${zk.address}: connection lost`);
    // A type not asked before is not in the answer cache: it comes from the kept providers.
    assert.deepEqual(await ask(bridge.address, 'alpha.service.local', 'A'), { status: 'NOERROR', records: ['10.0.10.1'] });
    assert.deepEqual(await ask(bridge.address, 'beta.service.local', 'SRV'), { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.10.2')}`] });
    assert.equal((await ask(bridge.address, 'gamma.service.local')).status, 'SERVFAIL', 'unknown while ZooKeeper is down: SERVFAIL, not NXDOMAIN');

    await zk.start();
    const registrar = await connectZooKeeper(zk.address);
    track({ stop: () => registrar.close() });
    await registrar.create('/alpha/providers/10.0.10.3:80', '');
    await registrar.remove('/beta/providers/10.0.10.2:80');
    await registrar.create('/gamma/providers/10.0.10.4:80', '');
    await answerBecomes(bridge.address, 'alpha.service.local', 'SRV', { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.10.1')}`, `10 1 80 ${addr('10.0.10.3')}`] });
    await answerBecomes(bridge.address, 'beta.service.local', 'SRV', { status: 'NXDOMAIN', records: [] });
    await answerBecomes(bridge.address, 'gamma.service.local', 'SRV', { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.10.4')}`] });
  });

  it('recovers every watch after its session expired while it was cut off from ZooKeeper', async (t) => {
    const track = tracker(t);
    const zk = track(await startZooKeeper());
    const proxy: TcpProxy = await startTcpProxy({ host: '127.0.0.1', port: zk.port });
    track({ stop: () => proxy.close() });
    const registrar = await connectZooKeeper(zk.address);
    track({ stop: () => registrar.close() });
    await registrar.create('/one/providers/10.0.11.1:80', '');
    await registrar.create('/two/providers/10.0.11.2:80', '');
    const bridge = track(await startBridge(zkArgs(proxy.address)));
    assert.equal((await ask(bridge.address, 'one.service.local')).status, 'NOERROR');
    assert.equal((await ask(bridge.address, 'two.service.local')).status, 'NOERROR');
    const [bridgeSession] = (await zk.sessions()).filter((session) => session !== registrar.sessionId());
    assert.ok(bridgeSession, 'the bridge holds a session');

    await proxy.cut();
    await registrar.remove('/one/providers/10.0.11.1:80');
    await until(async () => !(await zk.sessions()).includes(bridgeSession), 'the bridge session expiring');
    await registrar.create('/one/providers/10.0.11.3:80', '');
    assert.deepEqual(await ask(bridge.address, 'two.service.local', 'A'), { status: 'NOERROR', records: ['10.0.11.2'] });

    await proxy.restore();
    await logShows(bridge.output, 'session expired');
    await answerBecomes(bridge.address, 'one.service.local', 'SRV', { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.11.3')}`] });
    // Every watch is back: changes on both services show.
    await registrar.create('/two/providers/10.0.11.4:80', '');
    await registrar.create('/one/providers/10.0.11.5:80', '');
    await answerBecomes(bridge.address, 'two.service.local', 'SRV', { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.11.2')}`, `10 1 80 ${addr('10.0.11.4')}`] });
    await answerBecomes(bridge.address, 'one.service.local', 'SRV', { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.11.3')}`, `10 1 80 ${addr('10.0.11.5')}`] });
  });

  it('notices a connection that went silent (no reset, no reply), reconnects and catches up', async (t) => {
    const track = tracker(t);
    const zk = track(await startZooKeeper());
    const proxy = await startSilentProxy({ host: '127.0.0.1', port: zk.port });
    track({ stop: () => proxy.close() });
    const registrar = await connectZooKeeper(zk.address);
    track({ stop: () => registrar.close() });
    await registrar.create('/quiet/providers/10.0.14.1:80', '');
    const bridge = track(await startBridge(zkArgs(proxy.address)));
    assert.deepEqual(await ask(bridge.address, 'quiet.service.local'), { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.14.1')}`] });

    proxy.silence();
    await registrar.create('/quiet/providers/10.0.14.2:80', '');
    await logShows(bridge.output, 'no reply to the heartbeat');
    await answerBecomes(bridge.address, 'quiet.service.local', 'SRV', { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.14.1')}`, `10 1 80 ${addr('10.0.14.2')}`] });
  });

  it('starts before ZooKeeper, serves its other sources meanwhile, and ZooKeeper once it is up', async (t) => {
    const track = tracker(t);
    const zk = track(await startZooKeeper());
    const registrar = await connectZooKeeper(zk.address);
    track({ stop: () => registrar.close() });
    await registrar.create('/early/providers/10.0.12.1:80', '');
    await registrar.close();
    await zk.stop();
    const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-'));
    await writeFile(join(dir, 'services.yaml'), 'files: ["10.0.13.1:80"]\n');

    const bridge = track(await startBridge(['--file', join(dir, 'services.yaml'), ...zkArgs(zk.address)]));
    assert.deepEqual(await ask(bridge.address, 'files.service.local'), { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.13.1')}`] });
    assert.equal((await ask(bridge.address, 'early.service.local')).status, 'SERVFAIL');
    await logShows(bridge.output, `zookeeper ${zk.address}: not reachable since start`);

    await zk.start();
    await answerBecomes(bridge.address, 'early.service.local', 'SRV', { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.12.1')}`] });
    await logShows(bridge.output, 'zookeeper connected');
  });
});
