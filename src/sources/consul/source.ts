import type { Logger } from 'pino';
import { nowMs, type ChangeTiming } from '../../registry/lag.js';
import type { SourceProvider } from '../../registry/provider.js';
import type { ConnectionState, EnsureResult, ProviderSink, Source, SourceStatus } from '../../registry/source.js';
import { ConsulError, type ConsulClient, type IndexedReply } from '../../clients/consul.js';
import { Backoff } from '../../util/backoff.js';
import { sleep } from '../../util/sleep.js';
import { capWait } from './blocking.js';
import { decodeHealthEntries } from './decode.js';
import { BlockingLoop, type LoopListener, type LoopOptions } from './loop.js';

export interface ConsulSourceOptions {
  /** `wait` of each blocking query, seconds; capped at Consul's 10 minutes. */
  waitSeconds: number;
  /** Blocking queries per endpoint that may follow each other at once (blocking.mdx's token bucket). */
  paceBurst: number;
  /** Under churn, one blocking query per endpoint per this long. */
  paceMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /**
   * Services with a blocking query of their own. Past this, services are followed through two
   * shared blocking queries (`/v1/catalog/services`, `/v1/health/state/any`) and re-read when
   * those say they may have changed, so the connections stay under the client's cap.
   */
  blockingLimit: number;
  /** Plain reads at once when re-reading services the shared queries point at. */
  readers: number;
  /** Consul DNS's `only_passing`: drop `warning` instances too. */
  onlyPassing: boolean;
}

export const DEFAULT_CONSUL_OPTIONS: ConsulSourceOptions = {
  waitSeconds: 60,
  paceBurst: 2,
  paceMs: 15_000,
  backoffInitialMs: 200,
  backoffMaxMs: 10_000,
  blockingLimit: 48,
  readers: 8,
  onlyPassing: false,
};

/** The rights a token needs for `/v1/health/service/:service` to show every instance. */
const NEEDED_RIGHTS = 'service:read on the service and node:read on its nodes';

/**
 * Consul's catalog: the instances Consul's DNS would answer for each queried service. A service
 * is loaded at its first query and followed until released: by a blocking query of its own
 * while there are fewer than `blockingLimit`, else through the shared service listing and health
 * queries. A name the listing does not have is answered at once and holds no connection. While
 * the agent cannot be reached the last known instances stay; the loops retry forever and catch up.
 */
export class ConsulSource implements Source {
  private sink?: ProviderSink;
  private readonly options: ConsulSourceOptions;
  private readonly loopOptions: LoopOptions;
  private readonly stopping = new AbortController();
  /** Services followed by a blocking query of their own. */
  private readonly polls = new Map<string, BlockingLoop<unknown[]>>();
  /** Services followed through the shared queries: whether their first read is done. */
  private readonly listed = new Map<string, { loaded: boolean; waiting: ((result: EnsureResult) => void)[] }>();
    private readonly nodesOf = new Map<string, Set<string>>();
  /** Service names in the catalog, from the listing; undefined until its first reply. */
  private names?: Set<string>;
  private readonly listing: BlockingLoop<Record<string, unknown>>;
  private states?: BlockingLoop<unknown[]>;
  private readonly rereads = new Set<string>();
  private activeReads = 0;
  /** `followServices` listeners, told the names whenever the listing gains or loses one. */
  private readonly followers: ((services: readonly string[]) => void)[] = [];
  /** Services whose last reply was filtered by ACLs. */
  private readonly filtered = new Set<string>();
  private state: ConnectionState = 'connecting';
  private detail?: string;
  private watchEvents = 0;
  private decodeFailures = 0;
  private lastSync?: number;

  constructor(
    private readonly client: ConsulClient,
    private readonly log: Logger,
    options: Partial<ConsulSourceOptions> = {},
  ) {
    this.options = { ...DEFAULT_CONSUL_OPTIONS, ...options };
    this.loopOptions = {
      waitSeconds: capWait(this.options.waitSeconds),
      pace: { burst: this.options.paceBurst, intervalMs: this.options.paceMs },
      backoff: { initialMs: this.options.backoffInitialMs, maxMs: this.options.backoffMaxMs },
    };
    this.listing = new BlockingLoop((query) => client.catalogServices(query), this.loopOptions, this.listener<Record<string, unknown>>((reply) => this.listingChanged(reply)));
  }

  /** Starts following the service listing, so the status tells before any service is queried. */
  start(sink: ProviderSink): void {
    this.sink = sink;
    this.listing.start();
  }

