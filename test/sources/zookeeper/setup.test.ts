import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { ConfigError } from '../../../src/config/errors.js';
import { zooKeeperSource } from '../../../src/sources/zookeeper/setup.js';

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
