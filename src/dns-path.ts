import type { Logger } from 'pino';
import { AnswerCache } from './cache/answer-cache.js';
import type { Config } from './config/load.js';
import { RRClass, RRType } from './dns/constants.js';
import { Forwarder } from './forward/forwarder.js';
import { Metrics } from './ops/metrics.js';
import type { ProviderView } from './registry/view.js';
import { ClientAcl } from './server/acl.js';
import { QueryHandler } from './server/handler.js';
import { RateLimiter } from './server/rate-limit.js';
import { Router } from './server/router.js';
import { TcpListener } from './server/tcp.js';
import { UdpListener } from './server/udp.js';
import { addressesFromAnswer, HostAddresses } from './zone/host-addresses.js';
import { ServiceZone } from './zone/service-zone.js';

/** Everything between the DNS sockets and the registry view; one per process that answers DNS. */
export interface DnsPath {
  cache: AnswerCache;
  metrics: Metrics;
  udp: UdpListener;
  tcp: TcpListener;
  /** `exclusive: false` lets cluster workers share the primary's sockets. */
  listen(exclusive: boolean): Promise<void>;
  close(): Promise<void>;
}

/** Wires socket -> question -> cache -> zone/forwarder, and registry changes -> cache invalidation. */
export function createDnsPath(config: Config, view: ProviderView, log: Logger): DnsPath {
  const metrics = new Metrics();
  const cache = new AnswerCache({ max: config['cache-size'] });
  const forwarder = new Forwarder({ timeoutMs: config['upstream-timeout'], maxInFlight: 4096 }, metrics);
  const hosts = new HostAddresses(
    async (name, type) => {
      const { reply, inspected } = await forwarder.forward(config.upstreams, { name, type: RRType[type], class: RRClass.IN });
      return addressesFromAnswer(reply, inspected.records, type, 30);
    },
    { failureTtlMs: 30_000, minTtlMs: 5_000, maxTtlMs: 3_600_000, idleMs: 15 * 60_000 },
  );
  const zone = new ServiceZone({ domain: config.domain, ttl: config.ttl, hostWaitMs: Math.min(1000, config['upstream-timeout']) }, view, hosts);
  view.onChange((service) => cache.invalidate(service));
  hosts.onChange((host) => {
    for (const service of zone.servicesUsingHost(host)) cache.invalidate(service);
  });
  metrics.watchCache(cache);
  const handler = new QueryHandler(
    {
      cache,
      zone,
      router: new Router(config.domain, config.zone, config.upstreams),
      forwarder,
      registry: view,
      acl: new ClientAcl(config.allow),
      observer: config['query-log'] ? withQueryLog(metrics, log) : metrics,
      recursionAvailable: config.upstreams.length > 0,
    },
    { zoneCacheMs: 300_000, maxForwardTtl: 86_400 },
  );
  const limiter = config['rate-limit'] ? new RateLimiter({ perSecond: config['rate-limit'], slip: config['rate-limit-slip'] }) : undefined;
  const udp = new UdpListener(handler, log, limiter);
  const tcp = new TcpListener(handler, { idleMs: 10_000, frameMs: 5_000, maxConnections: 1000, maxInFlightPerConnection: 64, maxPendingBytes: 1 << 20 }, log);
  return {
    cache,
    metrics,
    udp,
    tcp,
    async listen(exclusive) {
      await udp.listen(config.listen, exclusive);
      await tcp.listen(config.listen, exclusive);
    },
    async close() {
      await Promise.all([udp.close(), tcp.close()]);
      hosts.stop();
      forwarder.close();
    },
  };
}

function withQueryLog(metrics: Metrics, log: Logger): Metrics {
  const queryLog = log.child({ log: 'query' });
  const answered = metrics.answered.bind(metrics);
  metrics.answered = (event) => {
    answered(event);
    queryLog.info(event, 'query');
  };
  return metrics;
}
