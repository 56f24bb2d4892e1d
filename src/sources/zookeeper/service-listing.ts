import { isServiceName } from '../../registry/fields.js';

/** The reads a listing needs; each leaves a watch on the path. */
export interface ListingReader {
  children(path: string): Promise<string[] | undefined>;
  exists(path: string): Promise<boolean>;
}

interface Parent {
  path: string;
  /** Matches a child's name and captures the service name in it. */
  match: RegExp;
}

/** Where a template's services are listed: `/{service}/providers` lists the children of `/`. */
export function listingParent(template: string): Parent {
  const segments = template.split('/');
  const at = segments.findIndex((segment) => segment.includes('{service}'));
  const path = segments.slice(0, at).join('/') || '/';
  const [before, after] = segments[at].split('{service}').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return { path, match: new RegExp(`^${before}(.+)${after}$`) };
}

/**
 * Every service the provider paths hold, as the children of each template's parent, followed
 * by child watches: a service registered later is listed as soon as its node is created.
 */
export class ServiceListing {
  private readonly parents: Parent[];
  private last?: string;
  private running?: Promise<void>;
  private again = false;

  constructor(
    templates: readonly string[],
    private readonly reader: ListingReader,
    private readonly listed: (services: readonly string[]) => void,
  ) {
    const byPath = new Map(templates.map((template) => listingParent(template)).map((parent) => [`${parent.path} ${parent.match.source}`, parent]));
    this.parents = [...byPath.values()];
  }

  /** True when a watch on `path` is one of the listing's. */
  watches(path: string): boolean {
    return this.parents.some((parent) => parent.path === path);
  }

  /** Reads the listing again (one read at a time; a request during a read runs once after it). Throws when a read fails. */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.read().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.refresh().catch(() => {});
      }
    });
    return this.running;
  }

  private async read(): Promise<void> {
    const services = new Set<string>();
    for (const parent of this.parents) {
      const children = await this.reader.children(parent.path);
      // A parent that does not exist yet is watched for its creation.
      if (children === undefined) await this.reader.exists(parent.path);
      for (const child of children ?? []) {
        if (parent.path === '/' && child === 'zookeeper') continue;
        const service = parent.match.exec(child)?.[1];
        if (service && isServiceName(service) && service === service.toLowerCase()) services.add(service);
      }
    }
    const list = [...services].sort();
    const text = list.join(' ');
    if (text === this.last) return;
    this.last = text;
    this.listed(list);
  }
}
