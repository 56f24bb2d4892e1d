import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/errors.js';
import { loadConfig } from '../../../src/config/load.js';

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.key}: ${p.message}`);
    throw error;
  }
  return [];
}

const withFlags = (zookeeper: string, paths: string[]) => () => loadConfig({ flags: { zookeeper, 'zk-path': paths, upstream: '127.0.0.1:9' }, env: {} });

describe('ZooKeeper source kind: its options', () => {
  it('names every bad host and path template at once', () => {
    assert.deepEqual(problems(withFlags('zk1:2181,bad host:1,zk2:99999/chroot/', ['{service}/providers', '/services/{service}'])), [
      '--zookeeper: "bad host:1" is not HOST or HOST:PORT',
      '--zookeeper: "zk2:99999" is not HOST or HOST:PORT',
      '--zookeeper: chroot "/chroot/" is not a ZooKeeper path',
      '--zk-path: "{service}/providers" is not a ZooKeeper path like /{service}/providers',
    ]);
  });

  it('accepts hosts with and without ports, a chroot and several templates', () => {
    assert.deepEqual(problems(withFlags('zk1:2181,zk2,10.0.0.3:2182/prod/dns', ['/{service}/providers', '/services/{service}'])), []);
  });
});
