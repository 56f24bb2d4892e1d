import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { SourceProvider } from '../../../src/registry/provider.js';
import { directoryOf, Etcd2Source } from '../../../src/sources/etcd2/source.js';
import { startEtcd } from '../../harness/etcd.js';
import { eventually } from '../../harness/eventually.js';
import { v2put } from './helpers.js';

/** A sink keeping what the source last said about each service, and which service each write was for. */
function recordingSink() {
  const providers = new Map<string, string[]>();
  const origins = new Set<string>();
  const written: string[] = [];
  return {
    providers,
    origins,
    written,
    replace(service: string, list: readonly SourceProvider[]) {
      written.push(service);
      providers.set(service, list.map((p) => `${p.host}:${p.port}`).sort());
      for (const p of list) origins.add(p.origin);
    },
  };
}

describe('etcd v2 source: the Source contract', () => {
  it('maps templates to directories', () => {
    assert.equal(directoryOf('/{service}/providers', 'api'), '/api/providers');
    assert.equal(directoryOf('/skydns/local/service/{service}/', 'api'), '/skydns/local/service/api');
    assert.equal(directoryOf('services/{service}', 'api'), '/services/api');
  });

  it('is ready after the first read, follows changes, and after release withdraws the service and follows it no more', async (t) => {
    const etcd = await startEtcd({ v2: true });
    t.after(() => etcd.close());
    await v2put(etcd.url, '/kept/providers/yazd:5000', 'yazd:5000', { ttl: '60' });
    const source = new Etcd2Source({ endpoints: [etcd.url], templates: ['/{service}/providers'] }, pino({ level: 'silent' }), { renewMs: 500 });
    const sink = recordingSink();
    source.start(sink);
    t.after(() => source.stop());

    assert.equal(await source.ensure('kept'), 'ready');
    assert.deepEqual(sink.providers.get('kept'), ['yazd:5000']);
    assert.deepEqual([...sink.origins], ['etcd2:/kept/providers/yazd:5000']);
    assert.equal(source.status().watchedServices, 1);
    assert.equal(source.status().state, 'connected');

    // The talk's pinger writes the same value again every few seconds: a watch event, no new providers.
    await v2put(etcd.url, '/kept/providers/yazd:5000', 'yazd:5000', { ttl: '60' });
    await eventually(() => assert.equal(source.status().watchEvents, 1));
    assert.deepEqual(sink.providers.get('kept'), ['yazd:5000']);
    // Long polls renewed with nothing to report (every 500 ms here) do not count as events.
    await v2put(etcd.url, '/elsewhere/key', 'x');
    await v2put(etcd.url, '/kept/providers/cobb:5001', 'cobb:5001');
    await eventually(() => assert.deepEqual(sink.providers.get('kept'), ['cobb:5001', 'yazd:5000']));

    source.release('kept');
    assert.deepEqual(sink.providers.get('kept'), [], 'withdrawn');
    assert.equal(source.status().watchedServices, 0);
    const writes = sink.written.length;
    await v2put(etcd.url, '/kept/providers/10.0.23.1:80', '10.0.23.1:80');
    await v2put(etcd.url, '/other/providers/10.0.23.2:80', '10.0.23.2:80');
    assert.equal(await source.ensure('other'), 'ready');
    assert.deepEqual([...new Set(sink.written.slice(writes))], ['other'], 'a released service is no longer followed');
  });
});
