import { Preloader } from './preload.js';
import type { Provider } from './provider.js';
import type { EnsureResult, ProviderSink, Source, SourceStatus } from './source.js';
import type { ProviderView } from './view.js';

export interface RegistryOptions {
  /** Most services watched at once; the least recently queried are released past it. */
  maxServices: number;
  /** A service not queried for this long is released. */
  idleReleaseMs: number;
  /** How long a first query waits for a source to load a service. */
  ensureTimeoutMs: number;
  /** Whether to load every service `source` lists before it is asked for (`--preload`). */
  preload?: (source: Source) => boolean;
  now?: () => number;
}

export type ChangeListener = (service: string) => void;

/** How often sources' connection states are looked at; a change marks their answers stale or fresh. */
const STATE_CHECK_MS = 250;

/** Rewrites a service's merged providers: the health checks mark the failing ones. */
export type ProviderOverlay = (service: string, providers: readonly Provider[]) => readonly Provider[];

/**
 * The merged view: for each service, the union of every source's providers. Sources write
 * into it through the sink; every write notifies listeners (the cache invalidates on it).
 */
export class Registry implements ProviderSink, ProviderView {
  private readonly bySource = new Map<string, Map<string, readonly Provider[]>>();
  private readonly merged = new Map<string, readonly Provider[]>();
  private readonly lastUse = new Map<string, number>();
  private readonly ready = new Set<string>();
  /** Sources not connected at the last look: their providers are served stale. */
  private disconnected: ReadonlySet<string> = new Set();
  /** Services whose last load some source could not finish. */
  private readonly incomplete = new Set<string>();
  private readonly pending = new Map<string, Promise<EnsureResult>>();
  /** Services a preloading source lists: kept watched however long nobody asks. */
  private readonly pinned = new Map<string, number>();
  private readonly preloaders = new Map<Source, Preloader>();
  private readonly listeners: ChangeListener[] = [];
  private readonly releaseListeners: ChangeListener[] = [];
  private readonly watchListeners: ChangeListener[] = [];
  private overlay?: ProviderOverlay;
  private readonly now: () => number;
  private sweeper?: NodeJS.Timeout;
  private stateWatch?: NodeJS.Timeout;
  private list: readonly Source[];
  private started = false;

  constructor(
    sources: readonly Source[],
    private readonly options: RegistryOptions,
  ) {
    this.list = sources;
    this.now = options.now ?? Date.now;
  }

  get sources(): readonly Source[] {
    return this.list;
  }

  start(): void {
    this.started = true;
    for (const source of this.list) this.startSource(source);
    const every = Math.max(1000, Math.min(60_000, this.options.idleReleaseMs / 4));
    this.sweeper = setInterval(() => this.releaseIdle(), every);
    this.sweeper.unref();
    this.stateWatch = setInterval(() => this.checkConnections(), STATE_CHECK_MS);
    this.stateWatch.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    for (const preloader of this.preloaders.values()) preloader.stop();
    clearInterval(this.stateWatch);
    await Promise.all(this.sources.map((source) => source.stop()));
  }

  /**
   * Adds a source (a configuration reload): it starts at once, every service must be loaded
   * again so the next query waits for it, and the services in use are loaded in the background.
   */
  addSource(source: Source): void {
    this.list = [...this.list, source];
    if (!this.started) return;
    this.startSource(source);
    this.ready.clear();
    for (const service of this.lastUse.keys()) void this.ensureIn(source, service);
  }

