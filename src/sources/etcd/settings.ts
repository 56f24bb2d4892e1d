import type { Config } from '../../config/load.js';
import { ConfigError } from '../../config/errors.js';
import { optionLabel } from '../../config/schema.js';
import { etcdPassword, readConfiguredFile } from '../../util/secret.js';

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
  const password = etcdPassword({ path: file, key: optionLabel('etcd-password-file') }, env);
  if (!password) throw problem('--etcd-user', 'needs a password in DNSBRIDGE_ETCD_PASSWORD_FILE, DNSBRIDGE_ETCD_PASSWORD or --etcd-password-file');
  return { username, password };
}

function tlsOf(config: Config): EtcdSettings['tls'] {
  const [ca, cert, key] = [config['etcd-ca'], config['etcd-cert'], config['etcd-key']];
  if (!ca && !cert && !key) return undefined;
  if (!ca) throw problem('--etcd-ca', 'is needed with --etcd-cert and --etcd-key');
  if (Boolean(cert) !== Boolean(key)) throw problem(cert ? '--etcd-key' : '--etcd-cert', 'must be given with the other one');
  return {
    ca: readConfiguredFile(ca, '--etcd-ca'),
    ...(cert && key ? { cert: readConfiguredFile(cert, '--etcd-cert'), key: readConfiguredFile(key, '--etcd-key') } : {}),
  };
}

function problem(option: string, message: string): ConfigError {
  return new ConfigError([{ key: option, message }]);
}
