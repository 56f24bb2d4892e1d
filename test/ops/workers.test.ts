import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig, rdata } from '../harness/dig.js';
import { eventually } from '../harness/eventually.js';
import { get, getJson, loggedTimes, replaceFile, scrape, tempDir, total, writeTemp } from './helpers.js';

const ttlOf = (answer: string[]) => Number(answer[0].split(/\s+/)[1]);

describe('operating a bridge with DNS workers (--workers 2)', () => {
  let bridge: BridgeProcess;
  let config: string;
  let registry: string;

  before(async () => {
    const dir = await tempDir();
    registry = await writeTemp(dir, 'services.yaml', 'api: ["10.0.0.1:80"]\n');
    config = await writeTemp(dir, 'dnsbridge.yaml', `file: ${registry}\nttl: 5\n`);
    bridge = await startBridge(['--config', config, '--workers', '2']);
  });
  after(() => bridge?.stop());

  it('serves the page, the API and readiness from the primary, and metrics summed over the workers', async () => {
    assert.equal((await get(bridge.http, '/readyz')).status, 200);
    assert.equal((await getJson(bridge.http, '/api/services/api')).body.providers[0].source, 'file');
    for (let i = 0; i < 4; i++) await dig(bridge.address, 'api.service.local');
    const metrics = await scrape(bridge.http);
    assert.equal(total(metrics, 'dnsbridge_queries_total', { zone: 'service', type: 'A' }), 4);
    assert.equal(total(metrics, 'dnsbridge_source_connected', { source: 'file' }), 1);
    const families = (await get(bridge.http, '/metrics')).body.split('\n').filter((line) => line.startsWith('# TYPE '));
    assert.deepEqual(families, [...new Set(families)], 'each metric once: Prometheus refuses a scrape that repeats one');
    assert.match((await get(bridge.http, '/')).body, /<title>dnsbridge<\/title>/);
  });

  it('each worker encodes its cached answers of a changed service again, and answers the change', async () => {
    for (let i = 0; i < 8; i++) await dig(bridge.address, 'api.service.local', 'SRV');
    await replaceFile(registry, 'api: ["10.0.0.1:80", "10.0.0.2:80"]\n');
    const counts = await eventually(async () => {
      const metrics = await scrape(bridge.http);
      const dropped = total(metrics, 'dnsbridge_cache_invalidations_total') ?? 0;
      assert.ok(dropped >= 1, 'the change reached the workers');
      return { dropped, refreshed: total(metrics, 'dnsbridge_cache_refreshes_total') };
    });
    assert.equal(counts.refreshed, counts.dropped, 'every dropped answer was encoded again');
    for (let i = 0; i < 6; i++) assert.deepEqual(rdata((await dig(bridge.address, 'api.service.local', 'SRV')).answer).length, 2);
    await replaceFile(registry, 'api: ["10.0.0.1:80"]\n');
    await eventually(async () => assert.deepEqual(rdata((await dig(bridge.address, 'api.service.local')).answer), ['10.0.0.1']));
  });

  it('reloads every worker on SIGHUP to the primary', async () => {
    assert.equal(ttlOf((await dig(bridge.address, 'api.service.local')).answer), 5);
    await writeFile(config, `file: ${registry}\nttl: 42\n`);
    bridge.child.kill('SIGHUP');
    // The primary and both workers each log it.
    await loggedTimes(bridge, '"msg":"configuration reloaded"', 3);
    for (let i = 0; i < 6; i++) assert.equal(ttlOf((await dig(bridge.address, 'api.service.local')).answer), 42);
  });

  it('stops the workers and exits 0 on SIGTERM', async () => {
    bridge.child.kill('SIGTERM');
    assert.equal(await bridge.exited, 0, bridge.output());
  });
});
