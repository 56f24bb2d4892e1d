import type { Logger } from 'pino';
import { optionLabel } from '../../config/schema.js';
import { consulToken } from '../../util/secret.js';
import { createConsulCatalog } from './client.js';
import { ConsulSource } from './source.js';

/** The Consul source a configuration asks for, with its ACL token. */
export function consulSource(url: string, tokenFile: string | undefined, log: Logger, env: NodeJS.ProcessEnv = process.env): ConsulSource {
  const source = new ConsulSource(createConsulCatalog(url, consulToken({ path: tokenFile, key: optionLabel('consul-token-file') }, env)), log.child({ source: 'consul' }));
  log.info({ consul: url }, 'consul catalog source: following the passing instances of queried services');
  return source;
}
