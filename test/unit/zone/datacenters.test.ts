import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RRType } from '../../../src/dns/constants.js';
import type { ResourceRecord } from '../../../src/dns/records.js';
import { DEFAULT_PRIORITY, DEFAULT_WEIGHT, type Provider } from '../../../src/registry/provider.js';
import type { ProviderView } from '../../../src/registry/view.js';
import { ClientPlacement, datacenterOrder, type DatacenterOptions } from '../../../src/zone/datacenters.js';
import { HostAddresses } from '../../../src/zone/host-addresses.js';
import { ReverseIndex } from '../../../src/zone/reverse-index.js';
import { ServiceZone, type ZoneTrace } from '../../../src/zone/service-zone.js';

function provider(host: string, datacenter: string | undefined, extra: Partial<Provider> = {}): Provider {
  return { host, port: 80, priority: DEFAULT_PRIORITY, weight: DEFAULT_WEIGHT, tags: [], origin: 'test', source: `zk-${datacenter ?? 'none'}`, datacenter, ...extra };
}

function zone(providers: Provider[], datacenters: DatacenterOptions): ServiceZone {
  const registry: ProviderView = {
    providers: (service) => (service === 'api' ? providers : []),
    staleSources: () => [],
    ensure: async () => 'ready',
    loaded: () => true,
    touch: () => {},
    onChange: () => {},
  };
  const hosts = new HostAddresses(async () => ({ addresses: [], ttl: 60 }), { failureTtlMs: 1000, minTtlMs: 1000, maxTtlMs: 60_000, idleMs: 60_000 });
  return new ServiceZone({ domain: 'service.local', ttl: 5, hostWaitMs: 100, maxAnswers: 0, datacenters }, registry, hosts, new ReverseIndex(registry));
}

const eastFirst: DatacenterOptions = { local: 'east', failover: ['west'], names: ['east', 'south', 'west'], srvFailoverPriority: 0 };

function answered(z: ServiceZone, name: string, type: number = RRType.A, client?: string): string[] {
  const result = z.answerNow(name, type, 'ready', undefined, undefined, client);
  return result.answer.answer.map((rr: ResourceRecord) => (rr.type === 'SRV' ? `${rr.priority} ${rr.target}` : 'address' in rr ? rr.address : rr.type)).sort();
}

