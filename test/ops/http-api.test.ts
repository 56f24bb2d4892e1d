import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli, startBridge, type BridgeProcess } from '../harness/bridge.js';
import { udpAsk } from '../harness/dns-client.js';
import { dig, rdata } from '../harness/dig.js';
import { startDnsmasq, type Dnsmasq } from '../harness/dnsmasq.js';
import { eventually } from '../harness/eventually.js';
import { header } from '../harness/wire.js';
import { get, getJson, replaceFile, scrape, tempDir, total, writeTemp } from './helpers.js';

describe('the --http endpoint of a running bridge', () => {
  let upstream: Dnsmasq;
  let bridge: BridgeProcess;
  let registry: string;

  before(async () => {
    upstream = await startDnsmasq({ config: ['local=/example.test/', 'host-record=web.example.test,192.0.2.10'] });
    const dir = await tempDir();
    registry = await writeTemp(dir, 'services.yaml', 'api: ["10.0.0.1:8080", {host: 10.0.0.2, port: 8081, weight: 5, tags: [canary]}]\n');
    // One source instance of its own name and datacenter: every view below shows where a provider came from.
    const config = await writeTemp(dir, 'dnsbridge.yaml', `sources:\n  - { kind: file, name: static, datacenter: east, path: "${registry}" }\n`);
    bridge = await startBridge(['--config', config, '--upstream', upstream.address]);
  });
  after(async () => {
    await bridge?.stop();
    await upstream?.stop();
  });

  it('answers /healthz while the process runs', async () => {
    const health = await get(bridge.http, '/healthz');
    assert.equal(health.status, 200);
    assert.equal(health.body, 'ok\n');
  });

  it('counts queries, cache, upstream, source and packet figures in /metrics under the dnsbridge_ prefix', async () => {
    await dig(bridge.address, 'api.service.local', 'A');
    await dig(bridge.address, 'api.service.local', 'A');
    await dig(bridge.address, 'web.example.test', 'A');
    const formerr = await udpAsk('127.0.0.1', bridge.port, header({ qdcount: 2 }));
    assert.equal((formerr?.[3] ?? 0) & 0xf, 1, 'a query with two questions gets FORMERR');
    const metrics = await scrape(bridge.http);
    const atLeastOne = (name: string, labels: Record<string, string> = {}) =>
      assert.ok((total(metrics, name, labels) ?? 0) >= 1, `${name} ${JSON.stringify(labels)} >= 1 in\n${[...metrics.keys()].join('\n')}`);
    atLeastOne('dnsbridge_queries_total', { zone: 'service', type: 'A', rcode: 'NOERROR', cached: 'true' });
    atLeastOne('dnsbridge_queries_total', { zone: '.', type: 'A', rcode: 'NOERROR' });
    atLeastOne('dnsbridge_query_duration_seconds_count');
    atLeastOne('dnsbridge_cache_hits_total');
    atLeastOne('dnsbridge_cache_misses_total');
    atLeastOne('dnsbridge_cache_entries');
    atLeastOne('dnsbridge_forwarded_queries_total');
    atLeastOne('dnsbridge_upstream_tries_total', { upstream: upstream.address, outcome: 'answer' });
    atLeastOne('dnsbridge_upstream_duration_seconds_count', { upstream: upstream.address });
    atLeastOne('dnsbridge_malformed_packets_total');
    atLeastOne('dnsbridge_source_connected', { source: 'static' });
    atLeastOne('dnsbridge_source_watched_services', { source: 'static' });
    atLeastOne('dnsbridge_source_last_sync_timestamp_seconds', { source: 'static' });
    for (const name of ['dnsbridge_truncated_answers_total', 'dnsbridge_stale_answers_total', 'dnsbridge_cache_invalidations_total']) {
      assert.equal(total(metrics, name), 0, name);
    }
    for (const name of ['dnsbridge_source_watch_events_total', 'dnsbridge_source_decode_failures_total']) {
      assert.notEqual(total(metrics, name, { source: 'static' }), undefined, name);
    }
  });

  it('lists every service with each provider, the source instance it came from and its datacenter', async () => {
    const { status, body } = await getJson(bridge.http, '/api/services');
    assert.equal(status, 200);
    assert.deepEqual(body.services.map((s: { name: string }) => s.name), ['api']);
    const [first, second] = body.services[0].providers;
    assert.deepEqual(
      { host: first.host, port: first.port, source: first.source, datacenter: first.datacenter, health: first.health },
      { host: '10.0.0.1', port: 8080, source: 'static', datacenter: 'east', health: 'live' },
    );
    assert.deepEqual({ weight: second.weight, tags: second.tags }, { weight: 5, tags: ['canary'] });
    assert.match(first.origin, /^file:.*services\.yaml/);
  });

  it('shows one service, says 404 with the reason for an unknown one and 400 for a bad name', async () => {
    const found = await getJson(bridge.http, '/api/services/api');
    assert.equal(found.status, 200);
    assert.equal(found.body.providers.length, 2);
    const missing = await getJson(bridge.http, '/api/services/nosuch');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'ENOTFOUND');
    const bad = await getJson(bridge.http, '/api/services/not.a.service');
    assert.equal(bad.status, 400);
  });

  it('prints the services and the source instances with their kind and datacenter as tables with `dnsbridge ls`', async () => {
    const { code, output } = await runCli(['ls', '--http', bridge.http]);
    assert.equal(code, 0, output);
    const lines = output.split('\n');
    assert.match(lines[0], /^SERVICE\s+PROVIDERS\s+SOURCES\s+DATACENTERS\s+HEALTH$/);
    assert.match(lines[1], /^api\s+2\s+static\s+east\s+live$/);
    assert.ok(lines.some((line) => /^SOURCE\s+KIND\s+DATACENTER\s+STATE\s+LAST SYNC\s+SERVICES\s+LOADED\s+DETAIL$/.test(line)), output);
    assert.ok(lines.some((line) => /^static\s+file\s+east\s+connected\s+\d{4}-/.test(line)), output);
    assert.ok(lines.includes('ready'), output);
  });

  it("prints a service's providers with their source and datacenter with `dnsbridge lookup`, and exits 1 for an unknown one", async () => {
    const { code, output } = await runCli(['lookup', 'api', '--http', bridge.http]);
    assert.equal(code, 0, output);
    const lines = output.trim().split('\n');
    assert.match(lines[0], /^PROVIDER\s+PRIORITY\s+WEIGHT\s+TAGS\s+SOURCE\s+DATACENTER\s+HEALTH\s+CHECK\s+LAST CHECK\s+LATENCY\s+ORIGIN$/);
    assert.match(lines[1], /^10\.0\.0\.1:8080\s+10\s+1\s+-\s+static\s+east\s+live\s+-\s+-\s+-\s+file:/);
    assert.match(lines[2], /^10\.0\.0\.2:8081\s+10\s+5\s+canary\s+static\s+east\s+live\s+-\s+-\s+-\s+file:/);
    const unknown = await runCli(['lookup', 'nosuch', '--http', bridge.http]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.output, /no providers of nosuch/);
  });

  it('says how to find the bridge when `ls` cannot reach it', async () => {
    const { code, output } = await runCli(['ls', '--http', '127.0.0.1:9']);
    assert.equal(code, 1);
    assert.match(output, /cannot reach the bridge at 127\.0\.0\.1:9 .*--http HOST:PORT/);
  });

  it('counts the cached answers a registry change drops, and the API follows the change', async () => {
    await dig(bridge.address, 'api.service.local', 'SRV');
    await replaceFile(registry, 'api: ["10.0.0.1:8080"]\n');
    await eventually(async () => assert.equal((await getJson(bridge.http, '/api/services/api')).body.providers.length, 1));
    assert.ok((total(await scrape(bridge.http), 'dnsbridge_cache_invalidations_total') ?? 0) >= 1);
    assert.deepEqual(rdata((await dig(bridge.address, 'api.service.local', 'A')).answer), ['10.0.0.1']);
  });
});
