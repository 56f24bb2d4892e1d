import { z } from 'zod';
import { isValidName } from '../dns/names.js';
import { parseEndpoint, parseServer, type Endpoint } from '../forward/endpoint.js';
import { checkKindOption, serviceChecksOption } from '../health/options.js';
import { parseCidr } from '../server/acl.js';

/** A list given as YAML sequence, or as one comma-separated string (flags, environment). */
const list = z.union([z.string(), z.array(z.union([z.string(), z.number()]))]).transform((value) =>
  (Array.isArray(value) ? value.map(String) : value.split(','))
    .map((item) => item.trim())
    .filter(Boolean),
);

function endpoint(defaultPort?: number) {
  return z.string().transform((text, ctx): Endpoint => {
    const parsed = parseEndpoint(text.trim(), defaultPort);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: parsed });
      return z.NEVER;
    }
    return parsed;
  });
}

/** DNS servers to forward to: addresses, not names. */
const dnsServers = list.pipe(
  z.array(
    z.string().transform((text, ctx): Endpoint => {
      const parsed = parseServer(text.trim());
      if (typeof parsed !== 'string') return parsed;
      ctx.addIssue({ code: 'custom', message: parsed });
      return z.NEVER;
    }),
  ),
);

const domainName = z
  .string()
  .transform((name) => name.trim().toLowerCase().replace(/\.$/, ''))
  .refine((name) => name !== '' && isValidName(name), { error: (issue) => `"${String(issue.input)}" is not a valid domain name` });

/** `--zone NAME=HOST:PORT[,HOST:PORT]`, repeatable; in YAML also a map of name to servers. */
const zones = z
  .union([z.record(z.string(), z.union([z.string(), z.array(z.string())])), list])
  .transform((value, ctx) => {
    const result = new Map<string, Endpoint[]>();
    const entries = Array.isArray(value)
      ? value.map((item) => item.split('=', 2) as [string, string?])
      : Object.entries(value).map(([name, servers]) => [name, [servers].flat().join(',')] as [string, string]);
    for (const [name, servers] of entries) {
      const zone = name.trim().toLowerCase().replace(/\.$/, '');
      if (!servers || !isValidName(zone)) {
        ctx.addIssue({ code: 'custom', message: `"${name}" is not NAME=HOST:PORT` });
        continue;
      }
      const parsed = servers.split(',').map((server) => parseServer(server.trim()));
      const bad = parsed.find((p) => typeof p === 'string');
      if (bad) ctx.addIssue({ code: 'custom', message: `zone ${zone}: ${bad}` });
      else result.set(zone, parsed as Endpoint[]);
    }
    return result;
  });

const cidrs = list.superRefine((items, ctx) => {
  for (const item of items) {
    const parsed = parseCidr(item);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  }
});

