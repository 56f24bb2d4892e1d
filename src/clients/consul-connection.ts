import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../config/errors.js';
import { normaliseHost } from '../registry/fields.js';
import { readConfiguredFile } from '../util/secret.js';

/**
 * Where Consul is and how to reach it, found as Consul's own CLI and API client find it
 * (api/api.go `defaultConfig`, `NewClient`, `SetupTLSConfig`): an address in any of the forms
 * `CONSUL_HTTP_ADDR` takes, `CONSUL_HTTP_SSL`, and the TLS files of `CONSUL_CACERT`,
 * `CONSUL_CLIENT_CERT`, `CONSUL_CLIENT_KEY` and `CONSUL_TLS_SERVER_NAME`. What the configuration
 * gives (a flag, a YAML key) beats the environment, as Consul's flags do. Pure but for reading
 * the files; loads no registry library, so a configuration check stays fast.
 */

/** Consul's own default address (api/api.go `defaultConfig`). */
export const CONSUL_DEFAULT_ADDRESS = '127.0.0.1:8500';

/** A value the configuration gave, and its name for messages (`--consul-ca`, `"sources[0].ca" in FILE`). */
export interface GivenValue {
  value: string;
  key: string;
}

/** What the configuration says; each one left out falls back to Consul's environment variable. */
export interface ConsulGiven {
  address?: GivenValue;
  ca?: GivenValue;
  cert?: GivenValue;
  key?: GivenValue;
  serverName?: GivenValue;
}

export interface ConsulTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Checked against the agent's certificate instead of the host (and sent as SNI). */
  servername?: string;
}

/** A Consul agent to talk to: its address in canonical form (`ConsulClient` parses it) and TLS. */
export interface ConsulEndpoint {
  /** `http://HOST:PORT[/prefix]`, `https://HOST:PORT[/prefix]` or `unix://PATH`. */
  url: string;
  tls?: ConsulTls;
}

/** An address taken apart: what a request needs. */
export interface ConsulTarget {
  protocol: 'http:' | 'https:';
  hostname?: string;
  port?: number;
  socketPath?: string;
  /** A reverse proxy's path before `/v1/...` (api/api.go `PathPrefix`); '' for none. */
  pathPrefix: string;
  /** As logs and status show it: canonical, without user:password. */
  display: string;
}

/** The environment variables, as Consul names them (api/api.go). */
const ENV = {
  address: 'CONSUL_HTTP_ADDR',
  ssl: 'CONSUL_HTTP_SSL',
  ca: 'CONSUL_CACERT',
  cert: 'CONSUL_CLIENT_CERT',
  key: 'CONSUL_CLIENT_KEY',
  serverName: 'CONSUL_TLS_SERVER_NAME',
} as const;

/** Resolves address, scheme and TLS files; a bad value is a ConfigError naming its option or variable. */
export function consulEndpoint(given: ConsulGiven, env: NodeJS.ProcessEnv): ConsulEndpoint {
  const address = given.address ?? fromEnv(env, ENV.address) ?? { value: CONSUL_DEFAULT_ADDRESS, key: ENV.address };
  const target = parseConsulAddress(address.value, sslRequested(env));
  if (typeof target === 'string') throw problem(address.key, target);
  const tls = tlsOf(given, env, target);
  return { url: target.display, ...(tls ? { tls } : {}) };
}

/**
 * api/api.go `NewClient`: `unix://PATH` is a socket; `https://` is TLS; `http://` and a
 * scheme-less `HOST:PORT` are TLS only when `CONSUL_HTTP_SSL` asks for it ("never revert to
 * http if TLS was explicitly requested"); any other scheme is refused. A path after the host is
 * a reverse proxy's prefix. The port defaults to 8500 (8501 with TLS). A message when unusable.
 */
