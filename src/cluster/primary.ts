import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from '../config/load.js';
import { Metrics } from '../ops/metrics.js';
import { Registry } from '../registry/registry.js';
import type { Source } from '../registry/source.js';
import { registryOptions } from '../serve.js';
import { createSources } from '../sources/index.js';
import { WorkerHub, type WorkerChannel } from './hub.js';
import type { PrimaryMessage, WorkerMessage } from './messages.js';

/** The primary of `--workers N`: runs the sources once, and N workers answer DNS on shared sockets. */
export interface Primary {
  registry: Registry;
  hub: WorkerHub;
  /** Prometheus text: the sum over workers, plus the primary's own source figures. */
  metricsText(): Promise<string>;
  close(): Promise<void>;
}

/** A worker that dies this soon after starting is crash-looping: not restarted, the bridge exits. */
const MIN_WORKER_LIFE_MS = 5000;

export async function startPrimary(config: Config, log: Logger, workers: number, sources: Source[] = createSources(config, log)): Promise<Primary> {
  const registry = new Registry(sources, registryOptions);
  const hub = new WorkerHub(registry);
  const sourceMetrics = new Metrics();
  sourceMetrics.watchSources(registry);
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  registry.start();

  const fork = (): Promise<Worker> => {
    const worker = cluster.fork();
    const started = Date.now();
    const channel = workerChannel(worker);
    hub.add(channel);
    worker.on('exit', (code, signal) => {
      hub.remove(channel);
      if (stopping) return;
      log.error({ pid: worker.process.pid, code, signal }, 'DNS worker died');
      if (Date.now() - started < MIN_WORKER_LIFE_MS) process.exit(typeof code === 'number' && code !== 0 ? code : 1);
      void fork();
    });
    return new Promise((resolve) => worker.on('message', (m: { kind?: string }) => m?.kind === 'dnsbridge:listening' && resolve(worker)));
  };
  await Promise.all(Array.from({ length: workers }, fork));
  log.info({ listen: config.listen, domain: config.domain, workers, sources: sources.map((s) => s.name) }, 'dnsbridge listening');

  return {
    registry,
    hub,
    async metricsText() {
      const [summed, own] = await Promise.all([aggregator.clusterMetrics(), sourceMetrics.registry.metrics()]);
      return `${summed}\n${own}`;
    },
    async close() {
      stopping = true;
      const exits = Object.values(cluster.workers ?? {}).map(
        (worker) => new Promise<void>((resolve) => (worker!.isDead() ? resolve() : (worker!.once('exit', () => resolve()), worker!.kill('SIGTERM')))),
      );
      await Promise.all(exits);
      await registry.stop();
    },
  };
}

function workerChannel(worker: Worker): WorkerChannel {
  return {
    send: (message: PrimaryMessage) => {
      if (worker.isConnected()) worker.send(message);
    },
    onMessage: (listener) => worker.on('message', (message: WorkerMessage) => listener(message)),
  };
}
