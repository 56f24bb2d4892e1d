// Protocol behaviour seen from raw sockets, replies decoded with dns-packet (an independent codec).
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { framed, tcpAsk, udpAsk } from '../harness/dns-client.js';
import { dottedName, header, query, u16 } from '../harness/wire.js';

const RCODE = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };

describe('DNS protocol over UDP and TCP', () => {
  let bridge: BridgeProcess;

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-protocol-'));
    await writeFile(join(dir, 'services.yaml'), 'api: ["10.0.0.1:8080"]\nweb: ["10.0.1.1:80"]\n');
    // The default upstream of the harness is a closed port: forwarded queries wait out the timeout.
    bridge = await startBridge(['--file', join(dir, 'services.yaml'), '--upstream-timeout', '500']);
  });
  after(() => bridge?.stop());

  async function ask(message: Buffer): Promise<dnsPacket.DecodedPacket | undefined> {
    const reply = await udpAsk(bridge.host, bridge.port, message);
    return reply && dnsPacket.decode(reply);
  }

  it('TCP: several queries on one connection are all answered, each with its own ID', async () => {
    const names = ['api.service.local', 'web.service.local', 'nope.service.local', 'api.service.local'];
    const bytes = Buffer.concat(names.map((name, i) => framed(query(name, 1, { id: 100 + i }))));
    const replies = (await tcpAsk(bridge.host, bridge.port, bytes, names.length)).map((r) => dnsPacket.decode(r));
    const byId = new Map(replies.map((r) => [r.id, r]));
    assert.deepEqual([...byId.keys()].sort(), [100, 101, 102, 103]);
    assert.deepEqual((byId.get(100)!.answers![0] as dnsPacket.StringAnswer).data, '10.0.0.1');
    assert.deepEqual((byId.get(101)!.answers![0] as dnsPacket.StringAnswer).data, '10.0.1.1');
    assert.equal(byId.get(102)!.flags! & 0xf, RCODE.NXDOMAIN);
  });

  it('TCP: answers go out as they complete, a slow forwarded query does not hold back the next', async () => {
    const bytes = Buffer.concat([framed(query('slow.example.test', 1, { id: 1 })), framed(query('api.service.local', 1, { id: 2 }))]);
    const replies = (await tcpAsk(bridge.host, bridge.port, bytes, 2)).map((r) => dnsPacket.decode(r));
    assert.deepEqual(replies.map((r) => r.id), [2, 1]);
    assert.equal(replies[1].flags! & 0xf, 2, 'SERVFAIL once the upstream timed out');
  });

  it('TCP: a query split across segments is answered once whole', async () => {
    const frame = framed(query('api.service.local', 1, { id: 7 }));
    const [reply] = await tcpAsk(bridge.host, bridge.port, [frame.subarray(0, 1), frame.subarray(1, 9), frame.subarray(9)], 1);
    const decoded = dnsPacket.decode(reply);
    assert.equal(decoded.id, 7);
    assert.equal((decoded.answers![0] as dnsPacket.StringAnswer).data, '10.0.0.1');
  });

  const problems: { title: string; message: Buffer; rcode: number; opcode?: number }[] = [
    { title: 'opcode STATUS gets NOTIMP', message: Buffer.concat([header({ flags: 2 << 11 }), dottedName('api.service.local'), u16(1, 1)]), rcode: RCODE.NOTIMP, opcode: 2 },
    { title: 'opcode UPDATE gets NOTIMP', message: Buffer.concat([header({ flags: 5 << 11 }), dottedName('service.local'), u16(6, 1)]), rcode: RCODE.NOTIMP, opcode: 5 },
    { title: 'two questions get FORMERR', message: Buffer.concat([header({ qdcount: 2 }), dottedName('a.service.local'), u16(1, 1), dottedName('b.service.local'), u16(1, 1)]), rcode: RCODE.FORMERR },
    { title: 'no question gets FORMERR', message: header({ qdcount: 0 }), rcode: RCODE.FORMERR },
    { title: 'a name cut short gets FORMERR', message: Buffer.concat([header(), Buffer.from([3, 0x61, 0x70])]), rcode: RCODE.FORMERR },
    { title: 'class CHAOS gets REFUSED', message: query('version.bind', 16, { klass: 3 }), rcode: RCODE.REFUSED },
  ];
  for (const { title, message, rcode, opcode } of problems) {
    it(title, async () => {
      const reply = await ask(message);
      assert.ok(reply, 'an answer came back');
      assert.equal(reply.id, 0x1234);
      assert.equal(reply.flags! & 0xf, rcode);
      if (opcode !== undefined) assert.equal((reply.flags! >> 11) & 0xf, opcode, 'the opcode is echoed');
    });
  }

  it('EDNS version 1 gets BADVERS (extended rcode 16) with an OPT of version 0', async () => {
    const reply = await ask(query('api.service.local', 1, { edns: { version: 1 } }));
    assert.ok(reply);
    const [opt] = reply.additionals as dnsPacket.OptAnswer[];
    assert.equal(((opt.extendedRcode << 4) | (reply.flags! & 0xf)), 16);
    assert.equal(opt.ednsVersion, 0);
  });

  it('a response (QR=1) and a 5-byte packet are dropped, not answered', async () => {
    assert.equal(await udpAsk(bridge.host, bridge.port, Buffer.concat([header({ flags: 0x8000 }), dottedName('api.service.local'), u16(1, 1)]), 500), undefined);
    assert.equal(await udpAsk(bridge.host, bridge.port, Buffer.from([1, 2, 3, 4, 5]), 500), undefined);
    const next = await ask(query('api.service.local', 1));
    assert.equal(next && next.flags! & 0xf, RCODE.NOERROR, 'and the next query is answered');
  });
});