  /** Removes a source: its providers are withdrawn at once and what it writes later is ignored. */
  async removeSource(source: Source): Promise<void> {
    this.list = this.list.filter((s) => s !== source);
    this.preloaders.get(source)?.stop();
    this.preloaders.delete(source);
    const services = this.bySource.get(source.name);
    this.bySource.delete(source.name);
    for (const service of services?.keys() ?? []) {
      this.merge(service);
      for (const listener of this.listeners) listener(service);
    }
    await source.stop();
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /** Told when `service` stops being watched: copies of its readiness must be dropped. */
  onRelease(listener: ChangeListener): void {
    this.releaseListeners.push(listener);
  }

  /** Told when `service` gets its first query, since start or since it was released. */
  onWatch(listener: ChangeListener): void {
    this.watchListeners.push(listener);
  }

  setOverlay(overlay: ProviderOverlay): void {
    this.overlay = overlay;
  }

  /** Merges `service` again through the overlay and tells the listeners, as a source's change does. */
  refresh(service: string): void {
    this.merge(service);
    for (const listener of this.listeners) listener(service);
  }

  replace(source: string, service: string, providers: readonly Provider[]): void {
    let services = this.bySource.get(source);
    if (!services) this.bySource.set(source, (services = new Map()));
    if (providers.length) services.set(service, providers.map((p) => (p.source === source ? p : { ...p, source })));
    else services.delete(service);
    this.merge(service);
    for (const listener of this.listeners) listener(service);
  }

  /** The union of every source's providers of `service`; empty when none. */
  providers(service: string): readonly Provider[] {
    return this.merged.get(service) ?? [];
  }

  staleSources(service: string): string[] {
    const stale: string[] = [];
    for (const source of this.disconnected) if (this.bySource.get(source)?.has(service)) stale.push(source);
    return stale;
  }

  /** What each source says about `service`, for operators (the status page, `dnsbridge lookup`). */
  providersBySource(service: string): { source: string; providers: readonly Provider[] }[] {
    const result: { source: string; providers: readonly Provider[] }[] = [];
    for (const [source, services] of this.bySource) {
      const providers = services.get(service);
      if (providers) result.push({ source, providers });
    }
    return result;
  }

  /** Every service with at least one provider. */
  serviceNames(): string[] {
    return [...this.merged.keys()].sort();
  }

  loaded(service: string): boolean {
    return this.ready.has(service);
  }

  touch(service: string): void {
    const watched = this.lastUse.size;
    this.lastUse.set(service, this.now());
    // A size check, not a lookup: this runs on every cache hit.
    if (this.lastUse.size !== watched) for (const listener of this.watchListeners) listener(service);
  }

  /** Makes sure every source has loaded `service`; `unavailable` when one could not say in time. */
  ensure(service: string): Promise<EnsureResult> {
    this.touch(service);
    if (this.ready.has(service)) return Promise.resolve('ready');
    let pending = this.pending.get(service);
    if (!pending) {
      pending = this.load(service).finally(() => this.pending.delete(service));
      this.pending.set(service, pending);
    }
    // Once a source failed to load it, known providers are answered at once rather than waiting on
    // that source every time; it replaces them when it can.
    if (this.incomplete.has(service) && this.merged.has(service)) return Promise.resolve('ready');
    return pending;
  }

  /** Each source's status, with how far its preload got when it preloads. */
  statuses(): SourceStatus[] {
    return this.sources.map((source) => {
      const preloader = this.preloaders.get(source);
      return preloader ? { ...source.status(), preload: preloader.status() } : source.status();
    });
  }

  private startSource(source: Source): void {
    source.start(this.sinkFor(source));
    if (!this.options.preload?.(source) || !source.followServices) return;
    const preloader = new Preloader(source.followServices.bind(source), {
      ensure: (service) => this.ensure(service),
      pin: (service, pinned) => this.pin(service, pinned),
    });
    this.preloaders.set(source, preloader);
    preloader.start();
  }

  /** Counted per source: two sources may list the same service. */
  private pin(service: string, pinned: boolean): void {
    const count = (this.pinned.get(service) ?? 0) + (pinned ? 1 : -1);
    if (count > 0) this.pinned.set(service, count);
    else this.pinned.delete(service);
  }

  private async load(service: string): Promise<EnsureResult> {
    if (this.lastUse.size > this.options.maxServices) this.releaseLeastUsed();
    const results = await Promise.all(this.sources.map((source) => this.ensureIn(source, service)));
    const result = results.every((r) => r === 'ready') ? 'ready' : 'unavailable';
    if (result === 'ready') {
      this.ready.add(service);
      this.incomplete.delete(service);
    } else this.incomplete.add(service);
    return result;
  }

  private ensureIn(source: Source, service: string): Promise<EnsureResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<EnsureResult>((resolve) => {
      timer = setTimeout(() => resolve('unavailable'), this.options.ensureTimeoutMs);
    });
    const loaded = source.ensure(service).catch((): EnsureResult => 'unavailable');
    return Promise.race([loaded, timeout]).finally(() => clearTimeout(timer));
  }

  /** A source writes through its own sink, so once removed its late writes go nowhere. */
  private sinkFor(source: Source): ProviderSink {
    return {
      replace: (name, service, providers) => {
        if (this.list.includes(source)) this.replace(name, service, providers);
      },
    };
  }

  private merge(service: string): void {
    const all: Provider[] = [];
    for (const services of this.bySource.values()) {
      const providers = services.get(service);
      if (providers) all.push(...providers);
    }
    if (all.length) this.merged.set(service, this.overlay ? this.overlay(service, all) : all);
    else this.merged.delete(service);
  }

  /** A source that connected or disconnected changes its services' answers (stale or not): listeners hear of each. */
  private checkConnections(): void {
    const now = new Set(this.list.filter((source) => source.status().state !== 'connected').map((source) => source.name));
    const flipped = [...now].filter((name) => !this.disconnected.has(name));
    for (const name of this.disconnected) if (!now.has(name)) flipped.push(name);
    this.disconnected = now;
    for (const name of flipped) {
      for (const service of this.bySource.get(name)?.keys() ?? []) for (const listener of this.listeners) listener(service);
    }
  }

  private releaseIdle(): void {
    const cutoff = this.now() - this.options.idleReleaseMs;
    for (const [service, used] of this.lastUse) if (used < cutoff && !this.pinned.has(service)) this.release(service);
  }

  private releaseLeastUsed(): void {
    const byAge = [...this.lastUse].filter(([service]) => !this.pinned.has(service)).sort((a, b) => a[1] - b[1]);
    const excess = byAge.length - Math.floor(this.options.maxServices * 0.9);
    for (let i = 0; i < excess; i++) this.release(byAge[i][0]);
  }

  private release(service: string): void {
    this.lastUse.delete(service);
    this.ready.delete(service);
    this.incomplete.delete(service);
    for (const source of this.sources) source.release(service);
    for (const listener of this.releaseListeners) listener(service);
  }
}