  async ensure(service: string): Promise<EnsureResult> {
    const poll = this.polls.get(service);
    if (poll) return poll.ready();
    if (this.listed.has(service)) return this.listedReady(service);
    const listingReady = await this.listing.ready();
    if (this.polls.has(service) || this.listed.has(service) || this.stopping.signal.aborted) return this.ensure(service);
    if (listingReady === 'ready' && !this.names?.has(service)) {
      // blocking.mdx: an unknown name would hold a connection for nothing; the listing will say when it appears.
      this.listed.set(service, { loaded: true, waiting: [] });
      this.deliver(service, []);
      return 'ready';
    }
    if (this.polls.size < this.options.blockingLimit) return this.startPoll(service).ready();
    this.follow(service);
    return this.listedReady(service);
  }

  /** The catalog's service list (`/v1/catalog/services`), the same blocking query that says what changed. */
  followServices(listed: (services: readonly string[]) => void): void {
    this.followers.push(listed);
    if (this.names) listed(lowercased(this.names));
  }

  /** Stops following `service` and withdraws its instances. */
  release(service: string): void {
    this.polls.get(service)?.stop();
    const known = this.polls.delete(service) || this.listed.delete(service);
    if (!known) return;
    this.rereads.delete(service);
    this.filtered.delete(service);
    this.nodesOf.delete(service);
    this.sink?.replace(service, []);
    this.stopStatesWhenUnused();
  }

  status(): SourceStatus {
    const connected = this.state === 'connected';
    return {
      state: this.state,
      detail: connected && this.filtered.size > 0 ? this.aclDetail() : this.detail,
      watchedServices: this.polls.size + this.listed.size,
      watchEvents: this.watchEvents,
      decodeFailures: this.decodeFailures,
      lastSync: this.lastSync,
      synced: [...this.polls.values()].every((poll) => poll.loaded) && [...this.listed.values()].every((entry) => entry.loaded),
    };
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.listing.stop();
    this.states?.stop();
    for (const poll of this.polls.values()) poll.stop();
    this.polls.clear();
    for (const service of this.listed.keys()) this.settleListed(service, 'unavailable');
    this.client.close();
  }

  private startPoll(service: string): BlockingLoop<unknown[]> {
    const poll = new BlockingLoop((query) => this.client.healthService(service, false, query), this.loopOptions, this.listener<unknown[]>((reply) => this.instancesRead(service, reply)));
    this.polls.set(service, poll);
    poll.start();
    return poll;
  }

  /** Follows `service` through the shared queries, reading it once now. */
  private follow(service: string): void {
    if (!this.listed.has(service)) this.listed.set(service, { loaded: false, waiting: [] });
    this.reread(service);
    if (!this.states) {
      this.states = new BlockingLoop((query) => this.client.healthStates(query), this.loopOptions, this.listener<unknown[]>((reply, since) => this.statesChanged(reply, since)));
      this.states.start();
    }
  }

  private listedReady(service: string): Promise<EnsureResult> {
    const entry = this.listed.get(service);
    if (!entry || entry.loaded) return Promise.resolve('ready');
    return new Promise((resolve) => entry.waiting.push(resolve));
  }

  private settleListed(service: string, result: EnsureResult): void {
    const entry = this.listed.get(service);
    if (!entry) return;
    if (result === 'ready') entry.loaded = true;
    const waiting = entry.waiting;
    entry.waiting = [];
    for (const resolve of waiting) resolve(result);
  }

  /** The listing moved: services appeared, went, or any service was written somewhere. */
  private listingChanged(reply: IndexedReply<Record<string, unknown>>): void {
    const before = this.names;
    this.names = new Set(Object.keys(reply.body));
    if (!before || before.size !== this.names.size || [...this.names].some((name) => !before.has(name))) {
      for (const listed of this.followers) listed(lowercased(this.names));
    }
    for (const [service, poll] of this.polls) {
      if (this.names.has(service)) continue;
      // Gone from the catalog: no connection held for it; the listing says when it is back.
      poll.stop();
      this.polls.delete(service);
      this.listed.set(service, { loaded: true, waiting: [] });
      this.deliver(service, []);
    }
    // The listing cannot say which service's address or port changed: every listed one is read again.
    for (const service of this.listed.keys()) {
      if (!this.names.has(service)) this.deliver(service, []);
      else if (this.polls.size < this.options.blockingLimit) this.promote(service);
      else this.follow(service);
    }
    this.stopStatesWhenUnused();
  }

  private promote(service: string): void {
    const waiting = this.listed.get(service)?.waiting ?? [];
    this.listed.delete(service);
    this.rereads.delete(service);
    void this.startPoll(service)
      .ready()
      .then((result) => waiting.forEach((resolve) => resolve(result)));
  }

