import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkerHub, type WorkerChannel } from '../../src/cluster/hub.js';
import type { PrimaryMessage, WorkerMessage } from '../../src/cluster/messages.js';
import { ReplicaView, type PrimaryChannel } from '../../src/cluster/replica.js';
import type { SourceProvider } from '../../src/registry/provider.js';
import { Registry } from '../../src/registry/registry.js';
import type { ProviderSink, Source, SourceStatus } from '../../src/registry/source.js';

/** A source whose content the test sets; it loads a service when asked, like ZooKeeper or etcd. */
class ScriptedSource implements Source {
  sink?: ProviderSink;
  readonly content = new Map<string, SourceProvider[]>();
  readonly released: string[] = [];
  start(sink: ProviderSink): void {
    this.sink = sink;
  }
  async ensure(service: string) {
    this.sink?.replace(service, this.content.get(service) ?? []);
    return 'ready' as const;
  }
  release(service: string): void {
    this.released.push(service);
    this.sink?.replace(service, []);
  }
  status(): SourceStatus {
    return { state: 'connected', watchedServices: 0, watchEvents: 0, decodeFailures: 0, synced: true };
  }
  async stop(): Promise<void> {}
}

function provider(host: string): SourceProvider {
  return { host, port: 80, priority: 10, weight: 1, tags: [], origin: `scripted:${host}` };
}

/** The source as an instance named `scripted`, in datacenter east. */
function instance(source: ScriptedSource) {
  return { name: 'scripted', kind: 'scripted', datacenter: 'east', source };
}

/** Two in-memory ends of the IPC channel between a worker and its primary. */
function link(hub: WorkerHub): PrimaryChannel {
  const toWorker: ((m: PrimaryMessage) => void)[] = [];
  const toPrimary: ((m: WorkerMessage) => void)[] = [];
  const worker: WorkerChannel = {
    send: (m) => setImmediate(() => toWorker.forEach((l) => l(structuredClone(m)))),
    onMessage: (l) => toPrimary.push(l),
  };
  hub.add(worker);
  return {
    send: (m) => setImmediate(() => toPrimary.forEach((l) => l(structuredClone(m)))),
    onMessage: (l) => toWorker.push(l),
  };
}

/** Messages hop through one setImmediate each way: two turns deliver everything sent so far. */
const settle = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

describe('worker replicas of the registry', () => {
  it('a first query in a worker loads the service in the primary and sees its providers', async () => {
    const source = new ScriptedSource();
    source.content.set('api', [provider('10.0.0.1')]);
    const registry = new Registry([instance(source)], { maxServices: 100, idleReleaseMs: 60_000, ensureTimeoutMs: 1000 });
    registry.start();
    const replica = new ReplicaView(link(new WorkerHub(registry)));
    assert.equal(await replica.ensure('api'), 'ready');
    assert.deepEqual(replica.providers('api').map((p) => p.host), ['10.0.0.1']);
    replica.stop();
    await registry.stop();
  });

  it('every worker hears every change, so each can drop its cached answers', async () => {
    const source = new ScriptedSource();
    const registry = new Registry([instance(source)], { maxServices: 100, idleReleaseMs: 60_000, ensureTimeoutMs: 1000 });
    registry.start();
    const hub = new WorkerHub(registry);
    const replicas = [new ReplicaView(link(hub)), new ReplicaView(link(hub))];
    const heard: string[][] = [[], []];
    replicas.forEach((replica, i) => replica.onChange((service) => heard[i].push(service)));
    source.sink?.replace('web', [provider('10.0.0.9')]);
    await settle();
    assert.deepEqual(heard, [['web'], ['web']]);
    for (const replica of replicas) {
      assert.deepEqual(
        replica.providers('web').map((p) => [p.host, p.source, p.datacenter]),
        [['10.0.0.9', 'scripted', 'east']],
        "each provider keeps its source instance and datacenter in the worker's copy",
      );
    }
    replicas.forEach((replica) => replica.stop());
    await registry.stop();
  });

  it('a service released by the primary is loaded again at its next query in a worker', async () => {
    let now = 0;
    const source = new ScriptedSource();
    source.content.set('api', [provider('10.0.0.1')]);
    const registry = new Registry([instance(source)], { maxServices: 100, idleReleaseMs: 1000, ensureTimeoutMs: 1000, now: () => now });
    registry.start();
    const replica = new ReplicaView(link(new WorkerHub(registry)));
    await replica.ensure('api');
    assert.deepEqual(replica.providers('api').map((p) => p.host), ['10.0.0.1']);
    now = 10_000;
    (registry as unknown as { releaseIdle(): void }).releaseIdle();
    await settle();
    assert.deepEqual(source.released, ['api']);
    assert.deepEqual(replica.providers('api'), []);
    source.content.set('api', [provider('10.0.0.2')]);
    assert.equal(await replica.ensure('api'), 'ready');
    assert.deepEqual(replica.providers('api').map((p) => p.host), ['10.0.0.2']);
    replica.stop();
    await registry.stop();
  });
});
