import type { Logger } from 'pino';
import type { Endpoint } from '../forward/endpoint.js';
import { isServiceName } from '../registry/fields.js';
import type { ExplainQuestion, Explanation } from '../server/explain.js';
import { explainJson, serviceJson, servicesJson, statusJson, topJson, type CacheFigures, type HealthReader, type RegistryReader, type TopJson, type TransferStatus } from './api.js';
import { assetRoutes } from './assets.js';
import { ChangeLog } from './changes.js';
import { EventStream } from './events.js';
import { explainQuestion } from './explain-params.js';
import { History } from './history.js';
import { logLoadProgress } from './load-progress.js';
import { HttpServer, sendJson, sendText, type Route } from './http.js';
import type { QueryFigures } from './metrics.js';
import { readiness } from './readiness.js';
import { STATUS_PAGE } from './status-page.js';

export interface OpsDeps {
  registry: RegistryReader & { onChange(listener: (service: string) => void): void };
  /** The answer cache's figures; undefined where the cache lives in other processes (workers). */
  cache(): CacheFigures | undefined;
  /** Query counts since start, summed over DNS workers, for the charts. */
  queries(): QueryFigures;
  /** Prometheus text exposition of every metric. */
  metrics(): Promise<string>;
  /** False before the DNS sockets listen and once shutdown began. */
  listening(): boolean;
  health: HealthReader;
  /** Zone transfers' serial and secondaries, when configured. */
  transfers?(): TransferStatus;
  /** `/api/explain`: what answering a question does and why; undefined when no DNS worker answered. */
  explain(question: ExplainQuestion): Promise<Explanation | undefined>;
}

export interface OpsServer {
  address: Endpoint;
  close(): Promise<void>;
}

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** How often open status pages get fresh source and cache figures when nothing changed. */
const STATUS_EVERY_MS = 5000;
/** The charts' resolution: one sample a second, kept 15 minutes. */
const SAMPLE_EVERY_MS = 1000;

/** `--http`: metrics, health, readiness, the JSON API and the live status page; and the log's loading progress. */
export async function startOpsServer(deps: OpsDeps, endpoint: Endpoint, log: Logger): Promise<OpsServer> {
  const changes = new ChangeLog();
  const events = new EventStream();
  const status = () => statusJson(deps.registry, deps.cache(), changes.list(), deps.listening(), deps.health, deps.transfers?.());
  const stopPushing = pushChanges(deps, changes, events, status);
  const stopProgress = logLoadProgress(deps.registry, log);
  const live = startLive(deps, events);
  const server = new HttpServer(routes(deps, events, status, live), log);
  const address = await server.listen(endpoint).catch((error) => {
    live.stop();
    stopProgress();
    stopPushing();
    events.close();
    throw error;
  });
  log.info({ http: address }, 'status page, metrics and API listening');
  return {
    address,
    async close() {
      live.stop();
      stopProgress();
      stopPushing();
      events.close();
      await server.close();
    },
  };
}

/** What the page draws besides the registry: the charts' samples and the busiest services. */
interface Live {
  history: History;
  top: () => TopJson;
  stop(): void;
}

/** Samples the charts' figures and the busiest services once a second, kept and sent to open pages. */
function startLive(deps: OpsDeps, events: EventStream): Live {
  // Read once a tick: the history and the busiest services come from the same reading.
  let figures = deps.queries();
  const history = new History({
    queries: () => figures,
    statuses: () => deps.registry.statuses(),
    unhealthy: () => {
      const health = deps.health.figures();
      return health.checked ? health.unhealthy : undefined;
    },
  });
  const top = () => topJson(deps.registry, figures.top);
  const sampler = setInterval(() => {
    figures = deps.queries();
    events.send('sample', history.sample());
    events.send('top', top());
  }, SAMPLE_EVERY_MS);
  sampler.unref();
  return { history, top, stop: () => clearInterval(sampler) };
}

function routes(deps: OpsDeps, events: EventStream, status: () => ReturnType<typeof statusJson>, { history, top }: Live): Route[] {
  return [
    { path: '/', handle: (_req, res) => sendText(res, 200, STATUS_PAGE, 'text/html; charset=utf-8') },
    ...assetRoutes(),
    { path: '/healthz', handle: (_req, res) => sendText(res, 200, 'ok\n') },
    {
      path: '/readyz',
      handle: (_req, res) => {
        const { ready, lines } = readiness(deps.listening(), deps.registry.statuses());
        sendText(res, ready ? 200 : 503, `${ready ? 'ready' : 'not ready'}\n${lines.map((l) => `${l}\n`).join('')}`);
      },
    },
    { path: '/metrics', handle: async (_req, res) => sendText(res, 200, await deps.metrics(), PROMETHEUS_TEXT) },
    { path: '/api/status', handle: (_req, res) => sendJson(res, 200, status()) },
    { path: '/api/services', handle: (_req, res) => sendJson(res, 200, servicesJson(deps.registry, deps.health)) },
    {
      path: '/api/services/',
      prefix: true,
      handle: async (_req, res, name) => {
        const service = name.toLowerCase();
        if (!isServiceName(service)) return sendJson(res, 400, { error: 'EBADNAME', message: `"${name}" is not a service name` });
        // A source that loads services on demand (ZooKeeper) is asked now, as a first query would.
        await deps.registry.ensure(service);
        const found = serviceJson(deps.registry, service, deps.health);
        sendJson(res, found.providers.length ? 200 : 404, found.providers.length ? found : { error: 'ENOTFOUND', message: `no providers of ${service}`, name: service });
      },
    },
    {
      path: '/api/explain',
      handle: async (req, res) => {
        const question = explainQuestion(new URL(req.url ?? '/', 'http://localhost').searchParams, req.socket.remoteAddress);
        if (typeof question === 'string') return sendJson(res, 400, { error: 'EBADQUESTION', message: question });
        const explanation = await deps.explain(question);
        if (!explanation) return sendJson(res, 503, { error: 'ENOWORKER', message: 'no DNS worker answered in time' });
        sendJson(res, 200, explainJson(explanation, deps.registry.statuses()));
      },
    },
    {
      path: '/events',
      handle: (req, res) => events.attach(req, res, [['snapshot', { ...servicesJson(deps.registry, deps.health), status: status(), history: history.samples(), top: top() }]]),
    },
    { path: '/api/top', handle: (_req, res) => sendJson(res, 200, top()) },
  ];
}

/**
 * Registry changes to open pages: changes to one service within a tick go out once, each as the
 * service's new providers plus fresh figures. Returns how to stop.
 */
function pushChanges({ registry, health }: OpsDeps, changes: ChangeLog, events: EventStream, status: () => unknown): () => void {
  const changed = new Set<string>();
  let stopped = false;
  const flush = () => {
    for (const name of changed) {
      const service = serviceJson(registry, name, health);
      changes.record(name, service.providers);
      events.send('service', service);
    }
    changed.clear();
    events.send('status', status());
  };
  registry.onChange((service) => {
    if (stopped) return;
    if (changed.size === 0) setImmediate(flush);
    changed.add(service);
  });
  const timer = setInterval(() => events.size && events.send('status', status()), STATUS_EVERY_MS);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
