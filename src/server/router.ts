import type { Endpoint } from '../forward/endpoint.js';

export type Route = { kind: 'zone' } | { kind: 'forward'; zone: string; upstreams: readonly Endpoint[] };

const OUR_ZONE: Route = { kind: 'zone' };

/** Picks who answers a name: our zone, the longest matching `--zone`, or the default upstreams. */
export class Router {
  private readonly zones: { suffix: string; zone: string; route: Route }[];
  private readonly fallback: Route;

  constructor(
    private readonly domain: string,
    zones: ReadonlyMap<string, readonly Endpoint[]>,
    upstreams: readonly Endpoint[],
  ) {
    this.zones = [...zones]
      .map(([zone, servers]) => ({ suffix: `.${zone}`, zone, route: { kind: 'forward', zone, upstreams: servers } as Route }))
      .sort((a, b) => b.zone.length - a.zone.length);
    this.fallback = { kind: 'forward', zone: '.', upstreams };
  }

  route(name: string): Route {
    if (name === this.domain || name.endsWith(`.${this.domain}`)) return OUR_ZONE;
    for (const entry of this.zones) if (name === entry.zone || name.endsWith(entry.suffix)) return entry.route;
    return this.fallback;
  }
}
