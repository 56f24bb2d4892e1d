import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/errors.js';

export interface SecretSource {
  /** The file flag's value and name, e.g. --consul-token-file. */
  file: string | undefined;
  fileFlag: string;
  variable: string;
  /** An environment variable naming a file, as CONSUL_HTTP_TOKEN_FILE. */
  fileVariable?: string;
}

/**
 * A secret from a file (its first line) or the environment, never from a flag, which every
 * user of the machine can read in `ps`. The file flag wins, then the variable, then the file variable.
 */
export function readSecret(source: SecretSource, env: NodeJS.ProcessEnv): string | undefined {
  if (source.file !== undefined) return firstLine(source.file, source.fileFlag);
  if (env[source.variable]) return env[source.variable];
  const { fileVariable } = source;
  const path = fileVariable ? env[fileVariable] : undefined;
  return path && fileVariable ? firstLine(path, fileVariable) : undefined;
}

/** A file the configuration names (a secret, a TLS file); unreadable is a configuration error naming the flag. */
export function readConfiguredFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError([{ key: flag, message: `cannot read ${path}: ${(error as Error).message}` }]);
  }
}

function firstLine(path: string, flag: string): string {
  return readConfiguredFile(path, flag).toString('utf8').split('\n')[0].trim();
}
