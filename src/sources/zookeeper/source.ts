import type { Logger } from 'pino';
import type { SourceProvider } from '../../registry/provider.js';
import { nowMs, type ChangeTiming } from '../../registry/lag.js';
import type { ConnectionState, EnsureResult, ProviderSink, Source, SourceStatus } from '../../registry/source.js';
import { ZooKeeperSession, type WatchEvent, type ZooKeeperError } from '../../clients/zookeeper.js';
import { PathMirror, type MirrorListener, type WatchingReader } from './path-mirror.js';
import { ReadQueue } from './read-queue.js';
import { ServiceListing } from './service-listing.js';

export interface ZooKeeperSourceOptions {
  /** `host:port,host:port[/chroot]`. */
  connect: string;
  /** Provider paths with `{service}`: `/{service}/providers`. */
  templates: readonly string[];
  sessionTimeoutMs: number;
  /** `user:password` for digest authentication. */
  digest?: string;
  /** How long, after start, a first query waits for the first connection. */
  connectWaitMs: number;
}

interface WatchedService {
  mirrors: PathMirror[];
}

const FIRST_RETRY_MS = 200;
const LAST_RETRY_MS = 30_000;
/** Paths read at once after a new session, so 10,000 services do not queue 100,000 requests at once. */
const RESYNC_BATCH = 200;
/** Data reads in flight at once: enough to keep ZooKeeper busy, few enough that a query's read is not queued behind thousands. */
const READS_IN_FLIGHT = 128;

/**
 * Providers from ZooKeeper provider paths. A service is read at its first query and watched
 * from then on; while ZooKeeper cannot be reached its last providers stay, and after a new
 * session every watched path is read and watched again.
 */
export class ZooKeeperSource implements Source, MirrorListener {
  private readonly client: ZooKeeperSession;
  private readonly reader: WatchingReader;
  private readonly reads = new ReadQueue(READS_IN_FLIGHT);
  private readonly services = new Map<string, WatchedService>();
  private readonly mirrors = new Map<string, PathMirror>();
  private sink?: ProviderSink;
  private state: ConnectionState = 'connecting';
  private detail?: string;
  private watchEvents = 0;
  private decodeFailures = 0;
  private lastSync?: number;
  private retryTimer?: NodeJS.Timeout;
  private startTimer?: NodeJS.Timeout;
  private retryDelay = FIRST_RETRY_MS;
  private startedAt?: number;
  private listing?: ServiceListing;
  private listingTimer?: NodeJS.Timeout;

  constructor(
    private readonly options: ZooKeeperSourceOptions,
    private readonly log: Logger,
  ) {
    this.client = new ZooKeeperSession(
      { connect: options.connect, sessionTimeoutMs: options.sessionTimeoutMs, requestTimeoutMs: options.sessionTimeoutMs, digest: options.digest },
      { connected: (fresh) => this.connected(fresh), disconnected: (reason) => this.disconnected(reason), watchFired: (event) => this.watchFired(event) },
    );
    this.detail = `connecting to ${this.client.servers}`;
    this.reader = {
      children: (path) => this.client.children(path),
      data: (path, background) => this.reads.run(() => this.client.data(path), background),
      exists: (path) => this.client.exists(path),
    };
  }

  start(sink: ProviderSink): void {
    this.sink = sink;
    this.startedAt = Date.now();
    this.client.start();
    // Down at start: say so once the first queries stop waiting for it.
    this.startTimer = setTimeout(() => {
      if (this.state === 'connecting') this.disconnected('not reachable since start');
    }, this.options.connectWaitMs);
  }

  async ensure(service: string): Promise<EnsureResult> {
    const watched = this.services.get(service) ?? this.watch(service);
    if (watched.mirrors.every((mirror) => mirror.loaded)) return 'ready';
    if (!(await this.connection())) return 'unavailable';
    const results = await Promise.all(watched.mirrors.map((mirror) => mirror.whenLoaded()));
    return results.every(Boolean) ? 'ready' : 'unavailable';
  }

  /** ZooKeeper has no way to remove a watch: a released path's later firings are ignored. */
  release(service: string): void {
    const watched = this.services.get(service);
    if (!watched) return;
    this.services.delete(service);
    for (const mirror of watched.mirrors) {
      mirror.owners.delete(service);
      if (mirror.owners.size === 0 && this.mirrors.get(mirror.path) === mirror) this.mirrors.delete(mirror.path);
    }
    this.sink?.replace(service, []);
  }

  /** The children of each template's parent (`/` for `/{service}/providers`), watched. */
  followServices(listed: (services: readonly string[]) => void): void {
    this.listing = new ServiceListing(this.options.templates, this.client, listed);
    if (this.client.isConnected()) this.refreshListing();
  }

  status(): SourceStatus {
    const mirrors = [...this.mirrors.values()];
    return {
      state: this.state,
      detail: this.detail,
      watchedServices: this.services.size,
      watchEvents: this.watchEvents,
      decodeFailures: this.decodeFailures,
      lastSync: this.lastSync,
      // Caught up: connected once, every watched path read, no read outstanding.
      synced: this.lastSync !== undefined && this.reads.pending === 0 && mirrors.every((mirror) => mirror.loaded && !mirror.stale),
    };
  }

