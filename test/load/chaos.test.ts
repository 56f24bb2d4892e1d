import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { startDnsmasq, type Dnsmasq } from '../harness/dnsmasq.js';
import { startEtcd, type EtcdServer } from '../harness/etcd.js';
import { startLoad, type LoadGenerator } from '../harness/load.js';
import { udpExchange } from '../harness/raw-query.js';
import { query } from '../harness/wire.js';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy.js';
import { connectZooKeeper, startZooKeeper, type ZooKeeperServer, type ZooKeeperTestClient } from '../harness/zookeeper.js';

/**
 * Faults under load: while a client queries known services continuously, each registry and
 * the upstream fail and come back. Known services must never get SERVFAIL or NXDOMAIN, and
 * after each recovery the answers must equal what the registry holds.
 */
const SRV = 33;
const A = 1;
const zkServices = ['zk-alpha', 'zk-beta'];
const etcdServices = ['etcd-alpha', 'etcd-beta'];
const mixed = 'both';
const catchUp: [string, number][] = [];

function target(hostPort: string): string {
  const [ip, port] = hostPort.split(':');
  return `10 1 ${port} ${Buffer.from(ip.split('.').map(Number)).toString('hex')}.addr.service.local.`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SRV record data as dig prints it, asked over one UDP exchange: quick enough to poll every few ms. */
async function srvRecords(name: string): Promise<string[]> {
  const reply = dnsPacket.decode(await udpExchange(bridge.address, query(name, SRV, { id: 7, edns: {} }), 1000));
  return (reply.answers ?? [])
    .filter((answer) => answer.type === 'SRV')
    .map((answer) => {
      const srv = (answer as dnsPacket.SrvAnswer).data;
      return `${srv.priority} ${srv.weight} ${srv.port} ${srv.target}.`;
    })
    .sort();
}

let bridge: BridgeProcess;

describe('faults under load', { timeout: 240_000 }, () => {
  let zk: ZooKeeperServer;
  let zkProxy: TcpProxy;
  let registrar: ZooKeeperTestClient;
  let etcd: EtcdServer;
  let etcdProxy: TcpProxy;
  let upstream: Dnsmasq;
  let load: LoadGenerator;
  let next = 1;

  /** The providers the registries hold for `service`, read directly, as SRV record data. */
  async function registryContent(service: string): Promise<string[]> {
    const fromZk = service.startsWith('etcd') ? [] : await registrar.children(`/${service}/providers`).catch(() => []);
    const fromEtcd = service.startsWith('zk')
      ? []
      : Object.keys(await etcd.client().getAll().prefix(`/${service}/providers/`).strings()).map((key) => key.split('/').pop()!);
    return [...fromZk, ...fromEtcd].map(target).sort();
  }

  /** Waits until DNS answers `service` exactly as the registries hold it; records how long that took. */
  async function answersMatchRegistry(service: string, label: string): Promise<void> {
    const started = Date.now();
    const expected = await registryContent(service);
    let last: string[] = [];
    while (Date.now() - started < 20_000) {
      last = await srvRecords(`${service}.service.local`).catch(() => []);
      if (JSON.stringify(last) === JSON.stringify(expected)) {
        catchUp.push([label, Date.now() - started]);
        return;
      }
      await sleep(20);
    }
    assert.fail(`${service}: DNS says ${JSON.stringify(last)}, the registry holds ${JSON.stringify(expected)}`);
  }

  async function addZk(service: string): Promise<void> {
    await registrar.create(`/${service}/providers/10.0.30.${next++}:80`, '');
  }

  async function addEtcd(service: string, client = etcd.client()): Promise<void> {
    const hostPort = `10.0.31.${next++}:80`;
    await client.put(`/${service}/providers/${hostPort}`).value(hostPort);
  }

  function assertNoFailures(phase: string): void {
    const known = load.counts().known ?? {};
    assert.equal(known.SERVFAIL ?? 0, 0, `${phase}: SERVFAIL for known services ${JSON.stringify(known)}`);
    assert.equal(known.NXDOMAIN ?? 0, 0, `${phase}: NXDOMAIN for known services ${JSON.stringify(known)}`);
    assert.ok((known.NOERROR ?? 0) > 0, `${phase}: the load was answered ${JSON.stringify(known)}`);
  }

  before(async () => {
    zk = await startZooKeeper();
    zkProxy = await startTcpProxy({ host: '127.0.0.1', port: zk.port });
    registrar = await connectZooKeeper(zk.address, { sessionTimeoutMs: 30_000 });
    etcd = await startEtcd();
    etcdProxy = await startTcpProxy({ host: '127.0.0.1', port: etcd.clientPort });
    upstream = await startDnsmasq({ config: ['host-record=www.example.test,192.0.2.80', 'local-ttl=0'] });
    for (const service of [...zkServices, mixed]) await addZk(service);
    for (const service of [...etcdServices, mixed]) await addEtcd(service);
    bridge = await startBridge([
      '--workers', '2',
      '--zookeeper', zkProxy.address,
      '--zk-session-timeout', '4000',
      '--etcd', `http://${etcdProxy.address}`,
      '--upstream', upstream.address,
      '--upstream-timeout', '500',
    ]);
    for (const service of [...zkServices, ...etcdServices, mixed]) await answersMatchRegistry(service, `first load of ${service}`);
    const questions = [...zkServices, ...etcdServices, mixed].flatMap((service) => [
      { group: 'known', name: `${service}.service.local`, type: SRV },
      { group: 'known', name: `${service}.service.local`, type: A },
    ]);
    load = await startLoad({ host: '127.0.0.1', port: bridge.port }, [...questions, { group: 'forwarded', name: 'www.example.test', type: A }], {
      perSecond: 300,
      timeoutMs: 2000,
      maxSeconds: 200,
    });
  });

  after(async () => {
    const counts = await load?.stop();
    console.log(`answers by response code during the run: ${JSON.stringify(counts)}`);
    console.log(`catch-up after each change, ms: ${JSON.stringify(catchUp)}`);
    await bridge?.stop();
    await upstream?.stop();
    await etcdProxy?.close();
    await zkProxy?.close();
    await registrar?.close().catch(() => {});
    await etcd?.close();
    await zk?.stop();
  });

  it('ZooKeeper stopped and restarted: known services keep answering, then changes show', async () => {
    await zk.stop();
    await sleep(3000);
    await zk.start();
    // The test's own writer reconnects afresh: node-zookeeper-client can sit on a dead socket after a restart.
    await registrar.close().catch(() => {});
    registrar = await connectZooKeeper(zk.address, { sessionTimeoutMs: 30_000 });
    await addZk('zk-alpha');
    await addZk(mixed);
    await answersMatchRegistry('zk-alpha', 'ZooKeeper restarted');
    await answersMatchRegistry(mixed, 'ZooKeeper restarted (union with etcd)');
    assertNoFailures('ZooKeeper restart');
  });

  it('ZooKeeper session expired while cut off: recovered with every watch', async () => {
    const bridgeSessions = (await zk.sessions()).filter((session) => session !== registrar.sessionId());
    await zkProxy.cut();
    await addZk('zk-beta');
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const alive = await zk.sessions();
      if (!bridgeSessions.some((session) => alive.includes(session))) break;
      await sleep(200);
    }
    await zkProxy.restore();
    await answersMatchRegistry('zk-beta', 'ZooKeeper session expired');
    await addZk('zk-alpha');
    await answersMatchRegistry('zk-alpha', 'ZooKeeper re-watched after expiry');
    assertNoFailures('ZooKeeper session expiry');
  });

  it('etcd stopped and restarted: known services keep answering, then changes show', async () => {
    await etcd.stop();
    await sleep(3000);
    await etcd.start();
    await addEtcd('etcd-alpha');
    await answersMatchRegistry('etcd-alpha', 'etcd restarted');
    assertNoFailures('etcd restart');
  });

  it('etcd compacted past the bridge revision while it was cut off: it re-reads and is right', async () => {
    await etcdProxy.cut();
    await addEtcd('etcd-beta');
    await etcd.client().delete().key(`/etcd-alpha/providers/10.0.31.1:80`).exec().catch(() => undefined);
    await addEtcd(mixed);
    await etcd.compactToNow();
    await etcdProxy.restore();
    await answersMatchRegistry('etcd-beta', 'etcd compacted while cut off');
    await answersMatchRegistry('etcd-alpha', 'etcd compacted while cut off (a delete)');
    await answersMatchRegistry(mixed, 'etcd compacted while cut off (union with ZooKeeper)');
    assertNoFailures('etcd compaction');
  });

  it('upstream stopped: forwarded names fail fast with SERVFAIL, and recover after', async () => {
    load.reset();
    await upstream.stop();
    await sleep(2000);
    const during = load.counts().forwarded ?? {};
    assert.ok((during.SERVFAIL ?? 0) > 0, `forwarded names while the upstream is down: ${JSON.stringify(during)}`);
    assert.equal(during.TIMEOUT ?? 0, 0, 'SERVFAIL came within the client timeout');
    upstream = await startDnsmasq({ config: ['host-record=www.example.test,192.0.2.80', 'local-ttl=0'], port: upstream.port });
    await sleep(1500);
    load.reset();
    await sleep(1000);
    const afterwards = load.counts().forwarded ?? {};
    assert.ok((afterwards.NOERROR ?? 0) > 0 && !afterwards.SERVFAIL, `forwarded names after the upstream is back: ${JSON.stringify(afterwards)}`);
    assertNoFailures('upstream outage');
  });
});
