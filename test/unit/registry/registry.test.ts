import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SourceProvider } from '../../../src/registry/provider.js';
import { Registry } from '../../../src/registry/registry.js';
import type { ProviderSink, Source, SourceStatus } from '../../../src/registry/source.js';

/** A source the test writes through: it keeps the sink the registry gave it. */
class WritingSource implements Source {
  sink?: ProviderSink;
  start(sink: ProviderSink): void {
    this.sink = sink;
  }
  async ensure() {
    return 'ready' as const;
  }
  release(): void {}
  status(): SourceStatus {
    return { state: 'connected', watchedServices: 0, watchEvents: 0, decodeFailures: 0, synced: true };
  }
  async stop(): Promise<void> {}
}

function provider(host: string, port = 80): SourceProvider {
  return { host, port, priority: 10, weight: 1, tags: ['a'], origin: `test:${host}` };
}

const options = { maxServices: 100, idleReleaseMs: 60_000, ensureTimeoutMs: 1000 };

describe('Registry: source instances', () => {
  it("stamps each instance's name and datacenter on its providers, and merges instances of one kind", () => {
    const [east, west] = [new WritingSource(), new WritingSource()];
    const registry = new Registry(
      [
        { name: 'zk-east', kind: 'zookeeper', datacenter: 'east', source: east },
        { name: 'zk-west', kind: 'zookeeper', source: west },
      ],
      options,
    );
    registry.start();
    east.sink!.replace('api', [provider('10.0.0.1')]);
    west.sink!.replace('api', [provider('10.0.0.2')]);
    assert.deepEqual(
      registry.providers('api').map((p) => [p.host, p.source, p.datacenter]),
      [
        ['10.0.0.1', 'zk-east', 'east'],
        ['10.0.0.2', 'zk-west', undefined],
      ],
    );
    assert.deepEqual(
      registry.statuses().map((s) => [s.name, s.kind, s.datacenter]),
      [
        ['zk-east', 'zookeeper', 'east'],
        ['zk-west', 'zookeeper', undefined],
      ],
    );
  });

  it('drops a write that changes nothing, so no cached answer is dropped for it', () => {
    const source = new WritingSource();
    const registry = new Registry([{ name: 'etcd', kind: 'etcd', source }], options);
    const heard: string[] = [];
    registry.onChange((service) => heard.push(service));
    registry.start();
    source.sink!.replace('api', [provider('10.0.0.1')]);
    source.sink!.replace('api', [provider('10.0.0.1')]);
    source.sink!.replace('api', [provider('10.0.0.1', 81)]);
    source.sink!.replace('web', []);
    source.sink!.replace('api', []);
    source.sink!.replace('api', []);
    assert.deepEqual(heard, ['api', 'api', 'api'], 'the first write, the port change and the withdrawal');
    assert.deepEqual(registry.providers('api'), []);
  });

  it('ignores what a removed instance writes later', async () => {
    const source = new WritingSource();
    const instance = { name: 'file', kind: 'file', source };
    const registry = new Registry([instance], options);
    registry.start();
    source.sink!.replace('api', [provider('10.0.0.1')]);
    await registry.removeSource(instance);
    assert.deepEqual(registry.providers('api'), [], 'withdrawn with its instance');
    source.sink!.replace('api', [provider('10.0.0.2')]);
    assert.deepEqual(registry.providers('api'), []);
  });
});
