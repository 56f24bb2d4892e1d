import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Etcd3 } from 'etcd3';
import { dig } from '../../harness/dig.js';
import { startEtcd, type EtcdServer } from '../../harness/etcd.js';
import { freePort } from '../../harness/ports.js';
import { addr, answerBecomes, ask, logMessages, startEtcdBridge, type EtcdBridge } from './helpers.js';

const CURATOR = '{"name":"curated","id":"53565860","address":"10.0.2.1","port":9000,"sslPort":null,"payload":null,"registrationTimeUTC":1628750040704,"serviceType":"DYNAMIC","uriSpec":null,"enabled":true}';

describe('etcd source: what it reads', () => {
  let etcd: EtcdServer;
  let writer: Etcd3;
  let bridge: EtcdBridge;

  before(async () => {
    etcd = await startEtcd();
    writer = etcd.client();
    const entries: [string, string][] = [
      ['/skydns/local/service/sky/x1', '{"host":"10.0.1.1","port":8080,"priority":20,"weight":100,"ttl":30,"text":"v1"}'],
      ['/skydns/local/service/sky/x2', '{"host":"10.0.1.2","port":8081}'],
      ['/services/curated/53565860', CURATOR],
      ['/text/providers/a', '10.0.3.1:7000'],
      ['/nested/providers/zone-a/rack-1/10.0.4.1:7001', ''],
      ['/nested/providers/zone-b/10.0.4.2:7002', '{"pid": 1234}'],
      ['/mixed/providers/good', '10.0.5.1:80'],
      ['/mixed/providers/bad', 'junk'],
      ['/mixed/providers/badport', '{"host":"10.0.5.9","port":"http"}'],
      ['/services/both/i1', '{"address":"10.0.6.1","port":80}'],
      ['/both/providers/10.0.6.2:80', ''],
      ['/tex/providers/10.0.7.1:80', ''],
    ];
    for (const [key, value] of entries) await writer.put(key).value(value);
    // The first endpoint refuses connections: the client uses the other one.
    const dead = `http://127.0.0.1:${await freePort()}`;
    bridge = await startEtcdBridge([
      '--etcd', `${dead},${etcd.url}`,
      '--etcd-prefix', '/skydns/local/service/{service}/',
      '--etcd-prefix', '/services/{service}',
      '--etcd-prefix', '/{service}/providers/',
      '--ttl', '600',
    ]);
  });
  after(async () => {
    await bridge?.stop();
    await etcd?.close();
  });

  it('serves SkyDNS/CoreDNS records: priority 10 by default, their TTL capping the answer', async () => {
    const reply = await dig(bridge.address, 'sky.service.local', 'SRV');
    assert.equal(reply.status, 'NOERROR');
    assert.deepEqual(reply.answer.map((line) => line.split(/\s+/).slice(4).join(' ')).sort(), [`10 1 8081 ${addr('10.0.1.2')}`, `20 100 8080 ${addr('10.0.1.1')}`]);
    assert.deepEqual(new Set(reply.answer.map((line) => line.split(/\s+/)[1])), new Set(['30']));
  });

  it("serves JSON with address and port (Curator's shape)", async () => {
    assert.deepEqual(await ask(bridge.address, 'curated.service.local'), { status: 'NOERROR', records: [`10 1 9000 ${addr('10.0.2.1')}`] });
  });

  it('serves host:port text, and keys at any depth named host:port', async () => {
    assert.deepEqual(await ask(bridge.address, 'text.service.local', 'A'), { status: 'NOERROR', records: ['10.0.3.1'] });
    assert.deepEqual(await ask(bridge.address, 'nested.service.local'), { status: 'NOERROR', records: [`10 1 7001 ${addr('10.0.4.1')}`, `10 1 7002 ${addr('10.0.4.2')}`] });
  });

  it('skips malformed entries with a warning naming the key, counts them, and serves the rest', async () => {
    assert.deepEqual(await ask(bridge.address, 'mixed.service.local', 'A'), { status: 'NOERROR', records: ['10.0.5.1'] });
    const warnings = logMessages(bridge.output()).filter((message) => message.includes('skipped'));
    assert.equal(warnings.length, 2);
    assert.match(warnings.find((w) => w.includes('/bad '))!, /^etcd key \/mixed\/providers\/bad skipped: "junk" is not host:port/);
    assert.match(warnings.find((w) => w.includes('/badport '))!, /^etcd key \/mixed\/providers\/badport skipped: port "http" is not 1-65535/);
    assert.equal((await bridge.etcdStatus()).decodeFailures, 2);
  });

  it('answers the union over every prefix template', async () => {
    assert.deepEqual(await ask(bridge.address, 'both.service.local', 'A'), { status: 'NOERROR', records: ['10.0.6.1', '10.0.6.2'] });
  });

  it('does not mix up a service with one whose name it starts', async () => {
    assert.deepEqual(await ask(bridge.address, 'tex.service.local', 'A'), { status: 'NOERROR', records: ['10.0.7.1'] });
    assert.equal((await ask(bridge.address, 'nothing.service.local')).status, 'NXDOMAIN');
  });

  it('shows puts and deletes in the next answers, though answers are cached for 600 s', async () => {
    assert.deepEqual(await ask(bridge.address, 'text.service.local', 'A'), { status: 'NOERROR', records: ['10.0.3.1'] });
    await writer.put('/text/providers/b').value('10.0.3.2:7000');
    await answerBecomes(bridge.address, 'text.service.local', 'A', { status: 'NOERROR', records: ['10.0.3.1', '10.0.3.2'] });
    await writer.delete().key('/text/providers/a');
    await answerBecomes(bridge.address, 'text.service.local', 'A', { status: 'NOERROR', records: ['10.0.3.2'] });
    await writer.delete().key('/text/providers/b');
    await answerBecomes(bridge.address, 'text.service.local', 'A', { status: 'NXDOMAIN', records: [] });
  });

  it('reports the source connected, watching what was asked', async () => {
    const status = await bridge.etcdStatus();
    assert.equal(status.state, 'connected');
    assert.equal(status.synced, true);
    assert.ok(status.watchedServices >= 7, `watches ${status.watchedServices} services`);
  });
});
