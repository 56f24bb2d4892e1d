// TEST DOUBLE of Consul's HTTP API: NOT Consul. Consul cannot be installed on this machine (not
// in Debian, not on npm), so the catalog source is tested against this stand-in. It implements
// only what the source uses, following Consul's documented semantics:
// - GET /v1/health/service/:service[?passing][&index=N][&wait=D]: the `{Node, Service, Checks}`
//   entries of the service; `passing` keeps only instances whose checks all pass. Every reply
//   carries `X-Consul-Index`. With `index` > 0 the request is held until the service's index
//   moves past it or `wait` (default 5m, at most 10m, plus up to wait/16) runs out.
// - GET /v1/status/leader: the leader's address.
// - An ACL token, when one is required, in the `X-Consul-Token` header (403 otherwise).
// Controls for tests: set instances, mark one critical, remove one, make the index go backwards
// (a snapshot restore, which wakes every blocked query), go down and come back up.
import http from 'node:http';
import { LoopbackHttpServer } from './loopback-http-server.js';

export interface DoubleInstance {
  node: string;
  nodeAddress: string;
  /** Defaults to `<service>-<node>`. */
  id?: string;
  /** Empty: Consul then gives `Node.Address` to clients. */
  address?: string;
  port: number;
  tags?: string[];
  /** `Service.Weights.Passing`. */
  weight?: number;
  status?: 'passing' | 'warning' | 'critical';
}

interface ServiceState {
  index: number;
  instances: DoubleInstance[];
  /** Entries sent as given, to test how the source treats malformed ones. */
  raw: unknown[];
}

interface Held {
  service: string;
  after: number;
  wake: () => void;
}

/** A request the double received, for assertions. */
export interface SeenRequest {
  path: string;
  index?: number;
  token?: string;
}

const MAX_WAIT_MS = 10 * 60_000;

export class ConsulHttpDouble {
  readonly requests: SeenRequest[] = [];
  private readonly services = new Map<string, ServiceState>();
  private readonly held = new Set<Held>();
  private readonly catchUpWaiters = new Set<() => void>();
  /** Per service: how many requests had been seen at its last change. */
  private readonly changedAt = new Map<string, number>();
  private readonly server: LoopbackHttpServer;
  /** Raft-like index, bumped by every write. */
  private lastIndex = 1;
  /** Set to require this ACL token. */
  requiredToken?: string;

  private constructor(port: number) {
    this.server = new LoopbackHttpServer((req, res) => this.handle(req, res), port);
  }

  /** A double that will listen on `port` (0: any free port) once `up()` is called. */
  static async start(port = 0): Promise<ConsulHttpDouble> {
    const double = new ConsulHttpDouble(port);
    await double.up();
    return double;
  }

  /** A double for `port` that does not listen until `up()`: an agent that is down. */
  static notListening(port: number): ConsulHttpDouble {
    return new ConsulHttpDouble(port);
  }

  get url(): string {
    return this.server.url;
  }

  up(): Promise<void> {
    return this.server.up();
  }

  /** Stops answering: open connections (held queries too) are cut, new ones refused. */
  async down(): Promise<void> {
    // Not listening from here on, so the held queries woken below get no answer.
    const closing = this.server.down();
    for (const held of this.held) held.wake();
    await closing;
  }

  setInstances(service: string, instances: DoubleInstance[]): void {
    this.write(service, (state) => (state.instances = instances.map((i) => ({ ...i }))));
  }

  addInstance(service: string, instance: DoubleInstance): void {
    this.write(service, (state) => state.instances.push({ ...instance }));
  }

  setRawEntries(service: string, entries: unknown[]): void {
    this.write(service, (state) => (state.raw = entries));
  }

  markCritical(service: string, node: string): void {
    this.write(service, (state) => {
      for (const instance of state.instances) if (instance.node === node) instance.status = 'critical';
    });
  }

  remove(service: string, node: string): void {
    this.write(service, (state) => (state.instances = state.instances.filter((i) => i.node !== node)));
  }

  /**
   * A snapshot restore: the index drops to `index` with these instances, and every held query
   * wakes up (Consul abandons its watches on restore). A client that does not reset its index
   * keeps blocking on the old, higher one and misses later changes.
   */
  restoreSnapshot(service: string, index: number, instances: DoubleInstance[]): void {
    this.lastIndex = index;
    this.services.set(service, { index, instances: instances.map((i) => ({ ...i })), raw: [] });
    this.changedAt.set(service, this.requests.length);
    for (const held of this.held) held.wake();
  }

