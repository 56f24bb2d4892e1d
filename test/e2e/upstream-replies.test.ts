// What the forwarder accepts from an upstream and how long it keeps it, against a scripted
// upstream (a UDP socket in this test answering with dns-packet) whose behaviour a real server
// cannot be made to show: stray and spoofed replies, chosen TTLs and SOA minimums.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig, rdata } from '../harness/dig.js';

type Script = (question: dnsPacket.Question, id: number) => { reply: dnsPacket.Packet; from?: 'other-port'; id?: number }[];

/** A scripted upstream: for each query, sends the replies `script` lists, in order. */
async function scriptedUpstream(script: Script): Promise<{ address: string; queries: string[]; close(): void }> {
  const socket = dgram.createSocket('udp4');
  const other = dgram.createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (msg, rinfo) => {
    const query = dnsPacket.decode(msg);
    const question = query.questions![0];
    queries.push(`${question.name} ${question.type}`);
    for (const { reply, from, id } of script(question, query.id!)) {
      const bytes = dnsPacket.encode({ type: 'response', id: id ?? query.id, flags: dnsPacket.RECURSION_AVAILABLE | dnsPacket.RECURSION_DESIRED, ...reply });
      (from === 'other-port' ? other : socket).send(bytes, rinfo.port, rinfo.address);
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => other.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    queries,
    close() {
      socket.close();
      other.close();
    },
  };
}

const soa = (minimum: number): dnsPacket.Answer => ({
  name: 'example.test',
  type: 'SOA',
  ttl: 3600,
  data: { mname: 'ns.example.test', rname: 'hostmaster.example.test', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum },
});

const address = (name: string, data: string, ttl = 300): dnsPacket.Answer => ({ name, type: 'A', ttl, data });

describe('replies from upstream', () => {
  let upstream: Awaited<ReturnType<typeof scriptedUpstream>>;
  let bridge: BridgeProcess;

  before(async () => {
    upstream = await scriptedUpstream((question, id) => {
      const asked = { questions: [question] };
      if (question.name === 'spoofed.example.test') {
        return [
          { reply: { ...asked, answers: [address(question.name, '6.6.6.1')] }, id: (id + 1) & 0xffff },
          { reply: { questions: [{ ...question, name: 'other.example.test' }], answers: [address(question.name, '6.6.6.2')] } },
          { reply: { questions: [{ ...question, type: 'AAAA' }], answers: [address(question.name, '6.6.6.3')] } },
          { reply: { ...asked, answers: [address(question.name, '6.6.6.4')] }, from: 'other-port' },
          { reply: { ...asked, answers: [address(question.name, '192.0.2.1')] } },
        ];
      }
      if (question.name === 'missing.example.test') return [{ reply: { ...asked, flags: 3, authorities: [soa(60)] } }];
      if (question.name === 'broken.example.test') return [{ reply: { ...asked, flags: 2 } }];
      if (question.name === 'plain.example.test') {
        const opt: dnsPacket.Answer = { name: '.', type: 'OPT', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
        return [{ reply: { ...asked, answers: [address(question.name, '192.0.2.2')], additionals: [opt, address('ns.example.test', '192.0.2.53')] } }];
      }
      if (question.name === 'uncacheable.example.test') return [{ reply: { ...asked, answers: [address(question.name, '192.0.2.3', 0)] } }];
      return [{ reply: { ...asked, answers: [address(question.name, '192.0.2.2')] } }];
    });
    bridge = await startBridge(['--upstream', upstream.address, '--upstream-timeout', '1000']);
  });
  after(async () => {
    await bridge?.stop();
    upstream?.close();
  });

  const asked = (name: string) => upstream.queries.filter((q) => q.startsWith(`${name} `)).length;

  it('counts a reply only when its ID, question and source address match', async () => {
    const reply = await dig(bridge.address, 'spoofed.example.test', 'A');
    assert.deepEqual(rdata(reply.answer), ['192.0.2.1']);
  });

  it('serves a positive answer from cache for its TTL, counting the TTL down', async () => {
    const first = await dig(bridge.address, 'cached.example.test', 'A');
    const second = await dig(bridge.address, 'cached.example.test', 'A');
    assert.deepEqual(rdata(second.answer), ['192.0.2.2']);
    assert.equal(asked('cached.example.test'), 1);
    assert.ok(Number(second.answer[0].split(/\s+/)[1]) <= Number(first.answer[0].split(/\s+/)[1]));
  });

  it('a client without EDNS gets no OPT record, and the aged TTLs still land on the TTL fields', async () => {
    const first = await dig(bridge.address, 'plain.example.test', 'A', ['+noedns']);
    assert.equal(first.ednsUdp, undefined);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // let the cached copy age a second
    const aged = await dig(bridge.address, 'plain.example.test', 'A', ['+noedns']);
    assert.deepEqual(rdata(aged.answer), ['192.0.2.2']);
    assert.deepEqual(rdata(aged.additional), ['192.0.2.53'], 'the record after the removed OPT is intact');
    for (const line of [...aged.answer, ...aged.additional]) assert.ok(Number(line.split(/\s+/)[1]) < 300, line);
  });

  it("an EDNS client gets our UDP size, whether the upstream sent another or none", async () => {
    assert.equal((await dig(bridge.address, 'plain.example.test', 'A')).ednsUdp, 1232);
    assert.equal((await dig(bridge.address, 'noopt.example.test', 'A')).ednsUdp, 1232);
  });

  it('caches NXDOMAIN for the SOA minimum (RFC 2308)', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await dig(bridge.address, 'missing.example.test', 'A')).status, 'NXDOMAIN');
    assert.equal(asked('missing.example.test'), 1);
  });

  it('does not cache SERVFAIL or TTL 0', async () => {
    for (let i = 0; i < 2; i++) assert.equal((await dig(bridge.address, 'broken.example.test', 'A')).status, 'SERVFAIL');
    assert.equal(asked('broken.example.test'), 2);
    for (let i = 0; i < 2; i++) assert.deepEqual(rdata((await dig(bridge.address, 'uncacheable.example.test', 'A')).answer), ['192.0.2.3']);
    assert.equal(asked('uncacheable.example.test'), 2);
  });
});
