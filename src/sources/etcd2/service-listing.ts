import { isServiceName } from '../../registry/fields.js';
import type { V2Event, V2Node } from '../../clients/etcd2.js';
import { isAtOrBelow, removes, V2Follower, type FollowerContext } from './follower.js';

/** Where a template's services are listed: `/{service}/providers` follows `/`. */
export function listingOf(template: string): { dir: string; match: RegExp } {
  const full = template.startsWith('/') ? template : `/${template}`;
  const at = full.indexOf('{service}');
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const rest = full.slice(at + '{service}'.length).replace(/\/+$/, '');
  // A service is listed by a key below its directory, not by the directory alone.
  return { dir: full.slice(0, at).replace(/\/+$/, '') || '/', match: new RegExp(`^${escape(full.slice(0, at))}([^/]+)${escape(rest)}/`) };
}

interface Part {
  match: RegExp;
  follower?: V2Follower;
  /** Keys below each service's directory. */
  keys: Map<string, Set<string>>;
  read: boolean;
}

/**
 * Every service the templates hold (`--preload`): the part of each template before `{service}`
 * read recursively and long-polled, keeping each service's keys, so a service is listed with its
 * first key and dropped with its last (deleted or expired).
 */
export class Etcd2ServiceListing {
  private readonly parts: Part[];
  private last?: string;

  constructor(
    templates: readonly string[],
    context: FollowerContext,
    private readonly listed: (services: readonly string[]) => void,
  ) {
    const byMatch = new Map(templates.map(listingOf).map((listing) => [listing.match.source, listing]));
    this.parts = [...byMatch.values()].map(({ dir, match }) => {
      const part: Part = { match, keys: new Map(), read: false };
      part.follower = new V2Follower(dir, context, {
        read: (nodes) => this.read(part, nodes),
        changed: (event) => this.changed(part, event),
        readFailed: () => {},
      });
      return part;
    });
  }

  start(): void {
    for (const part of this.parts) part.follower?.start();
  }

  close(): void {
    for (const part of this.parts) part.follower?.close();
  }

  private read(part: Part, nodes: V2Node[]): void {
    part.keys = new Map();
    for (const node of nodes) this.add(part, node.key);
    part.read = true;
    this.publish();
  }

  private changed(part: Part, event: V2Event): void {
    const { node } = event;
    if (removes(event)) {
      for (const [service, keys] of part.keys) {
        for (const key of keys) if (isAtOrBelow(key, node.key)) keys.delete(key);
        if (keys.size === 0) part.keys.delete(service);
      }
    } else if (!node.dir) {
      this.add(part, node.key);
    }
    this.publish();
  }

  private add(part: Part, key: string): void {
    const service = part.match.exec(key)?.[1];
    if (!service || !isServiceName(service) || service !== service.toLowerCase()) return;
    const keys = part.keys.get(service) ?? new Set<string>();
    keys.add(key);
    part.keys.set(service, keys);
  }

  /** The whole list, once every template was read, when it changed. */
  private publish(): void {
    if (!this.parts.every((part) => part.read)) return;
    const services = [...new Set(this.parts.flatMap((part) => [...part.keys.keys()]))].sort();
    const text = services.join(' ');
    if (text === this.last) return;
    this.last = text;
    this.listed(services);
  }
}