/** A whole number given as a number (YAML) or digits (flags, environment); '' is not 0. */
const integer = (min: number, max: number) =>
  z.unknown().transform((value, ctx) => {
    const number = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
    if (Number.isInteger(number) && number >= min && number <= max) return number;
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a whole number from ${min} to ${max}` });
    return z.NEVER;
  });
const templates = list.pipe(z.array(z.string().refine((t) => t.includes('{service}'), 'must contain {service}')));
const flag = z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]).transform((v) => v === true || v === 'true' || v === '1');

/**
 * Every `serve` option: the YAML key and the flag share a name; the environment variable is
 * DNSBRIDGE_ + the name in upper case with '_' for '-'. Secrets are not here: they come
 * only from the environment or files (see sources' READMEs).
 */
export const serveOptions = {
  listen: { schema: endpoint().prefault('127.0.0.1:1053'), arg: 'HOST:PORT', help: 'UDP and TCP address to answer on' },
  domain: { schema: domainName.default('service.local'), arg: 'NAME', help: 'our zone: <service>.<domain>' },
  file: { schema: z.string().min(1).optional(), arg: 'PATH', help: 'YAML registry file, reloaded when it changes' },
  upstream: { schema: dnsServers.optional(), arg: 'HOST:PORT,...', help: 'resolvers for other names (default: /etc/resolv.conf)' },
  zone: { schema: zones.default(new Map([['consul', [{ host: '127.0.0.1', port: 8600 }]]])), arg: 'NAME=HOST:PORT', help: 'forward a zone to its own servers (repeatable)', repeatable: true },
  ttl: { schema: integer(0, 86400).default(5), arg: 'SECONDS', help: 'TTL of our answers' },
  allow: { schema: cidrs.default(['127.0.0.0/8', '::1/128']), arg: 'CIDR,...', help: 'clients that may query; others get REFUSED' },
  http: { schema: endpoint().prefault('127.0.0.1:8053'), arg: 'HOST:PORT', help: 'metrics, health and status page' },
  'upstream-timeout': { schema: integer(100, 30_000).default(2000), arg: 'MS', help: 'one try at one upstream' },
  'rate-limit': { schema: integer(0, 1_000_000).default(0), arg: 'PER_SECOND', help: 'UDP answers per second per client /24 (IPv6 /56); 0 = unlimited' },
  'rate-limit-slip': { schema: integer(0, 10).default(2), arg: 'N', help: 'every Nth limited query gets an empty TC=1 answer (retry over TCP); 0 = drop all' },
  'cache-size': { schema: integer(100, 10_000_000).default(100_000), arg: 'ENTRIES', help: 'answers kept in memory' },
  zookeeper: { schema: z.string().min(1).optional(), arg: 'HOSTS[/CHROOT]', help: 'ZooKeeper connection string' },
  'zk-path': { schema: templates.default(['/{service}/providers']), arg: 'TEMPLATE', help: 'ZooKeeper provider path (repeatable)', repeatable: true },
  etcd: { schema: list.pipe(z.array(z.url())).optional(), arg: 'URL,...', help: 'etcd v3 endpoints' },
  'etcd-prefix': { schema: templates.default(['/{service}/providers/']), arg: 'TEMPLATE', help: 'etcd key prefix (repeatable)', repeatable: true },
  'etcd-user': { schema: z.string().min(1).optional(), arg: 'NAME', help: 'etcd user; password from DNSBRIDGE_ETCD_PASSWORD or --etcd-password-file' },
  'etcd-password-file': { schema: z.string().min(1).optional(), arg: 'PATH', help: 'file holding the etcd password' },
  'etcd-ca': { schema: z.string().min(1).optional(), arg: 'PATH', help: 'CA bundle for etcd TLS' },
  'etcd-cert': { schema: z.string().min(1).optional(), arg: 'PATH', help: 'client certificate for etcd TLS' },
  'etcd-key': { schema: z.string().min(1).optional(), arg: 'PATH', help: 'client key for etcd TLS' },
  etcd2: { schema: list.pipe(z.array(z.url())).optional(), arg: 'URL,...', help: 'etcd endpoints serving the v2 API (--enable-v2)' },
  'etcd2-prefix': { schema: templates.default(['/{service}/providers']), arg: 'TEMPLATE', help: 'etcd v2 directory (repeatable)', repeatable: true },
  'zk-digest-file': { schema: z.string().min(1).optional(), arg: 'PATH', help: 'file holding user:password for ZooKeeper digest auth (or DNSBRIDGE_ZK_DIGEST)' },
  'zk-session-timeout': { schema: integer(1000, 120_000).default(10_000), arg: 'MS', help: 'ZooKeeper session timeout asked for (the server may bound it)' },
  consul: { schema: z.url().optional(), arg: 'URL', help: 'Consul HTTP API, adds its passing instances' },
  'consul-token-file': { schema: z.string().min(1).optional(), arg: 'PATH', help: 'Consul ACL token file (or CONSUL_HTTP_TOKEN)' },
  preload: { schema: flag.default(false), arg: '', help: 'load every service a source lists at start and follow the listing; /readyz waits for it' },
  'health-check': { schema: checkKindOption.prefault('off'), arg: 'tcp|http:/PATH|off', help: "the bridge's own check of every queried service's providers" },
  'health-interval': { schema: integer(100, 3_600_000).default(5000), arg: 'MS', help: 'time between two checks of one provider' },
  'health-timeout': { schema: integer(10, 60_000).default(1000), arg: 'MS', help: 'a check with no outcome by then fails' },
  'health-rise': { schema: integer(1, 100).default(2), arg: 'N', help: 'passes in a row that bring a failing provider back' },
  'health-fall': { schema: integer(1, 100).default(3), arg: 'N', help: 'failures in a row that take a provider out of the answers' },
  'health-service': { schema: serviceChecksOption.default(new Map()), arg: 'SERVICE=CHECK', help: 'the check of one service, tcp|http:/PATH|off (repeatable); YAML: {check, interval, timeout, rise, fall}', repeatable: true },
  workers: { schema: integer(0, 64).default(0), arg: 'N', help: 'DNS worker processes sharing the sockets; 0 = one per core (up to 8), 1 = a single process' },
  'log-level': { schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'), arg: 'LEVEL', help: 'log level' },
  'query-log': { schema: flag.default(false), arg: '', help: 'log every query' },
} satisfies Record<string, { schema: z.ZodType; arg: string; help: string; repeatable?: boolean }>;

export type ServeOptionName = keyof typeof serveOptions;

export const serveSchema = z
  .object(Object.fromEntries(Object.entries(serveOptions).map(([key, spec]) => [key, spec.schema])) as {
    [K in ServeOptionName]: (typeof serveOptions)[K]['schema'];
  })
  .strict();

export type ServeSettings = z.output<typeof serveSchema>;

export function envName(key: string): string {
  return `DNSBRIDGE_${key.toUpperCase().replace(/-/g, '_')}`;
}

/** An option named all the ways it can be given, for a problem found after the options merged. */
export function optionLabel(key: string): string {
  return `--${key} (${envName(key)}, "${key}" in the config file)`;
}
