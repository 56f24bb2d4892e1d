import { z } from 'zod';
import { isValidName } from '../dns/names.js';
import { parseEndpoint, parseServer, type Endpoint } from '../forward/endpoint.js';
import { checkKindOption, serviceChecksOption } from '../health/options.js';
import { parseCidr } from '../server/acl.js';
import type { ClientDatacenter } from '../zone/datacenters.js';
import { kinds } from '../sources/index.js';
import type { SourceKind } from '../sources/kind.js';
import { flag, integer, list } from './values.js';

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

/** An instance name or datacenter label: one DNS label, as it may appear in names and metrics labels. */
export const label = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/i, 'must be letters, digits, - and _ (one DNS label)');

/** A datacenter named on the command line: one label, lowercased as names are matched. */
const datacenterName = z
  .string()
  .transform((name) => name.trim().toLowerCase())
  .pipe(label);

/** `--client-datacenter CIDR=NAME` (repeatable); in YAML a list of `CIDR=NAME`. */
const clientDatacenters = list.transform((items, ctx) => {
  const result: ClientDatacenter[] = [];
  for (const item of items) {
    const [cidr, name, extra] = item.split('=');
    const parsed = name === undefined || extra !== undefined ? `"${item}" is not CIDR=NAME` : parseCidr(cidr.trim());
    const datacenter = datacenterName.safeParse(name ?? '');
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
    else if (!datacenter.success) ctx.addIssue({ code: 'custom', message: `"${item}": the datacenter ${datacenter.error.issues[0].message}` });
    else result.push({ ...parsed, datacenter: datacenter.data });
  }
  return result;
});

const cidrs = list.superRefine((items, ctx) => {
  for (const item of items) {
    const parsed = parseCidr(item);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  }
});

interface OptionSpec {
  schema: z.ZodType;
  arg: string;
  help: string;
  repeatable?: boolean;
}

/**
 * Every `serve` option but the sources': the YAML key and the flag share a name; the
 * environment variable is DNSBRIDGE_ + the name in upper case with '_' for '-'. Secrets are
 * not here: they come only from the environment or files (see sources' READMEs).
 */
export const serveOptions = {
  listen: { schema: endpoint().prefault('127.0.0.1:1053'), arg: 'HOST:PORT', help: 'UDP and TCP address to answer on' },
  domain: { schema: domainName.default('service.local'), arg: 'NAME', help: 'our zone: <service>.<domain>' },
  upstream: { schema: dnsServers.optional(), arg: 'HOST:PORT,...', help: 'resolvers for other names (default: /etc/resolv.conf)' },
  zone: { schema: zones.default(new Map([['consul', [{ host: '127.0.0.1', port: 8600 }]]])), arg: 'NAME=HOST:PORT', help: 'forward a zone to its own servers (repeatable)', repeatable: true },
  ttl: { schema: integer(0, 86400).default(5), arg: 'SECONDS', help: 'TTL of our answers' },
  allow: { schema: cidrs.default(['127.0.0.0/8', '::1/128']), arg: 'CIDR,...', help: 'clients that may query; others get REFUSED' },
  http: { schema: endpoint().prefault('127.0.0.1:8053'), arg: 'HOST:PORT', help: 'metrics, health and status page' },
  'upstream-timeout': { schema: integer(100, 30_000).default(2000), arg: 'MS', help: 'one try at one upstream' },
  'rate-limit': { schema: integer(0, 1_000_000).default(0), arg: 'PER_SECOND', help: 'UDP answers per second per client /24 (IPv6 /56); 0 = unlimited' },
  'rate-limit-slip': { schema: integer(0, 10).default(2), arg: 'N', help: 'every Nth limited query gets an empty TC=1 answer (retry over TCP); 0 = drop all' },
  'max-answers': { schema: integer(0, 1000).default(0), arg: 'N', help: 'most addresses in an A/AAAA answer, chosen per client /24 (IPv6 /56) by weight; 0 = all' },
  'cache-size': { schema: integer(100, 10_000_000).default(100_000), arg: 'ENTRIES', help: 'answers kept in memory' },
  'transfer-allow': { schema: cidrs.default([]), arg: 'CIDR,...', help: 'secondaries that may transfer the zone (AXFR/IXFR); nobody by default' },
  notify: { schema: dnsServers.default([]), arg: 'HOST:PORT,...', help: 'secondaries sent a NOTIFY on every change of the zone' },
  'tsig-key-file': { schema: z.string().min(1).optional(), arg: 'PATH', help: 'TSIG key (BIND format, hmac-sha256) every transfer and NOTIFY is signed with' },
  preload: { schema: flag.default(false), arg: '', help: 'load every service a source lists at start and follow the listing; /readyz waits for it' },
  'health-check': { schema: checkKindOption.prefault('off'), arg: 'tcp|http:/PATH|off', help: "the bridge's own check of every queried service's providers" },
  'health-interval': { schema: integer(100, 3_600_000).default(5000), arg: 'MS', help: 'time between two checks of one provider' },
  'health-timeout': { schema: integer(10, 60_000).default(1000), arg: 'MS', help: 'a check with no outcome by then fails' },
  'health-rise': { schema: integer(1, 100).default(2), arg: 'N', help: 'passes in a row that bring a failing provider back' },
  'health-fall': { schema: integer(1, 100).default(3), arg: 'N', help: 'failures in a row that take a provider out of the answers' },
  'health-service': { schema: serviceChecksOption.default(new Map()), arg: 'SERVICE=CHECK', help: 'the check of one service, tcp|http:/PATH|off (repeatable); YAML: {check, interval, timeout, rise, fall}', repeatable: true },
  datacenter: { schema: datacenterName.optional(), arg: 'NAME', help: "this bridge's datacenter: <service>.<domain> answers its providers first" },
  failover: { schema: list.pipe(z.array(datacenterName)).default([]), arg: 'DC,...', help: 'datacenters answered, in this order, when the own one has no healthy provider' },
  'srv-failover-priority': { schema: integer(0, 65535).default(0), arg: 'N', help: "SRV answers also carry the failover datacenters' providers at priority + N per step; 0 = off" },
  'client-datacenter': { schema: clientDatacenters.default([]), arg: 'CIDR=NAME', help: 'clients in CIDR are answered from datacenter NAME first (repeatable)', repeatable: true },
  workers: { schema: integer(0, 64).default(0), arg: 'N', help: 'DNS worker processes sharing the sockets; 0 = one per core (up to 8), 1 = a single process' },
  'log-level': { schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'), arg: 'LEVEL', help: 'log level' },
  'query-log': { schema: flag.default(false), arg: '', help: 'log every query' },
} satisfies Record<string, OptionSpec>;

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

/**
 * The sources' shorthand flags (`--zookeeper`, `--zk-path`, `--etcd`, ...), each one option of
 * its kind's single flag-made instance. They are also top-level YAML keys and DNSBRIDGE_ variables.
 */
export const sourceFlags: ReadonlyMap<string, { kind: SourceKind; option: string } & OptionSpec> = new Map(
  kinds.flatMap((kind) => Object.entries(kind.options).map(([option, spec]) => [spec.flag, { ...spec, kind, option }] as const)),
);

/** Every flag `serve`, `check` and `doctor` take, by name. */
export const allFlags: ReadonlyMap<string, OptionSpec> = new Map<string, OptionSpec>([...Object.entries(serveOptions), ...sourceFlags]);

/** A kind's options as one object, defaults filled in. */
export function kindSchema(kind: SourceKind): z.ZodObject {
  return z.object(Object.fromEntries(Object.entries(kind.options).map(([option, spec]) => [option, spec.schema])));
}

