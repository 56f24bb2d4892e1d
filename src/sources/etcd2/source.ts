import type { Logger } from 'pino';
import type { EnsureResult, ProviderSink, Source, SourceStatus } from '../../registry/source.js';
import { RECONNECT } from '../../clients/etcd.js';
import { Connection } from '../etcd/connection.js';
import type { PrefixListener } from '../etcd/prefix-watch.js';
import { ServiceWatch } from '../etcd/service-watch.js';
import { Etcd2Client } from '../../clients/etcd2.js';
import { DirectoryWatch, type DirectoryWatchContext } from './directory-watch.js';
import { Etcd2ServiceListing } from './service-listing.js';

import type { Etcd2Settings } from './kind.js';

/**
 * A long poll with no change is asked again after this long. A connection gone silent (no reset)
 * shows within it; a quiet directory costs one small request per service per period.
 */
const RENEW_MS = 30_000;

/**
 * etcd's v2 keyspace (etcd 3.4/3.5 with --enable-v2, python-etcd's): a service's directories are
 * read and long-polled from its first query (every --etcd2-prefix template), until the registry
 * releases it. Each directory holds one long poll, so one HTTP connection, open at a time.
 */
export class Etcd2Source implements Source {
  private readonly services = new Map<string, ServiceWatch>();
  private readonly connection: Connection;
  private readonly context: DirectoryWatchContext;
  private sink?: ProviderSink;
  private listing?: Etcd2ServiceListing;

  constructor(
    private readonly settings: Etcd2Settings,
    log: Logger,
    options: { renewMs?: number } = {},
  ) {
    const client = new Etcd2Client(settings.endpoints.map((endpoint) => endpoint.replace(/\/+$/, '')));
    this.connection = new Connection(settings.endpoints.join(','), () => client.probe(), RECONNECT, log);
    this.context = { client, connection: this.connection, retry: RECONNECT, renewMs: options.renewMs ?? RENEW_MS, log, stats: { watchEvents: 0, decodeFailures: 0 } };
  }

  start(sink: ProviderSink): void {
    this.sink = sink;
    this.connection.start();
  }

  /** Loads `service`; while etcd is known to be down a first query does not wait for the read's timeout. */
  ensure(service: string): Promise<EnsureResult> {
    let watch = this.services.get(service);
    if (!watch) {
      const directories = (listener: PrefixListener) => this.settings.templates.map((template) => new DirectoryWatch(directoryOf(template, service), this.context, listener));
      watch = new ServiceWatch(service, directories, (providers) => this.sink?.replace(service, providers));
      this.services.set(service, watch);
      watch.start();
    }
    if (!watch.loaded && this.connection.outage) return Promise.resolve('unavailable');
    return watch.ensure();
  }

  /** `--preload`: every service with a key below its directory, followed by one long poll per template root. */
  followServices(listed: (services: readonly string[]) => void): void {
    this.listing = new Etcd2ServiceListing(this.settings.templates, this.context, listed);
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
    this.listing?.close();
    await Promise.all([...this.services.values()].map((watch) => watch.close()));
    this.services.clear();
  }
}

/** The v2 directory of `service` under a template such as `/{service}/providers` (no trailing slash). */
export function directoryOf(template: string, service: string): string {
  const dir = template.replaceAll('{service}', service).replace(/\/+$/, '');
  return dir.startsWith('/') ? dir : `/${dir}`;
}
