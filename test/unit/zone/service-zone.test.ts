import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RRType } from '../../../src/dns/constants.js';
import type { ResourceRecord } from '../../../src/dns/records.js';
import { DEFAULT_PRIORITY, DEFAULT_WEIGHT, type Provider } from '../../../src/registry/provider.js';
import type { EnsureResult } from '../../../src/registry/source.js';
import type { ProviderView } from '../../../src/registry/view.js';
import { HostAddresses, type AddressLookup } from '../../../src/zone/host-addresses.js';
import { ReverseIndex } from '../../../src/zone/reverse-index.js';
import { ServiceZone, type ZoneTrace } from '../../../src/zone/service-zone.js';

function provider(host: string, port: number, extra: Partial<Provider> = {}): Provider {
  return { host, port, priority: DEFAULT_PRIORITY, weight: DEFAULT_WEIGHT, tags: [], origin: 'test', source: 'test', ...extra };
}

/**
 * A registry view over a fixed map; `unavailable` services answer as a source that cannot say;
 * the sources in `disconnected` serve their providers stale.
 */
function view(services: Record<string, Provider[]>, unavailable: string[] = [], disconnected: string[] = []): ProviderView {
  return {
    providers: (service) => services[service] ?? [],
    staleSources: (service) => disconnected.filter((source) => services[service]?.some((p) => p.source === source)),
    ensure: async (service): Promise<EnsureResult> => (unavailable.includes(service) ? 'unavailable' : 'ready'),
    loaded: (service) => !unavailable.includes(service),
    touch: () => {},
    onChange: () => {},
  };
}

const known: Record<string, { v4: string[]; v6: string[] }> = { 'web1.example.test': { v4: ['192.0.2.10'], v6: ['2001:db8::10'] } };
const lookup: AddressLookup = async (name, type) => {
  const entry = known[name];
  if (!entry) throw new Error(`${name} does not resolve`);
  return { addresses: type === 'A' ? entry.v4 : entry.v6, ttl: 60 };
};

function zone(services: Record<string, Provider[]>, unavailable: string[] = [], disconnected: string[] = [], maxAnswers = 0): ServiceZone {
  const hosts = new HostAddresses(lookup, { failureTtlMs: 1000, minTtlMs: 1000, maxTtlMs: 60_000, idleMs: 60_000 });
  const registry = view(services, unavailable, disconnected);
  return new ServiceZone({ domain: 'service.local', ttl: 5, hostWaitMs: 500, maxAnswers }, registry, hosts, new ReverseIndex(registry));
}

const services = {
  api: [provider('10.0.0.1', 8080), provider('10.0.0.2', 8081, { weight: 5, tags: ['canary'] }), provider('fd00::3', 8082)],
  v4only: [provider('10.0.1.1', 80)],
  named: [provider('web1.example.test', 443), provider('localhost', 5000)],
  short: [provider('10.0.2.1', 80, { ttl: 2 })],
  sets: [provider('10.0.3.1', 80), provider('10.0.3.1', 8080, { endpoint: 'http' })],
};

function data(records: ResourceRecord[]): string[] {
  return records.map((rr) => {
    const { name: _name, ttl: _ttl, type, ...rest } = rr;
    return `${type} ${Object.values(rest).join(' ')}`;
  });
}

