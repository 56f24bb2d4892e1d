// --max-answers 1: each client network gets one address, chosen by weight and kept, asked from
// 1,000 distinct loopback source addresses (127.x.y.z over 1,000 /24 networks).
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { udpAsk } from '../harness/dns-client.js';
import { eventually } from '../harness/eventually.js';
import { getJson } from '../ops/helpers.js';

const clients = Array.from({ length: 1000 }, (_, i) => `127.${1 + (i >> 8)}.${i & 255}.${1 + (i % 200)}`);

async function addressesFor(bridge: BridgeProcess, client: string): Promise<string[]> {
  const query = dnsPacket.encode({ type: 'query', id: 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'api.service.local' }] });
  const reply = await udpAsk(bridge.host, bridge.port, query, 3000, client);
  if (!reply) throw new Error(`no answer for ${client}`);
  return (dnsPacket.decode(reply).answers ?? []).flatMap((a) => (a.type === 'A' ? [a.data] : []));
}

async function answersByClient(bridge: BridgeProcess): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for (let i = 0; i < clients.length; i += 50) {
    const batch = clients.slice(i, i + 50);
    const answers = await Promise.all(batch.map((client) => addressesFor(bridge, client)));
    batch.forEach((client, j) => {
      assert.equal(answers[j].length, 1, `${client}: ${answers[j].join(' ')}`);
      result.set(client, answers[j][0]);
    });
  }
  return result;
}

describe('--max-answers 1 over 1,000 client networks', () => {
  let bridge: BridgeProcess;
  let file: string;
  before(async () => {
    file = join(await mkdtemp(join(tmpdir(), 'dnsbridge-subsets-')), 'services.yaml');
    await writeFile(file, 'api: [{host: 10.0.0.1, port: 80, weight: 1}, {host: 10.0.0.2, port: 80, weight: 1}, {host: 10.0.0.3, port: 80, weight: 2}]\n');
    bridge = await startBridge(['--file', file, '--max-answers', '1']);
  });
  after(() => bridge?.stop());

  it('splits within 5 points of 25/25/50, keeps each answer, and moves only the clients of a removed provider', async () => {
    const first = await answersByClient(bridge);
    const counts = new Map<string, number>();
    for (const address of first.values()) counts.set(address, (counts.get(address) ?? 0) + 1);
    const split = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((address) => (100 * (counts.get(address) ?? 0)) / clients.length);
    console.log(`split over ${clients.length} clients (weights 1, 1, 2): ${split.join(' / ')} %`);
    [25, 25, 50].forEach((expected, i) => assert.ok(Math.abs(split[i] - expected) <= 5, `split ${split.join('/')}`));

    const one = clients[7];
    for (let i = 0; i < 100; i++) assert.deepEqual(await addressesFor(bridge, one), [first.get(one)]);

    const cached: number = (await getJson(bridge.http, '/api/status')).body.cache.size;
    assert.ok(cached <= 3, `one cache entry per subset, not per client: ${cached}`);

    await writeFile(file, 'api: [{host: 10.0.0.1, port: 80, weight: 1}, {host: 10.0.0.2, port: 80, weight: 1}]\n');
    await eventually(async () => assert.notEqual((await addressesFor(bridge, [...first].find(([, a]) => a === '10.0.0.3')![0]))[0], '10.0.0.3'));
    const second = await answersByClient(bridge);
    for (const [client, address] of first) {
      if (address !== '10.0.0.3') assert.equal(second.get(client), address, `${client} moved though its provider stayed`);
    }
  });
});
