import type { Endpoint } from '../forward/endpoint.js';

export type Route = { kind: 'zone' } | { kind: 'forward'; zone: string; upstreams: readonly Endpoint[] };

const OUR_ZONE: Route = { kind: 'zone' };

/** Picks who answers a name: our zone (and our providers' reverse names), the longest matching `--zone`, or the default upstreams. */
export class Router {
  private readonly zones: { suffix: string; zone: string; route: Route }[];
  private readonly fallback: Route;

  /** `reverse(name)`: a reverse name we answer (a provider's address) rather than forward. */
  constructor(
    private readonly domain: string,
    zones: ReadonlyMap<string, readonly Endpoint[]>,
    upstreams: readonly Endpoint[],
    private readonly reverse: (name: string) => boolean = () => false,
  ) {
    this.zones = [...zones]
      .map(([zone, servers]) => ({ suffix: `.${zone}`, zone, route: { kind: 'forward', zone, upstreams: servers } as Route }))
      .sort((a, b) => b.zone.length - a.zone.length);
    this.fallback = { kind: 'forward', zone: '.', upstreams };
  }

  route(name: string): Route {
    if (name === this.domain || name.endsWith(`.${this.domain}`) || this.reverse(name)) return OUR_ZONE;
    for (const entry of this.zones) if (name === entry.zone || name.endsWith(entry.suffix)) return entry.route;
    return this.fallback;
  }
}