describe('datacenter-aware answers (--datacenter east --failover west)', () => {
  const east = provider('10.1.0.1', 'east');
  const unlabelled = provider('10.1.0.2', undefined);
  const west = provider('10.2.0.1', 'west');
  const south = provider('10.3.0.1', 'south');

  it('answers the local datacenter alone; a provider from a source with no label counts as local', () => {
    assert.deepEqual(answered(zone([east, unlabelled, west, south], eastFirst), 'api.service.local'), ['10.1.0.1', '10.1.0.2']);
  });

  it('fails over to west when east has no provider, or none healthy', () => {
    assert.deepEqual(answered(zone([west, south], eastFirst), 'api.service.local'), ['10.2.0.1']);
    const sick = { ...east, unhealthy: 'tcp check failed 3 times in a row' };
    assert.deepEqual(answered(zone([sick, west], eastFirst), 'api.service.local'), ['10.2.0.1']);
  });

  it('fails open (east, all of them) only when no datacenter in the order has a healthy provider', () => {
    const sick = (p: Provider) => ({ ...p, unhealthy: 'down' });
    assert.deepEqual(answered(zone([sick(east), sick(west), south], eastFirst), 'api.service.local'), ['10.1.0.1']);
  });

  it('never answers a datacenter outside the order from <svc>.<domain>: NXDOMAIN when only south has providers', () => {
    assert.equal(zone([south], eastFirst).answerNow('api.service.local', RRType.A).answer.rcode, 3);
  });

  it('says why each provider was left out, step by step', () => {
    const z = zone([{ ...east, unhealthy: 'tcp check failed 3 times in a row' }, west, south], eastFirst);
    const trace: ZoneTrace = { steps: [] };
    z.answerNow('api.service.local', RRType.A, 'ready', undefined, trace);
    assert.deepEqual(
      trace.steps.filter((s) => ['datacenter', 'health', 'failover'].includes(s.step)).map((s) => [s.step, s.kept.map((p) => p.host), s.removed.map((r) => `${r.provider.host}: ${r.why}`), s.note]),
      [
        ['datacenter', ['10.1.0.1', '10.2.0.1'], ['10.3.0.1: in datacenter south, not one this name is answered from (east, west)'], undefined],
        ['health', ['10.2.0.1'], ['10.1.0.1: tcp check failed 3 times in a row'], undefined],
        ['failover', ['10.2.0.1'], [], 'answered from west: east has no healthy provider'],
      ],
    );
  });

  it('a sub-zone asks its datacenter only, in every name form', () => {
    const z = zone([east, unlabelled, west, provider('10.2.0.2', 'west', { tags: ['canary'] }), south], eastFirst);
    assert.deepEqual(answered(z, 'api.west.service.local'), ['10.2.0.1', '10.2.0.2']);
    assert.deepEqual(answered(z, 'canary.api.west.service.local'), ['10.2.0.2']);
    assert.deepEqual(answered(z, '_api._tcp.west.service.local', RRType.SRV), ['10 0a020001.addr.service.local', '10 0a020002.addr.service.local']);
    assert.deepEqual(answered(z, 'api.east.service.local'), ['10.1.0.1', '10.1.0.2'], 'unlabelled providers are local');
    assert.deepEqual(answered(z, 'api.south.service.local'), ['10.3.0.1'], 'a datacenter outside the failover order is still its own sub-zone');
  });

  it('--srv-failover-priority 100: SRV answers carry west at priority + 100, A answers stay local', () => {
    const z = zone([east, west], { ...eastFirst, srvFailoverPriority: 100 });
    assert.deepEqual(answered(z, 'api.service.local', RRType.SRV), ['10 0a010001.addr.service.local', '110 0a020001.addr.service.local']);
    assert.deepEqual(answered(z, '_api._tcp.service.local', RRType.SRV), ['10 0a010001.addr.service.local', '110 0a020001.addr.service.local']);
    assert.deepEqual(answered(z, 'api.service.local'), ['10.1.0.1']);
    assert.deepEqual(answered(z, '_api._tcp.west.service.local', RRType.SRV), ['10 0a020001.addr.service.local'], 'a sub-zone is one datacenter');
  });

  it('a client placed in west gets west first, and east when west has none', () => {
    assert.deepEqual(answered(zone([east, west], eastFirst), 'api.service.local', RRType.A, 'west'), ['10.2.0.1']);
    const trace: ZoneTrace = { steps: [] };
    zone([east, west], eastFirst).answerNow('api.service.local', RRType.A, 'ready', undefined, trace, 'west');
    assert.deepEqual(
      trace.steps.find((s) => s.step === 'failover')?.removed.map((r) => r.why),
      ["in datacenter east: west comes first in this name's order (west, east) and has providers"],
    );
    assert.deepEqual(answered(zone([east], eastFirst), 'api.service.local', RRType.A, 'west'), ['10.1.0.1']);
    assert.deepEqual(datacenterOrder(eastFirst, 'south'), ['south', 'east', 'west']);
  });

  it('without --datacenter the union is answered, as before', () => {
    const none: DatacenterOptions = { failover: [], names: ['east', 'west'], srvFailoverPriority: 0 };
    assert.deepEqual(answered(zone([east, unlabelled, west], none), 'api.service.local'), ['10.1.0.1', '10.1.0.2', '10.2.0.1']);
    assert.deepEqual(answered(zone([east, unlabelled, west], none), 'api.west.service.local'), ['10.2.0.1']);
  });
});

describe('ClientPlacement: --client-datacenter networks, the longest match first', () => {
  const placement = new ClientPlacement([
    { address: '127.0.0.0', prefix: 8, family: 'ipv4', datacenter: 'east' },
    { address: '127.0.0.3', prefix: 32, family: 'ipv4', datacenter: 'west' },
    { address: 'fd00::', prefix: 8, family: 'ipv6', datacenter: 'west' },
  ]);
  it('places each address in its most specific network, with that network length as its scope', () => {
    assert.deepEqual(placement.place('127.0.0.2'), { datacenter: 'east', prefix: 8, key: 'east/8' });
    assert.deepEqual(placement.place('127.0.0.3'), { datacenter: 'west', prefix: 32, key: 'west/32' });
    assert.deepEqual(placement.place('::ffff:127.0.0.3'), { datacenter: 'west', prefix: 32, key: 'west/32' });
    assert.deepEqual(placement.place('fd00::1'), { datacenter: 'west', prefix: 8, key: 'west/8' });
    assert.deepEqual(placement.place('10.0.0.1'), { prefix: -1, key: '-' });
  });
});
