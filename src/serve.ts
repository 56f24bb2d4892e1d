import type { Logger } from 'pino';
import type { AnswerCache } from './cache/answer-cache.js';
import type { Config } from './config/load.js';
import { createDnsPath } from './dns-path.js';
import type { Metrics } from './ops/metrics.js';
import { Registry, type RegistryOptions } from './registry/registry.js';
import type { Source } from './registry/source.js';
import type { TcpListener } from './server/tcp.js';
import type { UdpListener } from './server/udp.js';
import { createSources } from './sources/index.js';

/** A running bridge: its parts, for the HTTP side and tests, and how to stop it. */
export interface Bridge {
  config: Config;
  registry: Registry;
  cache: AnswerCache;
  metrics: Metrics;
  udp: UdpListener;
  tcp: TcpListener;
  close(): Promise<void>;
}

/** Services stay watched 15 minutes after their last query; 10,000 services must fit with room. */
export const registryOptions: RegistryOptions = { maxServices: 50_000, idleReleaseMs: 15 * 60_000, ensureTimeoutMs: 1500 };

/** One process doing everything: sources, registry, DNS path. */
export async function startBridge(config: Config, log: Logger, sources: Source[] = createSources(config, log)): Promise<Bridge> {
  const registry = new Registry(sources, registryOptions);
  const dns = createDnsPath(config, registry, log);
  dns.metrics.watchSources(registry);
  registry.start();
  await dns.listen(true);
  log.info({ listen: config.listen, domain: config.domain, upstreams: config.upstreams, sources: sources.map((s) => s.name) }, 'dnsbridge listening');
  return {
    config,
    registry,
    cache: dns.cache,
    metrics: dns.metrics,
    udp: dns.udp,
    tcp: dns.tcp,
    async close() {
      await dns.close();
      await registry.stop();
    },
  };
}
