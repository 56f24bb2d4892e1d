import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { formatEndpoint, type Endpoint } from '../forward/endpoint.js';
import { datacenterProblems } from './datacenters.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import { resolvConfNameservers } from './resolv-conf.js';
import { allFlags, envName, serveOptions, serveSchema, sourceFlags, type ServeSettings } from './schema.js';
import { sourceInstances } from './instances.js';
import type { InstanceConfig } from '../sources/index.js';

export interface Config extends ServeSettings {
  /** The upstreams actually used: --upstream, or resolv.conf's nameservers. */
  upstreams: Endpoint[];
  /** Every source instance: those of the flag shorthands first, then the `sources:` entries. */
  sources: InstanceConfig[];
}

export interface ConfigSources {
  /** Flags given on the command line, by option name. */
  flags: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  /** The YAML file from --config. */
  file?: string;
  resolvConf?: string;
}

/** The three places an option can come from, lowest precedence first. */
export interface Layers {
  file: Record<string, unknown>;
  env: Record<string, unknown>;
  flags: Record<string, unknown>;
}

/** Merges file < environment < flags over the defaults and validates everything at once. */
export function loadConfig(sources: ConfigSources): Config {
  const layers: Layers = { file: readConfigFile(sources.file), env: fromEnv(sources.env), flags: definedOnly(sources.flags) };
  const merged: Record<string, unknown> = { ...layers.file, ...layers.env, ...layers.flags };
  const core = Object.fromEntries(Object.entries(merged).filter(([key]) => !sourceFlags.has(key) && key !== 'sources'));
  const parsed = serveSchema.safeParse(core);
  const instances = sourceInstances(merged, layers, sources.file);
  if (!parsed.success) {
    throw new ConfigError([...parsed.error.issues.flatMap((issue) => describeIssue(issue, layers, sources.file)), ...instances.problems]);
  }
  const settings = parsed.data;
  const upstreams = settings.upstream ?? resolvConfNameservers(sources.resolvConf);
  const upstreamKey = settings.upstream ? keyOf('upstream', layers, sources.file) : `nameserver in ${sources.resolvConf ?? '/etc/resolv.conf'}`;
  const problems = [
    ...instances.problems,
    loopProblem(settings.listen, upstreams, upstreamKey),
    ...[...settings.zone].map(([zone, servers]) => loopProblem(settings.listen, servers, `${keyOf('zone', layers, sources.file)} ${zone}`)),
    ...transferProblems(settings, layers, sources.file),
    ...datacenterProblems(settings, instances.instances, (option) => keyOf(option, layers, sources.file)),
  ].filter((problem) => problem !== undefined);
  if (problems.length) throw new ConfigError(problems);
  return { ...settings, upstreams, sources: instances.instances };
}

/** Transfers need someone allowed to transfer, and the zone's versions in one process. */
function transferProblems(settings: ServeSettings, layers: Layers, file: string | undefined): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const transfers = settings['transfer-allow'].length > 0;
  if (!transfers && settings.notify.length) problems.push({ key: keyOf('notify', layers, file), message: 'secondaries to notify need --transfer-allow to transfer the zone' });
  if (transfers && settings.workers > 1) {
    problems.push({ key: keyOf('workers', layers, file), message: `zone transfers (--transfer-allow) are answered by one process: --workers ${settings.workers} must be 1 (or 0)` });
  }
  return problems;
}

/** One problem per bad option, named the way the user gave it, with the value that was refused. */
function describeIssue(issue: z.core.$ZodIssue, layers: Layers, file: string | undefined): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ key: `"${key}" in ${file ?? 'the config file'}`, message: 'unknown option' }));
  }
  const option = String(issue.path[0] ?? '');
  if (!(option in serveOptions)) return [{ key: option || 'config', message: issue.message }];
  const value = { ...layers.file, ...layers.env, ...layers.flags }[option];
  return [{ key: keyOf(option, layers, file), message: withValue(issue.message, value) }];
}

export function withValue(message: string, value: unknown): string {
  const shown = JSON.stringify(value);
  if (shown === undefined) return message;
  const text = String(value);
  // A message that already quotes the refused part of a list names it: the whole list would only repeat it.
  const quotesPart = [...message.matchAll(/"([^"]+)"/g)].some(([, part]) => text.includes(part));
  return quotesPart || message.includes(text) ? message : `${message} (got ${shown})`;
}

/** `--ttl`, `DNSBRIDGE_TTL` or `"ttl" in FILE`: where the value that counts came from. */
export function keyOf(option: string, layers: Layers, file: string | undefined): string {
  if (option in layers.flags) return `--${option}`;
  if (option in layers.env) return envName(option);
  if (option in layers.file) return `"${option}" in ${file}`;
  return `--${option}`;
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
  for (const key of allFlags.keys()) {
    const value = env[envName(key)];
    if (value !== undefined && value !== '') values[key] = value;
  }
  return values;
}

function definedOnly(flags: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
}

/** An upstream that is this server itself: every forwarded query would come back to us. */
function loopProblem(listen: Endpoint, upstreams: readonly Endpoint[], key: string): ConfigProblem | undefined {
  const loop = upstreams.find((u) => u.port === listen.port && isOwnAddress(listen.host, u.host.replace(/^::ffff:/, '')));
  if (!loop) return undefined;
  return {
    key,
    message: `${formatEndpoint(loop)} is this server itself (listening on ${formatEndpoint(listen)}): forwarding there would loop back to us`,
  };
}

function isOwnAddress(listenHost: string, host: string): boolean {
  // A wildcard IPv4 socket also receives what is sent to any 127/8 address.
  if (listenHost === '0.0.0.0' && isIP(host) === 4 && host.startsWith('127.')) return true;
  return ownAddresses(listenHost).has(host);
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
