import type { Logger } from 'pino';
import type { ConnectionState, EnsureResult, ProviderSink, Source, SourceStatus } from '../../registry/source.js';
import { Backoff } from '../../util/backoff.js';
import { sleep } from '../../util/sleep.js';
import { capWait } from './blocking.js';
import type { ConsulCatalog, ConsulError } from './client.js';
import { decodeHealthEntries } from './decode.js';
import { ServicePoll, type PollListener, type PollOptions } from './poll.js';

export interface ConsulSourceOptions {
  /** `wait` of each blocking query, seconds; capped at Consul's 10 minutes. */
  waitSeconds: number;
  minIntervalMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_CONSUL_OPTIONS: ConsulSourceOptions = { waitSeconds: 60, minIntervalMs: 50, backoffInitialMs: 200, backoffMaxMs: 10_000 };

/**
 * Consul's catalog: the passing instances of each queried service. A service is loaded at its
 * first query and followed by a blocking-query poll until released. While the agent cannot be
 * reached the last known instances stay; the polls retry forever and catch up.
 */
export class ConsulSource implements Source, PollListener {
  private sink?: ProviderSink;
  private readonly polls = new Map<string, ServicePoll>();
  private readonly pollOptions: PollOptions;
  private readonly stopping = new AbortController();
  private state: ConnectionState = 'connecting';
  private detail?: string;
  private watchEvents = 0;
  private decodeFailures = 0;
  private lastSync?: number;

  constructor(
    private readonly catalog: ConsulCatalog,
    private readonly log: Logger,
    options: ConsulSourceOptions = DEFAULT_CONSUL_OPTIONS,
  ) {
    this.pollOptions = {
      waitSeconds: capWait(options.waitSeconds),
      minIntervalMs: options.minIntervalMs,
      backoff: { initialMs: options.backoffInitialMs, maxMs: options.backoffMaxMs },
    };
  }

  /** Checks the agent answers, so the status tells before any service is queried. */
  start(sink: ProviderSink): void {
    this.sink = sink;
    void this.probe();
  }

  ensure(service: string): Promise<EnsureResult> {
    let poll = this.polls.get(service);
    if (!poll) {
      poll = new ServicePoll(service, this.catalog, this.pollOptions, this);
      this.polls.set(service, poll);
      poll.start();
    }
    return poll.ready();
  }

  /** Stops following `service` and withdraws its instances. */
  release(service: string): void {
    const poll = this.polls.get(service);
    if (!poll) return;
    poll.stop();
    this.polls.delete(service);
    this.sink?.replace(service, []);
  }

  status(): SourceStatus {
    const polls = [...this.polls.values()];
    return {
      state: this.state,
      detail: this.detail,
      watchedServices: polls.length,
      watchEvents: this.watchEvents,
      decodeFailures: this.decodeFailures,
      lastSync: this.lastSync,
      synced: polls.every((poll) => poll.loaded),
    };
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    for (const poll of this.polls.values()) poll.stop();
    this.polls.clear();
    this.catalog.close();
  }

  changed(service: string, entries: unknown[]): void {
    this.watchEvents++;
    const { providers, warnings } = decodeHealthEntries(service, entries);
    for (const warning of warnings) this.log.warn({ consul: this.catalog.url, service }, warning);
    this.decodeFailures += warnings.length;
    this.sink?.replace(service, providers);
    this.log.debug({ service, instances: providers.length }, 'consul instances changed');
  }

  reached(): void {
    this.lastSync = Date.now();
    this.markConnected();
  }

  failed(service: string | undefined, error: ConsulError): void {
    if (this.state !== 'disconnected') {
      this.log.warn({ consul: this.catalog.url, service, code: error.code }, `${error.message}; serving the last known instances and retrying`);
    }
    this.state = 'disconnected';
    this.detail = error.message;
  }

  private markConnected(): void {
    if (this.state === 'connected') return;
    if (this.state === 'disconnected') this.log.info({ consul: this.catalog.url }, 'consul agent reachable again; catching up');
    this.state = 'connected';
    this.detail = undefined;
  }

  private async probe(): Promise<void> {
    const signal = this.stopping.signal;
    for (let retry = new Backoff(this.pollOptions.backoff); !signal.aborted && this.state !== 'connected'; retry = retry.next()) {
      try {
        await this.catalog.ping(signal);
        this.markConnected();
      } catch (error) {
        if (signal.aborted) return;
        this.failed(undefined, error as ConsulError);
        await sleep(retry.duration, signal);
      }
    }
  }
}
