import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../harness/ports.js';
import { startProcess, type Running } from '../../harness/process.js';
import { CLI } from '../../harness/bridge.js';
import { eventually } from '../../harness/eventually.js';
import { ConsulAgentDouble, type AgentService } from '../../doubles/consul-agent-double.js';
import { healthSwitch, startRegister, type HealthSwitch } from './helpers.js';

const ID = 'api-127.0.0.1:5000';

// Consul itself cannot be installed here: these run against a test double of the agent API.
describe('dnsbridge register with a Consul agent (test double of its HTTP API)', () => {
  let agent: ConsulAgentDouble;
  let health: HealthSwitch;
  const started: Running[] = [];

  before(async () => {
    agent = await ConsulAgentDouble.start();
    health = await healthSwitch();
  });
  after(async () => {
    await Promise.all(started.map((r) => r.stop()));
    await agent?.stop();
    await health?.remove();
  });

  async function register(extra: string[], readyWhen?: string): Promise<Running> {
    await health.pass();
    const running = await startRegister(['--service', 'api', '--port', '5000', '--consul', agent.url, '--ttl', '2', '--interval', '200ms', ...extra], readyWhen);
    started.push(running);
    return running;
  }

  const service = (): AgentService | undefined => agent.services.get(ID);
  const status = (wanted: AgentService['status'] | 'absent') => agent.until((services) => (services.get(ID)?.status ?? 'absent') === wanted);

  it('registers the service with a TTL check fed by our check, and deregisters it on SIGTERM', async () => {
    const running = await register(['--check-cmd', health.check, '--tags', 'v1,canary']);
    await status('passing');
    const registered = service();
    assert.deepEqual(
      { name: registered?.name, address: registered?.address, port: registered?.port, tags: registered?.tags, ttl: registered?.check.TTL },
      { name: 'api', address: '127.0.0.1', port: 5000, tags: ['v1', 'canary'], ttl: '2s' },
    );
    assert.equal(await running.stop(), 0);
    assert.equal(service(), undefined, 'deregistered before register exited');
  });

  it('fails the check while ours fails, saying why, and passes it again', async () => {
    const running = await register(['--check-cmd', health.check]);
    await status('passing');
    await health.fail();
    await status('critical');
    assert.match(service()?.output ?? '', /test -e .*: exit 1/);
    await health.pass();
    await status('passing');
    await running.stop();
  });

  it('gives Consul the equivalent HTTP check to run itself', async () => {
    const server = http.createServer((_, response) => response.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
    try {
      const running = await register(['--check-http', url, '--check-timeout', '100ms']);
      const check = service()?.check ?? {};
      assert.deepEqual({ http: check.HTTP, interval: check.Interval, timeout: check.Timeout, ttl: check.TTL }, { http: url, interval: '200ms', timeout: '100ms', ttl: undefined });
      await running.stop();
    } finally {
      server.close();
    }
  });

  it('kill -9 leaves the service to its TTL check, which turns critical', async () => {
    const running = await register(['--check-cmd', health.check]);
    await status('passing');
    running.child.kill('SIGKILL');
    await running.exited;
    await status('critical');
    assert.equal(service()?.output, 'TTL expired');
    agent.forget(ID);
  });

  it('registers again when the agent forgot the service (restarted without its data)', async () => {
    const running = await register(['--check-cmd', health.check]);
    await status('passing');
    agent.forget(ID);
    await status('passing');
    await eventually(() => assert.match(running.output(), /the agent no longer has api-127\.0\.0\.1:5000 .*registering it again/));
    await running.stop();
  });

  it('keeps retrying while the agent is down at start, saying so, and registers once it is up', async () => {
    await agent.down();
    const running = await register(['--check-cmd', health.check], 'retrying in');
    assert.match(running.output(), new RegExp(`consul ${agent.url.replace(/[./]/g, '\\$&')}: register ${ID}: .*ECONNREFUSED.*; retrying in \\d+ ms`));
    await agent.up();
    await status('passing');
    await running.stop();
  });

  it('sends the ACL token by the secret rule (--consul-token-file, then CONSUL_HTTP_TOKEN_FILE, then CONSUL_HTTP_TOKEN), never from a flag', async () => {
    agent.requiredToken = 's3cr3t';
    const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-token-'));
    await writeFile(join(dir, 'token'), 's3cr3t\n');
    await writeFile(join(dir, 'wrong'), 'guess\n');
    const registerWith = async (env: NodeJS.ProcessEnv, args: string[] = []) => {
      const running = await startProcess(process.execPath, [CLI, 'register', '--service', 'api', '--port', '5000', '--address', '127.0.0.1', '--consul', agent.url, ...args], {
        env: { ...process.env, ...env },
        ready: (output) => output.includes(': registered '),
        name: 'register',
      });
      await running.stop();
    };
    try {
      await registerWith({ CONSUL_HTTP_TOKEN: 's3cr3t' });
      await registerWith({ CONSUL_HTTP_TOKEN_FILE: join(dir, 'token'), CONSUL_HTTP_TOKEN: 'guess' });
      await registerWith({ CONSUL_HTTP_TOKEN_FILE: join(dir, 'wrong'), CONSUL_HTTP_TOKEN: 'guess' }, ['--consul-token-file', join(dir, 'token')]);
      assert.ok(agent.requests.filter((r) => r.token !== undefined).every((r) => r.token === 's3cr3t'));
    } finally {
      agent.requiredToken = undefined;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 naming the flag when the token file cannot be read', async () => {
    const port = await freePort();
    const run = await startProcess(process.execPath, [CLI, 'register', '--service', 'api', '--port', '5000', '--address', '127.0.0.1', '--consul', `http://127.0.0.1:${port}`, '--consul-token-file', '/nonexistent/token'], {
      ready: () => true,
      name: 'register',
    });
    assert.equal(await run.exited, 2);
    assert.match(run.output(), /--consul-token-file: cannot read the Consul ACL token from \/nonexistent\/token/);
  });
});
