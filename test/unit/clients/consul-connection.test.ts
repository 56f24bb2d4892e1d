import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { consulEndpoint, parseConsulAddress, type ConsulGiven } from '../../../src/clients/consul-connection.js';
import { ConfigError } from '../../../src/config/errors.js';
import { makeCertificates, type TestCertificates } from '../../harness/certs.js';

/** The problems a ConfigError names, as `key: message`; [] when there was none. */
function problems(given: ConsulGiven, env: NodeJS.ProcessEnv): string[] {
  try {
    consulEndpoint(given, env);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems.map((p) => `${p.key}: ${p.message}`);
  }
}

describe("Consul's address forms (api/api.go NewClient)", () => {
  const cases: [string, boolean, string][] = [
    ['127.0.0.1:8500', false, 'http://127.0.0.1:8500'],
    ['127.0.0.1:8500', true, 'https://127.0.0.1:8500'],
    ['localhost', false, 'http://localhost:8500'],
    ['localhost', true, 'https://localhost:8501'],
    ['http://127.0.0.1:8500', false, 'http://127.0.0.1:8500'],
    ['http://127.0.0.1:8500', true, 'https://127.0.0.1:8500'],
    ['https://consul.example.test', false, 'https://consul.example.test:8501'],
    ['HTTPS://[::1]:8501/', false, 'https://[::1]:8501'],
    ['http://user:secret@127.0.0.1:8500', false, 'http://127.0.0.1:8500'],
    ['http://127.0.0.1:8500/consul/', false, 'http://127.0.0.1:8500/consul'],
    ['unix:///var/run/consul/http.sock', false, 'unix:///var/run/consul/http.sock'],
    ['unix://relative.sock', true, 'unix://relative.sock'],
  ];
  for (const [address, ssl, expected] of cases) {
    it(`${address}${ssl ? ' with CONSUL_HTTP_SSL=true' : ''} -> ${expected}`, () => {
      const target = parseConsulAddress(address, ssl);
      assert.ok(typeof target !== 'string', String(target));
      assert.equal(target.display, expected);
    });
  }

  it('takes a unix socket as plain HTTP on that path, and a path after the host as a prefix', () => {
    assert.deepEqual(parseConsulAddress('unix:///run/c.sock'), { protocol: 'http:', socketPath: '/run/c.sock', pathPrefix: '', display: 'unix:///run/c.sock' });
    const prefixed = parseConsulAddress('https://[fd00::1]:9000/api/consul');
    assert.ok(typeof prefixed !== 'string');
    assert.deepEqual([prefixed.hostname, prefixed.port, prefixed.pathPrefix], ['fd00::1', 9000, '/api/consul']);
  });

  const bad = ['ftp://127.0.0.1:8500', 'unix://', 'http://', '127.0.0.1:99999', 'http://127.0.0.1:8500/x?y=1', 'not a host:8500', '::1'];
  for (const address of bad) {
    it(`refuses "${address}" with a message`, () => assert.equal(typeof parseConsulAddress(address), 'string'));
  }
});

describe('consulEndpoint: the configuration, else Consul\'s environment', () => {
  let certs: TestCertificates;
  before(async () => {
    certs = await makeCertificates();
  });

  it('an address given beats CONSUL_HTTP_ADDR, which beats 127.0.0.1:8500', () => {
    const env = { CONSUL_HTTP_ADDR: 'unix:///run/consul.sock' };
    assert.equal(consulEndpoint({ address: { value: '10.0.0.1:8500', key: '--consul' } }, env).url, 'http://10.0.0.1:8500');
    assert.equal(consulEndpoint({}, env).url, 'unix:///run/consul.sock');
    assert.equal(consulEndpoint({}, {}).url, 'http://127.0.0.1:8500');
  });

  it('names the option or variable that gave a bad address or CONSUL_HTTP_SSL', () => {
    assert.match(problems({ address: { value: 'ftp://x', key: '--consul' } }, {})[0], /^--consul: "ftp" is not a scheme Consul takes/);
    assert.match(problems({}, { CONSUL_HTTP_ADDR: 'http://bad host' })[0], /^CONSUL_HTTP_ADDR: /);
    assert.deepEqual(problems({}, { CONSUL_HTTP_SSL: 'yes' }), ['CONSUL_HTTP_SSL: "yes" is not true or false']);
  });

  it('reads the TLS files from the options, else from CONSUL_CACERT, CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY; the server name without its port', () => {
    const env = { CONSUL_HTTP_ADDR: 'https://127.0.0.1:8501', CONSUL_CACERT: certs.ca, CONSUL_CLIENT_CERT: certs.clientCert, CONSUL_CLIENT_KEY: certs.clientKey, CONSUL_TLS_SERVER_NAME: 'consul.example.test:8501' };
    const fromEnv = consulEndpoint({}, env);
    assert.ok(fromEnv.tls?.ca && fromEnv.tls.cert && fromEnv.tls.key);
    assert.equal(fromEnv.tls.servername, 'consul.example.test');
    const fromOptions = consulEndpoint({ ca: { value: certs.serverCert, key: 'ca' } }, env);
    assert.equal(fromOptions.tls?.ca?.toString(), consulEndpoint({}, { ...env, CONSUL_CACERT: certs.serverCert }).tls?.ca?.toString(), 'the option wins');
  });

  it('ignores the TLS variables for a plain http address, as Consul does, but refuses TLS options there', () => {
    assert.equal(consulEndpoint({}, { CONSUL_CACERT: '/nonexistent.pem' }).tls, undefined);
    assert.match(problems({ address: { value: 'http://127.0.0.1:8500', key: '--consul' }, ca: { value: certs.ca, key: '--consul-ca' } }, {})[0], /^--consul-ca: is used only with an https address/);
  });

  it('refuses a certificate without its key, an unreadable or non-PEM CA, and a key that does not match', async () => {
    const https = { CONSUL_HTTP_SSL: 'true' };
    assert.match(problems({}, { ...https, CONSUL_CLIENT_CERT: certs.clientCert })[0], /^CONSUL_CLIENT_CERT: needs the client key too/);
    assert.match(problems({ ca: { value: '/nonexistent/ca.pem', key: '--consul-ca' } }, https)[0], /^--consul-ca: cannot read the Consul CA bundle from \/nonexistent\/ca.pem/);
    const garbage = join(certs.dir, 'garbage.pem');
    await writeFile(garbage, 'not a certificate\n');
    assert.match(problems({}, { ...https, CONSUL_CACERT: garbage })[0], /^CONSUL_CACERT: .*garbage.pem holds no PEM certificate/);
    assert.match(problems({}, { ...https, CONSUL_CLIENT_CERT: certs.clientCert, CONSUL_CLIENT_KEY: certs.serverKey })[0], /^CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY: .* are not a certificate and its key/);
  });

  after(async () => {
    await rm(certs.dir, { recursive: true, force: true });
  });
});