  /** A check changed: re-read the listed services it belongs to, by service name or by node. */
  private statesChanged(reply: IndexedReply<unknown[]>, since: bigint | undefined): void {
    if (since === undefined) return;
    for (const check of reply.body) {
      if (typeof check !== 'object' || check === null) continue;
      const { ServiceName, Node, ModifyIndex } = check as Record<string, unknown>;
      if (typeof ModifyIndex === 'number' && BigInt(ModifyIndex) <= since && reply.index >= since) continue;
      for (const service of this.listed.keys()) {
        if (service === ServiceName || (ServiceName === '' && typeof Node === 'string' && this.nodesOf.get(service)?.has(Node))) this.reread(service);
      }
    }
  }

  private reread(service: string): void {
    this.rereads.add(service);
    while (this.activeReads < this.options.readers && this.rereads.size > 0) void this.readNext();
  }

  /** Plain (non-blocking) reads of the services waiting for one, a few at a time. */
  private async readNext(): Promise<void> {
    this.activeReads++;
    const signal = this.stopping.signal;
    try {
      for (let retry = new Backoff(this.loopOptions.backoff); !signal.aborted; ) {
        const service = this.rereads.values().next().value;
        if (service === undefined) return;
        this.rereads.delete(service);
        try {
          const reply = await this.client.healthService(service, false, { index: 0n, waitSeconds: 1, signal });
          retry = retry.reset();
          if (!this.listed.has(service)) continue;
          this.instancesRead(service, reply);
          this.reached();
        } catch (error) {
          if (signal.aborted) return;
          if (this.listed.has(service)) this.rereads.add(service);
          this.failed(error as ConsulError);
          this.settleListed(service, 'unavailable');
          await sleep(retry.duration, signal);
          retry = retry.next();
        }
      }
    } finally {
      this.activeReads--;
    }
  }

  private stopStatesWhenUnused(): void {
    if (this.listed.size > 0 && [...this.listed.keys()].some((s) => this.names?.has(s) ?? true)) return;
    this.states?.stop();
    this.states = undefined;
  }

  private instancesRead(service: string, reply: IndexedReply<unknown[]>): void {
    // A reply after the first is a change Consul announced: the lag figures time it from now.
    const timing = this.nodesOf.has(service) ? { eventAt: nowMs() } : undefined;
    this.watchEvents++;
    this.noteAcls(service, reply.filteredByAcls);
    const { providers, warnings, nodes } = decodeHealthEntries(service, reply.body, { onlyPassing: this.options.onlyPassing });
    for (const warning of warnings) this.log.warn({ consul: this.client.url, service }, warning);
    this.decodeFailures += warnings.length;
    this.nodesOf.set(service, nodes);
    this.deliver(service, providers, timing);
    this.settleListed(service, 'ready');
  }

  /** The registry's sink drops a write that changes nothing. */
  private deliver(service: string, providers: readonly SourceProvider[], timing?: ChangeTiming): void {
    this.sink?.replace(service, providers, timing);
  }

  /** api/api.go's `ResultsFilteredByACLs`: Consul answered 200 but left out what the token cannot read. */
  private noteAcls(service: string, filtered: boolean): void {
    if (!filtered) {
      this.filtered.delete(service);
      return;
    }
    if (this.filtered.has(service)) return;
    this.filtered.add(service);
    this.log.warn(
      { consul: this.client.url, service },
      `consul service "${service}": the ACL token cannot read every instance (X-Consul-Results-Filtered-By-ACLs); it needs ${NEEDED_RIGHTS}`,
    );
  }

  private aclDetail(): string {
    const names = [...this.filtered].sort();
    const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');
    return `the ACL token cannot read every instance of ${shown}: it needs ${NEEDED_RIGHTS}`;
  }

  private listener<T>(changed: LoopListener<T>['changed']): LoopListener<T> {
    return { changed, reached: () => this.reached(), failed: (error) => this.failed(error) };
  }

  private reached(): void {
    this.lastSync = Date.now();
    if (this.state === 'connected') return;
    if (this.state === 'disconnected') this.log.info({ consul: this.client.url }, 'consul agent reachable again; catching up');
    this.state = 'connected';
    this.detail = undefined;
  }

  private failed(error: ConsulError): void {
    if (error.code === 'TOO_MANY_REQUESTS') {
      // agent/agent.go answers 429 past http_max_conns_per_client: back-pressure, not an outage.
      this.log.debug({ consul: this.client.url }, `${error.message}; backing off`);
      return;
    }
    if (this.state !== 'disconnected') {
      this.log.warn({ consul: this.client.url, code: error.code }, `${error.message}; serving the last known instances and retrying`);
    }
    this.state = 'disconnected';
    this.detail = error.message;
  }
}

function lowercased(names: ReadonlySet<string>): string[] {
  return [...new Set([...names].map((name) => name.toLowerCase()))];
}
