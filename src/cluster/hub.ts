import type { Registry } from '../registry/registry.js';
import type { ExplainQuestion, WorkerExplanation } from '../server/explain.js';
import { SummedFigures } from './figures.js';
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
  /** Services whose first answers the workers encoded ahead (`warm`): a worker started later encodes them too. */
  private readonly warmed = new Set<string>();
  /** `warm` calls waiting for workers' replies, by id. */
  private readonly warming = new Map<number, { waitingFor: Set<WorkerChannel>; done: () => void }>();
  private nextWarm = 0;
  /** The workers' query counts, summed for the status page's charts. */
  readonly figures = new SummedFigures<WorkerChannel>();
  private readonly explaining = new Map<number, { replies: WorkerExplanation[]; asked: number; finish: () => void }>();
  private nextExplain = 0;

  constructor(private readonly registry: Registry) {
    registry.onChange((service) =>
      this.broadcast({ kind: 'dnsbridge:change', service, providers: registry.providers(service), stale: registry.staleSources(service) }),
    );
    registry.onRelease((service) => {
      this.warmed.delete(service);
      this.broadcast({ kind: 'dnsbridge:release', service });
    });
  }

  add(worker: WorkerChannel): void {
    this.workers.add(worker);
    worker.onMessage((message) => {
      if (isWorkerMessage(message)) void this.receive(worker, message);
    });
  }

  /** A worker that started listening after the preload (a restarted one) encodes what the others did. */
  listening(worker: WorkerChannel): void {
    for (const service of this.warmed) worker.send(this.warmMessage(-1, service));
  }

  remove(worker: WorkerChannel): void {
    this.workers.delete(worker);
    this.figures.remove(worker);
    for (const id of this.warming.keys()) this.warmedBy(worker, id);
  }

  /** Has every worker encode the loaded `service`'s first answers; resolves once each did (or left). */
  warm(service: string): Promise<void> {
    this.warmed.add(service);
    if (!this.workers.size) return Promise.resolve();
    const id = this.nextWarm++;
    return new Promise((done) => {
      this.warming.set(id, { waitingFor: new Set(this.workers), done });
      for (const worker of this.workers) worker.send(this.warmMessage(id, service));
    });
  }

  broadcast(message: PrimaryMessage): void {
    for (const worker of this.workers) worker.send(message);
  }

  /**
   * Asks every worker to explain `question` from its own zone and cache (each has a cache of its
   * own); resolves with the replies that came within `timeoutMs`.
   */
  explain(question: ExplainQuestion, timeoutMs = 5000): Promise<{ asked: number; replies: WorkerExplanation[] }> {
    const id = this.nextExplain++;
    const asked = this.workers.size;
    return new Promise((resolve) => {
      const replies: WorkerExplanation[] = [];
      const finish = () => {
        clearTimeout(timer);
        this.explaining.delete(id);
        resolve({ asked, replies });
      };
      const timer = setTimeout(finish, timeoutMs);
      this.explaining.set(id, { replies, asked, finish });
      if (asked === 0) finish();
      else this.broadcast({ kind: 'dnsbridge:explain', id, question });
    });
  }

  private async receive(worker: WorkerChannel, message: WorkerMessage): Promise<void> {
    if (message.kind === 'dnsbridge:explained') {
      const pending = this.explaining.get(message.id);
      pending?.replies.push({ pid: message.pid, explanation: message.explanation });
      if (pending && pending.replies.length === pending.asked) pending.finish();
      return;
    }
    if (message.kind === 'dnsbridge:warmed') {
      this.warmedBy(worker, message.id);
      return;
    }
    if (message.kind === 'dnsbridge:touch') {
      for (const service of message.services) this.registry.touch(service);
      return;
    }
    if (message.kind === 'dnsbridge:figures') {
      if (this.workers.has(worker)) this.figures.report(worker, message.figures);
      return;
    }
    const result = await this.registry.ensure(message.service);
    if (this.workers.has(worker)) {
      const { service } = message;
      worker.send({ kind: 'dnsbridge:ensured', id: message.id, result, providers: this.registry.providers(service), stale: this.registry.staleSources(service) });
    }
  }

  private warmMessage(id: number, service: string): PrimaryMessage {
    return { kind: 'dnsbridge:warm', id, service, providers: this.registry.providers(service), stale: this.registry.staleSources(service) };
  }

  private warmedBy(worker: WorkerChannel, id: number): void {
    const waiting = this.warming.get(id);
    if (!waiting?.waitingFor.delete(worker) || waiting.waitingFor.size) return;
    this.warming.delete(id);
    waiting.done();
  }
}
