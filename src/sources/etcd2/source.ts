import type { Logger } from 'pino';
import type { EnsureResult, ProviderSink, Source, SourceStatus } from '../../registry/source.js';
import { RECONNECT } from '../../clients/etcd.js';
import { Connection } from '../etcd/connection.js';
import type { PrefixListener } from '../etcd/prefix-watch.js';
import { ServiceWatches } from '../etcd/service-watch.js';
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
  private readonly services: ServiceWatches;
  private readonly connection: Connection;
  private readonly context: DirectoryWatchContext;
  private listing?: Etcd2ServiceListing;

  constructor(
    private readonly settings: Etcd2Settings,
    log: Logger,
    options: { renewMs?: number } = {},
  ) {
    const client = new Etcd2Client(settings.endpoints.map((endpoint) => endpoint.replace(/\/+$/, '')));
    this.connection = new Connection(settings.endpoints.join(','), () => client.probe(), RECONNECT, log);
    this.context = { client, connection: this.connection, retry: RECONNECT, renewMs: options.renewMs ?? RENEW_MS, log, stats: { watchEvents: 0, decodeFailures: 0 } };
    this.services = new ServiceWatches(this.connection, (service) => (listener: PrefixListener) =>
      settings.templates.map((template) => new DirectoryWatch(directoryOf(template, service), this.context, listener)),
    );
  }

  start(sink: ProviderSink): void {
    this.services.start(sink);
    this.connection.start();
  }

  ensure(service: string): Promise<EnsureResult> {
    return this.services.ensure(service);
  }

  /** `--preload`: every service with a key below its directory, followed by one long poll per template root. */
  followServices(listed: (services: readonly string[]) => void): void {
    this.listing = new Etcd2ServiceListing(this.settings.templates, this.context, listed);
    this.listing.start();
  }

  release(service: string): void {
    this.services.release(service);
  }

  status(): SourceStatus {
    return this.services.status(this.context.stats);
  }

  async stop(): Promise<void> {
    this.connection.stop();
    this.listing?.close();
    await this.services.close();
  }
}

/** The v2 directory of `service` under a template such as `/{service}/providers` (no trailing slash). */
export function directoryOf(template: string, service: string): string {
  const dir = template.replaceAll('{service}', service).replace(/\/+$/, '');
  return dir.startsWith('/') ? dir : `/${dir}`;
}
