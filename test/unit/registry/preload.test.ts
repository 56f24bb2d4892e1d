import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readiness } from '../../../src/ops/readiness.js';
import { Registry } from '../../../src/registry/registry.js';
import type { EnsureResult, ProviderSink, Source, SourceStatus } from '../../../src/registry/source.js';
import { eventually } from '../../harness/eventually.js';

/** A source whose listing and loads the test drives by hand: what the preloader sees of any registry. */
class ListedSource implements Source {
  list?: (services: readonly string[]) => void;
  readonly loads = new Map<string, (result: EnsureResult) => void>();
  private sink?: ProviderSink;

  start(sink: ProviderSink): void {
    this.sink = sink;
  }
  ensure(service: string): Promise<EnsureResult> {
    return new Promise((resolve) => this.loads.set(service, resolve));
  }
  /** Delivers `service`'s one provider and finishes its load. */
  load(service: string): void {
    this.sink?.replace(service, [{ host: '10.0.0.1', port: 80, priority: 10, weight: 1, tags: [], origin: service }]);
    this.loads.get(service)?.('ready');
  }
  release(): void {}
  followServices(listed: (services: readonly string[]) => void): void {
    this.list = listed;
  }
  status(): SourceStatus {
    return { state: 'connected', watchedServices: 0, watchEvents: 0, decodeFailures: 0, lastSync: 1, synced: true };
  }
  async stop(): Promise<void> {}
}

function registryWith(source: Source, preload: boolean): Registry {
  return new Registry([{ name: 'listed', kind: 'listed', source }], { maxServices: 10, idleReleaseMs: 60_000, ensureTimeoutMs: 60_000, preload: () => preload });
}

describe('preload', () => {
  it('keeps /readyz not ready until every listed service is loaded, then loads services listed later', async () => {
    const source = new ListedSource();
    const registry = registryWith(source, true);
    registry.start();
    assert.equal(readiness(true, registry.statuses()).ready, false, 'no listing yet');
    source.list!(['api', 'web']);
    await eventually(() => assert.deepEqual([...source.loads.keys()].sort(), ['api', 'web']));
    source.load('api');
    await eventually(() => assert.deepEqual(registry.statuses()[0].preload, { listed: 2, loaded: 1, done: false }));
    const waiting = readiness(true, registry.statuses());
    assert.equal(waiting.ready, false);
    assert.deepEqual(waiting.lines, ['listed: preloading, 1 of 2 services loaded (connected)']);
    source.load('web');
    await eventually(() => assert.equal(readiness(true, registry.statuses()).ready, true));
    source.list!(['api', 'db', 'web']);
    await eventually(() => assert.ok(source.loads.has('db'), 'a service listed later is loaded without a query'));
    source.load('db');
    await eventually(() => assert.equal(registry.providers('db').length, 1));
    await registry.stop();
  });

  it('counts a service loaded, and /readyz waits, until its first answers are encoded', async () => {
    const source = new ListedSource();
    const registry = registryWith(source, true);
    const warming = new Map<string, () => void>();
    registry.warmWith((service) => new Promise((resolve) => warming.set(service, resolve)));
    registry.start();
    source.list!(['api']);
    await eventually(() => assert.ok(source.loads.has('api')));
    source.load('api');
    await eventually(() => assert.ok(warming.has('api'), 'encoded once loaded'));
    assert.deepEqual(registry.statuses()[0].preload, { listed: 1, loaded: 0, done: false });
    warming.get('api')!();
    await eventually(() => assert.equal(readiness(true, registry.statuses()).ready, true));
    await registry.stop();
  });

  it('loads nothing before a query without --preload, and the source stays ready as before', async () => {
    const source = new ListedSource();
    const registry = registryWith(source, false);
    registry.start();
    assert.equal(source.list, undefined, 'the listing is not followed');
    assert.equal(readiness(true, registry.statuses()).ready, true);
    await registry.stop();
  });
});

describe('preload per source instance', () => {
  it('a sources: entry takes preload: true, and anything else than true or false is refused naming its key', async () => {
    const { loadConfig } = await import('../../../src/config/load.js');
    const { registryOptions } = await import('../../../src/serve.js');
    const load = (sources: unknown[]) => loadConfig({ flags: { sources }, env: {}, resolvConf: '/dev/null' });
    const config = load([{ kind: 'etcd', name: 'a', endpoints: ['http://127.0.0.1:1'], preload: true }, { kind: 'etcd', name: 'b', endpoints: ['http://127.0.0.1:2'] }]);
    assert.deepEqual(config.sources.map((s) => [s.name, s.preload === true]), [['a', true], ['b', false]]);
    const preload = registryOptions(config).preload!;
    assert.equal(preload({ name: 'a', kind: 'etcd', preload: true, source: new ListedSource() }), true);
    assert.equal(preload({ name: 'b', kind: 'etcd', source: new ListedSource() }), false);
    assert.throws(
      () => load([{ kind: 'etcd', endpoints: ['http://127.0.0.1:1'], preload: 'yes' }]),
      (error: { problems?: { key: string; message: string }[] }) => error.problems?.some((p) => p.key.includes('sources[0].preload') && p.message.includes('true or false')) === true,
    );
  });
});