  async stop(): Promise<void> {
    clearTimeout(this.retryTimer);
    clearTimeout(this.startTimer);
    clearTimeout(this.listingTimer);
    await this.client.close();
  }

  changed(mirror: PathMirror): void {
    const timing = mirror.takeTiming();
    for (const service of mirror.owners) this.publish(service, timing);
  }

  skipped(path: string, error: string): void {
    this.decodeFailures++;
    this.log.warn({ path }, `zookeeper node ${path} skipped: ${error}`);
  }

  failed(mirror: PathMirror, error: Error): void {
    if (!this.client.isConnected()) return; // read again on reconnect
    const code = (error as ZooKeeperError).code;
    this.log.warn({ path: mirror.path, code }, `${error.message}; keeping the last known providers, retrying`);
    this.scheduleRetry();
  }

  synced(): void {
    this.lastSync = Date.now();
  }

  /**
   * Connected, or connected soon after start; otherwise false at once, so a query for another
   * source's service does not wait on a ZooKeeper that is down (the service is read on connect).
   */
  private async connection(): Promise<boolean> {
    const starting = this.startedAt !== undefined && Date.now() - this.startedAt < this.options.connectWaitMs;
    return this.client.isConnected() || (starting && this.client.whenConnected(this.options.connectWaitMs));
  }

  private watch(service: string): WatchedService {
    const mirrors = this.options.templates.map((template) => this.mirrorOf(template.replaceAll('{service}', service), service));
    const watched = { mirrors };
    this.services.set(service, watched);
    return watched;
  }

  /** Two templates may name the same path for two services: one mirror serves both. */
  private mirrorOf(path: string, service: string): PathMirror {
    let mirror = this.mirrors.get(path);
    if (!mirror) this.mirrors.set(path, (mirror = new PathMirror(path, this.reader, this)));
    mirror.owners.add(service);
    return mirror;
  }

  private publish(service: string, timing?: ChangeTiming): void {
    const watched = this.services.get(service);
    if (!watched) return;
    const providers: SourceProvider[] = watched.mirrors.flatMap((mirror) => mirror.providers());
    this.sink?.replace(service, providers, timing);
  }

  /** A path's own watch and its children's watches all land here. */
  private watchFired(event: WatchEvent): void {
    this.watchEvents++;
    const at = nowMs();
    if (this.listing?.watches(event.path)) this.refreshListing();
    const mirror = this.mirrors.get(event.path);
    mirror?.eventArrived(at);
    if (mirror && event.type === 'data') mirror.ownDataChanged();
    else mirror?.childrenChanged();
    const slash = event.path.lastIndexOf('/');
    const parent = this.mirrors.get(event.path.slice(0, slash) || '/');
    const child = event.path.slice(slash + 1);
    parent?.eventArrived(at);
    if (parent && event.type === 'deleted') parent.childDeleted(child);
    else if (parent && event.type === 'data') parent.childDataChanged(child);
  }

  private connected(newSession: boolean): void {
    const was = this.state;
    this.state = 'connected';
    this.lastSync ??= Date.now();
    this.detail = undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryDelay = FIRST_RETRY_MS;
    const mirrors = [...this.mirrors.values()];
    if (was === 'disconnected') this.log.info({ servers: this.client.servers, newSession, paths: mirrors.length }, 'zookeeper connected again; catching up');
    else this.log.info({ servers: this.client.servers }, 'zookeeper connected');
    // Same session: the server re-arms the watches and fires those whose node changed meanwhile.
    if (newSession) for (const mirror of mirrors) mirror.invalidate();
    void this.syncStale();
    this.refreshListing();
  }

  /** Reads the listing again; a failed read is retried while connected (a reconnect reads it anyway). */
  private refreshListing(): void {
    this.listing?.refresh().catch((error: Error) => {
      if (!this.client.isConnected() || this.listingTimer) return;
      this.log.warn({ code: (error as ZooKeeperError).code }, `${error.message}; listing the services again shortly`);
      this.listingTimer = setTimeout(() => {
        this.listingTimer = undefined;
        this.refreshListing();
      }, this.retryDelay);
    });
  }

  private disconnected(reason: string): void {
    this.state = 'disconnected';
    this.detail = `zookeeper ${this.client.servers}: ${reason} at ${new Date().toISOString()}; answering from the last known providers`;
    this.log.warn({ servers: this.client.servers, services: this.services.size }, this.detail);
  }

  /** Reads every stale path, a batch at a time; true when all succeeded. */
  private async syncStale(): Promise<boolean> {
    const stale = [...this.mirrors.values()].filter((mirror) => mirror.stale);
    let ok = true;
    for (let i = 0; i < stale.length && this.client.isConnected(); i += RESYNC_BATCH) {
      const results = await Promise.all(stale.slice(i, i + RESYNC_BATCH).map((mirror) => mirror.sync()));
      ok &&= results.every(Boolean);
    }
    return ok && this.client.isConnected();
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(async () => {
      this.retryTimer = undefined;
      if (await this.syncStale()) this.retryDelay = FIRST_RETRY_MS;
    }, this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, LAST_RETRY_MS);
  }
}
