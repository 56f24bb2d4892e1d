import type { Etcd3 } from 'etcd3';
import type { Logger } from 'pino';
import type { EnsureResult, ProviderSink, Source, SourceStatus } from '../../registry/source.js';
import { sleep } from '../../util/sleep.js';
import { createEtcdClient, RECONNECT } from '../../clients/etcd.js';
import { Connection } from './connection.js';
import { prefixOf } from './prefixes.js';
import { PrefixWatch, type PrefixListener, type PrefixWatchContext } from './prefix-watch.js';
import { EtcdServiceListing } from './service-listing.js';
import { ServiceWatches } from './service-watch.js';
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
  private readonly services: ServiceWatches;
  private readonly connection: Connection;
  private readonly context: PrefixWatchContext;
  private listing?: EtcdServiceListing;

  constructor(
    private readonly settings: EtcdSettings,
    log: Logger,
    private readonly client: Etcd3 = createEtcdClient({ ...settings, callTimeoutMs: CALL_DEADLINE_MS }),
  ) {
    const where = settings.endpoints.join(',');
    this.connection = new Connection(where, () => client.maintenance.status(), RECONNECT, log);
    this.context = { client, connection: this.connection, where, retry: RECONNECT, log, stats: { watchEvents: 0, decodeFailures: 0 } };
    this.services = new ServiceWatches(this.connection, (service) => (listener: PrefixListener) =>
      settings.templates.map((template) => new PrefixWatch(prefixOf(template, service), this.context, listener)),
    );
  }

  start(sink: ProviderSink): void {
    this.services.start(sink);
    this.connection.start();
  }

  ensure(service: string): Promise<EnsureResult> {
    return this.services.ensure(service);
  }

  /** A keys-only range over the part of each template before `{service}`, then watched. */
  followServices(listed: (services: readonly string[]) => void): void {
    this.listing = new EtcdServiceListing(this.settings.templates, this.context, listed);
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
    const closing = Promise.all([this.services.close(), this.listing?.close()]);
    await Promise.race([closing, sleep(STOP_GRACE_MS)]);
    this.client.close();
  }
}
