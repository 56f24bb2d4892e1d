// Consul's own environment and address forms (CONSUL_HTTP_ADDR, CONSUL_HTTP_SSL, CONSUL_CACERT,
// CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY), for `serve --consul` and `register --consul`. Consul
// cannot be installed here, so the bridge and register talk to TEST DOUBLES of Consul's HTTP API
// (test/doubles/), served over plain HTTP, over HTTPS with a throwaway CA that asks for a client
// certificate (as an agent with `verify_incoming`), and on a unix socket.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { runCli, startBridge, type BridgeProcess } from '../harness/bridge.js';
import { makeCertificates, type TestCertificates } from '../harness/certs.js';
import { dig, rdata } from '../harness/dig.js';
import { eventually } from '../harness/eventually.js';
import { freePort } from '../harness/ports.js';
import type { Running } from '../harness/process.js';
import { ConsulAgentDouble } from '../doubles/consul-agent-double.js';
import { ConsulHttpDouble } from '../doubles/consul-http-double.js';
import { startRegister } from './register/helpers.js';

const WEB = [{ node: 'n1', nodeAddress: '10.0.0.1', address: '10.1.0.1', port: 8080 }];

/** No Consul variable from the test runner's own environment leaks into a run. */
const CLEAN: NodeJS.ProcessEnv = Object.fromEntries(
  ['CONSUL_HTTP_ADDR', 'CONSUL_HTTP_SSL', 'CONSUL_CACERT', 'CONSUL_CLIENT_CERT', 'CONSUL_CLIENT_KEY', 'CONSUL_TLS_SERVER_NAME', 'CONSUL_HTTP_TOKEN', 'CONSUL_HTTP_TOKEN_FILE'].map((name) => [name, '']),
);

