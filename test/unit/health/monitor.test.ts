import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { HealthMonitor } from '../../../src/health/monitor.js';
import { HealthSettings } from '../../../src/health/options.js';
import type { Probe } from '../../../src/health/probe.js';
import type { SourceProvider } from '../../../src/registry/provider.js';
import { Registry } from '../../../src/registry/registry.js';
import type { ProviderSink, Source, SourceStatus } from '../../../src/registry/source.js';
import { eventually } from '../../harness/eventually.js';

/** A source holding fixed providers, loaded at a service's first query as ZooKeeper does. */
class FixedSource implements Source {
  private sink?: ProviderSink;
  constructor(private readonly content: Record<string, SourceProvider[]>) {}
  start(sink: ProviderSink): void {
    this.sink = sink;
  }
  async ensure(service: string) {
    this.sink?.replace(service, this.content[service] ?? []);
    return 'ready' as const;
  }
  release(): void {}
  status(): SourceStatus {
    return { state: 'connected', watchedServices: 0, watchEvents: 0, decodeFailures: 0, synced: true };
  }
  async stop(): Promise<void> {}
}

const provider = (host: string): SourceProvider => ({ host, port: 80, priority: 10, weight: 1, tags: [], origin: 'test' });
const options = { 'health-check': { kind: 'tcp' as const }, 'health-interval': 20, 'health-timeout': 10, 'health-rise': 2, 'health-fall': 2, 'health-service': new Map() };

describe('health monitor', () => {
  let stop = () => {};
  afterEach(() => stop());

  /** A registry with `api` (two providers) and `idle` (one), checked by a probe that fails the hosts in `down`. */
  function setup() {
    const source = new FixedSource({ api: [provider('10.0.0.1'), provider('10.0.0.2')], idle: [provider('10.0.0.9')] });
    const registry = new Registry([{ name: 'fixed', kind: 'fixed', source }], {
      maxServices: 100,
      idleReleaseMs: 60_000,
      ensureTimeoutMs: 1000,
    });
    const down = new Set<string>();
    const probed = new Map<string, number>();
    const probe: Probe = async (target) => {
      probed.set(target.host, (probed.get(target.host) ?? 0) + 1);
      return down.has(target.host) ? { result: 'fail', ms: 0.1, detail: 'ECONNREFUSED' } : { result: 'pass', ms: 0.1, detail: 'connected' };
    };
    const monitor = new HealthMonitor(registry, new HealthSettings(options), pino({ level: 'silent' }), { probe });
    const changes: string[] = [];
    registry.onChange((service) => changes.push(service));
    registry.start();
    stop = () => {
      monitor.stop();
      void registry.stop();
    };
    const unhealthy = () => registry.providers('api').filter((p) => p.unhealthy).map((p) => p.host);
    return { registry, monitor, down, probed, changes, unhealthy };
  }

  it('checks only the providers of queried services', async () => {
    const { registry, probed } = setup();
    await registry.ensure('api');
    await eventually(() => assert.ok((probed.get('10.0.0.1') ?? 0) >= 3 && (probed.get('10.0.0.2') ?? 0) >= 3));
    assert.equal(probed.get('10.0.0.9'), undefined, 'idle was never queried');
  });

  it('marks a provider failing as a registry change, and unmarks it once it passes again', async () => {
    const { registry, monitor, down, changes, unhealthy } = setup();
    await registry.ensure('api');
    down.add('10.0.0.2');
    await eventually(() => assert.deepEqual(unhealthy(), ['10.0.0.2']));
    assert.ok(changes.filter((s) => s === 'api').length >= 2, 'the load, then the health change');
    assert.match(registry.providers('api')[1].unhealthy!, /tcp check failed 2 times in a row \(last: ECONNREFUSED\)/);
    assert.equal(monitor.statusOf('api', { ...provider('10.0.0.2'), source: 'fixed' })?.state, 'failing');
    assert.equal(monitor.figures().unhealthy, 1);
    down.delete('10.0.0.2');
    await eventually(() => assert.deepEqual(unhealthy(), []));
    assert.equal(monitor.statusOf('api', { ...provider('10.0.0.2'), source: 'fixed' })?.state, 'passing');
  });

  it('fails open when every provider fails, and says so in its figures', async () => {
    const { registry, monitor, down, unhealthy } = setup();
    await registry.ensure('api');
    down.add('10.0.0.1').add('10.0.0.2');
    await eventually(() => assert.deepEqual(monitor.figures().failOpen, ['api']));
    assert.deepEqual(unhealthy(), ['10.0.0.1', '10.0.0.2']);
    down.delete('10.0.0.1');
    await eventually(() => assert.deepEqual(monitor.figures().failOpen, []));
    const { checks } = monitor.figures();
    assert.ok(checks.pass > 0 && checks.fail > 0 && checks.timeout === 0);
  });

  it('a reload that turns the checks off unmarks every provider', async () => {
    const { registry, monitor, down, unhealthy } = setup();
    await registry.ensure('api');
    down.add('10.0.0.1');
    await eventually(() => assert.deepEqual(unhealthy(), ['10.0.0.1']));
    monitor.configure(new HealthSettings({ ...options, 'health-check': undefined }));
    assert.deepEqual(unhealthy(), []);
    assert.equal(monitor.figures().checked, 0);
  });
});
