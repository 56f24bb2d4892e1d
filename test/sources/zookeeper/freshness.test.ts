import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { SourceProvider } from '../../../src/registry/provider.js';
import { ZooKeeperSource } from '../../../src/sources/zookeeper/source.js';
import { startBridge, type BridgeProcess } from '../../harness/bridge.js';
import { connectZooKeeper, startZooKeeper, type ZooKeeperServer, type ZooKeeperTestClient } from '../../harness/zookeeper.js';
import { addr, answerBecomes, ask, zkArgs } from './helpers.js';

describe('ZooKeeper source: changes reach the next answers', () => {
  let zk: ZooKeeperServer;
  let bridge: BridgeProcess;
  let registrar: ZooKeeperTestClient;

  before(async () => {
    zk = await startZooKeeper();
    registrar = await connectZooKeeper(zk.address);
    bridge = await startBridge(zkArgs(zk.address));
  });
  after(async () => {
    await bridge?.stop();
    await registrar?.close();
    await zk?.stop();
  });

  it("drops a provider whose process died: its session closed, its ephemeral node went", async () => {
    const first = await connectZooKeeper(zk.address);
    const second = await connectZooKeeper(zk.address);
    await first.create('/api/providers/10.0.6.1:80', '{"pid": 1}', 'ephemeral');
    await second.create('/api/providers/10.0.6.2:80', '{"pid": 2}', 'ephemeral');
    assert.deepEqual(await ask(bridge.address, 'api.service.local'), { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.6.1')}`, `10 1 80 ${addr('10.0.6.2')}`] });
    await first.close();
    await answerBecomes(bridge.address, 'api.service.local', 'SRV', { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.6.2')}`] });
    await second.close();
    await answerBecomes(bridge.address, 'api.service.local', 'SRV', { status: 'NXDOMAIN', records: [] });
  });

  it('adds a created node to the next answers', async () => {
    await registrar.create('/billing/providers/10.0.7.1:80', '', 'ephemeral');
    assert.deepEqual(await ask(bridge.address, 'billing.service.local'), { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.7.1')}`] });
    await registrar.create('/billing/providers/10.0.7.2:81', '', 'ephemeral');
    await answerBecomes(bridge.address, 'billing.service.local', 'SRV', { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.7.1')}`, `10 1 81 ${addr('10.0.7.2')}`] });
  });

  it('ends on the registry state after quick churn: a provider re-registering under the same name', async () => {
    await registrar.create('/churn/providers/10.0.8.1:80', '');
    assert.equal((await ask(bridge.address, 'churn.service.local')).status, 'NOERROR');
    for (let i = 0; i < 30; i++) {
      await registrar.remove('/churn/providers/10.0.8.2:80');
      await registrar.create('/churn/providers/10.0.8.2:80', '');
      await registrar.remove('/churn/providers/10.0.8.1:80');
      await registrar.create('/churn/providers/10.0.8.1:80', '');
    }
    await registrar.remove('/churn/providers/10.0.8.2:80');
    await answerBecomes(bridge.address, 'churn.service.local', 'SRV', { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.8.1')}`] });
  });
});

/** The registry's side of the source: what it was given, per service. */
class RecordingSink {
  readonly current = new Map<string, readonly SourceProvider[]>();
  /** The service of every write, in order. */
  readonly written: string[] = [];
  replace(service: string, providers: readonly SourceProvider[]): void {
    this.written.push(service);
    this.current.set(service, providers);
  }
}

describe('ZooKeeper source: release', () => {
  let zk: ZooKeeperServer;
  let registrar: ZooKeeperTestClient;
  let source: ZooKeeperSource;
  const sink = new RecordingSink();

  before(async () => {
    zk = await startZooKeeper();
    registrar = await connectZooKeeper(zk.address);
    source = new ZooKeeperSource({ connect: zk.address, templates: ['/{service}/providers'], sessionTimeoutMs: 4000, connectWaitMs: 5000 }, pino({ level: 'silent' }));
    source.start(sink);
  });
  after(async () => {
    await source?.stop();
    await registrar?.close();
    await zk?.stop();
  });

  it('withdraws a released service, ignores its later changes, and reads it afresh when asked again', async () => {
    await registrar.create('/idle/providers/10.0.9.1:80', '');
    assert.equal(await source.ensure('idle'), 'ready');
    assert.deepEqual(sink.current.get('idle')?.map((p) => p.host), ['10.0.9.1']);
    assert.equal(source.status().watchedServices, 1);

    source.release('idle');
    assert.deepEqual(sink.current.get('idle'), []);
    assert.equal(source.status().watchedServices, 0);
    const writes = sink.written.length;
    await registrar.create('/idle/providers/10.0.9.2:80', '');
    // A service watched meanwhile shows that the firing for 'idle' had time to arrive.
    await registrar.create('/other/providers/10.0.9.9:80', '');
    assert.equal(await source.ensure('other'), 'ready');
    await registrar.create('/other/providers/10.0.9.8:80', '');
    await until(() => sink.current.get('other')?.length === 2);
    assert.deepEqual([...new Set(sink.written.slice(writes))], ['other'], 'only "other" was written');

    assert.equal(await source.ensure('idle'), 'ready');
    assert.deepEqual(sink.current.get('idle')?.map((p) => p.host).sort(), ['10.0.9.1', '10.0.9.2']);
  });
});

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