  /** The index the double reports for `service` now. */
  indexOf(service: string): number {
    return this.services.get(service)?.index ?? this.lastIndex;
  }

  /**
   * Resolves once the client has asked about `service` with the double's current index: it
   * has taken in every change and is blocking for the next. Fails after `limitMs` (a hang guard).
   */
  async caughtUp(service: string, limitMs = 15_000): Promise<void> {
    const path = `/v1/health/service/${service}`;
    const done = () =>
      this.requests.slice(this.changedAt.get(service) ?? 0).some((r) => r.path === path && r.index === this.indexOf(service));
    if (done()) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.catchUpWaiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.catchUpWaiters.delete(check);
        const last = this.requests.filter((r) => r.path.endsWith(`/${service}`)).at(-1);
        reject(new Error(`client never asked for ${service} at index ${this.indexOf(service)}; last asked index ${last?.index}`));
      }, limitMs);
      this.catchUpWaiters.add(check);
    });
  }

  async stop(): Promise<void> {
    await this.down();
  }

  private write(service: string, change: (state: ServiceState) => void): void {
    let state = this.services.get(service);
    if (!state) this.services.set(service, (state = { index: 0, instances: [], raw: [] }));
    change(state);
    state.index = ++this.lastIndex;
    this.changedAt.set(service, this.requests.length);
    for (const held of this.held) if (held.service === service && state.index > held.after) held.wake();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://double');
    const token = headerValue(req.headers['x-consul-token']);
    const indexParam = url.searchParams.get('index');
    this.requests.push({ path: url.pathname, index: indexParam === null ? undefined : Number(indexParam), token });
    for (const check of [...this.catchUpWaiters]) check();
    if (this.requiredToken !== undefined && token !== this.requiredToken) return text(res, 403, 'ACL not found');
    if (url.pathname === '/v1/status/leader') return json(res, 200, '127.0.0.1:8300');
    const match = /^\/v1\/health\/service\/([^/]+)$/.exec(url.pathname);
    if (!match) return text(res, 404, `no such endpoint in the double: ${url.pathname}`);
    const service = decodeURIComponent(match[1]);
    const after = Number(indexParam ?? 0);
    this.hold(service, after, waitMs(url.searchParams.get('wait')), () => this.answer(res, service, url.searchParams.has('passing')));
  }

  /** Holds the request while the service's index is not past `after`, at most `wait`. */
  private hold(service: string, after: number, wait: number, reply: () => void): void {
    if (!(after > 0) || this.indexOf(service) > after) return reply();
    const held: Held = {
      service,
      after,
      wake: () => {
        clearTimeout(timer);
        this.held.delete(held);
        if (this.server.listening) reply();
      },
    };
    const timer = setTimeout(held.wake, wait + Math.random() * (wait / 16));
    this.held.add(held);
  }

  private answer(res: http.ServerResponse, service: string, passing: boolean): void {
    const state = this.services.get(service);
    const instances = (state?.instances ?? []).filter((i) => !passing || (i.status ?? 'passing') === 'passing');
    const entries = [...instances.map((i) => entry(service, i)), ...(state?.raw ?? [])];
    res.setHeader('X-Consul-Index', String(this.indexOf(service)));
    res.setHeader('X-Consul-KnownLeader', 'true');
    res.setHeader('X-Consul-LastContact', '0');
    json(res, 200, entries);
  }
}

function entry(service: string, i: DoubleInstance): unknown {
  const id = i.id ?? `${service}-${i.node}`;
  const status = i.status ?? 'passing';
  return {
    Node: { ID: `node-${i.node}`, Node: i.node, Address: i.nodeAddress, Datacenter: 'dc1', TaggedAddresses: { lan: i.nodeAddress }, Meta: {} },
    Service: {
      ID: id,
      Service: service,
      Tags: i.tags ?? [],
      Address: i.address ?? '',
      Port: i.port,
      Weights: { Passing: i.weight ?? 1, Warning: 1 },
      Meta: {},
    },
    Checks: [
      { Node: i.node, CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing', ServiceID: '', ServiceName: '' },
      { Node: i.node, CheckID: `service:${id}`, Name: `Service '${service}' check`, Status: status, ServiceID: id, ServiceName: service },
    ],
  };
}

/** Consul's `wait`: a Go duration such as `30s` or `5m`, default 5 minutes, at most 10. */
function waitMs(text: string | null): number {
  const match = text ? /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text) : null;
  if (!match) return 5 * 60_000;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  return Math.min(MAX_WAIT_MS, Number(match[1]) * unit);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

function text(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain' }).end(body);
}