describe("Consul's address forms and TLS files (against Consul HTTP API TEST DOUBLES)", () => {
  let certs: TestCertificates;
  let dir: string;
  let plain: ConsulHttpDouble;
  let secure: ConsulHttpDouble;
  let socket: ConsulHttpDouble;
  const bridges: BridgeProcess[] = [];

  before(async () => {
    certs = await makeCertificates();
    dir = await mkdtemp(join(tmpdir(), 'dnsbridge-consul-address-'));
    const tls = { key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert), ca: readFileSync(certs.ca), requestCert: true };
    [plain, secure, socket] = await Promise.all([ConsulHttpDouble.start(), ConsulHttpDouble.start(0, { tls }), ConsulHttpDouble.start(0, { socketPath: join(dir, 'consul.sock') })]);
    for (const double of [plain, secure, socket]) double.setInstances('web', WEB);
  });
  after(async () => {
    await Promise.all(bridges.map((bridge) => bridge.stop()));
    await Promise.all([plain?.stop(), secure?.stop(), socket?.stop()]);
    await rm(dir, { recursive: true, force: true });
    await rm(certs.dir, { recursive: true, force: true });
  });

  async function bridge(args: string[], env: NodeJS.ProcessEnv = {}): Promise<BridgeProcess> {
    const started = await startBridge([...args, '--consul-query-pace', '50'], { env: { ...CLEAN, ...env } });
    bridges.push(started);
    return started;
  }

  async function answersWeb(bridge: BridgeProcess): Promise<void> {
    const reply = await dig(bridge.address, 'web.service.local', 'A');
    assert.equal(reply.status, 'NOERROR', bridge.output().slice(-2000));
    assert.deepEqual(rdata(reply.answer), ['10.1.0.1']);
  }

  const hostPort = (double: ConsulHttpDouble) => double.url.replace(/^https?:\/\//, '');

  it('serve: a scheme-less HOST:PORT is plain HTTP (double)', async () => {
    await answersWeb(await bridge(['--consul', hostPort(plain)]));
  });

  it('serve: a scheme-less HOST:PORT with CONSUL_HTTP_SSL=true is HTTPS, with CONSUL_CACERT, CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY (double asking for a client certificate)', async () => {
    const env = { CONSUL_HTTP_SSL: 'true', CONSUL_CACERT: certs.ca, CONSUL_CLIENT_CERT: certs.clientCert, CONSUL_CLIENT_KEY: certs.clientKey };
    await answersWeb(await bridge(['--consul', hostPort(secure)], env));
  });

  it("serve: https:// with the TLS files as YAML keys of the consul source, which beat Consul's variables (double)", async () => {
    const config = join(dir, 'dnsbridge.yaml');
    await writeFile(config, `sources:\n  - { kind: consul, url: "${secure.url}", ca: "${certs.ca}", cert: "${certs.clientCert}", key: "${certs.clientKey}" }\n`);
    await answersWeb(await bridge(['--config', config], { CONSUL_CACERT: join(dir, 'no-such-ca.pem'), CONSUL_CLIENT_CERT: join(dir, 'no-such.crt'), CONSUL_CLIENT_KEY: join(dir, 'no-such.key') }));
  });

  it('serve: without a client certificate the agent asking for one refuses the connection: SERVFAIL, and the log says why (double)', async () => {
    const refused = await bridge(['--consul', secure.url, '--consul-ca', certs.ca]);
    const reply = await dig(refused.address, 'web.service.local', 'A');
    assert.equal(reply.status, 'SERVFAIL');
    await eventually(() => assert.match(refused.output(), /serving the last known instances and retrying/));
    assert.match(refused.output(), /alert certificate required/, refused.output().slice(-2000));
  });

  it("serve: CONSUL_TLS_SERVER_NAME is the name the agent's certificate is checked against (double)", async () => {
    const env = { CONSUL_CACERT: certs.ca, CONSUL_CLIENT_CERT: certs.clientCert, CONSUL_CLIENT_KEY: certs.clientKey, CONSUL_TLS_SERVER_NAME: 'consul.example.test:8501' };
    const mismatched = await bridge(['--consul', secure.url], env);
    assert.equal((await dig(mismatched.address, 'web.service.local', 'A')).status, 'SERVFAIL');
    await eventually(() => assert.match(mismatched.output(), /Host: consul\.example\.test\. is not cert's CN: 127\.0\.0\.1/));
  });

  it('serve: unix:///path is the agent on that socket (double)', async () => {
    await answersWeb(await bridge(['--consul', socket.url]));
  });

  it('serve and check: a bad address or CONSUL_HTTP_SSL stops with exit 2, naming the flag or variable', async () => {
    const scheme = await runCli(['serve', '--consul', 'ftp://127.0.0.1:8500', '--listen', `127.0.0.1:${await freePort()}`], CLEAN);
    assert.equal(scheme.code, 2);
    assert.match(scheme.output, /--consul.*"ftp" is not a scheme Consul takes/);
    const ssl = await runCli(['check', '--consul', '127.0.0.1:8500'], { ...CLEAN, CONSUL_HTTP_SSL: 'maybe' });
    assert.equal(ssl.code, 2);
    assert.match(ssl.output, /CONSUL_HTTP_SSL.*"maybe" is not true or false/);
    const key = await runCli(['check', '--consul', secure.url, '--consul-cert', certs.clientCert], CLEAN);
    assert.equal(key.code, 2);
    assert.match(key.output, /--consul-cert.*needs the client key too/);
  });
});

describe("register --consul and Consul's environment (against Consul agent TEST DOUBLES)", () => {
  let certs: TestCertificates;
  let dir: string;
  let plain: ConsulAgentDouble;
  let secure: ConsulAgentDouble;
  let socket: ConsulAgentDouble;
  const started: Running[] = [];
  const ID = 'api-127.0.0.1:5000';

  before(async () => {
    certs = await makeCertificates();
    dir = await mkdtemp(join(tmpdir(), 'dnsbridge-consul-register-'));
    const tls = { key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert), ca: readFileSync(certs.ca), requestCert: true };
    [plain, secure, socket] = await Promise.all([ConsulAgentDouble.start(), ConsulAgentDouble.start(undefined, {}, { tls }), ConsulAgentDouble.start(undefined, {}, { socketPath: join(dir, 'agent.sock') })]);
  });
  after(async () => {
    await Promise.all(started.map((running) => running.stop()));
    await Promise.all([plain?.stop(), secure?.stop(), socket?.stop()]);
    await rm(dir, { recursive: true, force: true });
    await rm(certs.dir, { recursive: true, force: true });
  });

  async function register(args: string[], env: NodeJS.ProcessEnv, readyWhen?: string): Promise<Running> {
    const running = await startRegister(['--service', 'api', '--port', '5000', '--ttl', '5', '--interval', '500ms', ...args], readyWhen, { ...CLEAN, ...env });
    started.push(running);
    return running;
  }

  const registered = (agent: ConsulAgentDouble) => agent.until((services) => services.get(ID)?.status === 'passing');

  it('--consul without an address takes CONSUL_HTTP_ADDR, scheme-less (double)', async () => {
    const running = await register(['--consul'], { CONSUL_HTTP_ADDR: plain.url.replace('http://', '') });
    await registered(plain);
    assert.match(running.output(), new RegExp(`consul ${plain.url.replace(/[.]/g, '\\.')}: registered`));
    assert.equal(await running.stop(), 0);
  });

  it('--consul without an address takes an https:// CONSUL_HTTP_ADDR with CONSUL_CACERT, CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY (double asking for a client certificate)', async () => {
    const env = { CONSUL_HTTP_ADDR: secure.url, CONSUL_CACERT: certs.ca, CONSUL_CLIENT_CERT: certs.clientCert, CONSUL_CLIENT_KEY: certs.clientKey };
    const running = await register(['--consul'], env);
    await registered(secure);
    assert.equal(await running.stop(), 0);
    assert.equal(secure.services.get(ID), undefined, 'deregistered on SIGTERM over TLS');
  });

  it('an address and TLS flags beat the variables; without a client certificate the agent refuses it and register says so (double)', async () => {
    const env = { CONSUL_HTTP_ADDR: 'unix:///nonexistent.sock', CONSUL_CACERT: join(dir, 'no-such-ca.pem') };
    const refused = await register(['--consul', secure.url, '--consul-ca', certs.ca], env, 'retrying in');
    assert.match(refused.output(), new RegExp(`consul ${secure.url.replace(/[.]/g, '\\.')}: .*alert certificate required`));
    assert.equal(secure.services.get(ID), undefined);
    await refused.stop();
    const running = await register(['--consul', secure.url, '--consul-ca', certs.ca, '--consul-cert', certs.clientCert, '--consul-key', certs.clientKey], env);
    await registered(secure);
    assert.equal(await running.stop(), 0);
  });

  it('--consul unix:///path registers through the socket (double)', async () => {
    const running = await register(['--consul', socket.url], {});
    await registered(socket);
    assert.equal(await running.stop(), 0);
  });

  it('a bad CONSUL_HTTP_ADDR or CONSUL_HTTP_SSL stops register with exit 2, naming the variable', async () => {
    const address = await runCli(['register', '--service', 'api', '--port', '5000', '--address', '127.0.0.1', '--consul'], { ...CLEAN, CONSUL_HTTP_ADDR: 'tcp://127.0.0.1:8500' });
    assert.equal(address.code, 2);
    assert.match(address.output, /CONSUL_HTTP_ADDR.*"tcp" is not a scheme Consul takes/);
    const ssl = await runCli(['register', '--service', 'api', '--port', '5000', '--address', '127.0.0.1', '--consul', '127.0.0.1:8500'], { ...CLEAN, CONSUL_HTTP_SSL: 'yes' });
    assert.equal(ssl.code, 2);
    assert.match(ssl.output, /CONSUL_HTTP_SSL.*"yes" is not true or false/);
  });
});
