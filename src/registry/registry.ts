import type { SourceInstance } from '../sources/index.js';
import { nowMs, SourceLagRecorder, type ChangeTiming } from './lag.js';
import { Preloader } from './preload.js';
import { sameProvider, type Provider, type SourceProvider } from './provider.js';
import type { EnsureResult, InstanceStatus, ProviderSink, Source } from './source.js';
import type { ProviderView } from './view.js';

export interface RegistryOptions {
  /** Most services watched at once; the least recently queried are released past it. */
  maxServices: number;
  /** A service not queried for this long is released. */
  idleReleaseMs: number;
  /** How long a first query waits for a source to load a service. */
  ensureTimeoutMs: number;
  /** Whether to load every service `instance` lists before it is asked for (`--preload`). */
  preload?: (instance: SourceInstance) => boolean;
  now?: () => number;
}

export type ChangeListener = (service: string) => void;

/** How often sources' connection states are looked at; a change marks their answers stale or fresh. */
const STATE_CHECK_MS = 250;

/** Rewrites a service's merged providers: the health checks mark the failing ones. */
export type ProviderOverlay = (service: string, providers: readonly Provider[]) => readonly Provider[];

/**
 * The merged view: for each service, the union of every source instance's providers. Each
 * instance writes through a sink of its own, which stamps its name and datacenter on its
 * providers; every write that changes something notifies listeners (the cache invalidates on it).
 */
export class Registry implements ProviderView {
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
  private readonly preloaders = new Map<SourceInstance, Preloader>();
  /** Per source instance: how long its changes took to reach the answers. */
  private readonly lags = new Map<string, SourceLagRecorder>();
  private readonly listeners: ChangeListener[] = [];
  private readonly releaseListeners: ChangeListener[] = [];
  private readonly watchListeners: ChangeListener[] = [];
  private overlay?: ProviderOverlay;
  private warmer: (service: string) => Promise<void> = async () => {};
  private readonly now: () => number;
  private sweeper?: NodeJS.Timeout;
  private stateWatch?: NodeJS.Timeout;
  private list: readonly SourceInstance[];
  private started = false;

  constructor(
    sources: readonly SourceInstance[],
    private readonly options: RegistryOptions,
  ) {
    this.list = sources;
    this.now = options.now ?? Date.now;
  }

  get sources(): readonly SourceInstance[] {
    return this.list;
  }

  start(): void {
    this.started = true;
    for (const instance of this.list) this.startSource(instance);
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
    await Promise.all(this.sources.map((instance) => instance.source.stop()));
  }

  /**
   * Adds a source (a configuration reload): it starts at once, every service must be loaded
   * again so the next query waits for it, and the services in use are loaded in the background.
   */
  addSource(instance: SourceInstance): void {
    this.list = [...this.list, instance];
    if (!this.started) return;
    this.startSource(instance);
    this.ready.clear();
    for (const service of this.lastUse.keys()) void this.ensureIn(instance.source, service);
  }