describe('ServiceZone answers', () => {
  const z = zone(services);

  it('A and AAAA: the addresses of every provider, authoritative NOERROR', async () => {
    const a = await z.answer('api.service.local', RRType.A);
    assert.equal(a.answer.rcode, 0);
    assert.deepEqual(data(a.answer.answer), ['A 10.0.0.1', 'A 10.0.0.2']);
    assert.deepEqual(a.services, ['api']);
    assert.equal(a.rotates, true);
    assert.deepEqual(data((await z.answer('api.service.local', RRType.AAAA)).answer.answer), ['AAAA fd00::3']);
  });

  it('SRV in both forms: one record per provider, glue in the additional section', async () => {
    for (const name of ['api.service.local', '_api._tcp.service.local']) {
      const srv = await z.answer(name, RRType.SRV);
      assert.deepEqual(data(srv.answer.answer), [
        'SRV 10 1 8080 0a000001.addr.service.local',
        'SRV 10 5 8081 0a000002.addr.service.local',
        'SRV 10 1 8082 fd000000000000000000000000000003.addr.service.local',
      ]);
      assert.deepEqual(data(srv.answer.additional), ['A 10.0.0.1', 'A 10.0.0.2', 'AAAA fd00::3']);
    }
  });

  it('several tags select the providers carrying every one of them, in any order', async () => {
    const tagged = zone({ api: [provider('10.0.0.1', 80, { tags: ['canary', 'v2'] }), provider('10.0.0.2', 80, { tags: ['canary'] }), provider('10.0.0.3', 80, { tags: ['v2'] })] });
    for (const name of ['canary.v2.api.service.local', 'v2.canary.api.service.local']) {
      assert.deepEqual(data((await tagged.answer(name, RRType.A)).answer.answer), ['A 10.0.0.1']);
    }
    assert.deepEqual(data((await tagged.answer('canary.api.service.local', RRType.A)).answer.answer), ['A 10.0.0.1', 'A 10.0.0.2']);
    const none = await tagged.answer('canary.v2.blue.api.service.local', RRType.A);
    assert.equal(none.answer.rcode, 3, 'NXDOMAIN when no provider carries them all');
  });

  it('tags select the providers carrying them, in both forms', async () => {
    assert.deepEqual(data((await z.answer('canary.api.service.local', RRType.A)).answer.answer), ['A 10.0.0.2']);
    assert.deepEqual(data((await z.answer('_api._canary.service.local', RRType.SRV)).answer.answer), ['SRV 10 5 8081 0a000002.addr.service.local']);
  });

  it('named endpoints answer only as _<endpoint>._tcp.<svc>', async () => {
    assert.deepEqual(data((await z.answer('sets.service.local', RRType.SRV)).answer.answer), ['SRV 10 1 80 0a000301.addr.service.local']);
    assert.deepEqual(data((await z.answer('_http._tcp.sets.service.local', RRType.SRV)).answer.answer), ['SRV 10 1 8080 0a000301.addr.service.local']);
  });

  it('hostname providers: A/AAAA resolved through the lookup, SRV targets are the hostnames', async () => {
    assert.deepEqual(data((await z.answer('named.service.local', RRType.A)).answer.answer), ['A 192.0.2.10', 'A 127.0.0.1']);
    assert.deepEqual(data((await z.answer('named.service.local', RRType.AAAA)).answer.answer), ['AAAA 2001:db8::10', 'AAAA ::1']);
    const srv = await z.answer('named.service.local', RRType.SRV);
    assert.deepEqual(data(srv.answer.answer), ['SRV 10 1 443 web1.example.test', 'SRV 10 1 5000 localhost']);
    assert.deepEqual(data(srv.answer.additional), ['A 192.0.2.10', 'AAAA 2001:db8::10', 'A 127.0.0.1', 'AAAA ::1']);
    assert.deepEqual(z.servicesUsingHost('web1.example.test'), ['named']);
  });

  it('a dual-stack provider answers A with its other-family address, AAAA and SRV with its host', async () => {
    const dual = zone({ web: [provider('fd00::1', 8080, { otherFamilyAddress: '10.0.0.1' }), provider('10.0.0.2', 8081)] });
    assert.deepEqual(data((await dual.answer('web.service.local', RRType.A)).answer.answer), ['A 10.0.0.1', 'A 10.0.0.2']);
    assert.deepEqual(data((await dual.answer('web.service.local', RRType.AAAA)).answer.answer), ['AAAA fd00::1']);
    const srv = await dual.answer('web.service.local', RRType.SRV);
    assert.deepEqual(data(srv.answer.answer), ['SRV 10 1 8080 fd000000000000000000000000000001.addr.service.local', 'SRV 10 1 8081 0a000002.addr.service.local']);
    assert.deepEqual(data(srv.answer.additional), ['AAAA fd00::1', 'A 10.0.0.2'], 'glue is the target\'s own address only');
  });

  it('.addr. targets answer their address for the matching type, NODATA otherwise', async () => {
    assert.deepEqual(data((await z.answer('0a000001.addr.service.local', RRType.A)).answer.answer), ['A 10.0.0.1']);
    const nodata = await z.answer('0a000001.addr.service.local', RRType.AAAA);
    assert.equal(nodata.answer.rcode, 0);
    assert.deepEqual(data(nodata.answer.answer), []);
  });

  it('a provider TTL lowers the answer TTL', async () => {
    const [record] = (await z.answer('short.service.local', RRType.A)).answer.answer;
    assert.equal(record.ttl, 2);
  });

  it('the apex has SOA and NS; other types are NODATA', async () => {
    assert.deepEqual(data((await z.answer('service.local', RRType.NS)).answer.answer), ['NS ns.service.local']);
    const [soa] = (await z.answer('service.local', RRType.SOA)).answer.answer;
    assert.equal(soa.type === 'SOA' && soa.mname, 'ns.service.local');
    const a = await z.answer('service.local', RRType.A);
    assert.equal(a.answer.rcode, 0);
    assert.equal(a.answer.authority[0].type, 'SOA');
  });
});

