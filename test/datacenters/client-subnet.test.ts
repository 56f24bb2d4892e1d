import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig, rdata } from '../harness/dig.js';
import { udpAsk } from '../harness/dns-client.js';
import { startUnbound, type Unbound } from '../harness/unbound.js';
import { eventually } from '../harness/eventually.js';
import { replaceFile, scrape, tempDir, total, writeTemp } from '../ops/helpers.js';

interface Subnet {
  sourcePrefixLength: number;
  ip: string;
}

interface Reply {
  rcode: string;
  addresses: string[];
  /** The Client Subnet the bridge echoed. */
  ecs?: { family: number; sourcePrefixLength: number; scopePrefixLength: number; ip: string };
}

/**
 * Registries of datacenters east and west as two labelled registry files; the bridge is in east,
 * fails over to west, and places the clients of 10.2.0.0/16 and 127.0.0.3 in west.
 */
describe('client locality: --client-datacenter and EDNS Client Subnet (RFC 7871)', () => {
  let bridge: BridgeProcess;
  let unbound: Unbound;
  let eastFile: string;
  let id = 1;

  /** Asks `name` A over UDP with EDNS, and a Client Subnet option when `subnet` is given, from `from`. */
  async function ask(name: string, subnet?: Subnet, from?: string): Promise<Reply> {
    const options = subnet ? [{ code: 'CLIENT_SUBNET', family: subnet.ip.includes(':') ? 2 : 1, ...subnet }] : [];
    const query = dnsPacket.encode({
      type: 'query',
      id: id++ & 0xffff,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, options } as unknown as dnsPacket.Answer],
    });
    const raw = await udpAsk(bridge.host, bridge.port, query, 5000, from);
    assert.ok(raw, `no answer to ${name}`);
    const reply = dnsPacket.decode(raw) as dnsPacket.DecodedPacket & { rcode?: string };
    const opt = reply.additionals?.find((rr) => rr.type === 'OPT') as { options?: { code: number; family: number; sourcePrefixLength: number; scopePrefixLength: number; ip: string }[] } | undefined;
    const ecs = opt?.options?.find((o) => o.code === 8);
    return {
      rcode: reply.rcode ?? '',
      addresses: (reply.answers ?? []).map((rr) => String((rr as { data?: unknown }).data)).sort(),
      ...(ecs ? { ecs: { family: ecs.family, sourcePrefixLength: ecs.sourcePrefixLength, scopePrefixLength: ecs.scopePrefixLength, ip: ecs.ip } } : {}),
    };
  }
  const cacheEntries = async () => total(await scrape(bridge.http), 'dnsbridge_cache_entries')!;

  before(async () => {
    const dir = await tempDir();
    const east = (eastFile = await writeTemp(dir, 'east.yaml', 'api: ["10.1.0.1:80", "10.1.0.2:80"]\nweb: ["10.1.1.1:80", "10.1.1.2:80", "10.1.1.3:80"]\n'));
    const west = await writeTemp(dir, 'west.yaml', 'api: ["10.2.0.1:80"]\n');
    const config = await writeTemp(
      dir,
      'dnsbridge.yaml',
      [
        'datacenter: east',
        'failover: [west]',
        'client-datacenter: ["10.2.0.0/16=west", "127.0.0.3/32=west"]',
        'max-answers: 2',
        'sources:',
        `  - { kind: file, name: registry-east, datacenter: east, path: "${east}" }`,
        `  - { kind: file, name: registry-west, datacenter: west, path: "${west}" }`,
        '',
      ].join('\n'),
    );
    bridge = await startBridge(['--config', config]);
    unbound = await startUnbound({ zone: 'service.local', bridge: bridge.address, clientSubnet: true });
  });
  after(async () => {
    await unbound?.close();
    await bridge?.stop();
  });

  it("places the client by the subnet a resolver sends, and echoes it with the scope the answer used: the client network's length", async () => {
    assert.deepEqual(await ask('api.service.local', { sourcePrefixLength: 24, ip: '10.2.3.0' }), {
      rcode: 'NOERROR',
      addresses: ['10.2.0.1'],
      ecs: { family: 1, sourcePrefixLength: 24, scopePrefixLength: 16, ip: '10.2.3.0' },
    });
    assert.deepEqual(await ask('api.service.local', { sourcePrefixLength: 24, ip: '10.9.8.0' }), {
      rcode: 'NOERROR',
      addresses: ['10.1.0.1', '10.1.0.2'],
      ecs: { family: 1, sourcePrefixLength: 24, scopePrefixLength: 24, ip: '10.9.8.0' },
    });
  });

  it('scope 0 when the answer is everyone: a sub-zone, or a source prefix of 0 (do not use my address)', async () => {
    assert.deepEqual((await ask('api.west.service.local', { sourcePrefixLength: 24, ip: '10.1.3.0' })).ecs?.scopePrefixLength, 0);
    assert.deepEqual(await ask('api.service.local', { sourcePrefixLength: 0, ip: '0.0.0.0' }), {
      rcode: 'NOERROR',
      addresses: ['10.1.0.1', '10.1.0.2'],
      ecs: { family: 1, sourcePrefixLength: 0, scopePrefixLength: 0, ip: '0.0.0.0' },
    });
  });

  it('--max-answers takes the subnet as the client network: scope 24, the same subset for every subnet inside that /24', async () => {
    const wide = await ask('web.east.service.local', { sourcePrefixLength: 24, ip: '10.7.1.0' });
    assert.equal(wide.addresses.length, 2);
    assert.equal(wide.ecs?.scopePrefixLength, 24);
    const narrow = await ask('web.east.service.local', { sourcePrefixLength: 32, ip: '10.7.1.77' });
    assert.deepEqual([narrow.addresses, narrow.ecs?.scopePrefixLength, narrow.ecs?.ip], [wide.addresses, 24, '10.7.1.77']);
  });

  it('a malformed Client Subnet gets FORMERR', async () => {
    const bits = await ask('api.service.local', { sourcePrefixLength: 23, ip: '10.1.3.0' });
    assert.equal(bits.rcode, 'FORMERR');
  });

  it('1,000 client addresses in one datacenter, with and without a subnet: one cache entry per form, each echo its own address', async () => {
    await ask('api.service.local', undefined, '127.1.0.1');
    await ask('api.service.local', { sourcePrefixLength: 32, ip: '10.60.0.1' });
    const entries = await cacheEntries();
    for (let i = 0; i < 1000; i++) {
      const [y, z] = [Math.floor(i / 250) + 1, (i % 250) + 1];
      const plain = await ask('api.service.local', undefined, `127.1.${y}.${z}`);
      assert.deepEqual(plain.addresses, ['10.1.0.1', '10.1.0.2']);
      const subnet = await ask('api.service.local', { sourcePrefixLength: 32, ip: `10.60.${y}.${z}` });
      assert.deepEqual([subnet.addresses, subnet.ecs?.ip], [['10.1.0.1', '10.1.0.2'], `10.60.${y}.${z}`]);
    }
    assert.equal(await cacheEntries(), entries, 'the cache did not grow with the clients');
  });

  it('an answer encoded again after a registry change still echoes each query its own subnet', async () => {
    await ask('api.service.local', { sourcePrefixLength: 24, ip: '10.9.5.0' });
    await replaceFile(eastFile, 'api: ["10.1.0.1:80", "10.1.0.3:80"]\nweb: ["10.1.1.1:80", "10.1.1.2:80", "10.1.1.3:80"]\n');
    await eventually(async () => assert.deepEqual((await ask('api.service.local', { sourcePrefixLength: 24, ip: '10.9.6.0' })).addresses, ['10.1.0.1', '10.1.0.3']));
    assert.deepEqual((await ask('api.service.local', { sourcePrefixLength: 24, ip: '10.9.7.0' })).ecs, { family: 1, sourcePrefixLength: 24, scopePrefixLength: 24, ip: '10.9.7.0' });
  });

  it('unbound in front of the bridge sends each client as a Client Subnet: dig -b 127.0.0.3 gets west, dig -b 127.0.0.2 east', async () => {
    const through = async (from: string) => rdata((await dig(unbound.address, 'api.service.local', 'A', ['-b', from])).answer);
    assert.deepEqual(await through('127.0.0.3'), ['10.2.0.1']);
    assert.deepEqual(await through('127.0.0.2'), ['10.1.0.1', '10.1.0.3']);
    assert.deepEqual(await through('127.0.0.3'), ['10.2.0.1'], "unbound's cache keeps the two apart by the scope");
  });
});
