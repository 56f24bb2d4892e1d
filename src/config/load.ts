import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { parse as parseYaml } from 'yaml';
import type { Endpoint } from '../forward/endpoint.js';
import { ConfigError } from './errors.js';
import { resolvConfNameservers } from './resolv-conf.js';
import { envName, serveOptions, serveSchema, type ServeSettings } from './schema.js';

export interface Config extends ServeSettings {
  /** The upstreams actually used: --upstream, or resolv.conf's nameservers. */
  upstreams: Endpoint[];
}

export interface ConfigSources {
  /** Flags given on the command line, by option name. */
  flags: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  /** The YAML file from --config. */
  file?: string;
  resolvConf?: string;
}

/** Merges file < environment < flags over the defaults and validates everything at once. */
export function loadConfig(sources: ConfigSources): Config {
  const merged = { ...readConfigFile(sources.file), ...fromEnv(sources.env), ...definedOnly(sources.flags) };
  const parsed = serveSchema.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        if (issue.code === 'unrecognized_keys') return { key: 'config file', message: `unknown option "${issue.keys.join('", "')}"` };
        const key = String(issue.path[0] ?? 'config');
        const known = key in serveOptions;
        const message = issue.message;
        return { key: known ? describeKey(key) : key, message };
      }),
    );
  }
  const settings = parsed.data;
  const upstreams = settings.upstream ?? resolvConfNameservers(sources.resolvConf);
  checkForLoop(settings.listen, upstreams, settings.upstream ? '--upstream' : `nameserver in ${sources.resolvConf ?? '/etc/resolv.conf'}`);
  for (const [zone, servers] of settings.zone) checkForLoop(settings.listen, servers, `--zone ${zone}`);
  return { ...settings, upstreams };
}

function describeKey(key: string): string {
  return `--${key} (${envName(key)}, "${key}" in the config file)`;
}

function readConfigFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([{ key: '--config', message: `cannot read ${path}: ${(error as Error).message}` }]);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new ConfigError([{ key: '--config', message: `${path} is not valid YAML: ${(error as Error).message}` }]);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([{ key: '--config', message: `${path} must be a YAML map of option names to values` }]);
  }
  return data as Record<string, unknown>;
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(serveOptions)) {
    const value = env[envName(key)];
    if (value !== undefined && value !== '') values[key] = value;
  }
  return values;
}

function definedOnly(flags: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
}

/** Refuses upstreams that are this server itself: every forwarded query would come back to us. */
function checkForLoop(listen: Endpoint, upstreams: readonly Endpoint[], where: string): void {
  const ours = ownAddresses(listen.host);
  const loop = upstreams.find((u) => u.port === listen.port && ours.has(u.host.replace(/^::ffff:/, '')));
  if (loop) {
    throw new ConfigError([
      {
        key: where.startsWith('--') ? describeKey(where.split(' ')[0].slice(2)) : '--upstream',
        message: `${loop.host}:${loop.port} (${where}) is this server itself (listening on ${listen.host}:${listen.port}): forwarding would loop; give --upstream other resolvers`,
      },
    ]);
  }
}

function ownAddresses(listenHost: string): Set<string> {
  const wildcard = listenHost === '0.0.0.0' || listenHost === '::';
  if (!wildcard) return new Set([listenHost, ...(listenHost === '127.0.0.1' || listenHost === '::1' ? ['localhost'] : [])]);
  const all = Object.values(networkInterfaces())
    .flat()
    .map((info) => info?.address)
    .filter((address): address is string => Boolean(address));
  return new Set([...all, 'localhost', '0.0.0.0', '::', '127.0.0.1', '::1']);
}
