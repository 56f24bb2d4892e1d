import type { Provider } from '../../registry/provider.js';
import { decodeNode, type DecodedNode } from './decode.js';

/** The reads a mirror needs; each also arms a watch on what it read. */
export interface WatchingReader {
  children(path: string): Promise<string[] | undefined>;
  data(path: string): Promise<Buffer | undefined>;
  exists(path: string): Promise<boolean>;
}

export interface MirrorListener {
  /** The mirror's providers changed. */
  changed(mirror: PathMirror): void;
  /** A child is no provider; `path` names it. */
  skipped(path: string, error: string): void;
  /** A read failed; the mirror keeps what it had and is `stale` until a sync succeeds. */
  failed(mirror: PathMirror, error: Error): void;
  synced(mirror: PathMirror): void;
}

/**
 * The in-memory copy of one provider path (`/api/providers`): its children, decoded. Watch
 * firings mark what must be read again; one read loop at a time reads it (watching it again
 * as it reads), so a later read never lands before an earlier one, and nothing that changed
 * between two reads is lost.
 */
export class PathMirror {
  /** The services whose providers include this path's. */
  readonly owners = new Set<string>();
  /** True once read completely at least once. */
  loaded = false;
  /** The last read failed: what is here may be old. */
  stale = false;
  private readonly nodes = new Map<string, DecodedNode>();
  private listing = true;
  private readonly dataDirty = new Set<string>();
  /** Children deleted since the last listing was sent: a read sent before must not bring them back. */
  private readonly gone = new Set<string>();
  private running?: Promise<boolean>;

  constructor(
    readonly path: string,
    private readonly reader: WatchingReader,
    private readonly listener: MirrorListener,
  ) {}

  providers(): Provider[] {
    const all: Provider[] = [];
    for (const decoded of this.nodes.values()) if (Array.isArray(decoded)) all.push(...decoded);
    return all;
  }

  childrenChanged(): void {
    this.listing = true;
    void this.sync();
  }

  /** Also for a child whose first read is still on its way: its watch may fire before the read lands here. */
  childDataChanged(name: string): void {
    this.dataDirty.add(name);
    void this.sync();
  }

  /** A deleted child needs no read to leave: it goes at once. */
  childDeleted(name: string): void {
    this.gone.add(name);
    if (this.nodes.delete(name)) this.listener.changed(this);
    this.childrenChanged();
  }

  /** After a new session every watch is gone: the list and every child must be read (and watched) again. */
  invalidate(): void {
    this.stale = true;
    this.listing = true;
    for (const name of this.nodes.keys()) this.dataDirty.add(name);
  }

  /** Reads whatever is marked until nothing is; false when a read failed. */
  sync(): Promise<boolean> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<boolean> {
    try {
      while (this.listing || this.dataDirty.size) await this.step();
    } catch (error) {
      this.stale = true;
      this.listing = true;
      this.listener.failed(this, error as Error);
      return false;
    }
    this.loaded = true;
    this.stale = false;
    this.listener.synced(this);
    return true;
  }

  private async step(): Promise<void> {
    const listed = this.listing ? await this.list() : undefined;
    const names = [...this.dataDirty];
    this.dataDirty.clear();
    let data: (Buffer | undefined)[];
    try {
      // Sent together: the client pipelines them on one connection.
      data = await Promise.all(names.map((name) => this.reader.data(this.childPath(name))));
    } catch (error) {
      for (const name of names) this.dataDirty.add(name);
      throw error;
    }
    let changed = listed ? this.dropUnlisted(listed) : false;
    names.forEach((name, i) => {
      changed = this.apply(name, data[i]) || changed;
    });
    if (changed) this.listener.changed(this);
  }

  private async list(): Promise<Set<string>> {
    this.listing = false;
    this.gone.clear();
    const names = new Set(await this.listChildren());
    for (const name of names) if (!this.nodes.has(name)) this.dataDirty.add(name);
    return names;
  }

  /** A missing path has no providers; an exists-watch shows when it is created. */
  private async listChildren(): Promise<string[]> {
    for (;;) {
      const children = await this.reader.children(this.path);
      if (children) return children;
      if (!(await this.reader.exists(this.path))) return [];
    }
  }

  private dropUnlisted(listed: Set<string>): boolean {
    let changed = false;
    for (const name of this.nodes.keys()) {
      if (!listed.has(name)) changed = this.nodes.delete(name) || changed;
    }
    return changed;
  }

  private apply(name: string, data: Buffer | undefined): boolean {
    if (this.gone.has(name)) return false;
    if (data === undefined) return this.nodes.delete(name);
    const path = this.childPath(name);
    const decoded = decodeNode(name, data, `zookeeper:${path}`);
    if (!Array.isArray(decoded)) this.listener.skipped(path, decoded.error);
    const before = this.nodes.get(name);
    this.nodes.set(name, decoded);
    return JSON.stringify(before) !== JSON.stringify(decoded);
  }

  private childPath(name: string): string {
    return this.path === '/' ? `/${name}` : `${this.path}/${name}`;
  }
}
