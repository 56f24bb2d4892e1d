import { z } from 'zod';
import { ConfigError } from '../../config/errors.js';
import { filePath, list, templates } from '../../config/values.js';
import { etcdPassword, readConfiguredFile } from '../../util/secret.js';
import { defineKind, type InstanceContext } from '../kind.js';

/** A `sources:` entry of kind `etcd`, and the `--etcd`, `--etcd-*` shorthand. */
export interface EtcdOptions {
  endpoints: string[];
  prefixes: string[];
  user?: string;
  'password-file'?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

/** What the etcd source needs from the configuration, with secrets and TLS files already read. */
export interface EtcdSettings {
  endpoints: string[];
  templates: string[];
  auth?: { username: string; password: string };
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
}

export const etcdKind = defineKind<EtcdOptions, EtcdSettings>({
  kind: 'etcd',
  main: 'endpoints',
  options: {
    endpoints: { schema: list.pipe(z.array(z.url()).min(1)), flag: 'etcd', arg: 'URL,...', help: 'etcd v3 endpoints' },
    prefixes: { schema: templates.default(['/{service}/providers/']), flag: 'etcd-prefix', arg: 'TEMPLATE', help: 'etcd key prefix (repeatable)', repeatable: true },
    user: { schema: z.string().min(1).optional(), flag: 'etcd-user', arg: 'NAME', help: 'etcd user; password from --etcd-password-file, DNSBRIDGE_ETCD_PASSWORD_FILE or DNSBRIDGE_ETCD_PASSWORD' },
    'password-file': { schema: filePath.optional(), flag: 'etcd-password-file', arg: 'PATH', help: 'file holding the etcd password' },
    ca: { schema: filePath.optional(), flag: 'etcd-ca', arg: 'PATH', help: 'CA bundle for etcd TLS' },
    cert: { schema: filePath.optional(), flag: 'etcd-cert', arg: 'PATH', help: 'client certificate for etcd TLS' },
    key: { schema: filePath.optional(), flag: 'etcd-key', arg: 'PATH', help: 'client key for etcd TLS' },
  },
  restartOn: ['endpoints', 'prefixes', 'user', 'password-file', 'ca', 'cert', 'key'],
  settings: (options, context) => ({
    endpoints: options.endpoints,
    templates: [...new Set(options.prefixes)],
    auth: authOf(options, context),
    tls: tlsOf(options, context),
  }),
  async create(settings, { log }) {
    const { EtcdSource } = await import('./source.js');
    return new EtcdSource(settings, log);
  },
});

/** Secrets only from the environment or files, never from flags. */
function authOf(options: EtcdOptions, { env, keyOf }: InstanceContext): EtcdSettings['auth'] {
  const username = options.user;
  const file = options['password-file'];
  if (!username) {
    if (file) throw problem(keyOf('password-file'), `is given without ${keyOf('user')}`);
    return undefined;
  }
  const password = etcdPassword({ path: file, key: keyOf('password-file') }, env);
  if (!password) throw problem(keyOf('user'), `needs a password in DNSBRIDGE_ETCD_PASSWORD_FILE, DNSBRIDGE_ETCD_PASSWORD or ${keyOf('password-file')}`);
  return { username, password };
}

function tlsOf(options: EtcdOptions, { keyOf }: InstanceContext): EtcdSettings['tls'] {
  const { ca, cert, key } = options;
  if (!ca && !cert && !key) return undefined;
  if (!ca) throw problem(keyOf('ca'), `is needed with ${keyOf('cert')} and ${keyOf('key')}`);
  if (Boolean(cert) !== Boolean(key)) throw problem(keyOf(cert ? 'key' : 'cert'), 'must be given with the other one');
  return {
    ca: readConfiguredFile(ca, keyOf('ca')),
    ...(cert && key ? { cert: readConfiguredFile(cert, keyOf('cert')), key: readConfiguredFile(key, keyOf('key')) } : {}),
  };
}

function problem(option: string, message: string): ConfigError {
  return new ConfigError([{ key: option, message }]);
}
