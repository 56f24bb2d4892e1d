import assert from 'node:assert/strict';
import net from 'node:net';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig, rdata } from '../harness/dig.js';
import { framed } from '../harness/dns-client.js';
import { startDnsmasq, type Dnsmasq } from '../harness/dnsmasq.js';
import { encodePlainQuery, udpExchange } from '../harness/raw-query.js';
import { get, loggedTimes, tempDir, writeTemp } from './helpers.js';

/** Asks for api.service.local A over UDP, one query after another, until stopped; counts what went unanswered. */
function keepAsking(address: string): { stop(): Promise<{ answered: number; unanswered: number }> } {
  let running = true;
  const counts = { answered: 0, unanswered: 0 };
  const loop = (async () => {
    for (let id = 1; running; id++) {
      await udpExchange(address, encodePlainQuery('api.service.local', 'A', id & 0xffff), 10_000).then(
        () => counts.answered++,
        () => counts.unanswered++,
      );
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return counts;
    },
  };
}

/** One TCP connection kept open across reloads: each ask must be answered on it. */
function tcpConnection(host: string, port: number): Promise<{ ask(name: string): Promise<dnsPacket.Packet>; close(): void }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port }, () => resolve({ ask, close: () => socket.destroy() }));
    socket.once('error', reject);
    let buffered = Buffer.alloc(0);
    let waiting: ((reply: Buffer) => void) | undefined;
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const reply = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + reply.length);
        waiting?.(reply);
      }
    });
    let id = 0;
    function ask(name: string): Promise<dnsPacket.Packet> {
      if (socket.destroyed) return Promise.reject(new Error('the bridge closed the TCP connection'));
      return new Promise((done) => {
        waiting = (reply) => done(dnsPacket.decode(reply));
        socket.write(framed(encodePlainQuery(name, 'A', ++id)));
      });
    }
  });
}

const ttlOf = (answer: string[]) => Number(answer[0].split(/\s+/)[1]);

describe('SIGHUP reloads the configuration', () => {
  let upstream: Dnsmasq;
  let internal: Dnsmasq;
  let bridge: BridgeProcess;
  let config: string;
  let registries: { first: string; second: string };
  let asker: ReturnType<typeof keepAsking>;
  let tcp: Awaited<ReturnType<typeof tcpConnection>>;
  let reloads = 0;

  const reload = async (text: string, outcome = 'configuration reloaded') => {
    await writeFile(config, text);
    bridge.child.kill('SIGHUP');
    reloads++;
    await loggedTimes(bridge, '"trigger":"SIGHUP"', reloads);
    assert.match(bridge.output().split('\n').filter((l) => l.includes('"trigger":"SIGHUP"'))[reloads - 1], new RegExp(outcome));
  };

  before(async () => {
    upstream = await startDnsmasq({ config: ['local=/example.org/', 'host-record=www.example.org,192.0.2.20', 'local-ttl=600'] });
    internal = await startDnsmasq({ config: ['local=/internal.test/', 'host-record=db.internal.test,192.0.2.30'] });
    const dir = await tempDir();
    registries = {
      first: await writeTemp(dir, 'first.yaml', 'api: ["10.0.0.1:80"]\n'),
      second: await writeTemp(dir, 'second.yaml', 'api: ["10.0.0.2:80"]\nweb: ["10.0.0.3:80"]\n'),
    };
    config = await writeTemp(dir, 'dnsbridge.yaml', `file: ${registries.first}\nttl: 5\n`);
    bridge = await startBridge(['--config', config, '--upstream', upstream.address]);
    asker = keepAsking(bridge.address);
    tcp = await tcpConnection('127.0.0.1', bridge.port);
  });
  after(async () => {
    tcp?.close();
    await asker?.stop();
    await bridge?.stop();
    await upstream?.stop();
    await internal?.stop();
  });

  it('answers with the first configuration', async () => {
    const api = await dig(bridge.address, 'api.service.local');
    assert.deepEqual(rdata(api.answer), ['10.0.0.1']);
    assert.equal(ttlOf(api.answer), 5);
    assert.deepEqual(rdata((await dig(bridge.address, 'www.example.org')).answer), ['192.0.2.20']);
    assert.equal((await dig(bridge.address, 'db.internal.test')).answer.length, 0);
  });

  it('takes a new TTL and a new zone at once, keeping the cached answers they do not touch', async () => {
    // The default upstream goes away: www.example.org can only come from the cache now.
    await upstream.stop();
    await reload(`file: ${registries.first}\nttl: 42\nzone:\n  internal.test: ${internal.address}\n`);
    const api = await dig(bridge.address, 'api.service.local');
    assert.equal(ttlOf(api.answer), 42);
    assert.deepEqual(rdata((await dig(bridge.address, 'db.internal.test')).answer), ['192.0.2.30']);
    assert.deepEqual(rdata((await dig(bridge.address, 'www.example.org')).answer), ['192.0.2.20']);
    assert.equal((await tcp.ask('api.service.local')).answers?.length, 1);
  });

  it('refuses a bad configuration with the reason, and keeps answering with the old one', async () => {
    await reload('ttl: banana\n', 'new configuration refused, the old one keeps running: .*ttl.*banana');
    const api = await dig(bridge.address, 'api.service.local');
    assert.deepEqual(rdata(api.answer), ['10.0.0.1']);
    assert.equal(ttlOf(api.answer), 42);
    assert.deepEqual(rdata((await dig(bridge.address, 'db.internal.test')).answer), ['192.0.2.30']);
  });

  it('swaps the registry file for another one', async () => {
    await reload(`file: ${registries.second}\nttl: 42\nzone:\n  internal.test: ${internal.address}\n`);
    assert.deepEqual(rdata((await dig(bridge.address, 'api.service.local')).answer), ['10.0.0.2']);
    assert.deepEqual(rdata((await dig(bridge.address, 'web.service.local')).answer), ['10.0.0.3']);
    assert.equal((await tcp.ask('web.service.local')).answers?.length, 1);
  });

  it('stops a source the configuration no longer names', async () => {
    await reload(`ttl: 42\nzone:\n  internal.test: ${internal.address}\n`);
    assert.equal((await dig(bridge.address, 'api.service.local')).status, 'NXDOMAIN');
    const ready = await get(bridge.http, '/readyz');
    assert.equal(ready.status, 200);
    assert.doesNotMatch(ready.body, /file/);
  });

  it('never closed the DNS sockets: every query got an answer, and the TCP connection still works', async () => {
    assert.equal((await tcp.ask('db.internal.test')).answers?.length, 1);
    const { answered, unanswered } = await asker.stop();
    assert.equal(unanswered, 0);
    assert.ok(answered > 0);
  });
});
