import type { Logger } from 'pino';
import { ConfigError } from '../../config/errors.js';
import type { Config } from '../../config/load.js';
import { optionLabel } from '../../config/schema.js';
import { zooKeeperDigest } from '../../util/secret.js';
import { ZooKeeperSource } from './source.js';

/** How long a first query waits for a connection still coming up: the registry waits 1.5 s in all. */
const CONNECT_WAIT_MS = 1500;

type ZooKeeperConfig = Pick<Config, 'zk-path' | 'zk-digest-file' | 'zk-session-timeout'>;

/** The ZooKeeper source a configuration asks for (`connect`: `--zookeeper`), its settings checked. */
export function zooKeeperSource(connect: string, config: ZooKeeperConfig, log: Logger, env: NodeJS.ProcessEnv = process.env): ZooKeeperSource {
  const problems = [...connectProblems(connect), ...config['zk-path'].flatMap(templateProblems)];
  if (problems.length) throw new ConfigError(problems);
  const source = new ZooKeeperSource(
    {
      connect,
      templates: config['zk-path'],
      sessionTimeoutMs: config['zk-session-timeout'],
      digest: zooKeeperDigest({ path: config['zk-digest-file'], key: optionLabel('zk-digest-file') }, env),
      connectWaitMs: CONNECT_WAIT_MS,
    },
    log.child({ source: 'zookeeper' }),
  );
  log.info({ zookeeper: connect, paths: config['zk-path'] }, 'zookeeper source: watching the provider paths of queried services');
  return source;
}

function connectProblems(connect: string): { key: string; message: string }[] {
  const key = '--zookeeper (DNSBRIDGE_ZOOKEEPER, "zookeeper" in the config file)';
  const slash = connect.indexOf('/');
  const hosts = (slash === -1 ? connect : connect.slice(0, slash)).split(',');
  const chroot = slash === -1 ? undefined : connect.slice(slash);
  const problems = hosts.filter((host) => !isHostPort(host)).map((host) => ({ key, message: `"${host}" is not HOST or HOST:PORT` }));
  if (chroot !== undefined && chroot !== '/' && !isPath(chroot)) problems.push({ key, message: `chroot "${chroot}" is not a ZooKeeper path` });
  return problems;
}

function templateProblems(template: string): { key: string; message: string }[] {
  if (isPath(template.replaceAll('{service}', 'x'))) return [];
  return [{ key: '--zk-path (DNSBRIDGE_ZK_PATH, "zk-path" in the config file)', message: `"${template}" is not a ZooKeeper path like /{service}/providers` }];
}

function isHostPort(text: string): boolean {
  const match = /^([a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(text);
  return Boolean(match) && (match![2] === undefined || (Number(match![2]) >= 1 && Number(match![2]) <= 65535));
}

/** Absolute, no empty segment, no trailing slash, no `.` or `..` segment: what ZooKeeper accepts. */
function isPath(path: string): boolean {
  return /^(\/[^/\s]+)+$/.test(path) && !path.split('/').some((segment) => segment === '.' || segment === '..');
}
