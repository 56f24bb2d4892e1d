import type { Logger } from 'pino';
import { consulEndpoint, type ConsulEndpoint, type GivenValue } from '../../clients/consul-connection.js';
import { ConfigError } from '../../config/errors.js';
import type { RegisterSettings } from '../options.js';
import { consulServiceId, etcdEntry, zookeeperNode, type Registration } from '../registration.js';
import { consulToken, etcdPassword, readConfiguredFile, zooKeeperDigest } from '../../util/secret.js';
import type { Backend } from './backend.js';
import { ConsulBackend, type ConsulCheck } from './consul.js';
import { EtcdBackend } from './etcd.js';
import { Etcd2Backend } from './etcd2.js';
import { ZooKeeperBackend } from './zookeeper.js';

/** Bound on one registry call: node-zookeeper-client has none, and etcd3 and consul wait long. */
const CALL_TIMEOUT_MS = 3000;

/** Secrets and TLS files, read before anything starts so a bad path is a usage error. */
export interface Credentials {
  zkDigest?: string;
  etcdPassword?: string;
  etcdTls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
  consulToken?: string;
  consulEndpoint?: ConsulEndpoint;
}

/** Secrets by the one rule of src/util/secret.ts, as `serve` reads them; register takes the file options as flags only. */
export function readCredentials(settings: RegisterSettings, env: NodeJS.ProcessEnv): Credentials {
  const { zookeeper, etcd, consul } = settings;
  const etcdPasswordRead = etcd?.user ? etcdPassword({ path: etcd.passwordFile, key: '--etcd-password-file' }, env) : undefined;
  if (etcd?.user && etcdPasswordRead === undefined) {
    throw new ConfigError([{ key: '--etcd-user', message: 'no password: set DNSBRIDGE_ETCD_PASSWORD_FILE or DNSBRIDGE_ETCD_PASSWORD, or give --etcd-password-file' }]);
  }
  return {
    zkDigest: zookeeper ? zooKeeperDigest({ path: zookeeper.digestFile, key: '--zk-digest-file' }, env) : undefined,
    etcdPassword: etcdPasswordRead,
    etcdTls: etcd?.ca
      ? {
          ca: readConfiguredFile(etcd.ca, '--etcd-ca'),
          cert: etcd.cert ? readConfiguredFile(etcd.cert, '--etcd-cert') : undefined,
          key: etcd.key ? readConfiguredFile(etcd.key, '--etcd-key') : undefined,
        }
      : undefined,
    consulToken: consul ? consulToken({ path: consul.tokenFile, key: '--consul-token-file' }, env) : undefined,
    consulEndpoint: consul ? consulEndpointOf(consul, env) : undefined,
  };
}

/** The agent as Consul's CLI finds it: the flags, else CONSUL_HTTP_ADDR, CONSUL_HTTP_SSL and the TLS variables. */
function consulEndpointOf(consul: NonNullable<RegisterSettings['consul']>, env: NodeJS.ProcessEnv): ConsulEndpoint {
  const flag = (value: string | undefined, key: string): GivenValue | undefined => (value === undefined ? undefined : { value, key });
  return consulEndpoint(
    {
      address: flag(consul.address, '--consul'),
      ca: flag(consul.ca, '--consul-ca'),
      cert: flag(consul.cert, '--consul-cert'),
      key: flag(consul.key, '--consul-key'),
      serverName: flag(consul.serverName, '--consul-tls-server-name'),
    },
    env,
  );
}

/** One backend per registry the settings name: several at once is a migration. */
export function createBackends(settings: RegisterSettings, registration: Registration, credentials: Credentials, log: Logger): Backend[] {
  const backends: Backend[] = [];
  const { zookeeper, etcd, etcd2, consul } = settings;
  if (zookeeper) {
    const node = zookeeperNode(registration, zookeeper.path, settings.format);
    const sessionTimeoutMs = settings.ttlSeconds * 1000;
    backends.push(new ZooKeeperBackend({ hosts: zookeeper.hosts, node, sessionTimeoutMs, callTimeoutMs: CALL_TIMEOUT_MS, digest: credentials.zkDigest, log }));
  }
  if (etcd) {
    const auth = etcd.user ? { username: etcd.user, password: credentials.etcdPassword ?? '' } : undefined;
    const entry = etcdEntry(registration, etcd.prefix, settings.format);
    backends.push(new EtcdBackend({ endpoints: etcd.endpoints, entry, ttlSeconds: settings.ttlSeconds, callTimeoutMs: CALL_TIMEOUT_MS, auth, tls: credentials.etcdTls, log }));
  }
  if (etcd2) {
    const entry = etcdEntry(registration, etcd2.prefix, settings.format);
    backends.push(new Etcd2Backend({ endpoints: etcd2.endpoints, entry, ttlSeconds: settings.ttlSeconds, callTimeoutMs: CALL_TIMEOUT_MS, log }));
  }
  if (consul && credentials.consulEndpoint) {
    const service = { id: consulServiceId(registration), name: registration.service, address: registration.host, port: registration.port, tags: registration.tags };
    const { intervalMs, timeoutMs, ttlSeconds } = settings;
    const { deregisterAfterMs } = consul;
    backends.push(new ConsulBackend({ endpoint: credentials.consulEndpoint, token: credentials.consulToken, service, check: consulCheckOf(settings), intervalMs, timeoutMs, ttlSeconds, deregisterAfterMs, callTimeoutMs: CALL_TIMEOUT_MS, log }));
  }
  return backends;
}

/** Consul runs HTTP and TCP checks itself; a command check (or none) becomes a TTL check we feed. */
function consulCheckOf(settings: RegisterSettings): ConsulCheck {
  const { check } = settings;
  if (check?.kind === 'http') return { kind: 'http', url: check.url };
  if (check?.kind === 'tcp') return { kind: 'tcp', target: check.host.includes(':') ? `[${check.host}]:${check.port}` : `${check.host}:${check.port}` };
  return { kind: 'ttl' };
}
