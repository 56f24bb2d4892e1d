import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { SourceProvider } from '../../../src/registry/provider.js';
import { EtcdSource } from '../../../src/sources/etcd/source.js';
import { startEtcd, type EtcdServer } from '../../harness/etcd.js';
import { freePort } from '../../harness/ports.js';
import { until } from './helpers.js';

/** A sink keeping what the source last said about each service, and how often it spoke. */
function recordingSink() {
  const providers = new Map<string, string[]>();
  /** The service of every write, in order. */
  const written: string[] = [];
  return {
    providers,
    written,
    replace(service: string, list: readonly SourceProvider[]) {
      written.push(service);
      providers.set(service, list.map((p) => `${p.host}:${p.port}`).sort());
    },
  };
}

const quiet = pino({ level: 'silent' });

describe('etcd source: the Source contract', () => {
  let etcd: EtcdServer;

  before(async () => {
    etcd = await startEtcd();
  });
  after(() => etcd?.close());

  it('is ready after the first read, and after release withdraws the service and stops following it', async () => {
    const writer = etcd.client();
    await writer.put('/kept/providers/10.0.17.1:80').value('');
    const source = new EtcdSource({ endpoints: [etcd.url], templates: ['/{service}/providers/'] }, quiet);
    const sink = recordingSink();
    source.start(sink);
    try {
      assert.equal(await source.ensure('kept'), 'ready');
      assert.deepEqual(sink.providers.get('kept'), ['10.0.17.1:80']);
      assert.equal(source.status().watchedServices, 1);

      source.release('kept');
      assert.deepEqual(sink.providers.get('kept'), [], 'withdrawn');
      assert.equal(source.status().watchedServices, 0);
      const writes = sink.written.length;
      await writer.put('/kept/providers/10.0.17.2:80').value('');
      await writer.put('/other/providers/10.0.17.3:80').value('');
      assert.equal(await source.ensure('other'), 'ready', 'a later service is read after the put');
      assert.deepEqual([...new Set(sink.written.slice(writes))], ['other'], 'only the new service was published');
    } finally {
      await source.stop();
    }
  });

  it('says unavailable at once when etcd cannot be reached, and why', async () => {
    const late = await freePort();
    const source = new EtcdSource({ endpoints: [`http://127.0.0.1:${late}`], templates: ['/{service}/providers/'] }, quiet);
    const sink = recordingSink();
    source.start(sink);
    try {
      assert.equal(await source.ensure('api'), 'unavailable');
      await until(() => source.status().state === 'disconnected', 'the source saying so');
      assert.match(source.status().detail ?? '', new RegExp(`^etcd http://127.0.0.1:${late}: `));
      assert.equal(source.status().synced, false);
    } finally {
      await source.stop();
    }
  });
});
