import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import zookeeper from 'node-zookeeper-client';
import { runCli, startBridge, type BridgeProcess } from '../../harness/bridge.js';
import { startDnsmasq, type Dnsmasq } from '../../harness/dnsmasq.js';
import { connectZooKeeper, startZooKeeper, type ZooKeeperServer, type ZooKeeperTestClient } from '../../harness/zookeeper.js';
import { addr, answerBecomes, ask, logShows, zkArgs } from './helpers.js';

const curator = (address: string, port: number, enabled = true) =>
  JSON.stringify({ name: 'waiter', id: `id-${address}`, address, port, sslPort: null, payload: null, registrationTimeUTC: 1628750040704, serviceType: 'DYNAMIC', uriSpec: null, enabled });

const member = (host: string, status: string) =>
  JSON.stringify({ serviceEndpoint: { host, port: 80 }, additionalEndpoints: { http: { host, port: 8080 } }, status, shard: 0 });

describe('ZooKeeper source: entry formats, through the running bridge', () => {
  let zk: ZooKeeperServer;
  let registrar: ZooKeeperTestClient;
  let upstream: Dnsmasq;
  let bridge: BridgeProcess;

  before(async () => {
    zk = await startZooKeeper();
    registrar = await connectZooKeeper(zk.address);
    // The ep2016 demo registers hostnames; a real DNS server resolves them for A answers.
    upstream = await startDnsmasq({ config: ['host-record=yazd,10.1.0.1', 'host-record=cobb,10.1.0.2'] });
    await registrar.create('/ep2016/providers/yazd:5000', '{"pid": 1234}', 'ephemeral');
    await registrar.create('/ep2016/providers/cobb:5001', '{"pid": 1235}', 'ephemeral');
    await registrar.create('/services/waiter/id-1', curator('10.20.14.30', 52930), 'ephemeral');
    await registrar.create('/services/waiter/id-2', curator('10.20.14.31', 52931, false), 'ephemeral');
    await registrar.create('/web/providers/member_0000000001', member('10.0.0.3', 'ALIVE'), 'ephemeral');
    await registrar.create('/web/providers/member_0000000002', member('10.0.0.4', 'DEAD'), 'ephemeral');
    await registrar.create('/db/providers/n1', '{"host":"10.0.1.1","port":5432,"priority":1,"weight":5}');
    await registrar.create('/cache/providers/n1', '10.0.2.1:6379');
    await registrar.create('/mixed/providers/good', '10.0.3.1:80');
    await registrar.create('/mixed/providers/lock-0001', 'hello');
    await registrar.create('/mixed/providers/badport', '{"host":"10.0.3.2","port":0}');
    bridge = await startBridge([...zkArgs(zk.address, '/{service}/providers', '/services/{service}'), '--upstream', upstream.address]);
  });
  after(async () => {
    await bridge?.stop();
    await registrar?.close();
    await upstream?.stop();
    await zk?.stop();
  });

  it('answers the ep2016 demo registration: ephemeral host:port nodes with {"pid"} data, SRV and A', async () => {
    assert.deepEqual(await ask(bridge.address, 'ep2016.service.local', 'SRV'), { status: 'NOERROR', records: ['10 1 5000 yazd.', '10 1 5001 cobb.'].sort() });
    assert.deepEqual(await ask(bridge.address, 'ep2016.service.local', 'A'), { status: 'NOERROR', records: ['10.1.0.1', '10.1.0.2'] });
  });

  it('serves Curator ServiceInstances under --zk-path /services/{service}, leaving out enabled: false', async () => {
    assert.deepEqual(await ask(bridge.address, 'waiter.service.local', 'SRV'), { status: 'NOERROR', records: [`10 1 52930 ${addr('10.20.14.30')}`] });
  });

  it('serves ALIVE ServerSet members only, and their additional endpoints as _<name>._tcp SRV', async () => {
    assert.deepEqual(await ask(bridge.address, 'web.service.local', 'SRV'), { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.0.3')}`] });
    assert.deepEqual(await ask(bridge.address, '_http._tcp.web.service.local', 'SRV'), { status: 'NOERROR', records: [`10 1 8080 ${addr('10.0.0.3')}`] });
    assert.deepEqual(await ask(bridge.address, 'web.service.local', 'A'), { status: 'NOERROR', records: ['10.0.0.3'] });
  });

  it('serves JSON {host, port, priority, weight} and host:port text', async () => {
    assert.deepEqual(await ask(bridge.address, 'db.service.local', 'SRV'), { status: 'NOERROR', records: [`1 5 5432 ${addr('10.0.1.1')}`] });
    assert.deepEqual(await ask(bridge.address, 'cache.service.local', 'SRV'), { status: 'NOERROR', records: [`10 1 6379 ${addr('10.0.2.1')}`] });
  });

  it('skips malformed nodes with a warning naming them, and serves their siblings', async () => {
    assert.deepEqual(await ask(bridge.address, 'mixed.service.local', 'SRV'), { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.3.1')}`] });
    await logShows(bridge.output, 'zookeeper node /mixed/providers/lock-0001 skipped');
    await logShows(bridge.output, 'zookeeper node /mixed/providers/badport skipped: port 0 is not 1-65535');
  });

  it('answers NXDOMAIN for a path that does not exist, and serves it once it is created', async () => {
    assert.equal((await ask(bridge.address, 'later.service.local', 'SRV')).status, 'NXDOMAIN');
    await registrar.create('/later/providers/10.0.4.1:80', '', 'ephemeral');
    await answerBecomes(bridge.address, 'later.service.local', 'SRV', { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.4.1')}`] });
  });

  it('follows a data change of a provider node', async () => {
    assert.deepEqual(await ask(bridge.address, 'cache.service.local', 'SRV'), { status: 'NOERROR', records: [`10 1 6379 ${addr('10.0.2.1')}`] });
    await registrar.setData('/cache/providers/n1', '10.0.2.2:6380');
    await answerBecomes(bridge.address, 'cache.service.local', 'SRV', { status: 'NOERROR', records: [`10 1 6380 ${addr('10.0.2.2')}`] });
    await registrar.setData('/web/providers/member_0000000001', member('10.0.0.3', 'STOPPING'));
    await answerBecomes(bridge.address, 'web.service.local', 'SRV', { status: 'NXDOMAIN', records: [] });
  });
});

describe('ZooKeeper source: digest authentication', () => {
  let zk: ZooKeeperServer;
  let owner: ZooKeeperTestClient;
  const digest = 'dnsbridge:s3cret';

  before(async () => {
    zk = await startZooKeeper();
    owner = await connectZooKeeper(zk.address, { digest });
    const [user] = digest.split(':');
    const hashed = createHash('sha1').update(digest).digest('base64');
    const onlyUs = [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('digest', `${user}:${hashed}`))];
    await owner.create('/secret', '');
    await owner.create('/secret/providers', '', 'persistent', onlyUs);
    await owner.create('/secret/providers/10.0.5.1:80', '', 'persistent', onlyUs);
  });
  after(async () => {
    await owner?.close();
    await zk?.stop();
  });

  it('reads nodes only its digest may read, with the digest from DNSBRIDGE_ZK_DIGEST', async () => {
    const bridge = await startBridge(zkArgs(zk.address), { env: { DNSBRIDGE_ZK_DIGEST: digest } });
    try {
      assert.deepEqual(await ask(bridge.address, 'secret.service.local', 'SRV'), { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.5.1')}`] });
      assert.ok(!bridge.output().includes('s3cret'), 'the password is not logged');
    } finally {
      await bridge.stop();
    }
  });

  it('takes the digest by the secret rule: DNSBRIDGE_ZK_DIGEST_FILE over DNSBRIDGE_ZK_DIGEST, --zk-digest-file over both', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-zk-digest-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const [right, wrong] = [join(dir, 'right'), join(dir, 'wrong')];
    await writeFile(right, `${digest}\n`, { mode: 0o600 });
    await writeFile(wrong, 'dnsbridge:guess\n', { mode: 0o600 });
    const fromFileVariable = await startBridge(zkArgs(zk.address), { env: { DNSBRIDGE_ZK_DIGEST_FILE: right, DNSBRIDGE_ZK_DIGEST: 'dnsbridge:guess' } });
    t.after(() => fromFileVariable.stop());
    const fromFlag = await startBridge([...zkArgs(zk.address), '--zk-digest-file', right], { env: { DNSBRIDGE_ZK_DIGEST_FILE: wrong, DNSBRIDGE_ZK_DIGEST: 'dnsbridge:guess' } });
    t.after(() => fromFlag.stop());
    for (const bridge of [fromFileVariable, fromFlag]) {
      assert.deepEqual(await ask(bridge.address, 'secret.service.local', 'SRV'), { status: 'NOERROR', records: [`10 1 80 ${addr('10.0.5.1')}`] });
    }
    await writeFile(wrong, '\n');
    const empty = await runCli(['check', ...zkArgs(zk.address)], { DNSBRIDGE_ZK_DIGEST_FILE: wrong, DNSBRIDGE_ZK_DIGEST: digest });
    assert.equal(empty.code, 2);
    assert.match(empty.output, new RegExp(`DNSBRIDGE_ZK_DIGEST_FILE.*: ${wrong} is empty`));
  });

  it('without the digest: SERVFAIL, not NXDOMAIN, and the log names the server, the path and NoAuth', async () => {
    const bridge = await startBridge(zkArgs(zk.address), { env: { DNSBRIDGE_ZK_DIGEST: '' } });
    try {
      assert.equal((await ask(bridge.address, 'secret.service.local', 'SRV')).status, 'SERVFAIL');
      await logShows(bridge.output, `zookeeper ${zk.address}: list /secret/providers: not allowed (NoAuth)`);
    } finally {
      await bridge.stop();
    }
  });
});

describe("ZooKeeper source: Joyent registrar's layout, as binder reads it", () => {
  let zk: ZooKeeperServer;
  let registrar: ZooKeeperTestClient;
  let bridge: BridgeProcess;
  const service = (port?: number) => JSON.stringify({ type: 'service', service: { srvce: '_api', proto: '_tcp', ...(port ? { port } : {}) } });

  before(async () => {
    zk = await startZooKeeper();
    registrar = await connectZooKeeper(zk.address);
    // registrar's tree for binder's api.service.local: the service node, its instances below it.
    await registrar.create('/local/service/api', service(8080));
    await registrar.create('/local/service/api/2d8b4c1e', JSON.stringify({ type: 'load_balancer', load_balancer: { address: '10.0.6.1', ports: [8081] } }), 'ephemeral');
    await registrar.create('/local/service/api/7f0e9a3b', JSON.stringify({ type: 'host', host: { address: '10.0.6.2' } }), 'ephemeral');
    await registrar.create('/local/service/portless', service());
    await registrar.create('/local/service/portless/5c2d7e10', JSON.stringify({ type: 'host', host: { address: '10.0.6.3' } }), 'ephemeral');
    bridge = await startBridge(zkArgs(zk.address, '/local/service/{service}'));
  });
  after(async () => {
    await bridge?.stop();
    await registrar?.close();
    await zk?.stop();
  });

  it("answers load_balancer instances at their ports, host instances at the service node's port", async () => {
    assert.deepEqual(await ask(bridge.address, 'api.service.local', 'SRV'), { status: 'NOERROR', records: [`10 1 8081 ${addr('10.0.6.1')}`, `10 1 8080 ${addr('10.0.6.2')}`].sort() });
    assert.deepEqual(await ask(bridge.address, 'api.service.local', 'A'), { status: 'NOERROR', records: ['10.0.6.1', '10.0.6.2'] });
  });

  it("follows the service node: a new port there moves the host instances, and new instances are served", async () => {
    await ask(bridge.address, 'api.service.local', 'SRV');
    await registrar.setData('/local/service/api', service(9090));
    await answerBecomes(bridge.address, 'api.service.local', 'SRV', { status: 'NOERROR', records: [`10 1 8081 ${addr('10.0.6.1')}`, `10 1 9090 ${addr('10.0.6.2')}`] });
    await registrar.create('/local/service/api/c4a1d2e9', JSON.stringify({ type: 'host', host: { address: '10.0.6.4' } }), 'ephemeral');
    await answerBecomes(bridge.address, 'api.service.local', 'SRV', {
      status: 'NOERROR',
      records: [`10 1 8081 ${addr('10.0.6.1')}`, `10 1 9090 ${addr('10.0.6.2')}`, `10 1 9090 ${addr('10.0.6.4')}`],
    });
  });

  it('skips an instance when neither it nor its service node gives a port, with a warning naming it', async () => {
    assert.equal((await ask(bridge.address, 'portless.service.local', 'SRV')).status, 'NXDOMAIN');
    await logShows(bridge.output, '/local/service/portless/5c2d7e10');
    await logShows(bridge.output, 'binder host instance has no port, and its service node gives none');
  });
});
