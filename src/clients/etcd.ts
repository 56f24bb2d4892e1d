import { Etcd3, type IOptions } from 'etcd3';
import { Backoff } from '../util/backoff.js';

export interface EtcdClientOptions {
  endpoints: string[];
  auth?: { username: string; password: string };
  /** PEM contents: the CA bundle, and a client certificate and key when etcd asks for one. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
  /** Deadline of every unary call (a read, a put, a lease grant): etcd3 sets none. */
  callTimeoutMs: number;
}

/**
 * Pings an idle-looking connection every 10 s and drops it after 5 s without a reply. etcd
 * refuses pings closer than its `--grpc-keepalive-min-time` (5 s by default) with a GOAWAY
 * "too_many_pings" that drops the connection, so 5 s (register's former value) sat right at
 * that limit; 10 s leaves room and still finds a dead connection within 15 s.
 */
const KEEPALIVE_TIME_MS = 10_000;
const KEEPALIVE_TIMEOUT_MS = 5_000;
/**
 * Reconnects: 100 ms, doubling, at most 500 ms apart, forever. A probe twice a second costs etcd
 * nothing, and answers (and registrations) must match the registry within a second of it coming back.
 */
export const RECONNECT = { initialMs: 100, maxMs: 500 };

/**
 * The one etcd3 client factory, for the source and for `register`. etcd3 sets no gRPC
 * keepalive (a dead connection can look alive for a long time, etcd3 #72/#78/#114), no
 * deadline on unary calls, and lets gRPC's reconnect backoff grow to 2 minutes (after a few
 * seconds of outage it would wait out several seconds past etcd's return): all three are set here.
 */
export function createEtcdClient(options: EtcdClientOptions): Etcd3 {
  const { endpoints, auth, tls, callTimeoutMs } = options;
  const config: IOptions = {
    hosts: endpoints,
    grpcOptions: {
      'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
      'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
      'grpc.initial_reconnect_backoff_ms': RECONNECT.initialMs,
      'grpc.max_reconnect_backoff_ms': RECONNECT.maxMs,
    },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    faultHandling: { watchBackoff: new Backoff(RECONNECT) },
  };
  if (auth) config.auth = auth;
  if (tls) config.credentials = { rootCertificate: tls.ca, privateKey: tls.key, certChain: tls.cert };
  return new Etcd3(config);
}