describe('ServiceZone negative answers: NXDOMAIN for names that do not exist, NODATA for missing types', () => {
  const z = zone(services, ['down']);
  const cases: { name: string; type: number; rcode: number; title: string }[] = [
    { title: 'unknown service', name: 'nope.service.local', type: RRType.A, rcode: 3 },
    { title: 'tag no provider carries', name: 'blue.api.service.local', type: RRType.A, rcode: 3 },
    { title: 'tags no provider carries all of', name: 'canary.blue.api.service.local', type: RRType.A, rcode: 3 },
    { title: 'name matching no form', name: '_x.b.api.service.local', type: RRType.A, rcode: 3 },
    { title: 'AAAA of a service with only IPv4 providers', name: 'v4only.service.local', type: RRType.AAAA, rcode: 0 },
    { title: 'TXT of a service', name: 'api.service.local', type: RRType.TXT, rcode: 0 },
    { title: 'A of the SRV-only form', name: '_api._tcp.service.local', type: RRType.A, rcode: 0 },
    { title: 'addr. itself, which has names below it', name: 'addr.service.local', type: RRType.A, rcode: 0 },
  ];
  for (const { title, name, type, rcode } of cases) {
    it(`${rcode === 3 ? 'NXDOMAIN' : 'NODATA'}: ${title}, with the SOA in authority`, async () => {
      const result = await z.answer(name, type);
      assert.equal(result.answer.rcode, rcode);
      assert.deepEqual(result.answer.answer, []);
      assert.equal(result.answer.authority.length, 1);
      assert.equal(result.answer.authority[0].type, 'SOA');
      assert.equal(result.answer.authority[0].name, 'service.local');
    });
  }

  it('an unknown service depends on that service, so its registration drops the cached NXDOMAIN', async () => {
    assert.deepEqual((await z.answer('nope.service.local', RRType.A)).services, ['nope']);
  });

  it('SERVFAIL, not NXDOMAIN, when a source cannot say and nothing is known', async () => {
    const result = await z.answer('down.service.local', RRType.A);
    assert.equal(result.answer.rcode, 2);
  });
});

