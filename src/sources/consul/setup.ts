import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { ConfigError } from '../../config/errors.js';
import { createConsulCatalog } from './client.js';
import { ConsulSource } from './source.js';

/** The Consul source a configuration asks for, with its ACL token. */
export function consulSource(url: string, tokenFile: string | undefined, log: Logger, env: NodeJS.ProcessEnv = process.env): ConsulSource {
  const source = new ConsulSource(createConsulCatalog(url, consulToken(tokenFile, env)), log.child({ source: 'consul' }));
  log.info({ consul: url }, 'consul catalog source: following the passing instances of queried services');
  return source;
}

/**
 * The ACL token, as Consul's own tools find it: a token file (`--consul-token-file`, else
 * CONSUL_HTTP_TOKEN_FILE) wins over CONSUL_HTTP_TOKEN. Never a flag: flags show in `ps`.
 */
export function consulToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const file = tokenFile ?? nonEmpty(env.CONSUL_HTTP_TOKEN_FILE);
  if (!file) return nonEmpty(env.CONSUL_HTTP_TOKEN);
  try {
    return nonEmpty(readFileSync(file, 'utf8').trim());
  } catch (error) {
    const key = tokenFile ? '--consul-token-file' : 'CONSUL_HTTP_TOKEN_FILE';
    throw new ConfigError([{ key, message: `cannot read the Consul ACL token from ${file}: ${(error as Error).message}` }]);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value && value.trim() !== '' ? value.trim() : undefined;
}
