// Every flag-only command line and configuration the README documented before source instances
// existed still loads: `dnsbridge check` accepts each one (exit 0) and names the sources it makes.
// Site-specific file paths are replaced by files the test writes; everything else is as documented.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { runCli } from '../harness/bridge.js';

let dir: string;
const files: Record<string, string> = {};

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dnsbridge-readme-'));
  files.registry = await write('services.yaml', 'api: ["10.0.0.1:8080"]\n');
  files.digest = await write('zk.digest', 'user:password\n');
  files.password = await write('etcd.password', 'secret\n');
  files.token = await write('consul.token', 'token\n');
  for (const pem of ['ca.pem', 'cert.pem', 'key.pem']) files[pem] = await write(pem, '-----BEGIN CERTIFICATE-----\n');
});

interface Documented {
  title: string;
  args: () => string[];
  env?: () => NodeJS.ProcessEnv;
  /** The source instances the configuration must make, by name (each a flag shorthand, named after its kind). */
  sources: string[];
}

const commandLines: Documented[] = [
  { title: 'npm start', args: () => ['--file', 'examples/services.yaml'], sources: ['file'] },
  {
    title: 'the configuration table, every general flag',
    args: () => [
      '--listen', '127.0.0.1:1053', '--domain', 'service.internal', '--file', files.registry, '--upstream', '192.0.2.53,192.0.2.54:53',
      '--zone', 'consul=127.0.0.1:8600', '--ttl', '10', '--allow', '127.0.0.0/8,::1/128,10.0.0.0/8', '--upstream-timeout', '2000',
      '--cache-size', '100000', '--http', '127.0.0.1:8053', '--rate-limit', '100', '--rate-limit-slip', '2', '--workers', '1',
      '--log-level', 'info', '--query-log',
    ],
    sources: ['file'],
  },
  {
    title: 'ZooKeeper with a chroot, a Curator path and a digest file',
    args: () => ['--zookeeper', 'zk1:2181,zk2:2181/chroot', '--zk-path', '/{service}/providers', '--zk-path', '/services/{service}', '--zk-digest-file', files.digest, '--zk-session-timeout', '10000'],
    sources: ['zookeeper'],
  },
  { title: 'ZooKeeper digest from the environment', args: () => ['--zookeeper', 'zk1:2181'], env: () => ({ DNSBRIDGE_ZK_DIGEST: 'user:password' }), sources: ['zookeeper'] },
  {
    title: 'etcd with SkyDNS prefixes, a user, a password file and TLS',
    args: () => [
      '--etcd', 'http://e1:2379,http://e2:2379', '--etcd-prefix', '/{service}/providers/', '--etcd-prefix', '/skydns/local/service/{service}/',
      '--etcd-user', 'bridge', '--etcd-password-file', files.password, '--etcd-ca', files['ca.pem'], '--etcd-cert', files['cert.pem'], '--etcd-key', files['key.pem'],
    ],
    sources: ['etcd'],
  },
  { title: 'etcd password from the environment', args: () => ['--etcd', 'http://e1:2379', '--etcd-user', 'bridge'], env: () => ({ DNSBRIDGE_ETCD_PASSWORD: 'secret' }), sources: ['etcd'] },
  { title: 'Consul with a token file', args: () => ['--consul', 'http://127.0.0.1:8500', '--consul-token-file', files.token], sources: ['consul'] },
  { title: 'Consul token from the environment', args: () => ['--consul', 'http://127.0.0.1:8500'], env: () => ({ CONSUL_HTTP_TOKEN: 'token' }), sources: ['consul'] },
  {
    title: 'every registry at once, as the environment gives them',
    args: () => [],
    env: () => ({ DNSBRIDGE_FILE: files.registry, DNSBRIDGE_ZOOKEEPER: 'zk1:2181', DNSBRIDGE_ETCD: 'http://e1:2379', DNSBRIDGE_CONSUL: 'http://127.0.0.1:8500', DNSBRIDGE_UPSTREAM_TIMEOUT: '1500' }),
    sources: ['file', 'zookeeper', 'etcd', 'consul'],
  },
];

describe("the README's command lines and configurations still load", { concurrency: true }, () => {
  for (const { title, args, env, sources } of commandLines) {
    it(title, async () => {
      const { code, output } = await runCli(['check', ...args()], env?.() ?? {});
      assert.equal(code, 0, output);
      const named = /configuration is valid: .*, sources: (.*)/.exec(output)?.[1];
      assert.deepEqual(named?.split(', ').sort(), [...sources].sort(), output);
    });
  }

  it("the README's example configuration file", async () => {
    const config = await write(
      'readme.yaml',
      [
        'listen: "127.0.0.1:53"',
        'domain: service.internal',
        `file: ${files.registry}`,
        'upstream: ["192.0.2.53", "192.0.2.54:53"]',
        'zone: { consul: "127.0.0.1:8600" }',
        'ttl: 5',
        'allow: [127.0.0.0/8, "::1/128", 10.0.0.0/8]',
        '',
      ].join('\n'),
    );
    const { code, output } = await runCli(['check', '--config', config]);
    assert.equal(code, 0, output);
    assert.match(output, /configuration is valid: listening on 127\.0\.0\.1:53, domain service\.internal/);
  });

  it('deploy/dnsbridge.yaml, the file the systemd unit reads', async () => {
    const shipped = await readFile('deploy/dnsbridge.yaml', 'utf8');
    const config = await write('deploy.yaml', shipped.replace('/etc/dnsbridge/services.yaml', files.registry));
    const { code, output } = await runCli(['check', '--config', config]);
    assert.equal(code, 0, output);
    assert.match(output, /configuration is valid: listening on 127\.0\.0\.1:53/);
  });
});
