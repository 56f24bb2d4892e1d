import { Etcd3, type IOptions } from 'etcd3';
import { Backoff } from '../../util/backoff.js';
import type { EtcdSettings } from './settings.js';

/** Pings an idle-looking connection every 10 s (etcd refuses pings closer than 5 s apart). */
const KEEPALIVE_TIME_MS = 10_000;
const KEEPALIVE_TIMEOUT_MS = 5_000;
/** A read or status call that takes longer than this is treated as a lost connection. */
const CALL_DEADLINE_MS = 5_000;
/**
 * Reconnects: 100 ms, doubling, at most 500 ms apart, forever. A probe twice a second costs etcd
 * nothing, and answers must match the registry within a second of it coming back.
 */
export const RECONNECT = { initialMs: 100, maxMs: 500 };

/**
 * An etcd3 client for the source. etcd3 sets no gRPC keepalive (a dead connection can look
 * alive for a long time) and no deadline on unary calls: both are set here.
 */
export function createClient(settings: EtcdSettings): Etcd3 {
  const options: IOptions = {
    hosts: settings.endpoints,
    grpcOptions: {
      'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
      'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
      // gRPC's own reconnect backoff grows to 2 minutes: after a few seconds of outage it would
      // wait out several seconds past etcd's return, whatever our probe does.
      'grpc.initial_reconnect_backoff_ms': RECONNECT.initialMs,
      'grpc.max_reconnect_backoff_ms': RECONNECT.maxMs,
    },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + CALL_DEADLINE_MS }),
    faultHandling: { watchBackoff: new Backoff(RECONNECT) },
  };
  if (settings.auth) options.auth = settings.auth;
  if (settings.tls) options.credentials = { rootCertificate: settings.tls.ca, privateKey: settings.tls.key, certChain: settings.tls.cert };
  return new Etcd3(options);
}
