import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli, startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig, rdata } from '../harness/dig.js';
import { startDnsmasq } from '../harness/dnsmasq.js';
import { eventually } from '../harness/eventually.js';
import { startTestProvider, type TestProvider } from '../harness/provider.js';
import { connectZooKeeper, startZooKeeper } from '../harness/zookeeper.js';
import { getJson, tempDir, writeTemp } from './helpers.js';

/** One provider a step removed, as /api/explain reports it. */
interface Removed {
  provider: string;
  source: string;
  why: string;
}
type Step = { step: string; given: number; kept: number; removed: Removed[]; note?: string };

const explain = async (bridge: BridgeProcess, query: string) => (await getJson(bridge.http, `/api/explain?${query}`)).body;
const step = (explanation: { steps: Step[] }, name: string) => explanation.steps.find((s) => s.step === name)!;

/**
 * `api` in the registry file: two `canary` providers that listen (127.0.0.1 and 127.0.0.2), a
 * `canary` one whose port the test closes (127.0.0.3), and one without the tag (127.0.0.4).
 * With --max-answers 1 the client's network gets one of the two left.
 */
for (const workers of [1, 2]) {
  describe(`explain (lookup --explain, /api/explain) with --workers ${workers}: a registry file, health checks on real sockets`, () => {
    let bridge: BridgeProcess;
    let live: TestProvider[];
    let wedged: TestProvider;
    let untagged: TestProvider;

    before(async () => {
      live = [await startTestProvider('127.0.0.1'), await startTestProvider('127.0.0.2')];
      wedged = await startTestProvider('127.0.0.3');
      untagged = await startTestProvider('127.0.0.4');
      const entry = (p: TestProvider, tags: string[]) => `  - { host: ${p.host}, port: ${p.port}, tags: [${tags.join(', ')}] }`;
      const file = await writeTemp(await tempDir(), 'services.yaml', ['api:', ...live.map((p) => entry(p, ['canary'])), entry(wedged, ['canary']), entry(untagged, [])].join('\n'));
      const health = ['--health-check', 'tcp', '--health-interval', '300', '--health-timeout', '250', '--health-fall', '2', '--health-rise', '2'];
      bridge = await startBridge(['--file', file, '--max-answers', '1', '--workers', String(workers), ...health]);
      await wedged.close();
    });
    after(async () => {
      await bridge?.stop();
      await Promise.all([...live, wedged, untagged].map((p) => p?.close()));
    });

    it('names the provider each step left out and why: tag, health, subset; the answer is the one dig gets', async () => {
      const explained = await eventually(async () => {
        const body = await explain(bridge, 'name=canary.api.service.local&type=A');
        assert.equal(step(body, 'health').removed.length, 1, JSON.stringify(body.steps));
        return body;
      }, { attempts: 300 });
      assert.equal(explained.route, 'zone');
      assert.equal(explained.rcode, 'NOERROR');
      assert.equal(explained.client, '127.0.0.1');
      assert.equal(explained.network, '127.0.0.0/24');
      assert.deepEqual(explained.tags, ['canary']);
      assert.deepEqual(explained.steps.map((s: Step) => s.step), ['tag', 'health', 'address', 'subset']);
      assert.deepEqual(step(explained, 'tag').removed.map((r) => [r.provider, r.source, r.why]), [[untagged.address, 'file', 'does not carry the tag canary']]);
      const [unhealthy] = step(explained, 'health').removed;
      assert.equal(unhealthy.provider, wedged.address);
      assert.match(unhealthy.why, /tcp check failed 2 times in a row/);
      const subset = step(explained, 'subset');
      assert.equal(subset.kept, 1);
      assert.equal(subset.removed.length, 1);
      assert.equal(subset.removed[0].why, "not among the 1 A address the client's network gets");
      const chosen = live.find((p) => p.address !== subset.removed[0].provider)!;
      assert.match(subset.note!, new RegExp(`--max-answers 1: the client's network gets ${chosen.host.replace(/\./g, '\\.')}`));
      assert.deepEqual(explained.answer, [`canary.api.service.local. 5 IN A ${chosen.host}`]);
      assert.deepEqual(explained.ttl, { seconds: 5, from: '--ttl (5 s)' });
      assert.deepEqual(explained.why, ['1 of 4 providers of api in the answer']);
      assert.deepEqual(
        explained.sources.map((s: { name: string; kind: string; state: string; providers: number; answered: number; stale: boolean }) => [s.name, s.kind, s.state, s.providers, s.answered, s.stale]),
        [['file', 'file', 'connected', 4, 1, false]],
      );
      assert.deepEqual(rdata((await dig(bridge.address, 'canary.api.service.local', 'A')).answer), [chosen.host]);
    });

    it('says whether the answer is cached, in which form, and explaining it caches nothing', async () => {
      const fresh = await explain(bridge, 'name=api.service.local&type=SRV');
      assert.equal(fresh.cache.cached, false);
      assert.deepEqual(fresh.cache.forms, []);
      assert.equal((await explain(bridge, 'name=api.service.local&type=SRV')).cache.cached, false, 'explain itself stored nothing');
      if (workers > 1) assert.deepEqual(fresh.cache.workers, { asked: workers, answered: workers });
      assert.equal((await dig(bridge.address, 'api.service.local', 'SRV')).status, 'NOERROR');
      const cached = await explain(bridge, 'name=api&type=srv');
      assert.equal(cached.name, 'api.service.local');
      assert.equal(cached.cache.cached, true);
      const [form] = cached.cache.forms;
      assert.equal(form.form, 'UDP with EDNS, up to 1232 bytes');
      assert.equal(form.rcode, 'NOERROR');
      assert.match(form.key, /^api\.service\.local\|33\|1\|1232\|edns$/);
      assert.ok(form.expiresIn > 0 && form.expiresIn <= 300, String(form.expiresIn));
      assert.equal(typeof form.worker, workers > 1 ? 'number' : 'undefined');
      // SRV answers stay complete: no subset step, the health step still says who is out.
      assert.deepEqual(cached.steps.map((s: Step) => s.step), ['tag', 'health']);
      assert.equal(step(cached, 'health').removed[0].provider, wedged.address);
    });

    it('unknown names: NXDOMAIN and why, and names outside the domain are forwarded, naming the upstream', async () => {
      const missing = await explain(bridge, 'name=nope.service.local');
      assert.equal(missing.rcode, 'NXDOMAIN');
      assert.deepEqual(missing.why, ['no source has a provider of nope']);
      assert.match(missing.ttl.from, /negative answer: the SOA's minimum, which is --ttl \(5 s\)/);
      const untaggedName = await explain(bridge, 'name=blue.api.service.local&type=A');
      assert.equal(untaggedName.rcode, 'NXDOMAIN');
      assert.deepEqual(untaggedName.why, ['every provider of api was left out by the tag step']);
      const outside = await explain(bridge, 'name=www.example.org.&type=AAAA');
      assert.equal(outside.route, 'forward');
      assert.deepEqual(outside.forward, { zone: '.', upstreams: ['127.0.0.1:9'] });
      assert.match(outside.why[0], /www\.example\.org is outside service\.local: forwarded to the upstreams, 127\.0\.0\.1:9/);
      assert.equal((await getJson(bridge.http, '/api/explain?name=api&type=AXFR')).status, 400);
      assert.equal((await getJson(bridge.http, '/api/explain?name=api&client=nobody')).status, 400);
      const outsider = await explain(bridge, 'name=api&client=192.0.2.1');
      assert.deepEqual([outsider.route, outsider.rcode, outsider.why], ['refused', 'REFUSED', ['client 192.0.2.1 is not in --allow']]);
    });

    it('lookup NAME --explain prints it as text, --json as the API gives it', async () => {
      const { code, output } = await runCli(['lookup', 'canary.api.service.local', '--explain', '--http', bridge.http]);
      assert.equal(code, 0, output);
      assert.match(output, /^canary\.api\.service\.local A, asked by 127\.0\.0\.1 \(network 127\.0\.0\.0\/24\)$/m);
      assert.match(output, /^NOERROR from our zone: 1 of 4 providers of api in the answer$/m);
      assert.match(output, /^TTL 5 s: --ttl \(5 s\)$/m);
      assert.match(output, /^file +file +- +connected +4 +1/m);
      assert.match(output, new RegExp(`^tag +3 of 4 +${untagged.address} +file +does not carry the tag canary$`, 'm'));
      assert.match(output, new RegExp(`^health +2 of 3 +${wedged.address} +file +tcp check failed 2 times in a row`, 'm'));
      assert.match(output, /^subset +1 of 2 +127\.0\.0\.[12]:\d+ +file +not among the 1 A address the client's network gets$/m);
      assert.match(output, /^cached: yes/m, 'the first test asked dig for it');
      const json = await runCli(['lookup', 'nope', '--explain', '--type', 'AAAA', '--json', '--http', bridge.http]);
      assert.deepEqual([JSON.parse(json.output).rcode, JSON.parse(json.output).type], ['NXDOMAIN', 'AAAA']);
    });
  });
}

describe('explain with --workers 2: a stale source (real ZooKeeper stopped) and a forwarded answer in the cache (real dnsmasq)', () => {
  it('names the source that answers and whether it is stale; a cached forwarded answer with its rcode and the TTL counting down', async (t) => {
    const zk = await startZooKeeper();
    t.after(() => zk.stop());
    const registrar = await connectZooKeeper(zk.address);
    await registrar.create('/api/providers/10.0.20.1:80', '');
    await registrar.close();
    const upstream = await startDnsmasq({ config: ['local=/example.test/', 'host-record=web.example.test,192.0.2.10', 'local-ttl=600'] });
    t.after(() => upstream.stop());
    const file = await writeTemp(await tempDir(), 'services.yaml', 'api: ["10.0.30.1:80"]\n');
    const bridge = await startBridge(['--zookeeper', zk.address, '--zk-session-timeout', '4000', '--file', file, '--upstream', upstream.address, '--workers', '2']);
    t.after(() => bridge.stop());
    const sourcesOf = (body: { sources: { name: string; state: string; stale: boolean; providers: number; answered: number }[] }) =>
      Object.fromEntries(body.sources.map((s) => [s.name, [s.state, s.stale, s.providers, s.answered]]));

    const live = await explain(bridge, 'name=api&type=SRV');
    assert.deepEqual(sourcesOf(live), { zookeeper: ['connected', false, 1, 1], file: ['connected', false, 1, 1] });
    await zk.stop();
    const stale = await eventually(async () => {
      const body = await explain(bridge, 'name=api&type=SRV');
      assert.deepEqual(sourcesOf(body).zookeeper, ['disconnected', true, 1, 1], JSON.stringify(body.sources));
      return body;
    }, { attempts: 400 });
    assert.deepEqual(sourcesOf(stale).file, ['connected', false, 1, 1]);
    assert.equal(stale.answer.length, 2, 'its providers are still answered, as last read');
    const { output } = await runCli(['lookup', 'api', '--explain', '--type', 'SRV', '--http', bridge.http]);
    assert.match(output, /^zookeeper +zookeeper +- +disconnected \(stale\) +1 +1/m);

    const before = await explain(bridge, 'name=web.example.test');
    assert.deepEqual([before.route, before.rcode, before.cache.cached], ['forward', undefined, false]);
    assert.deepEqual(before.forward, { zone: '.', upstreams: [upstream.address] });
    assert.deepEqual(rdata((await dig(bridge.address, 'web.example.test')).answer), ['192.0.2.10']);
    const after = await explain(bridge, 'name=web.example.test');
    assert.deepEqual([after.rcode, after.cache.cached], ['NOERROR', true]);
    assert.equal(after.ttl.from, "the upstream's answer, counting down while cached");
    assert.ok(after.ttl.seconds > 0 && after.ttl.seconds <= 600, String(after.ttl.seconds));
    assert.equal(after.cache.forms[0].form, 'UDP with EDNS, up to 1232 bytes');
  });
});
