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

/**
 * One bridge; a single DNS process so "the next answer" is well defined. These tests change one
 * service many times in a row, which the default pacing (one query per 15 s under churn) would
 * slow to minutes: they pace at 50 ms. The pacing itself is tested in test/unit/sources/consul/blocking.test.ts.
 */
function bridgeFor(double: ConsulHttpDouble, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<BridgeProcess> {
  return startBridge(['--consul', double.url, '--workers', '1', '--consul-query-pace', '50', ...args], { env });
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
    await logged(bridge, `${double.url}: GET /v1/`);
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

describe('Consul ACL token without enough rights (against a Consul HTTP API TEST DOUBLE)', () => {
  let double: ConsulHttpDouble;
  let bridge: BridgeProcess;

  before(async () => {
    double = await ConsulHttpDouble.start();
    double.requiredToken = 'narrow-token';
    double.unreadableNodes.add('n2');
    double.setInstances('web', [n1, n2]);
    bridge = await bridgeFor(double, [], { CONSUL_HTTP_TOKEN: 'narrow-token' });
  });
  after(async () => {
    await bridge?.stop();
    await double?.stop();
  });

  it('answers what the token can read, warns naming the service and the rights it lacks, and shows it in the status (double)', async () => {
    assert.deepEqual(await srv(bridge), ['10 1 8080 0a010001.addr.service.local.']);
    await logged(bridge, 'consul service \\"web\\": the ACL token cannot read every instance (X-Consul-Results-Filtered-By-ACLs); it needs service:read on the service and node:read on its nodes');
    const status = (await (await fetch(`http://${bridge.http}/api/status`)).json()) as { sources: { name: string; state: string; detail?: string }[] };
    const consul = status.sources.find((s) => s.name === 'consul');
    assert.equal(consul?.state, 'connected');
    assert.match(consul?.detail ?? '', /cannot read every instance of web: it needs service:read/);
  });
});

describe("Consul instances as Consul's DNS keeps them (against a Consul HTTP API TEST DOUBLE)", () => {
  let double: ConsulHttpDouble;
  let bridge: BridgeProcess;
  let onlyPassing: BridgeProcess;

  before(async () => {
    double = await ConsulHttpDouble.start();
    double.setInstances('web', [n1, { ...n2, warningWeight: 3, status: 'warning' }, n3]);
    double.setInstances('portless', [{ node: 'n4', nodeAddress: '10.0.0.4', port: 0 }]);
    double.setInstances('dual', [
      { node: 'd1', nodeAddress: '10.0.0.5', address: '10.1.0.5', taggedAddresses: { lan_ipv6: 'fd00::5' }, port: 8085 },
      { node: 'd2', nodeAddress: '10.0.0.6', nodeTaggedAddresses: { lan_ipv6: 'fd00::6' }, port: 8086 },
      { node: 'd3', nodeAddress: '10.0.0.7', address: '10.1.0.7', nodeTaggedAddresses: { lan_ipv6: 'fd00::7' }, port: 8087 },
    ]);
    bridge = await bridgeFor(double);
    onlyPassing = await bridgeFor(double, ['--consul-only-passing']);
  });
  after(async () => {
    await Promise.all([bridge?.stop(), onlyPassing?.stop()]);
    await double?.stop();
  });

  it('answers a port-less service: A records, and SRV with port 0 (double)', async () => {
    assert.deepEqual(rdata((await dig(bridge.address, 'portless.service.local', 'A')).answer), ['10.0.0.4']);
    assert.deepEqual(await srv(bridge, 'portless.service.local'), ['10 1 0 0a000004.addr.service.local.']);
  });

  it("answers a dual-stack service's A from lan_ipv4 and AAAA from lan_ipv6, the service's own before the node's (double)", async () => {
    assert.deepEqual(rdata((await dig(bridge.address, 'dual.service.local', 'A')).answer), ['10.0.0.6', '10.1.0.5', '10.1.0.7']);
    // d3 has an address of its own (IPv4): as in Consul's DNS, its node's lan_ipv6 is not its AAAA.
    assert.deepEqual(rdata((await dig(bridge.address, 'dual.service.local', 'AAAA')).answer), ['fd00::5', 'fd00::6']);
    // One SRV per instance, its target lan_ipv6 when it has one, as Consul's SRV answer (which accepts any family).
    assert.deepEqual(await srv(bridge, 'dual.service.local'), [
      '10 1 8085 fd000000000000000000000000000005.addr.service.local.',
      '10 1 8086 fd000000000000000000000000000006.addr.service.local.',
      '10 1 8087 0a010007.addr.service.local.',
    ]);
  });

  it('keeps a warning instance with Weights.Warning by default, and drops it with --consul-only-passing (double)', async () => {
    assert.deepEqual(await srv(bridge), ['10 1 8080 0a010001.addr.service.local.', '10 1 8082 0a000003.addr.service.local.', '10 3 8081 0a000002.addr.service.local.']);
    assert.deepEqual(await srv(onlyPassing), ['10 1 8080 0a010001.addr.service.local.', '10 1 8082 0a000003.addr.service.local.']);
  });

  it('drops an instance in maintenance, node or service, and brings it back after (double)', async () => {
    double.setMaintenance('web', 'n1', true);
    await double.caughtUp('web');
    assert.deepEqual(await srv(bridge), ['10 1 8082 0a000003.addr.service.local.', '10 3 8081 0a000002.addr.service.local.']);
    double.setMaintenance('web', 'n1', false);
    double.setNodeMaintenance('n3', true);
    await double.caughtUp('web');
    assert.deepEqual(await srv(bridge), ['10 1 8080 0a010001.addr.service.local.', '10 3 8081 0a000002.addr.service.local.']);
    double.setNodeMaintenance('n3', false);
    await double.caughtUp('web');
    assert.deepEqual(await srv(bridge), ['10 1 8080 0a010001.addr.service.local.', '10 1 8082 0a000003.addr.service.local.', '10 3 8081 0a000002.addr.service.local.']);
  });
});
