import type { EnsureResult, Source } from './source.js';

/** How far a source's preload got, for readiness and the status page. */
export interface PreloadStatus {
  /** Services in the source's latest listing. */
  listed: number;
  /** Of those, loaded. */
  loaded: number;
  /** True once a complete listing was read and every service in it loaded (and its first answers encoded) at least once. */
  done: boolean;
}

export interface PreloadTarget {
  /** Loads `service` from every source (the registry's `ensure`). */
  ensure(service: string): Promise<EnsureResult>;
  /** Keeps `service` watched while it is listed, however long nobody asks for it. */
  pin(service: string, pinned: boolean): void;
  /** Encodes the loaded `service`'s first answers in every DNS cache, so its first query is a hit. */
  warm(service: string): Promise<void>;
}

/** Services loaded at once: enough to keep a registry busy, few enough not to queue a query behind thousands. */
const IN_FLIGHT = 64;
/** A service that could not be loaded (its registry down) is tried again after this long. */
const RETRY_MS = 500;

/**
 * Follows one source's service listing (`followServices`) and loads every listed service, so a
 * service registered later is loaded, watched and answered from the cache at its first query.
 */
export class Preloader {
  private listed = new Set<string>();
  private readonly loaded = new Set<string>();
  private readonly queue: string[] = [];
  private retrying: string[] = [];
  private inFlight = 0;
  private firstListing = false;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    /** The source's `followServices`. */
    private readonly follow: NonNullable<Source['followServices']>,
    private readonly target: PreloadTarget,
  ) {}

  start(): void {
    this.follow((services) => this.list(services));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    for (const service of this.listed) this.target.pin(service, false);
  }

  status(): PreloadStatus {
    let loaded = 0;
    for (const service of this.listed) if (this.loaded.has(service)) loaded++;
    return { listed: this.listed.size, loaded, done: this.firstListing && loaded === this.listed.size };
  }

  private list(services: readonly string[]): void {
    if (this.stopped) return;
    const next = new Set(services);
    for (const service of this.listed) if (!next.has(service)) this.target.pin(service, false);
    for (const service of next) {
      if (this.listed.has(service)) continue;
      this.target.pin(service, true);
      this.queue.push(service);
    }
    this.listed = next;
    this.firstListing = true;
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < IN_FLIGHT && this.queue.length && !this.stopped) {
      const service = this.queue.shift()!;
      if (!this.listed.has(service) || this.loaded.has(service)) continue;
      this.inFlight++;
      void this.target.ensure(service).then((result) => this.settled(service, result));
    }
  }

  private async settled(service: string, result: EnsureResult): Promise<void> {
    if (result === 'ready') {
      await this.target.warm(service);
      this.loaded.add(service);
    } else this.retryLater(service);
    this.inFlight--;
    this.pump();
  }

  private retryLater(service: string): void {
    this.retrying.push(service);
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.queue.push(...this.retrying);
      this.retrying = [];
      this.pump();
    }, RETRY_MS);
    this.retryTimer.unref();
  }
}
