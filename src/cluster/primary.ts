import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry, Registry as PromRegistry } from 'prom-client';
import type { Config } from '../config/load.js';
import type { Endpoint } from '../forward/endpoint.js';
import { HealthSettings } from '../health/options.js';
import { startHealthChecks } from '../health/setup.js';
import { needsRestart } from '../lifecycle/dns-reload.js';
import { SourceSet, type SourceReload } from '../lifecycle/source-set.js';
import { registerSourceMetrics } from '../ops/metrics.js';
import { startOpsServer } from '../ops/ops-server.js';
import { Registry } from '../registry/registry.js';
import { warnServicesNamedLikeDatacenters } from '../zone/datacenter-warning.js';
import { datacenterOptions } from '../zone/datacenters.js';
import { registryOptions } from '../serve.js';
import { fromWorkers, type ExplainQuestion } from '../server/explain.js';
import { createSources, type SourceInstance } from '../sources/index.js';
import { WorkerHub, type WorkerChannel } from './hub.js';
import type { PrimaryMessage, WorkerMessage } from './messages.js';

/** The primary of `--workers N`: runs the sources once, and N workers answer DNS on shared sockets. */
export interface Primary {
  registry: Registry;
  hub: WorkerHub;
  /** Where the status page, metrics and API listen (`--http`). */
  http: Endpoint;
  /** Prometheus text: the sum over workers, plus the primary's own source figures. */
  metricsText(): Promise<string>;
  /** Reloads the sources here and tells every worker to reload its DNS path (SIGHUP). */
  reload(config: Config): Promise<SourceReload & { restartNeeded: string[] }>;
  close(): Promise<void>;
}

/** A worker that dies this soon after starting is crash-looping: not restarted, the bridge exits. */
const MIN_WORKER_LIFE_MS = 5000;

export async function startPrimary(config: Config, log: Logger, workers: number, sources?: SourceInstance[]): Promise<Primary> {
  const registry = new Registry(sources ?? (await createSources(config.sources, log)), registryOptions(config));
  const hub = new WorkerHub(registry);
  // Only the source figures here: the query figures come summed from the workers.
  const sourceMetrics = new PromRegistry();
  registerSourceMetrics(sourceMetrics, registry);
  // Checks run here, once per bridge: their results reach the workers as registry changes.
  const health = startHealthChecks(registry, config, log, sourceMetrics);
  const aggregator = new AggregatorRegistry();
  const sourceSet = new SourceSet(registry, config, log);
  let current = config;
  let stopping = false;
  // A preload's first answers are encoded in every worker, once they all listen.
  let listening!: () => void;
  const workersListening = new Promise<void>((resolve) => (listening = resolve));
  registry.warmWith(async (service) => {
    await workersListening;
    await hub.warm(service);
  });
  warnServicesNamedLikeDatacenters(registry, () => ({ domain: current.domain, datacenters: datacenterOptions(current) }), log);
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
    return new Promise((resolve) =>
      worker.on('message', (m: { kind?: string }) => {
        if (m?.kind !== 'dnsbridge:listening') return;
        hub.listening(channel);
        resolve(worker);
      }),
    );
  };
  await Promise.all(Array.from({ length: workers }, fork));
  listening();
  log.info({ listen: config.listen, domain: config.domain, workers, sources: registry.sources.map((s) => s.name) }, 'dnsbridge listening');
  const metricsText = async () => {
    const [summed, own] = await Promise.all([aggregator.clusterMetrics(), sourceMetrics.metrics()]);
    return `${summed}\n${own}`;
  };
  // Explain asks every worker: the zone's decision is the same in each, each has its own cache.
  const explain = async (question: ExplainQuestion) => {
    const { asked, replies } = await hub.explain(question);
    return fromWorkers(asked, replies);
  };
  // The answer cache lives in the workers: the page shows its figures through /metrics only.
  const ops = await startOpsServer(
    { registry, cache: () => undefined, queries: () => hub.figures.total(), metrics: metricsText, listening: () => !stopping, health, explain },
    config.http,
    log,
  );

  return {
    registry,
    hub,
    http: ops.address,
    metricsText,
    async reload(next) {
      const plan = await sourceSet.prepare(next);
      hub.broadcast({ kind: 'dnsbridge:reload' });
      const result = await plan.apply();
      health.configure(new HealthSettings(next));
      const restartNeeded = needsRestart(current, next);
      current = next;
      log.level = next['log-level'];
      return { ...result, restartNeeded };
    },
    async close() {
      stopping = true;
      const exits = Object.values(cluster.workers ?? {}).map(
        (worker) => new Promise<void>((resolve) => (worker!.isDead() ? resolve() : (worker!.once('exit', () => resolve()), worker!.kill('SIGTERM')))),
      );
      await Promise.all(exits);
      await ops.close();
      health.stop();
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
