import type { ChangeTiming } from '../../registry/lag.js';
import type { SourceProvider } from '../../registry/provider.js';
import type { EnsureResult, ProviderSink, SourceStatus } from '../../registry/source.js';
import type { Connection } from './connection.js';
import type { PrefixListener } from './prefix-watch.js';

/** One watched prefix (etcd v3) or directory (etcd v2) of a service, telling its listener what happens. */
export interface WatchedPrefix {
  readonly loaded: boolean;
  start(): void;
  providers(): SourceProvider[];
  close(): Promise<void>;
}

/**
 * One service: a watched prefix per template, published as the union of their providers.
 * It is ready once every prefix was read; a failed first read makes waiting queries give up.
 */
export class ServiceWatch implements PrefixListener {
  private readonly prefixes: WatchedPrefix[];
  private waiters: ((result: EnsureResult) => void)[] = [];

  constructor(
    readonly service: string,
    /** The service's watched prefixes, one per template, reporting to the listener given. */
    watch: (listener: PrefixListener) => WatchedPrefix[],
    private readonly publish: (providers: SourceProvider[], timing?: ChangeTiming) => void,
  ) {
    this.prefixes = watch(this);
  }

  start(): void {
    for (const prefix of this.prefixes) prefix.start();
  }

  get loaded(): boolean {
    return this.prefixes.every((prefix) => prefix.loaded);
  }

  /** 'ready' once every prefix was read; 'unavailable' if a first read fails before that. */
  ensure(): Promise<EnsureResult> {
    if (this.loaded) return Promise.resolve('ready');
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  changed(eventAt?: number): void {
    this.publish(this.prefixes.flatMap((prefix) => prefix.providers()), eventAt === undefined ? undefined : { eventAt });
    if (this.loaded) this.settle('ready');
  }

  unavailable(): void {
    this.settle('unavailable');
  }

  async close(): Promise<void> {
    this.settle('unavailable');
    await Promise.all(this.prefixes.map((prefix) => prefix.close()));
  }

  private settle(result: EnsureResult): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve(result);
  }
}

/**
 * The services an etcd source (v3 or v2) follows, one ServiceWatch each from its first query
 * until the registry releases it, and the source status they add up to.
 */
export class ServiceWatches {
  private readonly watches = new Map<string, ServiceWatch>();
  private sink?: ProviderSink;

  constructor(
    private readonly connection: Connection,
    /** A service's watched prefixes (v3) or directories (v2), one per template. */
    private readonly prefixesOf: (service: string) => (listener: PrefixListener) => WatchedPrefix[],
  ) {}

  start(sink: ProviderSink): void {
    this.sink = sink;
  }

  /** Loads `service`; while etcd is known to be down a first query does not wait for the read's timeout. */
  ensure(service: string): Promise<EnsureResult> {
    let watch = this.watches.get(service);
    if (!watch) {
      watch = new ServiceWatch(service, this.prefixesOf(service), (providers, timing) => this.sink?.replace(service, providers, timing));
      this.watches.set(service, watch);
      watch.start();
    }
    if (!watch.loaded && this.connection.outage) return Promise.resolve('unavailable');
    return watch.ensure();
  }

  release(service: string): void {
    const watch = this.watches.get(service);
    if (!watch) return;
    this.watches.delete(service);
    void watch.close();
    this.sink?.replace(service, []);
  }

  status(stats: { watchEvents: number; decodeFailures: number; lastSync?: number }): SourceStatus {
    return {
      state: this.connection.state,
      detail: this.connection.detail,
      watchedServices: this.watches.size,
      watchEvents: stats.watchEvents,
      decodeFailures: stats.decodeFailures,
      lastSync: stats.lastSync,
      synced: [...this.watches.values()].every((watch) => watch.loaded),
    };
  }

  close(): Promise<void[]> {
    const closing = Promise.all([...this.watches.values()].map((watch) => watch.close()));
    this.watches.clear();
    return closing;
  }
}
