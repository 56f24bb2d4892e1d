import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Provider } from '../../../src/registry/provider.js';
import { ixfrRecords } from '../../../src/transfer/messages.js';
import { nextSerial, serialAfter } from '../../../src/transfer/serial.js';
import { recordKey, serviceRecords } from '../../../src/transfer/service-records.js';
import { ZoneVersions } from '../../../src/transfer/zone-versions.js';
import { HostAddresses } from '../../../src/zone/host-addresses.js';
import { eventually } from '../../harness/eventually.js';

/** The registry as the zone reads it, written by the test. */
class Providers {
  private readonly byService = new Map<string, Provider[]>();
  private readonly listeners: ((service: string) => void)[] = [];
  set(service: string, hosts: string[], tags: string[] = []): void {
    this.byService.set(service, hosts.map((host) => ({ host, port: 80, priority: 10, weight: 1, tags, origin: service, source: 'test' })));
    for (const listener of this.listeners) listener(service);
  }
  providers = (service: string) => this.byService.get(service) ?? [];
  serviceNames = () => [...this.byService.keys()].filter((s) => this.providers(s).length);
  ensure = async () => 'ready' as const;
  loaded = () => true;
  staleSources = () => [];
  touch(): void {}
  onChange(listener: (service: string) => void): void {
    this.listeners.push(listener);
  }
}

function zoneOf(registry: Providers): ZoneVersions {
  const hosts = new HostAddresses(async () => ({ addresses: [], ttl: 60 }), { failureTtlMs: 1000, minTtlMs: 1000, maxTtlMs: 1000, idleMs: 1000 });
  return new ZoneVersions({ domain: 'service.local', ttl: 5, coalesceMs: 0, journal: { maxDiffs: 2, maxRecords: 1000 } }, registry, hosts);
}

const keys = (records: Parameters<typeof recordKey>[0][]) => records.map(recordKey).sort();

