import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SourceProvider } from '../../../../src/registry/provider.js';
import { decodeHealthEntries } from '../../../../src/sources/consul/decode.js';

/** The fields Consul's entry gives (a provider also has empty slots the registry stamps). */
const given = ({ host, port, priority, weight, tags, origin }: SourceProvider) => ({ host, port, priority, weight, tags, origin });

/** A `/v1/health/service/web` entry as Consul returns it, with `service` fields overridden. */
function entry(node: string, nodeAddress: string, service: Record<string, unknown>): unknown {
  return {
    Node: { ID: `id-${node}`, Node: node, Address: nodeAddress, Datacenter: 'dc1' },
    Service: { ID: `web-${node}`, Service: 'web', Tags: [], Address: '', Port: 8080, Weights: { Passing: 1, Warning: 1 }, ...service },
    Checks: [{ CheckID: 'serfHealth', Status: 'passing' }],
  };
}

describe('decodeHealthEntries: health entries to providers', () => {
  it('takes Service.Address, port, tags and Weights.Passing as the SRV weight', () => {
    const { providers, warnings } = decodeHealthEntries('web', [
      entry('n1', '10.0.0.1', { Address: '10.1.0.1', Port: 9090, Tags: ['Canary', 'v2'], Weights: { Passing: 7, Warning: 1 } }),
    ]);
    assert.deepEqual(warnings, []);
    assert.deepEqual(providers.map(given), [{ host: '10.1.0.1', port: 9090, priority: 10, weight: 7, tags: ['canary', 'v2'], origin: 'consul:n1/web-n1' }]);
  });

  it('falls back to Node.Address when the service has no address, and to weight 1 without Weights', () => {
    const { providers } = decodeHealthEntries('web', [entry('n2', 'node2.dc1.example', { Weights: undefined, Tags: null })]);
    assert.deepEqual(providers.map(given), [{ host: 'node2.dc1.example', port: 8080, priority: 10, weight: 1, tags: [], origin: 'consul:n2/web-n2' }]);
  });

  describe('addresses as Consul DNS picks them (agent/translate_addr.go translateAddressAccept)', () => {
    const tagged = (v4?: string, v6?: string) => ({
      ...(v4 ? { lan_ipv4: { Address: v4, Port: 8080 } } : {}),
      ...(v6 ? { lan_ipv6: { Address: v6, Port: 8080 } } : {}),
    });
    const withNode = (nodeTagged: Record<string, string>, service: Record<string, unknown>) => {
      const e = entry('n1', '10.0.0.1', service) as { Node: Record<string, unknown> };
      e.Node.TaggedAddresses = { lan: '10.0.0.1', lan_ipv4: '10.0.0.1', ...nodeTagged };
      return e;
    };
    const addresses = (e: unknown) => decodeHealthEntries('web', [e]).providers.map((p) => [p.host, p.otherFamilyAddress]);

    it("a dual-stack service: lan_ipv6 is the host (Consul's SRV target), lan_ipv4 the other family", () => {
      assert.deepEqual(addresses(entry('n1', '10.0.0.1', { Address: '10.1.0.1', TaggedAddresses: tagged('10.1.0.1', 'fd00::1') })), [['fd00::1', '10.1.0.1']]);
    });

    it("a service without an address on a dual-stack node: the node's lan_ipv6 and lan_ipv4", () => {
      assert.deepEqual(addresses(withNode({ lan_ipv6: 'fd00::9' }, {})), [['fd00::9', '10.0.0.1']]);
    });

    it("a service with an IPv4 address of its own on a dual-stack node: the service's only, no AAAA", () => {
      assert.deepEqual(addresses(withNode({ lan_ipv6: 'fd00::9' }, { Address: '10.1.0.1', TaggedAddresses: tagged('10.1.0.1') })), [['10.1.0.1', undefined]]);
    });

    it("a service with only lan_ipv6 of its own: AAAA from it, A from the node, per query type", () => {
      assert.deepEqual(addresses(withNode({}, { TaggedAddresses: tagged(undefined, 'fd00::1') })), [['fd00::1', '10.0.0.1']]);
    });

    it('tagged addresses of the wrong family are ignored', () => {
      assert.deepEqual(addresses(entry('n1', '10.0.0.1', { Address: '10.1.0.1', TaggedAddresses: tagged('fd00::1', '10.9.9.9') })), [['10.1.0.1', undefined]]);
    });
  });

  it('skips malformed entries with a warning naming the service and node, and keeps the rest', () => {
    const { providers, warnings } = decodeHealthEntries('web', [
      entry('good', '10.0.0.1', {}),
      entry('badport', '10.0.0.2', { Port: 70000 }),
      entry('noaddr', '', {}),
      entry('badweight', '10.0.0.4', { Weights: { Passing: -1 } }),
      { Node: { Node: 'noservice' } },
      'not an object',
    ]);
    assert.deepEqual(providers.map((p) => p.host), ['10.0.0.1']);
    assert.equal(warnings.length, 5);
    assert.match(warnings[0], /consul service "web" on node "badport" \(instance "web-badport"\) skipped: port 70000 is not 1-65535/);
    assert.match(warnings[1], /on node "noaddr".*neither Service.Address nor Node.Address/);
    assert.match(warnings[2], /on node "badweight".*weight -1/);
    assert.match(warnings[3], /on node "noservice".*no "Service" object/);
    assert.match(warnings[4], /entry 5 skipped/);
  });
});
