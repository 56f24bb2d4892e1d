import type { Logger } from 'pino';
import type { AnswerCache } from './cache/answer-cache.js';
import type { Config } from './config/load.js';
import { createDnsPath, type DnsReload } from './dns-path.js';
import { ZONE_APEX } from './zone/service-zone.js';
import type { Endpoint } from './forward/endpoint.js';
import { HealthSettings } from './health/options.js';
import { startHealthChecks } from './health/setup.js';
import { SourceSet, type SourceReload } from './lifecycle/source-set.js';
import type { Metrics } from './ops/metrics.js';
import { startOpsServer } from './ops/ops-server.js';
import { Registry, type RegistryOptions } from './registry/registry.js';
import type { TcpListener } from './server/tcp.js';
import type { UdpListener } from './server/udp.js';
import { createSources, type SourceInstance } from './sources/index.js';
import { startTransfers, transferKey, type Transfers } from './transfer/setup.js';
import { warnServicesNamedLikeDatacenters } from './zone/datacenter-warning.js';
import { datacenterOptions } from './zone/datacenters.js';

/** A running bridge: its parts, for the HTTP side and tests, and how to stop it. */
export interface Bridge {
  config: Config;
  registry: Registry;
  cache: AnswerCache;
  /** Zone transfers, when --transfer-allow names someone. */
  transfers?: Transfers;
  metrics: Metrics;
  udp: UdpListener;
  tcp: TcpListener;
  /** Where the status page, metrics and API listen (`--http`). */
  http: Endpoint;
  /**
   * Applies a new configuration without closing the DNS sockets (SIGHUP). Throws, changing
   * nothing, when a source cannot be made from it.
   */
  reload(config: Config): Promise<BridgeReload>;
  /** Stops taking queries, answers those in flight, closes the sources. */
  close(): Promise<void>;
}

export type BridgeReload = DnsReload & SourceReload;

/**
 * Services stay watched 15 minutes after their last query; 10,000 services must fit with room.
 * With `--preload` (or `preload: true` in a `sources:` entry) a source that can list its services
 * loads them all and keeps them.
 */
export function registryOptions(config: Config): RegistryOptions {
  // A transferred zone must hold every service, asked for or not.
  const preload = config.preload || config['transfer-allow'].length > 0;
  return { maxServices: 50_000, idleReleaseMs: 15 * 60_000, ensureTimeoutMs: 1500, preload: (instance) => preload || instance.preload === true };
}

/** One process doing everything: sources, registry, DNS path. */
export async function startBridge(config: Config, log: Logger, sources?: SourceInstance[]): Promise<Bridge> {
  const key = transferKey(config);
  const registry = new Registry(sources ?? (await createSources(config.sources, log)), registryOptions(config));
  let transfers: Transfers | undefined;
  const dns = createDnsPath(config, registry, log, config['transfer-allow'].length ? () => transfers!.versions.serial : undefined);
  transfers = startTransfers(config, key, { view: registry, hosts: dns.hosts, metrics: dns.metrics.registry }, log);
  if (transfers) {
    dns.udp.transfers = dns.tcp.transfers = transfers.responder;
    transfers.versions.onVersion(() => dns.cache.invalidate(ZONE_APEX));
  }
  registry.warmWith((service) => dns.warm(service));
  const sourceSet = new SourceSet(registry, config, log);
  dns.metrics.watchSources(registry);
  const health = startHealthChecks(registry, config, log, dns.metrics.registry);
  let current = config;
  warnServicesNamedLikeDatacenters(registry, () => ({ domain: current.domain, datacenters: datacenterOptions(current) }), log);
  registry.start();
  await dns.listen(true);
  let listening = true;
  const ops = await startOpsServer(
    {
      registry,
      cache: () => dns.cache,
      queries: () => dns.metrics.queryFigures(),
      metrics: () => dns.metrics.registry.metrics(),
      listening: () => listening,
      health,
      transfers: transfers && (() => transfers!.status()),
      explain: (question) => dns.explain(question),
    },
    config.http,
    log,
  ).catch(async (error: Error) => {
    health.stop();
    await Promise.all([dns.close(), registry.stop()]);
    throw error;
  });
  log.info({ listen: config.listen, domain: config.domain, upstreams: config.upstreams, sources: registry.sources.map((s) => s.name) }, 'dnsbridge listening');
  const bridge: Bridge = {
    config,
    registry,
    cache: dns.cache,
    transfers,
    metrics: dns.metrics,
    udp: dns.udp,
    tcp: dns.tcp,
    http: ops.address,
    async reload(next) {
      const sourcesPlan = await sourceSet.prepare(next);
      const dnsResult = dns.reload(next);
      const sourcesResult = await sourcesPlan.apply();
      health.configure(new HealthSettings(next));
      bridge.config = current = next;
      return { ...dnsResult, ...sourcesResult };
    },
    async close() {
      listening = false;
      transfers?.stop();
      await dns.close();
      await ops.close();
      health.stop();
      await registry.stop();
    },
  };
  return bridge;
}
