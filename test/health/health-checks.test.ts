import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli, startBridge, type BridgeProcess } from '../harness/bridge.js';
import { eventually } from '../harness/eventually.js';
import { startTestProvider, type TestProvider } from '../harness/provider.js';
import { connectZooKeeper, startZooKeeper, type ZooKeeperServer, type ZooKeeperTestClient } from '../harness/zookeeper.js';
import { getJson, scrape, total } from '../ops/helpers.js';
import { addr, answerBecomes, ask, logShows, zkArgs } from '../sources/zookeeper/helpers.js';

const INTERVAL = 300;
const FALL = 2;
const RISE = 2;
const checkArgs = ['--health-check', 'tcp', '--health-interval', String(INTERVAL), '--health-timeout', '250', '--health-fall', String(FALL), '--health-rise', String(RISE)];

/** The SRV record data dnsbridge gives a provider on 127.0.0.1. */
const srv = (provider: TestProvider) => `10 1 ${provider.port} ${addr(provider.host)}`;

describe("the bridge's own health checks (real ZooKeeper, real sockets)", () => {
  let zk: ZooKeeperServer;
  let registrar: ZooKeeperTestClient;
  let bridge: BridgeProcess;
  const providers: TestProvider[] = [];

  /** Providers registered as ephemeral nodes under `/<service>/providers`, listening. */
  async function register(service: string, count: number): Promise<TestProvider[]> {
    const started = await Promise.all(Array.from({ length: count }, () => startTestProvider()));
    providers.push(...started);
    for (const provider of started) await registrar.create(`/${service}/providers/${provider.address}`, '{"pid": 1}', 'ephemeral');
    return started;
  }

  before(async () => {
    zk = await startZooKeeper();
    registrar = await connectZooKeeper(zk.address);
    bridge = await startBridge([...zkArgs(zk.address), ...checkArgs, '--health-service', 'web=http:/health']);
  });
  after(async () => {
    await bridge?.stop();
    await Promise.all(providers.map((p) => p.close()));
    await registrar?.close();
    await zk?.stop();
  });

  it('a wedged provider (port closed, node still in ZooKeeper) leaves the answers, and comes back once it listens again', async () => {
    const [wedged, fine] = await register('api', 2);
    await answerBecomes(bridge.address, 'api.service.local', 'SRV', { status: 'NOERROR', records: [srv(wedged), srv(fine)] });
    await wedged.close();
    // interval x fall, with room for a busy machine: the time it took is the benchmark's to measure.
    await answerBecomes(bridge.address, 'api.service.local', 'SRV', { status: 'NOERROR', records: [srv(fine)] }, INTERVAL * FALL + 10_000);
    assert.deepEqual((await registrar.children('/api/providers')).sort(), [wedged.address, fine.address].sort(), 'its node stayed');
    assert.deepEqual((await ask(bridge.address, 'api.service.local', 'A')).records, ['127.0.0.1']);

    const api = (await getJson(bridge.http, '/api/services/api')).body;
    const shown = api.providers.find((p: { port: number }) => p.port === wedged.port);
    assert.equal(shown.check.state, 'failing');
    assert.equal(shown.check.last.result, 'fail');
    assert.equal(shown.check.last.detail, 'ECONNREFUSED');
    assert.equal(typeof shown.check.last.ms, 'number');
    assert.match(shown.unhealthy, /tcp check failed 2 times in a row/);
    const lookup = await runCli(['lookup', 'api', '--http', bridge.http]);
    assert.match(lookup.output, new RegExp(`127\\.0\\.0\\.1:${wedged.port} .* failing +fail \\(ECONNREFUSED\\) +[\\d.]+ ms`));
    assert.match(lookup.output, new RegExp(`127\\.0\\.0\\.1:${fine.port} .* passing +pass \\(connected\\) +[\\d.]+ ms`));
    const status = (await getJson(bridge.http, '/api/status')).body;
    assert.ok(status.changes.some((c: { service: string; failed: string[] }) => c.service === 'api' && c.failed.includes(wedged.address)), JSON.stringify(status.changes));
    const metrics = await scrape(bridge.http);
    assert.equal(total(metrics, 'dnsbridge_providers_unhealthy'), 1);
    assert.ok(total(metrics, 'dnsbridge_health_checks_total', { result: 'fail' })! >= FALL);

    await wedged.open();
    await answerBecomes(bridge.address, 'api.service.local', 'SRV', { status: 'NOERROR', records: [srv(wedged), srv(fine)] }, INTERVAL * RISE + 10_000);
    assert.equal((await getJson(bridge.http, '/api/services/api')).body.providers.find((p: { port: number }) => p.port === wedged.port).check.state, 'passing');
    await logShows(bridge.output, `${wedged.address} is back in the answers`);
  });

  it('an HTTP check: a provider whose /health answers 500 leaves, and returns at 200', async () => {
    const [sick, well] = await register('web', 2);
    await answerBecomes(bridge.address, 'web.service.local', 'SRV', { status: 'NOERROR', records: [srv(sick), srv(well)] });
    sick.healthStatus = 500;
    await answerBecomes(bridge.address, 'web.service.local', 'SRV', { status: 'NOERROR', records: [srv(well)] }, INTERVAL * FALL + 10_000);
    const shown = (await getJson(bridge.http, '/api/services/web')).body.providers.find((p: { port: number }) => p.port === sick.port);
    assert.deepEqual([shown.check.check, shown.check.state, shown.check.last.detail], ['http:/health', 'failing', 'HTTP 500']);
    sick.healthStatus = 200;
    await answerBecomes(bridge.address, 'web.service.local', 'SRV', { status: 'NOERROR', records: [srv(sick), srv(well)] }, INTERVAL * RISE + 10_000);
  });

  it('when every provider fails, all are answered (fail open) and the log, metrics and status say so', async () => {
    const all = await register('batch', 2);
    await answerBecomes(bridge.address, 'batch.service.local', 'SRV', { status: 'NOERROR', records: all.map(srv) });
    await Promise.all(all.map((p) => p.close()));
    await logShows(bridge.output, 'every provider of batch fails its health check: answering all of them (fail open)');
    assert.deepEqual(await ask(bridge.address, 'batch.service.local'), { status: 'NOERROR', records: all.map(srv).sort() });
    assert.equal(total(await scrape(bridge.http), 'dnsbridge_health_fail_open_services'), 1);
    assert.deepEqual((await getJson(bridge.http, '/api/status')).body.health.failOpen, ['batch']);
    await all[0].open();
    await answerBecomes(bridge.address, 'batch.service.local', 'SRV', { status: 'NOERROR', records: [srv(all[0])] }, INTERVAL * RISE + 10_000);
    await eventually(async () => assert.equal(total(await scrape(bridge.http), 'dnsbridge_health_fail_open_services'), 0));
  });
});

