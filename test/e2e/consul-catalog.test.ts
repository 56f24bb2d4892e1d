// The Consul catalog source, end to end through DNS. Consul cannot be installed here, so the
// bridge talks to a TEST DOUBLE of Consul's HTTP API (test/doubles/consul-http-double.ts)
// that follows the documented blocking-query semantics; it is not a real Consul agent.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig, rdata } from '../harness/dig.js';
import { freePort } from '../harness/ports.js';
import { ConsulHttpDouble, type DoubleInstance } from '../doubles/consul-http-double.js';

const n1: DoubleInstance = { node: 'n1', nodeAddress: '10.0.0.1', address: '10.1.0.1', port: 8080, tags: ['canary'] };
const n2: DoubleInstance = { node: 'n2', nodeAddress: '10.0.0.2', port: 8081, weight: 5 };
const n3: DoubleInstance = { node: 'n3', nodeAddress: '10.0.0.3', port: 8082 };

/** One bridge; a single DNS process so "the next answer" is well defined. */
function bridgeFor(double: ConsulHttpDouble, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<BridgeProcess> {
  return startBridge(['--consul', double.url, '--workers', '1', ...args], { env });
}

async function srv(bridge: BridgeProcess, name = 'web.service.local'): Promise<string[]> {
  const reply = await dig(bridge.address, name, 'SRV');
  assert.equal(reply.status, 'NOERROR', `${name} SRV: ${reply.status}`);
  return rdata(reply.answer);
}

/** Waits until the bridge's log shows `text`: a readiness wait, not a timing assertion. */
async function logged(bridge: BridgeProcess, text: string): Promise<void> {
  for (let attempt = 0; attempt < 200 && !bridge.output().includes(text); attempt++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(bridge.output().includes(text), `the bridge never logged "${text}":\n${bridge.output().slice(-2000)}`);
}

async function tempFile(name: string, text: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'dnsbridge-consul-')), name);
  await writeFile(path, text);
  return path;
}

describe('Consul catalog in service.local (against a Consul HTTP API TEST DOUBLE)', () => {
  let double: ConsulHttpDouble;
  let bridge: BridgeProcess;

  before(async () => {
    double = await ConsulHttpDouble.start();
    double.setInstances('web', [n1, n2]);
    bridge = await bridgeFor(double);
  });
  after(async () => {
    await bridge?.stop();
    await double?.stop();
  });

  it('lists the passing instances: Service.Address or Node.Address, port, Weights.Passing, tags (double)', async () => {
    assert.deepEqual(await srv(bridge), ['10 1 8080 0a010001.addr.service.local.', '10 5 8081 0a000002.addr.service.local.']);
    const canary = await dig(bridge.address, 'canary.web.service.local', 'A');
    assert.deepEqual(rdata(canary.answer), ['10.1.0.1']);
  });

  it('shows an instance added in Consul in the next answer (double)', async () => {
    double.addInstance('web', n3);
    await double.caughtUp('web');
    assert.deepEqual(await srv(bridge), [
      '10 1 8080 0a010001.addr.service.local.',
      '10 1 8082 0a000003.addr.service.local.',
      '10 5 8081 0a000002.addr.service.local.',
    ]);
  });

  it('drops an instance whose check turned critical in the next answer (double)', async () => {
    double.markCritical('web', 'n1');
    await double.caughtUp('web');
    assert.deepEqual(await srv(bridge), ['10 1 8082 0a000003.addr.service.local.', '10 5 8081 0a000002.addr.service.local.']);
  });

  it('drops an instance removed from Consul in the next answer (double)', async () => {
    double.remove('web', 'n2');
    await double.caughtUp('web');
    assert.deepEqual(await srv(bridge), ['10 1 8082 0a000003.addr.service.local.']);
  });

  it('follows the index going backwards (snapshot restore) and still sees later changes (double)', async () => {
    double.restoreSnapshot('web', 2, [n1]);
    await double.caughtUp('web');
    assert.deepEqual(await srv(bridge), ['10 1 8080 0a010001.addr.service.local.']);
    double.addInstance('web', n2);
    await double.caughtUp('web');
    assert.deepEqual(await srv(bridge), ['10 1 8080 0a010001.addr.service.local.', '10 5 8081 0a000002.addr.service.local.']);
  });

  it('skips a malformed entry with a warning naming service and node, and serves the rest (double)', async () => {
    double.setRawEntries('web', [{ Node: { Node: 'broken-node', Address: '10.0.0.9' }, Service: { ID: 'web-broken', Port: 'eighty' } }]);
    await double.caughtUp('web');
    assert.deepEqual(await srv(bridge), ['10 1 8080 0a010001.addr.service.local.', '10 5 8081 0a000002.addr.service.local.']);
    await logged(bridge, 'consul service \\"web\\" on node \\"broken-node\\" (instance \\"web-broken\\") skipped');
  });

  it('keeps the last known instances while the agent is down, says so, and catches up when it is back (double)', async () => {
    await double.down();
    await logged(bridge, `${double.url}: GET /v1/health/service/web`);
    assert.deepEqual(await srv(bridge), ['10 1 8080 0a010001.addr.service.local.', '10 5 8081 0a000002.addr.service.local.']);
    double.setRawEntries('web', []);
    double.remove('web', 'n1');
    await double.up();
    await double.caughtUp('web');
    assert.deepEqual(await srv(bridge), ['10 5 8081 0a000002.addr.service.local.']);
    await logged(bridge, 'consul agent reachable again');
  });
});

