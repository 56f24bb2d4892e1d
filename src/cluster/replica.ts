import type { Provider } from '../registry/provider.js';
import type { EnsureResult } from '../registry/source.js';
import type { ProviderView } from '../registry/view.js';
import type { PrimaryMessage, WorkerMessage } from './messages.js';

/** How a worker talks to its primary: `process.send` and `process.on('message')` in production. */
export interface PrimaryChannel {
  send(message: WorkerMessage): void;
  onMessage(listener: (message: PrimaryMessage) => void): void;
}

/**
 * A worker's copy of the registry. The primary pushes every change; a first query for a
 * service asks the primary to load it. Queried services are reported in batches so the
 * primary keeps watching them.
 */
export class ReplicaView implements ProviderView {
  private readonly providersByService = new Map<string, readonly Provider[]>();
  private readonly staleByService = new Map<string, readonly string[]>();
  private readonly ready = new Set<string>();
  private readonly waiting = new Map<number, { service: string; resolve: (result: EnsureResult) => void }>();
  private readonly listeners: ((service: string) => void)[] = [];
  private touched = new Set<string>();
  private warmer: (service: string) => Promise<void> = async () => {};
  private nextId = 0;
  private readonly flusher: NodeJS.Timeout;

  constructor(
    private readonly channel: PrimaryChannel,
    touchFlushMs = 5000,
  ) {
    channel.onMessage((message) => this.receive(message));
    this.flusher = setInterval(() => this.flushTouches(), touchFlushMs);
    this.flusher.unref();
  }

  providers(service: string): readonly Provider[] {
    return this.providersByService.get(service) ?? [];
  }

  staleSources(service: string): readonly string[] {
    return this.staleByService.get(service) ?? [];
  }

  ensure(service: string): Promise<EnsureResult> {
    this.touch(service);
    if (this.ready.has(service)) return Promise.resolve('ready');
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, { service, resolve });
      this.channel.send({ kind: 'dnsbridge:ensure', id, service });
    });
  }

  loaded(service: string): boolean {
    return this.ready.has(service);
  }

  touch(service: string): void {
    this.touched.add(service);
  }

  onChange(listener: (service: string) => void): void {
    this.listeners.push(listener);
  }

  /** How this worker encodes a preloaded service's first answers when the primary says it is loaded. */
  warmWith(warmer: (service: string) => Promise<void>): void {
    this.warmer = warmer;
  }

  stop(): void {
    clearInterval(this.flusher);
  }

  private receive(message: PrimaryMessage): void {
    switch (message.kind) {
      case 'dnsbridge:ensured': {
        const waiting = this.waiting.get(message.id);
        if (!waiting) return;
        this.waiting.delete(message.id);
        // A worker started after the service was loaded has seen none of its changes.
        this.store(waiting.service, message.providers, message.stale);
        if (message.result === 'ready') this.ready.add(waiting.service);
        waiting.resolve(message.result);
        return;
      }
      case 'dnsbridge:change':
        this.store(message.service, message.providers, message.stale);
        return;
      case 'dnsbridge:warm':
        this.store(message.service, message.providers, message.stale);
        this.ready.add(message.service);
        void this.warmer(message.service)
          .catch(() => undefined)
          .then(() => message.id >= 0 && this.channel.send({ kind: 'dnsbridge:warmed', id: message.id }));
        return;
      case 'dnsbridge:release':
        this.ready.delete(message.service);
        this.store(message.service, [], []);
        return;
    }
  }

  private store(service: string, providers: readonly Provider[], stale: readonly string[]): void {
    if (providers.length) this.providersByService.set(service, providers);
    else this.providersByService.delete(service);
    if (stale.length) this.staleByService.set(service, stale);
    else this.staleByService.delete(service);
    for (const listener of this.listeners) listener(service);
  }

  private flushTouches(): void {
    if (this.touched.size === 0) return;
    this.channel.send({ kind: 'dnsbridge:touch', services: [...this.touched] });
    this.touched = new Set();
  }
}
