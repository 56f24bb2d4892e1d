import { z } from 'zod';
import { consulEndpoint, type ConsulEndpoint, type GivenValue } from '../../clients/consul-connection.js';
import { filePath, flag, integer } from '../../config/values.js';
import { consulToken } from '../../util/secret.js';
import { defineKind, type InstanceContext } from '../kind.js';

/** A `sources:` entry of kind `consul`, and the `--consul`, `--consul-*` shorthand. */
export interface ConsulOptions {
  url: string;
  'token-file'?: string;
  ca?: string;
  cert?: string;
  key?: string;
  'tls-server-name'?: string;
  'only-passing': boolean;
  'query-pace': number;
}

export interface ConsulSettings {
  endpoint: ConsulEndpoint;
  token?: string;
  onlyPassing: boolean;
  paceMs: number;
}

export const consulKind = defineKind<ConsulOptions, ConsulSettings>({
  kind: 'consul',
  main: 'url',
  options: {
    url: {
      schema: z.string().trim().min(1),
      flag: 'consul',
      arg: 'ADDRESS',
      help: "Consul HTTP API (HOST:PORT, http://, https:// or unix:// as CONSUL_HTTP_ADDR), adds the instances Consul's DNS would answer",
    },
    'token-file': { schema: filePath.optional(), flag: 'consul-token-file', arg: 'PATH', help: 'Consul ACL token file (or CONSUL_HTTP_TOKEN_FILE, CONSUL_HTTP_TOKEN)' },
    ca: { schema: filePath.optional(), flag: 'consul-ca', arg: 'PATH', help: 'CA bundle for Consul over https (or CONSUL_CACERT)' },
    cert: { schema: filePath.optional(), flag: 'consul-cert', arg: 'PATH', help: 'client certificate for Consul over https (or CONSUL_CLIENT_CERT)' },
    key: { schema: filePath.optional(), flag: 'consul-key', arg: 'PATH', help: 'client key for Consul over https (or CONSUL_CLIENT_KEY)' },
    'tls-server-name': { schema: z.string().trim().min(1).optional(), flag: 'consul-tls-server-name', arg: 'NAME', help: "name the Consul agent's certificate is checked against (or CONSUL_TLS_SERVER_NAME)" },
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
  restartOn: ['url', 'token-file', 'ca', 'cert', 'key', 'tls-server-name', 'only-passing', 'query-pace'],
  settings: (options, context) => ({
    endpoint: endpointOf(options, context),
    token: consulToken({ path: options['token-file'], key: context.keyOf('token-file') }, context.env),
    onlyPassing: options['only-passing'],
    paceMs: options['query-pace'],
  }),
  async create(settings, { log }) {
    const [{ ConsulClient }, { ConsulSource }] = await Promise.all([import('../../clients/consul.js'), import('./source.js')]);
    const client = new ConsulClient({ ...settings.endpoint, token: settings.token });
    const kept = settings.onlyPassing ? 'passing' : 'passing and warning';
    log.info({ consul: client.url }, `consul catalog source: following the ${kept} instances of queried services`);
    return new ConsulSource(client, log, { onlyPassing: settings.onlyPassing, paceMs: settings.paceMs });
  },
});

/**
 * `url` is explicit (`serve` never reaches Consul unless asked) but takes every form
 * `CONSUL_HTTP_ADDR` does, with `CONSUL_HTTP_SSL`; the TLS files come from the keys, else from
 * Consul's variables (src/clients/consul-connection.ts).
 */
function endpointOf(options: ConsulOptions, { env, keyOf }: InstanceContext): ConsulEndpoint {
  const given = (option: 'url' | 'ca' | 'cert' | 'key' | 'tls-server-name'): GivenValue | undefined => {
    const value = options[option];
    return value === undefined ? undefined : { value, key: keyOf(option) };
  };
  return consulEndpoint({ address: given('url'), ca: given('ca'), cert: given('cert'), key: given('key'), serverName: given('tls-server-name') }, env);
}
