import { readFileSync } from 'node:fs';
import type { Config } from '../../config/load.js';
import { ConfigError } from '../../config/errors.js';

/** Where the etcd password may come from besides --etcd-password-file. */
export const PASSWORD_ENV = 'DNSBRIDGE_ETCD_PASSWORD';

/** What the etcd source needs from the configuration, with secrets and TLS files already read. */
export interface EtcdSettings {
  endpoints: string[];
  templates: string[];
  auth?: { username: string; password: string };
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
}

/** Reads the etcd options; secrets only from the environment or files, never from flags. */
export function etcdSettings(config: Config, env: NodeJS.ProcessEnv): EtcdSettings {
  return {
    endpoints: config.etcd ?? [],
    templates: [...new Set(config['etcd-prefix'])],
    auth: authOf(config, env),
    tls: tlsOf(config),
  };
}

function authOf(config: Config, env: NodeJS.ProcessEnv): EtcdSettings['auth'] {
  const username = config['etcd-user'];
  const file = config['etcd-password-file'];
  if (!username) {
    if (file) throw problem('--etcd-password-file', 'is given without --etcd-user');
    return undefined;
  }
  const password = env[PASSWORD_ENV] ?? (file ? readSecret('--etcd-password-file', file) : undefined);
  if (!password) throw problem('--etcd-user', `needs a password in ${PASSWORD_ENV} or --etcd-password-file`);
  return { username, password };
}

function tlsOf(config: Config): EtcdSettings['tls'] {
  const [ca, cert, key] = [config['etcd-ca'], config['etcd-cert'], config['etcd-key']];
  if (!ca && !cert && !key) return undefined;
  if (!ca) throw problem('--etcd-ca', 'is needed with --etcd-cert and --etcd-key');
  if (Boolean(cert) !== Boolean(key)) throw problem(cert ? '--etcd-key' : '--etcd-cert', 'must be given with the other one');
  return {
    ca: readFile('--etcd-ca', ca),
    ...(cert && key ? { cert: readFile('--etcd-cert', cert), key: readFile('--etcd-key', key) } : {}),
  };
}

/** A secret file's first line: editors and `echo` add a newline that is not part of it. */
function readSecret(option: string, path: string): string {
  return readFile(option, path).toString('utf8').split(/\r?\n/)[0];
}

function readFile(option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw problem(option, `cannot read ${path}: ${(error as Error).message}`);
  }
}

function problem(option: string, message: string): ConfigError {
  return new ConfigError([{ key: option, message }]);
}
