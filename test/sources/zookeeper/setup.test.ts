import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { ConfigError } from '../../../src/config/errors.js';
import { zooKeeperDigest, zooKeeperSource } from '../../../src/sources/zookeeper/setup.js';

const silent = pino({ level: 'silent' });
const settings = (paths: string[]) => ({ 'zk-path': paths, 'zk-digest-file': undefined, 'zk-session-timeout': 4000 });

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.message);
    throw error;
  }
  return [];
}

describe('ZooKeeper source settings', () => {
  it('takes the digest from the file over DNSBRIDGE_ZK_DIGEST, first line trimmed', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'dnsbridge-')), 'zk.digest');
    await writeFile(file, 'dns:from-file\n');
    assert.equal(zooKeeperDigest(file, { DNSBRIDGE_ZK_DIGEST: 'dns:from-env' }), 'dns:from-file');
    assert.equal(zooKeeperDigest(undefined, { DNSBRIDGE_ZK_DIGEST: ' dns:from-env ' }), 'dns:from-env');
    assert.equal(zooKeeperDigest(undefined, {}), undefined);
  });

  it('refuses a digest that is not user:password without repeating it, and names an unreadable file', () => {
    assert.deepEqual(problems(() => zooKeeperDigest(undefined, { DNSBRIDGE_ZK_DIGEST: 'hunter2' })), ['the ZooKeeper digest must be user:password']);
    const [message] = problems(() => zooKeeperDigest('/nonexistent/zk.digest', {}));
    assert.match(message, /cannot read the ZooKeeper digest from \/nonexistent\/zk.digest/);
  });

  it('names every bad host and path template at once', () => {
    assert.deepEqual(problems(() => zooKeeperSource('zk1:2181,bad host:1,zk2:99999/chroot/', settings(['{service}/providers', '/services/{service}']), silent)), [
      '"bad host:1" is not HOST or HOST:PORT',
      '"zk2:99999" is not HOST or HOST:PORT',
      'chroot "/chroot/" is not a ZooKeeper path',
      '"{service}/providers" is not a ZooKeeper path like /{service}/providers',
    ]);
  });

  it('accepts hosts with and without ports, a chroot and several templates', () => {
    assert.deepEqual(problems(() => zooKeeperSource('zk1:2181,zk2,10.0.0.3:2182/prod/dns', settings(['/{service}/providers', '/services/{service}']), silent)), []);
  });
});
