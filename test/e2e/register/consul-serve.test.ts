import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../../harness/bridge.js';
import { dig, rdata } from '../../harness/dig.js';
import { eventually } from '../../harness/eventually.js';
import { ConsulAgentDouble } from '../../doubles/consul-agent-double.js';
import { ConsulHttpDouble } from '../../doubles/consul-http-double.js';
import { healthSwitch, PATIENTLY, startRegister, type HealthSwitch } from './helpers.js';

// Consul itself cannot be installed here. The agent double takes register's calls and shows
// the result in the catalog double, which `dnsbridge serve --consul` reads.
describe('dnsbridge register with Consul (test doubles of the agent and catalog APIs), answered by dnsbridge serve', () => {
  let catalog: ConsulHttpDouble;
  let agent: ConsulAgentDouble;
  let bridge: BridgeProcess;
  let health: HealthSwitch;

  before(async () => {
    catalog = await ConsulHttpDouble.start();
    agent = await ConsulAgentDouble.start(catalog);
    bridge = await startBridge(['--consul', catalog.url]);
    health = await healthSwitch();
  });
  after(async () => {
    await bridge?.stop();
    await agent?.stop();
    await catalog?.stop();
    await health?.remove();
  });

  const answered = async () => rdata((await dig(bridge.address, 'api.service.local', 'SRV')).answer);

  it('is answered while its check passes, not while it fails, and not after SIGTERM', async () => {
    const running = await startRegister(['--service', 'api', '--port', '5000', '--consul', agent.url, '--ttl', '2', '--interval', '200ms', '--check-cmd', health.check]);
    await eventually(async () => assert.deepEqual(await answered(), ['10 1 5000 7f000001.addr.service.local.']), PATIENTLY);
    await health.fail();
    await eventually(async () => assert.deepEqual(await answered(), []), PATIENTLY);
    await health.pass();
    await eventually(async () => assert.deepEqual(await answered(), ['10 1 5000 7f000001.addr.service.local.']), PATIENTLY);
    assert.equal(await running.stop(), 0);
    await eventually(async () => assert.deepEqual(await answered(), []), PATIENTLY);
  });
});

describe('dnsbridge register with Consul: a service the agent reaped is registered again (test doubles)', () => {
  let catalog: ConsulHttpDouble;
  let agent: ConsulAgentDouble;
  let bridge: BridgeProcess;
  let server: http.Server;
  let healthy = true;

  before(async () => {
    catalog = await ConsulHttpDouble.start();
    // Consul reaps every 30 s with a 1 minute floor; the double does the same at a test's pace.
    agent = await ConsulAgentDouble.start(catalog, { reapIntervalMs: 100, minDeregisterAfterMs: 0 });
    bridge = await startBridge(['--consul', catalog.url, '--consul-query-pace', '50']);
    server = http.createServer((_, response) => response.writeHead(healthy ? 200 : 503).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await bridge?.stop();
    await agent?.stop();
    await catalog?.stop();
    server?.close();
  });

  const answered = async () => rdata((await dig(bridge.address, 'api.service.local', 'SRV')).answer);

  it('an HTTP check failing longer than --consul-deregister-after, then passing: registered again and answered', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
    const running = await startRegister(['--service', 'api', '--port', '5000', '--consul', agent.url, '--interval', '200ms', '--check-http', url, '--consul-deregister-after', '1s']);
    await eventually(async () => assert.deepEqual(await answered(), ['10 1 5000 7f000001.addr.service.local.']), PATIENTLY);
    healthy = false;
    await agent.until(() => agent.reaped.includes('api-127.0.0.1:5000'));
    await eventually(async () => assert.deepEqual(await answered(), []), PATIENTLY);
    healthy = true;
    await eventually(async () => assert.deepEqual(await answered(), ['10 1 5000 7f000001.addr.service.local.']), PATIENTLY);
    assert.match(running.output(), /the agent no longer has api-127\.0\.0\.1:5000 .*registering it again/);
    assert.equal(await running.stop(), 0);
  });
});