describe('Consul agent down when the bridge starts (against a Consul HTTP API TEST DOUBLE)', () => {
  let double: ConsulHttpDouble;
  let bridge: BridgeProcess;

  before(async () => {
    double = ConsulHttpDouble.notListening(await freePort());
    double.requiredToken = 'secret-from-file';
    const tokenFile = await tempFile('consul-token', 'secret-from-file\n');
    const wrongFile = await tempFile('consul-token', 'guess\n');
    bridge = await bridgeFor(double, ['--consul-token-file', tokenFile], { CONSUL_HTTP_TOKEN_FILE: wrongFile, CONSUL_HTTP_TOKEN: 'guess' });
  });
  after(async () => {
    await bridge?.stop();
    await double?.stop();
  });

  it('answers SERVFAIL, not NXDOMAIN, for a service it cannot look up yet, and names the agent in its log (double)', async () => {
    const reply = await dig(bridge.address, 'web.service.local', 'SRV');
    assert.equal(reply.status, 'SERVFAIL');
    await logged(bridge, double.url);
  });

  it('serves the instances once the agent comes up, sending the token from --consul-token-file, not CONSUL_HTTP_TOKEN_FILE or CONSUL_HTTP_TOKEN (double)', async () => {
    double.setInstances('web', [n2]);
    await double.up();
    await double.caughtUp('web');
    assert.deepEqual(await srv(bridge), ['10 5 8081 0a000002.addr.service.local.']);
    assert.ok(double.requests.length > 0 && double.requests.every((r) => r.token === 'secret-from-file'));
  });
});

describe('Consul and the registry file together (against a Consul HTTP API TEST DOUBLE)', () => {
  let double: ConsulHttpDouble;
  let bridge: BridgeProcess;

  before(async () => {
    double = await ConsulHttpDouble.start();
    double.requiredToken = 'secret-from-env';
    double.setInstances('web', [n1, n3]);
    const file = await tempFile('services.yaml', 'web: ["10.9.0.1:80"]\n');
    bridge = await bridgeFor(double, ['--file', file], { CONSUL_HTTP_TOKEN: 'secret-from-env' });
  });
  after(async () => {
    await bridge?.stop();
    await double?.stop();
  });

  it('lists the providers of both sources under one name, with the token from CONSUL_HTTP_TOKEN (double)', async () => {
    assert.deepEqual(await srv(bridge), [
      '10 1 80 0a090001.addr.service.local.',
      '10 1 8080 0a010001.addr.service.local.',
      '10 1 8082 0a000003.addr.service.local.',
    ]);
  });

  it('withdraws only the Consul instances a change removes (double)', async () => {
    double.setInstances('web', []);
    await double.caughtUp('web');
    assert.deepEqual(await srv(bridge), ['10 1 80 0a090001.addr.service.local.']);
  });
});
