import { z } from 'zod';
import { ConfigError } from '../config/errors.js';
import { parseEndpoint } from '../forward/endpoint.js';
import { isServiceName, normaliseHost } from '../registry/fields.js';
import { primaryAddress } from './address.js';
import { parseDuration } from './duration.js';

/** How a ZooKeeper node or etcd value describes the provider. */
export type EntryFormat = 'hostport' | 'curator' | 'json';

/** What the health check is; Consul gets the equivalent check, ZooKeeper and etcd are gated by ours. */
export type CheckSpec = { kind: 'http'; url: string } | { kind: 'tcp'; host: string; port: number } | { kind: 'cmd'; command: string };

const list = z.string().transform((text) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);
const template = z.string().refine((t) => t.includes('{service}'), 'must contain {service}');
const path = z.string().min(1);
const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 10) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration of at least 10ms such as 500ms, 2s, 1m` });
    return z.NEVER;
  }
  return ms;
});
const hostPort = z.string().transform((text, ctx) => {
  const parsed = parseEndpoint(text.trim());
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return parsed;
});

/** Twice the bridge's default TTL (5 s): a client that read the address just before the withdrawal is still served. */
const DEFAULT_DRAIN_SECONDS = 10;

/**
 * Every `register` option; the flag is `--` + the key. Secrets are not here: the ZooKeeper
 * digest, etcd password and Consul token come from the environment or files only.
 */
export const registerOptions = {
  service: { schema: z.string().refine(isServiceName, 'must be one DNS label: letters, digits, - and _'), arg: 'NAME', help: 'service name, answered as <NAME>.service.local' },
  port: { schema: z.coerce.number().int().min(1).max(65535), arg: 'PORT', help: 'port the program serves on' },
  address: { schema: z.string().optional(), arg: 'IP|HOST', help: "address to register (default: this host's primary IPv4 address)" },
  tags: { schema: list.default([]), arg: 'A,B', help: 'tags (Consul, and the json format)' },
  zookeeper: { schema: z.string().min(1).optional(), arg: 'HOSTS[/CHROOT]', help: 'register in ZooKeeper: an ephemeral node' },
  'zk-path': { schema: template.default('/{service}/providers'), arg: 'TEMPLATE', help: 'ZooKeeper parent path (default: /{service}/providers)' },
  format: { schema: z.enum(['hostport', 'curator', 'json']).default('hostport'), arg: 'FORMAT', help: 'entry format: hostport (zc.zk, the default), curator (ServiceInstance) or json' },
  'zk-digest-file': { schema: path.optional(), arg: 'PATH', help: 'file holding user:password for ZooKeeper digest auth (or DNSBRIDGE_ZK_DIGEST)' },
  etcd: { schema: list.pipe(z.array(z.url()).min(1)).optional(), arg: 'URL,...', help: 'register in etcd: a key under a lease' },
  'etcd-prefix': { schema: template.default('/{service}/providers/'), arg: 'TEMPLATE', help: 'etcd key prefix (default: /{service}/providers/)' },
  'etcd-user': { schema: z.string().min(1).optional(), arg: 'NAME', help: 'etcd user; password from DNSBRIDGE_ETCD_PASSWORD or --etcd-password-file' },
  'etcd-password-file': { schema: path.optional(), arg: 'PATH', help: 'file holding the etcd password' },
  'etcd-ca': { schema: path.optional(), arg: 'PATH', help: 'CA bundle for etcd TLS' },
  'etcd-cert': { schema: path.optional(), arg: 'PATH', help: 'client certificate for etcd TLS' },
  'etcd-key': { schema: path.optional(), arg: 'PATH', help: 'client key for etcd TLS' },
  etcd2: { schema: list.pipe(z.array(z.url()).min(1)).optional(), arg: 'URL,...', help: "register in etcd's v2 keyspace (--enable-v2): a key with a TTL, refreshed" },
  'etcd2-prefix': { schema: template.default('/{service}/providers'), arg: 'TEMPLATE', help: 'etcd v2 directory (default: /{service}/providers)' },
  consul: {
    schema: z.union([z.literal(true), z.string().trim().min(1)]).optional(),
    arg: '[ADDRESS]',
    help: 'register with this Consul agent (HOST:PORT, http://, https:// or unix://); without ADDRESS, CONSUL_HTTP_ADDR or 127.0.0.1:8500 as the consul CLI',
  },
  'consul-token-file': { schema: path.optional(), arg: 'PATH', help: 'Consul ACL token file (or CONSUL_HTTP_TOKEN, CONSUL_HTTP_TOKEN_FILE)' },
  'consul-ca': { schema: path.optional(), arg: 'PATH', help: 'CA bundle for Consul over https (or CONSUL_CACERT)' },
  'consul-cert': { schema: path.optional(), arg: 'PATH', help: 'client certificate for Consul over https (or CONSUL_CLIENT_CERT)' },
  'consul-key': { schema: path.optional(), arg: 'PATH', help: 'client key for Consul over https (or CONSUL_CLIENT_KEY)' },
  'consul-tls-server-name': { schema: z.string().trim().min(1).optional(), arg: 'NAME', help: "name the Consul agent's certificate is checked against (or CONSUL_TLS_SERVER_NAME)" },
  'consul-deregister-after': {
    schema: duration.default(30 * 60_000),
    arg: 'DURATION',
    help: "Consul removes the service after its check has been critical this long (DeregisterCriticalServiceAfter; Consul's floor is 1m; default: 30m); register then registers it again",
  },
  ttl: { schema: z.coerce.number().int().min(2).max(3600).default(5), arg: 'SECONDS', help: 'how long a registration outlives a killed register: etcd lease, ZooKeeper session, Consul TTL check (default: 5)' },
  'check-http': { schema: z.url().optional(), arg: 'URL', help: 'healthy while GET URL answers 2xx' },
  'check-tcp': { schema: hostPort.optional(), arg: 'HOST:PORT', help: 'healthy while HOST:PORT accepts connections' },
  'check-cmd': { schema: z.string().min(1).optional(), arg: 'CMD', help: 'healthy while `sh -c CMD` exits 0' },
  interval: { schema: duration.default(2000), arg: 'DURATION', help: 'time between checks (default: 2s)' },
  'check-timeout': { schema: duration.optional(), arg: 'DURATION', help: 'a check that takes longer fails (default: the interval)' },
  exec: { schema: z.boolean().default(false), arg: '', help: 'run `-- PROGRAM ARGS...` as a child; exit with its exit code' },
  drain: { schema: z.coerce.number().int().min(0).max(3600).default(DEFAULT_DRAIN_SECONDS), arg: 'SECONDS', help: `after SIGTERM the --exec program keeps serving this long, withdrawn, before it gets SIGTERM (default: ${DEFAULT_DRAIN_SECONDS})` },
  'log-level': { schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'), arg: 'LEVEL', help: 'log level' },
} satisfies Record<string, { schema: z.ZodType; arg: string; help: string }>;

type OptionName = keyof typeof registerOptions;
const schema = z
  .object(Object.fromEntries(Object.entries(registerOptions).map(([key, spec]) => [key, spec.schema])) as {
    [K in OptionName]: (typeof registerOptions)[K]['schema'];
  })
  .strict();
type Parsed = z.output<typeof schema>;

export interface RegisterSettings {
  service: string;
  port: number;
  address: string;
  tags: string[];
  format: EntryFormat;
  zookeeper?: { hosts: string; path: string; digestFile?: string };
  etcd?: { endpoints: string[]; prefix: string; user?: string; passwordFile?: string; ca?: string; cert?: string; key?: string };
  etcd2?: { endpoints: string[]; prefix: string };
  /** `address` undefined: Consul's own default, CONSUL_HTTP_ADDR or 127.0.0.1:8500. */
  consul?: { address?: string; tokenFile?: string; deregisterAfterMs: number; ca?: string; cert?: string; key?: string; serverName?: string };
  ttlSeconds: number;
  check?: CheckSpec;
  intervalMs: number;
  timeoutMs: number;
  /** The program and its arguments, with --exec. */
  exec?: string[];
  /** How long the program keeps serving after the registration is withdrawn on SIGTERM. */
  drainMs: number;
  logLevel: string;
}

type Problem = { key: string; message: string };

/**
 * Validates everything at once; a ConfigError lists every problem by flag (the CLI exits 2).
 * `flags` are commander's values by option name, `operands` what follows `--`.
 */
export function parseRegisterOptions(flags: Record<string, unknown>, operands: string[], defaultAddress = primaryAddress): RegisterSettings {
  const parsed = schema.safeParse(flags);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => ({ key: `--${String(issue.path[0] ?? 'register')}`, message: issue.message })));
  const options = parsed.data;
  const problems = combinationProblems(options, operands);
  const address = options.address === undefined ? defaultAddress() : normaliseHost(options.address);
  if (address === undefined) problems.push(addressProblem(options.address));
  if (problems.length > 0 || address === undefined) throw new ConfigError(problems);
  return settingsOf(options, operands, address);
}

function addressProblem(given: string | undefined): Problem {
  if (given === undefined) return { key: '--address', message: 'this host has no non-loopback IPv4 address: give --address' };
  return { key: '--address', message: `"${given}" is not an IP address or hostname` };
}

function combinationProblems(options: Parsed, operands: string[]): Problem[] {
  const problems: Problem[] = [];
  if (!options.zookeeper && !options.etcd && !options.etcd2 && !options.consul) {
    problems.push({ key: '--zookeeper, --etcd, --etcd2, --consul', message: 'give at least one registry to register in' });
  }
  const checks = (['check-http', 'check-tcp', 'check-cmd'] as const).filter((key) => options[key] !== undefined);
  if (checks.length > 1) problems.push({ key: `--${checks[1]}`, message: `only one check at a time (--${checks[0]} is given too)` });
  const timeout = options['check-timeout'];
  if (timeout !== undefined && timeout > options.interval) problems.push({ key: '--check-timeout', message: `must not exceed --interval (${options.interval} ms)` });
  if (options.consul && !checks.some((key) => key !== 'check-cmd') && options.interval >= options.ttl * 1000) {
    problems.push({ key: '--interval', message: `must be shorter than --ttl (${options.ttl} s): Consul's TTL check is renewed at every check` });
  }
  if (options.exec && operands.length === 0) problems.push({ key: '--exec', message: 'give the program after --, e.g. --exec -- ./server --port 5000' });
  if (!options.exec && operands.length > 0) problems.push({ key: '--exec', message: `"${operands.join(' ')}" given without --exec` });
  if (options['etcd-password-file'] && !options['etcd-user']) problems.push({ key: '--etcd-password-file', message: 'needs --etcd-user' });
  for (const key of ['etcd-cert', 'etcd-key'] as const) {
    if (options[key] && !options['etcd-ca']) problems.push({ key: `--${key}`, message: 'needs --etcd-ca' });
  }
  for (const key of ['consul-ca', 'consul-cert', 'consul-key', 'consul-tls-server-name'] as const) {
    if (options[key] && !options.consul) problems.push({ key: `--${key}`, message: 'needs --consul' });
  }
  return problems;
}

