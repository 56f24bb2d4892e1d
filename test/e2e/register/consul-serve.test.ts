import assert from 'node:assert/strict';
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
