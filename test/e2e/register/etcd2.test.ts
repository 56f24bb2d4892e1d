import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { startBridge } from '../../harness/bridge.js';
import { dig, rdata } from '../../harness/dig.js';
import { prepareEtcd, startEtcd } from '../../harness/etcd.js';
import { eventually } from '../../harness/eventually.js';
import { sourceStatus } from '../../sources/etcd2/helpers.js';
import { PATIENTLY, startRegister } from './helpers.js';

const KEY = '/api/providers/127.0.0.1:5000';
/** How long SIGTERM may take before the harness kills: the withdrawal's one bounded try, on a machine that may be busy. */
const GRACE_MS = 20_000;

/** The v2 key's value and expiry, or undefined when it is not there. */
async function entry(url: string): Promise<{ value: string; expiration: string } | undefined> {
  const response = await fetch(`${url}/v2/keys${KEY}`);
  if (response.status === 404) return undefined;
  return ((await response.json()) as { node: { value: string; expiration: string } }).node;
}

/** etcd serving v2, `serve --etcd2` and `register --etcd2 --ttl 2` on it, each stopped when the test ends. */
async function registeredAndServed(t: TestContext) {
  const etcd = await startEtcd({ v2: true });
  t.after(() => etcd.close());
  const bridge = await startBridge(['--etcd2', etcd.url]);
  t.after(() => bridge.stop());
  const register = await startRegister(['--service', 'api', '--port', '5000', '--etcd2', etcd.url, '--ttl', '2']);
  t.after(() => register.stop());
  return { etcd, bridge, register };
}

describe("dnsbridge register --etcd2: a key with a TTL in etcd's v2 keyspace, answered by dnsbridge serve --etcd2", { concurrency: true }, () => {
  it('writes the key with a TTL, refreshes it without watch events, and SIGTERM removes it at once and exits 0', async (t) => {
    const { etcd, bridge, register } = await registeredAndServed(t);

    const first = await entry(etcd.url);
    assert.equal(first?.value, '127.0.0.1:5000');
    const answered = async () => rdata((await dig(bridge.address, 'api.service.local', 'SRV')).answer);
    await eventually(async () => assert.deepEqual(await answered(), ['10 1 5000 7f000001.addr.service.local.']), PATIENTLY);
    const events = (await sourceStatus(bridge)).watchEvents;

    // Renewed before the 2 s TTL runs out, for longer than the TTL: the expiry keeps moving on.
    let expiration = first?.expiration;
    for (let renewal = 0; renewal < 4; renewal++) {
      expiration = await eventually(async () => {
        const now = await entry(etcd.url);
        assert.ok(now && now.expiration !== expiration, 'refreshed');
        return now.expiration;
      }, PATIENTLY);
    }
    assert.deepEqual(await answered(), ['10 1 5000 7f000001.addr.service.local.']);
    assert.equal((await sourceStatus(bridge)).watchEvents, events, 'refresh=true sends the bridge no event');

    assert.equal(await register.stop(GRACE_MS), 0);
    assert.equal(await entry(etcd.url), undefined, 'gone as soon as register has exited');
    await eventually(async () => assert.equal((await dig(bridge.address, 'api.service.local', 'SRV')).status, 'NXDOMAIN'), PATIENTLY);
  });

  it('kill -9 leaves the key to its TTL: etcd expires it and the answer loses it', async (t) => {
    const { etcd, bridge, register } = await registeredAndServed(t);
    await eventually(async () => assert.equal((await dig(bridge.address, 'api.service.local', 'SRV')).status, 'NOERROR'), PATIENTLY);

    register.child.kill('SIGKILL');
    await register.exited;
    await eventually(async () => assert.equal(await entry(etcd.url), undefined, 'expired'), PATIENTLY);
    await eventually(async () => assert.equal((await dig(bridge.address, 'api.service.local', 'SRV')).status, 'NXDOMAIN'), PATIENTLY);
  });

  it('retries while etcd is down at start, writes the key once etcd is up, and writes it again when it is deleted from outside', async (t) => {
    const etcd = await prepareEtcd({ v2: true });
    t.after(() => etcd.close());
    const register = await startRegister(['--service', 'api', '--port', '5000', '--etcd2', etcd.url, '--ttl', '2'], 'retrying in');
    t.after(() => register.stop());
    assert.match(register.output(), new RegExp(`etcd v2 ${etcd.url}: put ${KEY}: .*ECONNREFUSED`));
    await etcd.start();
    await eventually(async () => assert.equal((await entry(etcd.url))?.value, '127.0.0.1:5000'), PATIENTLY);

    await fetch(`${etcd.url}/v2/keys${KEY}`, { method: 'DELETE' });
    await eventually(() => assert.match(register.output(), /registration lost \(\/api\/providers\/127.0.0.1:5000 expired or was deleted\)/), PATIENTLY);
    await eventually(async () => assert.equal((await entry(etcd.url))?.value, '127.0.0.1:5000', 'written again'), PATIENTLY);
    assert.equal(await register.stop(GRACE_MS), 0);
    assert.equal(await entry(etcd.url), undefined);
  });
});