describe('zone versions', () => {
  it('serials grow with every version, from the clock in tenths of a second, across the 32-bit wrap', () => {
    assert.equal(nextSerial(undefined, 1_800_000_000_000), 18_000_000_000 % 2 ** 32);
    assert.equal(nextSerial(100, 0), 101, 'never behind the last one');
    assert.ok(serialAfter(nextSerial(2 ** 32 - 1, 0), 2 ** 32 - 1), 'wraps to 0, which is later');
  });

  it('holds every name the bridge answers, and journals each change as deleted and added records', async () => {
    const registry = new Providers();
    registry.set('api', ['10.0.0.1'], ['canary']);
    const zone = zoneOf(registry);
    const first = zone.serial;
    assert.deepEqual(keys(zone.snapshot().records), [
      '0a000001.addr.service.local|A|10.0.0.1',
      '_api._canary.service.local|SRV|10 1 80 0a000001.addr.service.local',
      '_api._tcp.service.local|SRV|10 1 80 0a000001.addr.service.local',
      'api.service.local|A|10.0.0.1',
      'api.service.local|SRV|10 1 80 0a000001.addr.service.local',
      'canary.api.service.local|A|10.0.0.1',
      'canary.api.service.local|SRV|10 1 80 0a000001.addr.service.local',
      'service.local|NS|ns.service.local',
    ]);
    registry.set('api', ['10.0.0.2']);
    await eventually(() => assert.ok(serialAfter(zone.serial, first)));
    const [diff] = zone.diffsSince(first)!;
    assert.equal(diff.deleted.length, 7);
    assert.deepEqual(keys(diff.added), [
      '0a000002.addr.service.local|A|10.0.0.2',
      '_api._tcp.service.local|SRV|10 1 80 0a000002.addr.service.local',
      'api.service.local|A|10.0.0.2',
      'api.service.local|SRV|10 1 80 0a000002.addr.service.local',
    ]);
    const ixfr = ixfrRecords((serial) => zone.soa(serial), zone.serial, zone.diffsSince(first)!);
    assert.deepEqual(
      ixfr.filter((rr) => rr.type === 'SOA').map((rr) => (rr.type === 'SOA' ? rr.serial : 0)),
      [zone.serial, first, zone.serial, zone.serial],
    );
    assert.equal(zone.diffsSince(zone.serial), undefined, 'the current serial starts no step');
  });

  it("holds a dual-stack provider's records as the answers give them: A from its other-family address", () => {
    const records = serviceRecords('web', [{ host: 'fd00::1', otherFamilyAddress: '10.0.0.1', port: 80, priority: 10, weight: 1, tags: [], origin: 'web', source: 'test' }], {
      domain: 'service.local',
      ttl: 5,
      addresses: () => undefined,
    });
    assert.deepEqual(keys(records), [
      '_web._tcp.service.local|SRV|10 1 80 fd000000000000000000000000000001.addr.service.local',
      'fd000000000000000000000000000001.addr.service.local|AAAA|fd00::1',
      'web.service.local|AAAA|fd00::1',
      'web.service.local|A|10.0.0.1',
      'web.service.local|SRV|10 1 80 fd000000000000000000000000000001.addr.service.local',
    ]);
  });

  it('with --datacenter: the own view with failover under the domain, and each datacenter as a sub-zone', () => {
    const at = (host: string, datacenter: string | undefined, extra: Partial<Provider> = {}): Provider => ({ host, port: 80, priority: 10, weight: 1, tags: [], origin: host, source: 'test', datacenter, ...extra });
    const datacenters = { local: 'east', failover: ['west'], names: ['east', 'west'], srvFailoverPriority: 100 };
    const settings = { domain: 'service.local', ttl: 5, addresses: () => undefined, datacenters };
    const names = (records: ReturnType<typeof serviceRecords>) => keys(records.filter((rr) => !rr.name.includes('.addr.')));
    const sick = at('10.1.0.1', 'east', { unhealthy: 'down' });
    assert.deepEqual(names(serviceRecords('api', [sick, at('10.2.0.1', 'west')], settings)), [
      '_api._tcp.service.local|SRV|110 1 80 0a020001.addr.service.local',
      '_api._tcp.west.service.local|SRV|10 1 80 0a020001.addr.service.local',
      'api.east.service.local|A|10.1.0.1',
      'api.east.service.local|SRV|10 1 80 0a010001.addr.service.local',
      'api.service.local|A|10.2.0.1',
      'api.service.local|SRV|110 1 80 0a020001.addr.service.local',
      'api.west.service.local|A|10.2.0.1',
      'api.west.service.local|SRV|10 1 80 0a020001.addr.service.local',
    ].concat(['_api._tcp.east.service.local|SRV|10 1 80 0a010001.addr.service.local']).sort());
    const healthy = names(serviceRecords('api', [at('10.1.0.1', undefined), at('10.2.0.1', 'west')], settings));
    assert.ok(healthy.includes('api.service.local|A|10.1.0.1') && !healthy.includes('api.service.local|A|10.2.0.1'), 'local answers while it has providers');
    assert.ok(healthy.includes('api.service.local|SRV|110 1 80 0a020001.addr.service.local'), 'SRV carries west one step down');
    assert.ok(healthy.includes('api.east.service.local|A|10.1.0.1'), 'an unlabelled provider is local');
    assert.deepEqual(names(serviceRecords('west', [at('10.1.0.9', 'east')], settings)), ['west.east.service.local|A|10.1.0.9', 'west.east.service.local|SRV|10 1 80 0a010009.addr.service.local', '_west._tcp.east.service.local|SRV|10 1 80 0a010009.addr.service.local'].sort());
  });

  it('a change that changes no record makes no version; the journal forgets past its bound', async () => {
    const registry = new Providers();
    registry.set('api', ['10.0.0.1']);
    const zone = zoneOf(registry);
    const first = zone.serial;
    registry.set('api', ['10.0.0.1']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(zone.serial, first);
    for (const host of ['10.0.0.2', '10.0.0.3', '10.0.0.4']) {
      const before = zone.serial;
      registry.set('api', [host]);
      await eventually(() => assert.notEqual(zone.serial, before));
    }
    assert.equal(zone.diffsSince(first), undefined, 'two steps kept: an IXFR from the first serial gets the whole zone');
  });
});
