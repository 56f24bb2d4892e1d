import type { Registry } from '../registry/registry.js';
import { isWorkerMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';

/** A worker as the primary sees it: `cluster.Worker` in production. */
export interface WorkerChannel {
  send(message: PrimaryMessage): void;
  onMessage(listener: (message: WorkerMessage) => void): void;
}

/**
 * The primary's side of the replicas: answers workers' first-query loads from the registry and
 * pushes every registry change and release to every worker, so their caches invalidate.
 */
export class WorkerHub {
  private readonly workers = new Set<WorkerChannel>();

  constructor(private readonly registry: Registry) {
    registry.onChange((service) =>
      this.broadcast({ kind: 'dnsbridge:change', service, providers: registry.providers(service), stale: registry.staleSources(service) }),
    );
    registry.onRelease((service) => this.broadcast({ kind: 'dnsbridge:release', service }));
  }

  add(worker: WorkerChannel): void {
    this.workers.add(worker);
    worker.onMessage((message) => {
      if (isWorkerMessage(message)) void this.receive(worker, message);
    });
  }

  remove(worker: WorkerChannel): void {
    this.workers.delete(worker);
  }

  broadcast(message: PrimaryMessage): void {
    for (const worker of this.workers) worker.send(message);
  }

  private async receive(worker: WorkerChannel, message: WorkerMessage): Promise<void> {
    if (message.kind === 'dnsbridge:touch') {
      for (const service of message.services) this.registry.touch(service);
      return;
    }
    const result = await this.registry.ensure(message.service);
    if (this.workers.has(worker)) {
      const { service } = message;
      worker.send({ kind: 'dnsbridge:ensured', id: message.id, result, providers: this.registry.providers(service), stale: this.registry.staleSources(service) });
    }
  }
}
