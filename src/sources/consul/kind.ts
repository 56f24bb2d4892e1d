import { z } from 'zod';
import { filePath, flag, integer } from '../../config/values.js';
import { consulToken } from '../../util/secret.js';
import { defineKind } from '../kind.js';

/** A `sources:` entry of kind `consul`, and the `--consul`, `--consul-*` shorthand. */
export interface ConsulOptions {
  url: string;
  'token-file'?: string;
  'only-passing': boolean;
  'query-pace': number;
}

export interface ConsulSettings {
  url: string;
  token?: string;
  onlyPassing: boolean;
  paceMs: number;
}

export const consulKind = defineKind<ConsulOptions, ConsulSettings>({
  kind: 'consul',
  main: 'url',
  options: {
    url: { schema: z.url(), flag: 'consul', arg: 'URL', help: "Consul HTTP API, adds the instances Consul's DNS would answer" },
    'token-file': { schema: filePath.optional(), flag: 'consul-token-file', arg: 'PATH', help: 'Consul ACL token file (or CONSUL_HTTP_TOKEN_FILE, CONSUL_HTTP_TOKEN)' },
    'only-passing': {
      schema: flag.default(false),
      flag: 'consul-only-passing',
      arg: '',
      help: "leave out Consul instances whose checks warn, as Consul DNS's only_passing (default: kept, with Weights.Warning)",
    },
    'query-pace': {
      schema: integer(10, 600_000).default(15_000),
      flag: 'consul-query-pace',
      arg: 'MS',
      help: 'while a Consul result keeps changing, one blocking query per this long after a burst of 2',
    },
  },
  restartOn: ['url', 'token-file', 'only-passing', 'query-pace'],
  settings: (options, { env, keyOf }) => ({
    url: options.url,
    token: consulToken({ path: options['token-file'], key: keyOf('token-file') }, env),
    onlyPassing: options['only-passing'],
    paceMs: options['query-pace'],
  }),
  async create(settings, { log }) {
    const [{ ConsulClient }, { ConsulSource }] = await Promise.all([import('../../clients/consul.js'), import('./source.js')]);
    const client = new ConsulClient({ url: settings.url, token: settings.token });
    const kept = settings.onlyPassing ? 'passing' : 'passing and warning';
    log.info({ consul: client.url }, `consul catalog source: following the ${kept} instances of queried services`);
    return new ConsulSource(client, log, { onlyPassing: settings.onlyPassing, paceMs: settings.paceMs });
  },
});
