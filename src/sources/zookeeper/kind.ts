import { z } from 'zod';
import { filePath, integer, templates } from '../../config/values.js';
import { zooKeeperDigest } from '../../util/secret.js';
import { defineKind } from '../kind.js';
import type { ZooKeeperSourceOptions } from './source.js';

/** How long a first query waits for a connection still coming up: the registry waits 1.5 s in all. */
const CONNECT_WAIT_MS = 1500;

/** A `sources:` entry of kind `zookeeper`, and the `--zookeeper`, `--zk-*` shorthand. */
export interface ZooKeeperOptions {
  servers: string;
  paths: string[];
  'session-timeout': number;
  'digest-file'?: string;
}

export const zooKeeperKind = defineKind<ZooKeeperOptions, ZooKeeperSourceOptions>({
  kind: 'zookeeper',
  main: 'servers',
  options: {
    servers: { schema: z.string().min(1).superRefine(connectProblems), flag: 'zookeeper', arg: 'HOSTS[/CHROOT]', help: 'ZooKeeper connection string' },
    paths: {
      schema: templates.default(['/{service}/providers']).superRefine(templateProblems),
      flag: 'zk-path',
      arg: 'TEMPLATE',
      help: 'ZooKeeper provider path (repeatable)',
      repeatable: true,
    },
    'session-timeout': { schema: integer(1000, 120_000).default(10_000), flag: 'zk-session-timeout', arg: 'MS', help: 'ZooKeeper session timeout asked for (the server may bound it)' },
    'digest-file': { schema: filePath.optional(), flag: 'zk-digest-file', arg: 'PATH', help: 'file holding user:password for ZooKeeper digest auth (or DNSBRIDGE_ZK_DIGEST_FILE, DNSBRIDGE_ZK_DIGEST)' },
  },
  restartOn: ['servers', 'paths', 'session-timeout', 'digest-file'],
  settings: (options, context) => ({
    connect: options.servers,
    templates: options.paths,
    sessionTimeoutMs: options['session-timeout'],
    digest: zooKeeperDigest({ path: options['digest-file'], key: context.keyOf('digest-file') }, context.env),
    connectWaitMs: CONNECT_WAIT_MS,
  }),
  async create(settings, { log }) {
    const { ZooKeeperSource } = await import('./source.js');
    log.info({ zookeeper: settings.connect, paths: settings.templates }, 'zookeeper source: watching the provider paths of queried services');
    return new ZooKeeperSource(settings, log);
  },
});

function connectProblems(connect: string, ctx: z.RefinementCtx): void {
  const slash = connect.indexOf('/');
  const hosts = (slash === -1 ? connect : connect.slice(0, slash)).split(',');
  const chroot = slash === -1 ? undefined : connect.slice(slash);
  for (const host of hosts) if (!isHostPort(host)) ctx.addIssue({ code: 'custom', message: `"${host}" is not HOST or HOST:PORT` });
  if (chroot !== undefined && chroot !== '/' && !isPath(chroot)) ctx.addIssue({ code: 'custom', message: `chroot "${chroot}" is not a ZooKeeper path` });
}

function templateProblems(paths: string[], ctx: z.RefinementCtx): void {
  for (const template of paths) {
    if (!isPath(template.replaceAll('{service}', 'x'))) ctx.addIssue({ code: 'custom', message: `"${template}" is not a ZooKeeper path like /{service}/providers` });
  }
}

function isHostPort(text: string): boolean {
  const match = /^([a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(text);
  return Boolean(match) && (match![2] === undefined || (Number(match![2]) >= 1 && Number(match![2]) <= 65535));
}

/** Absolute, no empty segment, no trailing slash, no `.` or `..` segment: what ZooKeeper accepts. */
function isPath(path: string): boolean {
  return /^(\/[^/\s]+)+$/.test(path) && !path.split('/').some((segment) => segment === '.' || segment === '..');
}
