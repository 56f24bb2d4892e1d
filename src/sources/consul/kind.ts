import { z } from 'zod';
import { filePath } from '../../config/values.js';
import { consulToken } from '../../util/secret.js';
import { defineKind } from '../kind.js';

/** A `sources:` entry of kind `consul`, and the `--consul`, `--consul-*` shorthand. */
export interface ConsulOptions {
  url: string;
  'token-file'?: string;
}

export interface ConsulSettings {
  url: string;
  token?: string;
}

export const consulKind = defineKind<ConsulOptions, ConsulSettings>({
  kind: 'consul',
  main: 'url',
  options: {
    url: { schema: z.url(), flag: 'consul', arg: 'URL', help: 'Consul HTTP API, adds its passing instances' },
    'token-file': { schema: filePath.optional(), flag: 'consul-token-file', arg: 'PATH', help: 'Consul ACL token file (or CONSUL_HTTP_TOKEN_FILE, CONSUL_HTTP_TOKEN)' },
  },
  restartOn: ['url', 'token-file'],
  settings: (options, { env, keyOf }) => ({ url: options.url, token: consulToken({ path: options['token-file'], key: keyOf('token-file') }, env) }),
  async create(settings, { log }) {
    const [{ createConsulCatalog }, { ConsulSource }] = await Promise.all([import('./client.js'), import('./source.js')]);
    log.info({ consul: settings.url }, 'consul catalog source: following the passing instances of queried services');
    return new ConsulSource(createConsulCatalog(settings.url, settings.token), log);
  },
});
