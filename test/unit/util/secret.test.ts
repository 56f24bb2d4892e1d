import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/errors.js';
import { consulToken, etcdPassword, readSecret, zooKeeperDigest, type SecretFile } from '../../../src/util/secret.js';

type Reader = (file: SecretFile, env: NodeJS.ProcessEnv) => string | undefined;

/** Every secret, with its file option, its variable naming a file and its plain variable. */
const secrets: { name: string; read: Reader; option: string; fileVariable: string; variable: string }[] = [
  { name: 'the ZooKeeper digest', read: zooKeeperDigest, option: '--zk-digest-file', fileVariable: 'DNSBRIDGE_ZK_DIGEST_FILE', variable: 'DNSBRIDGE_ZK_DIGEST' },
  { name: 'the etcd password', read: etcdPassword, option: '--etcd-password-file', fileVariable: 'DNSBRIDGE_ETCD_PASSWORD_FILE', variable: 'DNSBRIDGE_ETCD_PASSWORD' },
  { name: 'the Consul ACL token', read: consulToken, option: '--consul-token-file', fileVariable: 'CONSUL_HTTP_TOKEN_FILE', variable: 'CONSUL_HTTP_TOKEN' },
];

/** The ConfigError's problems as `key: message`, or fails. */
function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${String(error)}`);
    return error.problems.map((p) => `${p.key}: ${p.message}`);
  }
  assert.fail('no ConfigError');
}

describe('the secret rule: a file option beats a *_FILE variable, which beats the plain variable', () => {
  let dir: string;
  const file = (name: string) => join(dir, name);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dnsbridge-secret-'));
    await writeFile(file('option'), 'u:from-option\n');
    await writeFile(file('variable'), '  u:from-file-variable \r\n\n');
    await writeFile(file('empty'), ' \n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const secret of secrets) {
    describe(secret.name, () => {
      const option = (path?: string): SecretFile => ({ path, key: secret.option });
      const everywhere = () => ({ [secret.fileVariable]: file('variable'), [secret.variable]: 'u:from-variable' });

      it('takes the file option over both variables', () => {
        assert.equal(secret.read(option(file('option')), everywhere()), 'u:from-option');
      });

      it(`takes ${secret.fileVariable} over ${secret.variable}, the file read whole and trimmed`, () => {
        assert.equal(secret.read(option(), everywhere()), 'u:from-file-variable');
      });

      it(`takes ${secret.variable} alone, trimmed; nothing set or set empty is no secret`, () => {
        assert.equal(secret.read(option(), { [secret.variable]: ' u:from-variable ' }), 'u:from-variable');
        assert.equal(secret.read(option(), { [secret.fileVariable]: '', [secret.variable]: '' }), undefined);
        assert.equal(secret.read(option(), {}), undefined);
      });

      it('refuses a file that is missing or empty, naming the option or variable that named it', () => {
        assert.deepEqual(problemsOf(() => secret.read(option(file('empty')), everywhere())), [`${secret.option}: ${file('empty')} is empty: it must hold ${secret.name}`]);
        const [missing] = problemsOf(() => secret.read(option(), { [secret.fileVariable]: file('missing'), [secret.variable]: 'u:from-variable' }));
        assert.match(missing, new RegExp(`^${secret.fileVariable}: cannot read .* from ${file('missing')}: ENOENT`));
      });
    });
  }

  it('keeps every line of a file: the whole file is the secret', async () => {
    await writeFile(file('lines'), 'first\nsecond\n');
    assert.equal(readSecret({ what: 'a secret', file: { path: file('lines'), key: '--x-file' } }, {}), 'first\nsecond');
  });

  it('refuses a ZooKeeper digest that is not user:password, naming where it came from but not the secret', () => {
    assert.deepEqual(problemsOf(() => zooKeeperDigest({ path: undefined, key: '--zk-digest-file' }, { DNSBRIDGE_ZK_DIGEST: 'hunter2' })), [
      'DNSBRIDGE_ZK_DIGEST: the ZooKeeper digest must be user:password',
    ]);
  });
});
