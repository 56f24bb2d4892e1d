import type { SourceProvider } from '../../registry/provider.js';
import type { EnsureResult } from '../../registry/source.js';
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
    private readonly publish: (providers: SourceProvider[]) => void,
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

  changed(): void {
    this.publish(this.prefixes.flatMap((prefix) => prefix.providers()));
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
