import type { NodeData } from '../../clients/zookeeper.js';
import { parseHostPort } from '../../registry/fields.js';
import type { ChangeTiming } from '../../registry/lag.js';
import { sameProvider, type SourceProvider } from '../../registry/provider.js';
import { flat } from '../../util/flat-string.js';
import { SparseSet } from '../../util/sparse-set.js';
import { binderServicePort, decodeNode, type DecodedNode } from './decode.js';

/** What a child stands for, as kept: a node of one provider (nearly all) keeps it without an array around it. */
type KeptNode = SourceProvider | DecodedNode;

/** The reads a mirror needs; each also arms a watch on what it read. */
export interface WatchingReader {
  children(path: string): Promise<string[] | undefined>;
  /** `background`: no answer waits for this read. */
  data(path: string, background: boolean): Promise<NodeData | undefined>;
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
 * firings mark what must be read again; one read loop at a time lists the children and reads
 * what an answer waits for (watching all it reads), so a later read never lands before an
 * earlier one, and nothing that changed between two reads is lost.
 *
 * A new child named `host:port` (zc.zk's layout) is served from its name as soon as the list
 * shows it. Its data is read, and watched, in the background, outside the loop: if the data is
 * one of the other formats, it replaces what the name gave.
 *
 * The path's own data is read (and watched) only once a child is a binder instance without a
 * port: binder's service node, the path itself, then gives the port.
 */
export class PathMirror {
  /** The services whose providers include this path's. */
  readonly owners = new Set<string>();
  /** True once its providers were given at least once. */
  loaded = false;
  /** A read failed: what is here may be old. */
  stale = false;
  private readonly nodes = new Map<string, KeptNode>();
  private listing = true;
  /** Children whose data an answer waits for: read in the loop. */
  private readonly dataDirty = new SparseSet();
  /** Children served already whose data must be read (and watched) again: read in the background. */
  private readonly rearm = new SparseSet();
  /** Background reads in flight, by child: a read replaced or a child gone makes the reply void. */
  private backgroundReads?: Map<string, symbol>;
  /** Children deleted since the last listing was sent: a read sent before must not bring them back. */
  private readonly gone = new SparseSet();
  /** Binder's service node (this path's own data): never needed yet, to be read, or read. */
  private serviceNode: 'unneeded' | 'dirty' | 'read' = 'unneeded';
  private servicePort?: number;
  private running?: Promise<boolean>;
  /** When the first watch event not yet behind a published change arrived, and the newest write read since (mtime). */
  private eventAt?: number;
  private writtenAt?: number;
  private answered?: { promise: Promise<boolean>; resolve: (ok: boolean) => void };

  constructor(
    readonly path: string,
    private readonly reader: WatchingReader,
    private readonly listener: MirrorListener,
  ) {}

  providers(): SourceProvider[] {
    const all: SourceProvider[] = [];
    for (const kept of this.nodes.values()) {
      if (Array.isArray(kept)) all.push(...kept);
      else if ('host' in kept) all.push(kept);
    }
    return all;
  }

  /** A watch event for this path or a child arrived: the next change given out is timed from it. */
  eventArrived(at: number): void {
    this.eventAt ??= at;
  }

  /** The timing of the change being given out (`MirrorListener.changed`); the next one starts afresh. */
  takeTiming(): ChangeTiming | undefined {
    const timing = this.eventAt === undefined ? undefined : { eventAt: this.eventAt, ...(this.writtenAt === undefined ? {} : { writtenAt: this.writtenAt }) };
    this.eventAt = this.writtenAt = undefined;
    return timing;
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

  /** The path's own data changed: binder's service node, read again if it is followed. */
  ownDataChanged(): void {
    if (this.serviceNode === 'unneeded') return;
    this.serviceNode = 'dirty';
    void this.sync();
  }

  /** A deleted child needs no read to leave: it goes at once. */
  childDeleted(name: string): void {
    this.gone.add(name);
    const served = this.nodes.has(name);
    this.forget(name);
    if (served) this.listener.changed(this);
    this.childrenChanged();
  }

  /** After a new session every watch is gone: the list and every child must be read (and watched) again. */
  invalidate(): void {
    this.stale = true;
    this.listing = true;
    for (const name of this.nodes.keys()) this.rearm.add(name);
    if (this.serviceNode === 'read') this.serviceNode = 'dirty';
  }

  /** Resolves once the providers are known (true), or when reading them failed (false). */
  whenLoaded(): Promise<boolean> {
    if (this.loaded) return Promise.resolve(true);
    if (!this.answered) {
      let resolve!: (ok: boolean) => void;
      const promise = new Promise<boolean>((r) => (resolve = r));
      this.answered = { promise, resolve };
    }
    void this.sync();
    return this.answered.promise;
  }

  /** Reads whatever is marked until nothing is; false when a read failed. */
  sync(): Promise<boolean> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<boolean> {
    try {
      while (this.listing || this.dataDirty.size || this.rearm.size || this.serviceNode === 'dirty') await this.step();
    } catch (error) {
      this.failed(error as Error);
      this.answer(false);
      return false;
    }
    this.stale = false;
    // An event that changed nothing is behind no change: it must not time a later one.
    this.eventAt = this.writtenAt = undefined;
    this.answer(true);
    this.listener.synced(this);
    return true;
  }

  private failed(error: Error): void {
    this.stale = true;
    this.listing = true;
    this.listener.failed(this, error);
  }

  private answer(ok: boolean): void {
    if (ok) this.loaded = true;
    this.answered?.resolve(ok);
    this.answered = undefined;
  }

  private async step(): Promise<void> {
    if (this.serviceNode === 'dirty') await this.readServiceNode();
    const listed = this.listing ? await this.list() : undefined;
    const dropped = listed ? this.dropUnlisted(listed) : 0;
    const named = listed ? this.serveFromNames(listed) : 0;
    if (dropped + named > 0) this.listener.changed(this);
    for (const name of this.rearm) this.readInBackground(name);
    this.rearm.clear();
    const names = [...this.dataDirty];
    this.dataDirty.clear();
    if (names.length === 0) this.answer(true);
    for (const name of names) this.forgetRead(name);
    let data: (NodeData | undefined)[];
    try {
      // Sent together: the client pipelines them on one connection.
      data = await Promise.all(names.map((name) => this.reader.data(this.childPath(name), false)));
    } catch (error) {
      for (const name of names) this.dataDirty.add(name);
      throw error;
    }
    let changed = false;
    names.forEach((name, i) => {
      if (this.apply(name, data[i]?.bytes)) {
        changed = true;
        this.wrote(data[i]?.mtime);
      }
    });
    if (changed) this.listener.changed(this);
  }

  /** Reads (and watches) the service node's port, then every child again, to decode them with it. */
  private async readServiceNode(): Promise<void> {
    this.serviceNode = 'read';
    try {
      this.servicePort = binderServicePort((await this.reader.data(this.path, false))?.bytes);
    } catch (error) {
      this.serviceNode = 'dirty';
      throw error;
    }
    for (const name of this.nodes.keys()) this.dataDirty.add(name);
  }

  private async list(): Promise<Set<string>> {
    this.listing = false;
    this.gone.clear();
    return new Set(await this.listChildren());
  }

  /** A missing path has no providers; an exists-watch shows when it is created. */
  private async listChildren(): Promise<string[]> {
    for (;;) {
      const children = await this.reader.children(this.path);
      if (children) return children;
      if (!(await this.reader.exists(this.path))) return [];
    }
  }

  private dropUnlisted(listed: Set<string>): number {
    let dropped = 0;
    for (const name of this.nodes.keys()) {
      if (!listed.has(name)) {
        this.forget(name);
        dropped++;
      }
    }
    return dropped;
  }

  /** New children: host:port names are served now and read in the background; others are read before an answer. */
  private serveFromNames(listed: Set<string>): number {
    let served = 0;
    for (const name of listed) {
      if (this.nodes.has(name) || this.gone.has(name) || this.dataDirty.has(name)) continue;
      if (!parseHostPort(name)) {
        this.dataDirty.add(name);
        continue;
      }
      this.nodes.set(name, kept(decodeNode(name, undefined, this.origin(name))));
      this.readInBackground(name);
      served++;
    }
    return served;
  }

  private readInBackground(name: string): void {
    const read = Symbol(name);
    (this.backgroundReads ??= new Map()).set(name, read);
    const current = () => this.backgroundReads?.get(name) === read && this.forgetRead(name);
    this.reader.data(this.childPath(name), true).then(
      (data) => {
        if (!current() || !this.nodes.has(name) || !this.apply(name, data?.bytes)) return;
        this.wrote(data?.mtime);
        this.listener.changed(this);
      },
      (error: Error) => {
        if (!current() || !this.nodes.has(name)) return;
        this.rearm.add(name);
        this.failed(error);
      },
    );
  }

  private wrote(mtime: number | undefined): void {
    if (mtime !== undefined && this.eventAt !== undefined) this.writtenAt = Math.max(this.writtenAt ?? mtime, mtime);
  }

  private forget(name: string): void {
    this.nodes.delete(name);
    this.forgetRead(name);
    this.rearm.delete(name);
  }

  /** Nearly always the last read in flight: the map goes with it (an empty Map costs about 190 bytes a mirror). */
  private forgetRead(name: string): boolean {
    const reads = this.backgroundReads;
    if (!reads?.delete(name)) return false;
    if (reads.size === 0) this.backgroundReads = undefined;
    return true;
  }

  private apply(name: string, data: Buffer | undefined): boolean {
    if (this.gone.has(name)) return false;
    if (data === undefined) return this.nodes.delete(name);
    const decoded = decodeNode(name, data, this.origin(name), this.servicePort);
    if (!Array.isArray(decoded)) this.noProvider(name, decoded);
    // An unchanged child keeps its objects: those are what the registry holds already.
    if (sameDecoded(this.nodes.get(name), decoded)) return false;
    this.nodes.set(name, kept(decoded));
    return true;
  }

  /** A binder instance without a port first waits for the service node's; anything else is skipped with a warning. */
  private noProvider(name: string, decoded: { error: string; needsServicePort?: boolean }): void {
    if (decoded.needsServicePort && this.serviceNode !== 'read') this.serviceNode = 'dirty';
    else this.listener.skipped(this.childPath(name), decoded.error);
  }

  private origin(name: string): string {
    return `zookeeper:${this.childPath(name)}`;
  }

  /** Flat: the client keeps it as the key of the child's data watch. */
  private childPath(name: string): string {
    return flat(this.path === '/' ? `/${name}` : `${this.path}/${name}`);
  }
}

function kept(decoded: DecodedNode): KeptNode {
  return Array.isArray(decoded) && decoded.length === 1 ? decoded[0] : decoded;
}

function sameDecoded(known: KeptNode | undefined, b: DecodedNode): boolean {
  const a = known && 'host' in known ? [known] : known;
  if (!Array.isArray(a) || !Array.isArray(b)) return !Array.isArray(a) && !Array.isArray(b) && a?.error === b.error;
  return a.length === b.length && a.every((provider, i) => sameProvider(provider, b[i]));
}
