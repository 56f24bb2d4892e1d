// ConsulSource in-process against a TEST DOUBLE of Consul's HTTP API (not a real Consul):
// what the registry and the status page see.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import type { SourceProvider } from '../../../../src/registry/provider.js';
import type { ProviderSink } from '../../../../src/registry/source.js';
import { ConsulClient } from '../../../../src/clients/consul.js';
import { ConsulSource } from '../../../../src/sources/consul/source.js';
import { ConsulHttpDouble } from '../../../doubles/consul-http-double.js';
import { eventually } from '../../../harness/eventually.js';
import { freePort } from '../../../harness/ports.js';

/** Records what the source writes into the registry. */
class RecordingSink implements ProviderSink {
  readonly writes: { service: string; hosts: string[] }[] = [];
  replace(service: string, providers: readonly SourceProvider[]): void {
    this.writes.push({ service, hosts: providers.map((p) => p.host) });
  }
}

describe('ConsulSource (against a Consul HTTP API TEST DOUBLE)', () => {
  const sources: ConsulSource[] = [];
  const doubles: ConsulHttpDouble[] = [];
  after(async () => {
    await Promise.all(sources.map((s) => s.stop()));
    await Promise.all(doubles.map((d) => d.stop()));
  });

  function sourceFor(double: ConsulHttpDouble): { source: ConsulSource; sink: RecordingSink } {
    const source = new ConsulSource(new ConsulClient({ url: double.url }), pino({ level: 'silent' }), { paceMs: 50 });
    const sink = new RecordingSink();
    sources.push(source);
    doubles.push(double);
    source.start(sink);
    return { source, sink };
  }

  it('reports disconnected with a detail naming the URL while the agent is down, then connected and synced (double)', async () => {
    const double = ConsulHttpDouble.notListening(await freePort());
    const { source, sink } = sourceFor(double);
    assert.equal(await source.ensure('web'), 'unavailable');
    const down = source.status();
    assert.equal(down.state, 'disconnected');
    assert.match(down.detail ?? '', new RegExp(`^${double.url}: GET /v1/health/service/web: .*ECONNREFUSED`));
    assert.equal(down.synced, false);
    double.setInstances('web', [{ node: 'n1', nodeAddress: '10.0.0.1', port: 80 }]);
    await double.up();
    await double.caughtUp('web');
    assert.equal(await source.ensure('web'), 'ready');
    const up = source.status();
    assert.deepEqual([up.state, up.detail, up.synced, up.watchedServices], ['connected', undefined, true, 1]);
    assert.deepEqual(sink.writes, [{ service: 'web', hosts: ['10.0.0.1'] }]);
  });

  it('counts malformed entries in decodeFailures and serves the rest (double)', async () => {
    const double = await ConsulHttpDouble.start();
    double.setInstances('api', [{ node: 'n1', nodeAddress: '10.0.0.1', port: 80 }]);
    double.setRawEntries('api', [{ Node: { Node: 'bad' }, Service: { ID: 'api-bad', Port: 80 } }]);
    const { source, sink } = sourceFor(double);
    assert.equal(await source.ensure('api'), 'ready');
    assert.equal(source.status().decodeFailures, 1);
    assert.deepEqual(sink.writes, [{ service: 'api', hosts: ['10.0.0.1'] }]);
  });

  it('on release stops asking and withdraws the service (double)', async () => {
    const double = await ConsulHttpDouble.start();
    double.setInstances('web', [{ node: 'n1', nodeAddress: '10.0.0.1', port: 80 }]);
    const { source, sink } = sourceFor(double);
    await source.ensure('web');
    await double.caughtUp('web');
    const written = sink.writes.length;
    source.release('web');
    const asked = double.requests.length;
    double.addInstance('web', { node: 'n2', nodeAddress: '10.0.0.2', port: 80 });
    await source.ensure('other');
    assert.deepEqual(
      sink.writes.slice(written).filter((write) => write.service === 'web'),
      [{ service: 'web', hosts: [] }],
      'withdrawn, and nothing written for it after',
    );
    assert.equal(source.status().watchedServices, 1);
    assert.ok(double.requests.slice(asked).every((r) => !r.path.endsWith('/web')), 'no request for web after release');
  });
  it('follows the catalog service list for --preload and zone transfers, telling each change (double)', async () => {
    const double = await ConsulHttpDouble.start();
    double.setInstances('web', [{ node: 'n1', nodeAddress: '10.0.0.1', port: 80 }]);
    double.setInstances('API', [{ node: 'n1', nodeAddress: '10.0.0.1', port: 81 }]);
    const { source } = sourceFor(double);
    const lists: string[][] = [];
    source.followServices((services) => lists.push([...services].sort()));
    await eventually(() => assert.deepEqual(lists.at(-1), ['api', 'web']));
    double.setInstances('db', [{ node: 'n2', nodeAddress: '10.0.0.2', port: 5432 }]);
    await eventually(() => assert.deepEqual(lists.at(-1), ['api', 'db', 'web']));
    double.setInstances('web', []);
    await eventually(() => assert.deepEqual(lists.at(-1), ['api', 'db']));
  });
});