export function parseConsulAddress(text: string, ssl = false): ConsulTarget | string {
  const address = text.trim();
  const split = address.indexOf('://');
  const scheme = split < 0 ? undefined : address.slice(0, split).toLowerCase();
  const rest = split < 0 ? address : address.slice(split + 3);
  if (scheme === 'unix') {
    if (!rest) return `"${text}" names no socket: unix:///path/to/consul.sock`;
    return { protocol: 'http:', socketPath: rest, pathPrefix: '', display: `unix://${rest}` };
  }
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') return `"${scheme}" is not a scheme Consul takes: http, https or unix`;
  const protocol = scheme === 'https' || ssl ? 'https:' : 'http:';
  const slash = rest.indexOf('/');
  const authority = (slash < 0 ? rest : rest.slice(0, slash)).replace(/^.*@/, '');
  const prefix = slash < 0 ? '' : rest.slice(slash).replace(/\/+$/, '');
  if (/[?#\s]/.test(prefix)) return `"${text}" has a query, fragment or space after the host`;
  const hostPort = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(authority) ?? /^([^:[\]]+)(?::(\d{1,5}))?$/.exec(authority);
  const hostname = hostPort ? normaliseHost(hostPort[1]) : undefined;
  if (!hostPort || hostname === undefined) return `"${text}" is not HOST[:PORT], http(s)://HOST[:PORT] or unix:///PATH`;
  const port = Number(hostPort[2] ?? (protocol === 'https:' ? 8501 : 8500));
  if (port < 1 || port > 65535) return `port ${hostPort[2]} in "${text}" is not 1-65535`;
  const host = isIP(hostname) === 6 ? `[${hostname}]` : hostname;
  return { protocol, hostname, port, pathPrefix: prefix, display: `${protocol}//${host}:${port}${prefix}` };
}

/** `CONSUL_HTTP_SSL` as Go's strconv.ParseBool reads it (api/api.go); anything else is refused. */
function sslRequested(env: NodeJS.ProcessEnv): boolean {
  const text = env[ENV.ssl]?.trim();
  if (!text) return false;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw problem(ENV.ssl, `"${text}" is not true or false`);
}

/**
 * The CA bundle, client certificate and key, and server name: each from the configuration, else
 * from Consul's variable. Files the configuration names are refused with a plain http or unix
 * address (they would do nothing); the variables are then ignored, as Consul's client does.
 */
function tlsOf(given: ConsulGiven, env: NodeJS.ProcessEnv, target: ConsulTarget): ConsulTls | undefined {
  if (target.protocol !== 'https:') {
    const misplaced = [given.ca, given.cert, given.key, given.serverName].find((value) => value !== undefined);
    if (misplaced) throw problem(misplaced.key, `is used only with an https address (https://…, or CONSUL_HTTP_SSL=true); ${target.display} is not one`);
    return undefined;
  }
  const ca = given.ca ?? fromEnv(env, ENV.ca);
  const cert = given.cert ?? fromEnv(env, ENV.cert);
  const key = given.key ?? fromEnv(env, ENV.key);
  const serverName = given.serverName ?? fromEnv(env, ENV.serverName);
  // api/api.go SetupTLSConfig: "both client cert and client key must be provided".
  if (Boolean(cert) !== Boolean(key)) throw problem((cert ?? key)!.key, `needs the client ${cert ? 'key' : 'certificate'} too (${cert ? `the key option or ${ENV.key}` : `the cert option or ${ENV.cert}`})`);
  const tls: ConsulTls = {};
  if (ca) tls.ca = caBundle(ca);
  if (cert && key) Object.assign(tls, keyPair(cert, key));
  if (serverName) tls.servername = serverName.value.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return Object.keys(tls).length ? tls : undefined;
}

function caBundle(ca: GivenValue): Buffer {
  const pem = readConfiguredFile(ca.value, ca.key, 'the Consul CA bundle');
  try {
    new X509Certificate(pem);
  } catch {
    throw problem(ca.key, `${ca.value} holds no PEM certificate`);
  }
  return pem;
}

function keyPair(cert: GivenValue, key: GivenValue): { cert: Buffer; key: Buffer } {
  const pair = { cert: readConfiguredFile(cert.value, cert.key, 'the Consul client certificate'), key: readConfiguredFile(key.value, key.key, 'the Consul client key') };
  try {
    createSecureContext(pair);
  } catch (error) {
    throw problem(`${cert.key}, ${key.key}`, `${cert.value} and ${key.value} are not a certificate and its key: ${(error as Error).message}`);
  }
  return pair;
}

function fromEnv(env: NodeJS.ProcessEnv, variable: string): GivenValue | undefined {
  const value = env[variable]?.trim();
  return value ? { value, key: variable } : undefined;
}

function problem(key: string, message: string): ConfigError {
  return new ConfigError([{ key, message }]);
}