describe('ServiceZone Extended DNS Errors', () => {
  const mixed = {
    api: [provider('10.0.0.1', 80, { source: 'zookeeper' }), provider('10.0.0.2', 80, { source: 'etcd', tags: ['canary'] })],
  };
  const z = zone(mixed, [], ['zookeeper']);

  it('Stale Answer (3) naming the disconnected source of a provider in the answer', async () => {
    const result = await z.answer('api.service.local', RRType.A);
    assert.deepEqual(result.answer.errors, [{ code: 3, text: 'source zookeeper is not connected: its providers are as last read' }]);
  });

  it('none when every provider in the answer comes from a connected source', async () => {
    assert.equal((await z.answer('canary.api.service.local', RRType.A)).answer.errors, undefined);
    assert.equal((await zone(mixed).answer('api.service.local', RRType.A)).answer.errors, undefined);
  });
});

describe('ServiceZone traces (what explain reports)', () => {
  const traced = {
    api: [
      provider('10.0.0.1', 80, { tags: ['canary'] }),
      provider('10.0.0.2', 80, { tags: ['canary'], weight: 3 }),
      provider('10.0.0.3', 80, { tags: ['canary'], unhealthy: 'tcp check failed 3 times in a row' }),
      provider('10.0.0.4', 80),
      provider('fd00::5', 80, { tags: ['canary'] }),
      provider('10.0.0.6', 80, { tags: ['canary'], ttl: 2 }),
    ],
  };
  const removed = (trace: ZoneTrace, step: string) => trace.steps.find((s) => s.step === step)?.removed.map((r) => [r.provider.host, r.why]);

  it('each step in order with the providers it removed and why, the subset the client got, and the TTL a provider lowered', async () => {
    const z = zone(traced, [], [], 1);
    const subset = z.subsetFor('canary.api.service.local', RRType.A, '192.0.2.0/24')!;
    assert.equal(subset.length, 1);
    const trace: ZoneTrace = { steps: [] };
    const result = z.answerNow('canary.api.service.local', RRType.A, 'ready', subset, trace);
    assert.deepEqual(data(result.answer.answer), [`A ${subset[0]}`]);
    assert.deepEqual(trace.form, { kind: 'service', service: 'api', tags: ['canary'] });
    assert.equal(trace.providers?.length, 6);
    assert.deepEqual(trace.steps.map((s) => s.step), ['tag', 'health', 'address', 'subset']);
    assert.deepEqual(removed(trace, 'tag'), [['10.0.0.4', 'does not carry the tag canary']]);
    assert.deepEqual(removed(trace, 'health'), [['10.0.0.3', 'tcp check failed 3 times in a row']]);
    assert.deepEqual(removed(trace, 'address'), [['fd00::5', 'registered by an IPv6 address: no A record']]);
    const notChosen = ['10.0.0.1', '10.0.0.2', '10.0.0.6'].filter((a) => a !== subset[0]);
    assert.deepEqual(removed(trace, 'subset'), notChosen.map((host) => [host, "not among the 1 A address the client's network gets"]));
    assert.match(trace.steps[3].note!, new RegExp(`--max-answers 1: the client's network gets ${subset[0]}`));
    assert.equal(trace.ttl?.seconds, 2);
    assert.equal(trace.ttl?.provider?.host, '10.0.0.6');
  });

  it('a tag nobody carries: NXDOMAIN, every provider removed by the tag step, the negative TTL', async () => {
    const trace: ZoneTrace = { steps: [] };
    const result = zone(traced).answerNow('blue.green.api.service.local', RRType.A, 'ready', undefined, trace);
    assert.equal(result.answer.rcode, 3);
    assert.deepEqual(removed(trace, 'tag')?.[0], ['10.0.0.1', 'does not carry the tags blue, green']);
    assert.deepEqual(trace.ttl, { seconds: 5, negative: true });
  });

  it('answers the same with and without a trace', async () => {
    const z = zone(services);
    for (const [name, type] of [['canary.api.service.local', RRType.A], ['api.service.local', RRType.ANY], ['_http._tcp.sets.service.local', RRType.SRV]] as const) {
      const plain = z.answerNow(name, type);
      const traced = z.answerNow(name, type, 'ready', undefined, { steps: [] });
      assert.deepEqual(traced, plain, name);
    }
  });
});
