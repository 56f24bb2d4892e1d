import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/errors.js';

/** A `--*-file` option's value (undefined when not given) and its name for messages. */
export interface SecretFile {
  path: string | undefined;
  key: string;
}

/** Where one secret may come from; every field but `what` may be left out. */
export interface SecretPlaces {
  /** What the secret is, for messages: "the etcd password". */
  what: string;
  /**
   * The file the configuration names through a `--*-file` option (a flag, or the option's
   * DNSBRIDGE_* variable or config file key), and that option's name for messages.
   */
  file?: SecretFile;
  /** An environment variable naming a file: DNSBRIDGE_ETCD_PASSWORD_FILE, CONSUL_HTTP_TOKEN_FILE. */
  fileVariable?: string;
  /** An environment variable holding the secret itself: DNSBRIDGE_ETCD_PASSWORD, CONSUL_HTTP_TOKEN. */
  variable?: string;
  /** What is wrong with the secret's form, if anything; the message must not repeat the secret. */
  check?: (secret: string) => string | undefined;
}

/**
 * The one rule for every secret, as Consul's CLI reads its token (api/api.go): a file named
 * by the configuration beats a `*_FILE` variable, which beats the plain variable; a file is
 * read whole and trimmed. Never a flag's value: flags show in `ps`. A file that cannot be
 * read, or holds nothing, is a configuration error naming the option or variable, never
 * quietly no secret. Undefined when none of the places is set.
 */
export function readSecret(places: SecretPlaces, env: NodeJS.ProcessEnv): string | undefined {
  const found = findSecret(places, env);
  if (!found) return undefined;
  const problem = places.check?.(found.secret);
  if (problem) throw new ConfigError([{ key: found.key, message: problem }]);
  return found.secret;
}

function findSecret(places: SecretPlaces, env: NodeJS.ProcessEnv): { secret: string; key: string } | undefined {
  const { file, fileVariable, variable, what } = places;
  if (file?.path) return { secret: readSecretFile(file.path, file.key, what), key: file.key };
  const named = fileVariable ? env[fileVariable] : undefined;
  if (named && fileVariable) return { secret: readSecretFile(named, fileVariable, what), key: fileVariable };
  const secret = variable ? env[variable]?.trim() : undefined;
  return secret && variable ? { secret, key: variable } : undefined;
}

/** A file the configuration names (a secret, a TLS file); unreadable is a configuration error naming `key`. */
export function readConfiguredFile(path: string, key: string, what?: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError([{ key, message: `cannot read ${what ? `${what} from ` : ''}${path}: ${(error as Error).message}` }]);
  }
}

function readSecretFile(path: string, key: string, what: string): string {
  const secret = readConfiguredFile(path, key, what).toString('utf8').trim();
  if (!secret) throw new ConfigError([{ key, message: `${path} is empty: it must hold ${what}` }]);
  return secret;
}

/*
 * Every secret the bridge reads, each under the one rule above. Documented in the README's
 * "Secrets" section. This module loads no registry library, so a configuration check stays fast.
 */

/** `user:password` for ZooKeeper digest authentication. */
export function zooKeeperDigest(file: SecretFile, env: NodeJS.ProcessEnv): string | undefined {
  return readSecret(
    {
      what: 'the ZooKeeper digest',
      file,
      fileVariable: 'DNSBRIDGE_ZK_DIGEST_FILE',
      variable: 'DNSBRIDGE_ZK_DIGEST',
      check: (digest) => (/^[^:]+:.+$/.test(digest) ? undefined : 'the ZooKeeper digest must be user:password'),
    },
    env,
  );
}

/** The password of the etcd user. */
export function etcdPassword(file: SecretFile, env: NodeJS.ProcessEnv): string | undefined {
  return readSecret({ what: 'the etcd password', file, fileVariable: 'DNSBRIDGE_ETCD_PASSWORD_FILE', variable: 'DNSBRIDGE_ETCD_PASSWORD' }, env);
}

/** The Consul ACL token, found as Consul's own tools find it. */
export function consulToken(file: SecretFile, env: NodeJS.ProcessEnv): string | undefined {
  return readSecret({ what: 'the Consul ACL token', file, fileVariable: 'CONSUL_HTTP_TOKEN_FILE', variable: 'CONSUL_HTTP_TOKEN' }, env);
}