function settingsOf(options: Parsed, operands: string[], address: string): RegisterSettings {
  return {
    service: options.service,
    port: options.port,
    address,
    tags: options.tags,
    format: options.format,
    zookeeper: options.zookeeper ? { hosts: options.zookeeper, path: options['zk-path'], digestFile: options['zk-digest-file'] } : undefined,
    etcd: options.etcd
      ? {
          endpoints: options.etcd,
          prefix: options['etcd-prefix'],
          user: options['etcd-user'],
          passwordFile: options['etcd-password-file'],
          ca: options['etcd-ca'],
          cert: options['etcd-cert'],
          key: options['etcd-key'],
        }
      : undefined,
    etcd2: options.etcd2 ? { endpoints: options.etcd2, prefix: options['etcd2-prefix'] } : undefined,
    consul: options.consul
      ? {
          address: options.consul === true ? undefined : options.consul,
          tokenFile: options['consul-token-file'],
          deregisterAfterMs: options['consul-deregister-after'],
          ca: options['consul-ca'],
          cert: options['consul-cert'],
          key: options['consul-key'],
          serverName: options['consul-tls-server-name'],
        }
      : undefined,
    ttlSeconds: options.ttl,
    check: checkOf(options),
    intervalMs: options.interval,
    timeoutMs: options['check-timeout'] ?? options.interval,
    exec: options.exec ? operands : undefined,
    drainMs: options.drain * 1000,
    logLevel: options['log-level'],
  };
}

function checkOf(options: Parsed): CheckSpec | undefined {
  if (options['check-http']) return { kind: 'http', url: options['check-http'] };
  if (options['check-tcp']) return { kind: 'tcp', ...options['check-tcp'] };
  if (options['check-cmd']) return { kind: 'cmd', command: options['check-cmd'] };
  return undefined;
}
