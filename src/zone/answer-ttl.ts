import type { Provider } from '../registry/provider.js';

/** Our TTL, lowered by the smallest TTL a provider's own data asks for: answers and the transferred zone both use it. */
export function answerTtl(ttl: number, providers: readonly Provider[]): number {
  return lowestTtl(ttl, providers)?.ttl ?? ttl;
}

/** The provider whose own TTL is the smallest below `ttl`, if any. */
export function lowestTtl(ttl: number, providers: readonly Provider[]): Provider | undefined {
  let lowest: Provider | undefined;
  for (const provider of providers) if (provider.ttl !== undefined && provider.ttl < (lowest?.ttl ?? ttl)) lowest = provider;
  return lowest;
}
