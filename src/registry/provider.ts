/** One provider of a service, as every source decodes it: the neutral record the zone answers from. */
export interface Provider {
  /** IPv4 or IPv6 address, or a hostname (lowercased, no trailing dot). */
  host: string;
  port: number;
  priority: number;
  weight: number;
  tags: readonly string[];
  /** A named extra endpoint (ServerSet additionalEndpoints): answered only as `_<endpoint>._tcp.<svc>`. */
  endpoint?: string;
  /** Caps the answer TTL (SkyDNS `ttl`). */
  ttl?: number;
  /** Where it came from, for operators: e.g. `zookeeper:/api/providers/10.0.0.1:80`. */
  origin: string;
  /** The name of the source that delivered it; set by the registry. */
  source?: string;
  /**
   * Set by the bridge's own health check (src/health/) on a copy of a provider that failed it
   * `fall` times in a row: why it is left out of answers. Sources never set it.
   */
  unhealthy?: string;
}

/** SRV defaults: priority 10 as CoreDNS's etcd plugin, weight 1 as Consul. */
export const DEFAULT_PRIORITY = 10;
export const DEFAULT_WEIGHT = 1;