describe('health checks with DNS workers (--workers 2)', () => {
  let zk: ZooKeeperServer;
  let registrar: ZooKeeperTestClient;
  let bridge: BridgeProcess;
  let provider: TestProvider;

  before(async () => {
    zk = await startZooKeeper();
    registrar = await connectZooKeeper(zk.address);
    provider = await startTestProvider();
    await registrar.create(`/api/providers/${provider.address}`, '', 'ephemeral');
    bridge = await startBridge([...zkArgs(zk.address), ...checkArgs, '--health-interval', '500', '--workers', '2']);
  });
  after(async () => {
    await bridge?.stop();
    await provider?.close();
    await registrar?.close();
    await zk?.stop();
  });

  it('checks each provider once per interval, in the primary, whichever workers answer', async () => {
    // Several queries, so both workers have answered api; each asks the primary to load it.
    for (let i = 0; i < 8; i++) assert.equal((await ask(bridge.address, 'api.service.local')).status, 'NOERROR');
    await eventually(() => assert.ok(provider.connections.length > 0), { attempts: 200 });
    const from = provider.connections.length;
    const checks = 10;
    await eventually(() => assert.ok(provider.connections.length >= from + checks), { attempts: 600 });
    const tookMs = provider.connections[from + checks - 1] - provider.connections[from];
    // One checker needs 9 intervals (less 10% jitter each) from the first of these 10 checks to the last; a checker
    // per worker would make 10 connections in about half that. A busy machine only makes it longer.
    assert.ok(tookMs >= 9 * 450, `${checks} checks ${tookMs} ms apart at a 500 ms interval: more than one checker`);
    const metrics = await scrape(bridge.http);
    assert.ok(total(metrics, 'dnsbridge_health_checks_total', { result: 'pass' })! >= from + checks);
  });
});
