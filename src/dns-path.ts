import type { Logger } from 'pino';
import { AnswerCache } from './cache/answer-cache.js';
import type { Config } from './config/load.js';
import { RRClass, RRType } from './dns/constants.js';
import { Forwarder } from './forward/forwarder.js';
import { needsRestart, sameValue, staleAfterReload } from './lifecycle/dns-reload.js';
import { Metrics } from './ops/metrics.js';
import { QueryLog } from './ops/query-log.js';
import type { ProviderView } from './registry/view.js';
import { ClientAcl } from './server/acl.js';
import type { ExplainQuestion, Explanation } from './server/explain.js';
import { QueryHandler, type HandlerDeps } from './server/handler.js';
import { RateLimiter } from './server/rate-limit.js';
import { Router } from './server/router.js';
import { TcpListener } from './server/tcp.js';
import { UdpListener } from './server/udp.js';
import { addressesFromAnswer, HostAddresses } from './zone/host-addresses.js';
import { ClientPlacement, datacenterOptions } from './zone/datacenters.js';
import { ReverseIndex } from './zone/reverse-index.js';
import { ServiceZone } from './zone/service-zone.js';

/** Everything between the DNS sockets and the registry view; one per process that answers DNS. */
export interface DnsPath {
  cache: AnswerCache;
  /** Provider hostnames' addresses, resolved through the upstreams. */
  hosts: HostAddresses;
  metrics: Metrics;
  udp: UdpListener;
  tcp: TcpListener;
  /** Encodes a loaded service's first answers before its first query (`QueryHandler.warm`). */
  warm(service: string): Promise<void>;
  /** `exclusive: false` lets cluster workers share the primary's sockets. */
  listen(exclusive: boolean): Promise<void>;
  /**
   * Takes a new configuration without closing the sockets: zone, routes, ACL and query log are
   * rebuilt and only the cached answers they change are dropped. Throws, changing nothing, when
   * the configuration cannot be used.
   */
  reload(config: Config): DnsReload;
  /** What answering a question would do and why (`/api/explain`), from this process's zone and cache. */
  explain(question: ExplainQuestion): Promise<Explanation>;
  /** Stops taking queries, answers those in flight, closes the sockets. */
  close(): Promise<void>;
}

export interface DnsReload {
  /** Cached answers dropped because the new configuration answers them differently. */
  dropped: number;
  /** Changed options that only a restart applies. */
  restartNeeded: string[];
}

/** The parts of the DNS path made from the configuration: what a reload replaces. */
type ConfiguredParts = Pick<HandlerDeps, 'zone' | 'router' | 'acl' | 'observer' | 'recursionAvailable' | 'placement'>;

/** Wires socket -> question -> cache -> zone/forwarder, and registry changes -> cache invalidation. */
export function createDnsPath(config: Config, view: ProviderView, log: Logger, serial?: () => number): DnsPath {
  const metrics = new Metrics();
  const cache = new AnswerCache({ max: config['cache-size'] });
  const forwarder = new Forwarder({ timeoutMs: config['upstream-timeout'], maxInFlight: 4096 }, metrics);
  let current = config;
  const hosts = new HostAddresses(
    async (name, type) => {
      // A provider named under a --zone (api.service.consul) is asked of that zone's servers.
      const route = parts.router.route(name);
      const upstreams = route.kind === 'forward' ? route.upstreams : current.upstreams;
      const { reply, inspected } = await forwarder.forward(upstreams, { name, type: RRType[type], class: RRClass.IN });
      return addressesFromAnswer(reply, inspected.records, type, 30);
    },
    { failureTtlMs: 30_000, minTtlMs: 5_000, maxTtlMs: 3_600_000, idleMs: 15 * 60_000 },
  );
  const reverse = new ReverseIndex(view);
  const configured = (next: Config, previous?: ConfiguredParts): ConfiguredParts => ({
    zone: previous && sameZone(previous.zone, next) ? previous.zone : new ServiceZone(zoneOptions(next), view, hosts, reverse, serial),
    router: new Router(next.domain, next.zone, next.upstreams, (name) => reverse.answers(name)),
    acl: new ClientAcl(next.allow),
    observer: next['query-log'] ? new QueryLog(metrics, log) : metrics,
    recursionAvailable: next.upstreams.length > 0,
    placement: next['client-datacenter'].length ? new ClientPlacement(next['client-datacenter']) : undefined,
  });
  let parts = configured(config);
  metrics.watchCache(cache);
  const shared = { cache, forwarder, registry: view };
  const handler = new QueryHandler({ ...shared, ...parts }, { zoneCacheMs: 300_000, maxForwardTtl: 86_400 });
  view.onChange((service) => handler.changed(service));
  reverse.onChange((dependency) => handler.changed(dependency));
  hosts.onChange((host) => {
    for (const service of parts.zone.servicesUsingHost(host)) handler.changed(service);
  });
  const limiter = config['rate-limit'] ? new RateLimiter({ perSecond: config['rate-limit'], slip: config['rate-limit-slip'] }) : undefined;
  const udp = new UdpListener(handler, log, limiter);
  const tcp = new TcpListener(handler, { idleMs: 10_000, frameMs: 5_000, maxConnections: 1000, maxInFlightPerConnection: 64, maxPendingBytes: 1 << 20 }, log);
  return {
    cache,
    hosts,
    metrics,
    udp,
    tcp,
    warm: (service) => handler.warm(service),
    async listen(exclusive) {
      await udp.listen(config.listen, exclusive);
      await tcp.listen(config.listen, exclusive);
    },
    reload(next) {
      const nextParts = configured(next, parts);
      handler.use({ ...shared, ...nextParts });
      const dropped = cache.drop(staleAfterReload({ config: current, router: parts.router }, { config: next, router: nextParts.router }));
      const restartNeeded = needsRestart(current, next);
      [current, parts] = [next, nextParts];
      log.level = next['log-level'];
      return { dropped, restartNeeded };
    },
    explain: (question) => handler.explain(question),
    async close() {
      await Promise.all([udp.close(), tcp.close()]);
      hosts.stop();
      forwarder.close();
    },
  };
}

function zoneOptions(config: Config): ServiceZone['options'] {
  return {
    domain: config.domain,
    ttl: config.ttl,
    hostWaitMs: Math.min(1000, config['upstream-timeout']),
    maxAnswers: config['max-answers'],
    datacenters: datacenterOptions(config),
  };
}

/** The zone is kept when its options stay: it remembers which services use which provider hostnames. */
function sameZone(zone: ServiceZone, config: Config): boolean {
  const next = zoneOptions(config);
  return (Object.keys(next) as (keyof typeof next)[]).every((key) => sameValue(zone.options[key], next[key]));
}