  /** Removes a source: its providers are withdrawn at once and what it writes later is ignored. */
  async removeSource(instance: SourceInstance): Promise<void> {
    this.list = this.list.filter((s) => s !== instance);
    this.preloaders.get(instance)?.stop();
    this.preloaders.delete(instance);
    this.lags.delete(instance.name);
    const services = this.bySource.get(instance.name);
    this.bySource.delete(instance.name);
    for (const service of services?.keys() ?? []) {
      this.merge(service);
      for (const listener of this.listeners) listener(service);
    }
    await instance.source.stop();
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

  /**
   * How a preloaded service's first answers get encoded before its first query: the DNS path's
   * cache (one process) or every worker's (`--workers`). A preload counts a service loaded, and
   * `/readyz` waits, until this resolves. Set before `start`.
   */
  warmWith(warmer: (service: string) => Promise<void>): void {
    this.warmer = warmer;
  }

  /** Merges `service` again through the overlay and tells the listeners, as a source's change does. */
  refresh(service: string): void {
    this.merge(service);
    for (const listener of this.listeners) listener(service);
  }

  /** What `instance` now says about `service`; a write that changes nothing is dropped here, for every source. */
  private replace(instance: SourceInstance, service: string, providers: readonly SourceProvider[]): boolean {
    let services = this.bySource.get(instance.name);
    if (!services) this.bySource.set(instance.name, (services = new Map()));
    const before = services.get(service) ?? [];
    if (before.length === providers.length && providers.every((provider, i) => sameProvider(provider, before[i]))) return false;
    // The source's own array and objects, stamped: it hands them over and keeps no other use of them.
    for (const provider of providers) stamp(provider, instance);
    if (providers.length) services.set(service, providers as readonly Provider[]);
    else services.delete(service);
    this.merge(service);
    for (const listener of this.listeners) listener(service);
    return true;
  }

  /**
   * The change's lag, once its answers are ready: listeners drop the cached answers now and encode
   * them again on the next turn of the event loop (or send the change to the DNS workers), so
   * that turn's end is when the answers are ready.
   */
  private recordLag(source: string, timing: ChangeTiming): void {
    setImmediate(() => {
      let lag = this.lags.get(source);
      if (!lag) this.lags.set(source, (lag = new SourceLagRecorder()));
      lag.record(timing, nowMs());
    });
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

  /** Each instance's status with its name, kind and datacenter, and how far its preload got when it preloads. */
  statuses(): InstanceStatus[] {
    return this.sources.map((instance) => {
      const { name, kind, datacenter, source } = instance;
      const preloader = this.preloaders.get(instance);
      const lag = this.lags.get(name);
      return { name, kind, ...(datacenter ? { datacenter } : {}), ...source.status(), ...(preloader ? { preload: preloader.status() } : {}), ...(lag ? { lag: lag.figures() } : {}) };
    });
  }

  private startSource(instance: SourceInstance): void {
    const { source } = instance;
    source.start(this.sinkFor(instance));
    if (!this.options.preload?.(instance) || !source.followServices) return;
    const preloader = new Preloader(source.followServices.bind(source), {
      ensure: (service) => this.ensure(service),
      pin: (service, pinned) => this.pin(service, pinned),
      // A failure to encode ahead is not a failure to load: the first query encodes it.
      warm: (service) => this.warmer(service).catch(() => undefined),
    });
    this.preloaders.set(instance, preloader);
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
    const results = await Promise.all(this.sources.map((instance) => this.ensureIn(instance.source, service)));
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

  /** An instance writes through its own sink, so once removed its late writes go nowhere. */
  private sinkFor(instance: SourceInstance): ProviderSink {
    return {
      replace: (service, providers, timing) => {
        if (this.list.includes(instance) && this.replace(instance, service, providers) && timing) this.recordLag(instance.name, timing);
      },
    };
  }

  private merge(service: string): void {
    const lists: (readonly Provider[])[] = [];
    for (const services of this.bySource.values()) {
      const providers = services.get(service);
      if (providers) lists.push(providers);
    }
    // One source's list is the union as it is: no copy of it.
    const all = lists.length === 1 ? lists[0] : lists.flat();
    if (all.length) this.merged.set(service, this.overlay ? this.overlay(service, all) : all);
    else this.merged.delete(service);
  }

  /** A source that connected or disconnected changes its services' answers (stale or not): listeners hear of each. */
  private checkConnections(): void {
    const now = new Set(this.list.filter((instance) => instance.source.status().state !== 'connected').map((instance) => instance.name));
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
    for (const instance of this.sources) instance.source.release(service);
    for (const listener of this.releaseListeners) listener(service);
  }
}

/**
 * Stamps its instance's name and datacenter on the source's own provider object (`newProvider`
 * leaves their slots in place): a source's providers belong to its instance alone, and it never
 * changes one after writing it, so no stamped copy is kept.
 */
function stamp(provider: SourceProvider, instance: SourceInstance): void {
  const stamped = provider as Provider;
  stamped.source = instance.name;
  stamped.datacenter = instance.datacenter;
}
