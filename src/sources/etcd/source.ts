import type { Etcd3 } from 'etcd3';
import type { Logger } from 'pino';
import type { EnsureResult, ProviderSink, Source, SourceStatus } from '../../registry/source.js';
import { sleep } from '../../util/sleep.js';
import { createEtcdClient, RECONNECT } from '../../clients/etcd.js';
import { Connection } from './connection.js';
import { prefixOf } from './prefixes.js';
import { PrefixWatch, type PrefixListener, type PrefixWatchContext } from './prefix-watch.js';
import { EtcdServiceListing } from './service-listing.js';
import { ServiceWatch } from './service-watch.js';
import type { EtcdSettings } from './kind.js';

/** How long stop() waits for watches to be cancelled before closing the client anyway. */
const STOP_GRACE_MS = 1000;
/** A read or status call that takes longer than this is treated as a lost connection. */
const CALL_DEADLINE_MS = 5000;

/**
 * etcd v3 provider trees. A service is read and watched from its first query (every
 * --etcd-prefix template), until the registry releases it. etcd3 multiplexes all watches
 * over one gRPC stream and re-attaches them after a reconnect.
 */
export class EtcdSource implements Source {
  private readonly services = new Map<string, ServiceWatch>();
  private readonly connection: Connection;
  private readonly context: PrefixWatchContext;
  private sink?: ProviderSink;
  private listing?: EtcdServiceListing;

  constructor(
    private readonly settings: EtcdSettings,
    log: Logger,
    private readonly client: Etcd3 = createEtcdClient({ ...settings, callTimeoutMs: CALL_DEADLINE_MS }),
  ) {
    const where = settings.endpoints.join(',');
    this.connection = new Connection(where, () => client.maintenance.status(), RECONNECT, log);
    this.context = { client, connection: this.connection, where, retry: RECONNECT, log, stats: { watchEvents: 0, decodeFailures: 0 } };
  }

  start(sink: ProviderSink): void {
    this.sink = sink;
    this.connection.start();
  }

  /** Loads `service`; while etcd is known to be down a first query does not wait for the read's timeout. */
  ensure(service: string): Promise<EnsureResult> {
    let watch = this.services.get(service);
    if (!watch) {
      const prefixes = (listener: PrefixListener) => this.settings.templates.map((template) => new PrefixWatch(prefixOf(template, service), this.context, listener));
      watch = new ServiceWatch(service, prefixes, (providers) => this.sink?.replace(service, providers));
      this.services.set(service, watch);
      watch.start();
    }
    if (!watch.loaded && this.connection.outage) return Promise.resolve('unavailable');
    return watch.ensure();
  }

  /** A keys-only range over the part of each template before `{service}`, then watched. */
  followServices(listed: (services: readonly string[]) => void): void {
    this.listing = new EtcdServiceListing(this.settings.templates, this.context, listed);
    this.listing.start();
  }

  release(service: string): void {
    const watch = this.services.get(service);
    if (!watch) return;
    this.services.delete(service);
    void watch.close();
    this.sink?.replace(service, []);
  }

  status(): SourceStatus {
    const { stats } = this.context;
    return {
      state: this.connection.state,
      detail: this.connection.detail,
      watchedServices: this.services.size,
      watchEvents: stats.watchEvents,
      decodeFailures: stats.decodeFailures,
      lastSync: stats.lastSync,
      synced: [...this.services.values()].every((watch) => watch.loaded),
    };
  }

  async stop(): Promise<void> {
    this.connection.stop();
    const closing = Promise.all([...this.services.values()].map((watch) => watch.close()).concat(this.listing?.close() ?? []));
    this.services.clear();
    await Promise.race([closing, sleep(STOP_GRACE_MS)]);
    this.client.close();
  }
}
