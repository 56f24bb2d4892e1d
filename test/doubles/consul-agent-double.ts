// TEST DOUBLE of the Consul agent's local service API: NOT Consul. Consul cannot be installed on
// this machine (not in Debian, not on npm), so `dnsbridge register --consul` is tested against
// this stand-in. It follows Consul 1.18-1.20, read from hashicorp/consul: agent/agent.go,
// agent/agent_endpoint.go, agent/checks/check.go and agent/config/default.go. It implements only
// what register uses:
// - PUT /v1/agent/service/register: `{ID, Name, Tags, Address, Port, Check}`; registering an
//   existing ID replaces it. A new check starts `critical` unless the definition gives `Status`
//   (agent/agent.go `addServiceInternal`).
// - GET /v1/agent/service/:id: the service, or 404 when the agent does not have it.
// - PUT /v1/agent/service/deregister/:id: removes the service and its check (404 if unknown).
// - PUT /v1/agent/check/pass|warn|fail/:id?note=…: sets a TTL check's state (404 for an unknown
//   check, 500 for one that has no TTL); a TTL check not updated for its TTL turns `critical`.
// - HTTP and TCP checks are run by the agent every `Interval`: an HTTP check passes on 2xx, warns
//   on 429, else is critical; a TCP check passes when it connects (agent/checks/check.go).
// - Reaping: every `reapIntervalMs` (Consul: 30 s, `check_reap_interval`) a service whose check has
//   been critical longer than its `DeregisterCriticalServiceAfter` is removed (agent/agent.go
//   `reapServicesInternal`); Consul raises a shorter value to 1 minute (`minDeregisterAfterMs`,
//   agent/config/default.go `check_deregister_interval_min`), which tests lower to stay short.
// - An ACL token, when one is required, in the `X-Consul-Token` header (403 otherwise).
// - Listening: plain HTTP on a loopback port, HTTPS (with `verify_incoming`, a client certificate
//   the CA signed is required), or a unix socket (agent/config/builder.go `addresses.http`).
// With a ConsulHttpDouble as its catalog, every change is mirrored there as the health endpoint
// would show it, so `dnsbridge serve --consul` sees what register did.
import http from 'node:http';
import net from 'node:net';
import { LoopbackHttpServer, type ListenOptions } from './loopback-http-server.js';
import type { ConsulHttpDouble } from './consul-http-double.js';

export type CheckStatus = 'passing' | 'warning' | 'critical';

export interface AgentService {
  id: string;
  name: string;
  tags: string[];
  address: string;
  port: number;
  /** The check definition as sent (`TTL`, or `HTTP`/`TCP` with `Interval`). */
  check: Record<string, unknown>;
  status: CheckStatus;
  /** The last note or TTL-expiry output. */
  output: string;
  /** When the check last turned critical (ms since epoch); undefined while it is not. */
  criticalSince?: number;
}

interface AgentRequest {
  method: string;
  path: string;
  token?: string;
}

export class ConsulAgentDouble {
  readonly requests: AgentRequest[] = [];
  readonly services = new Map<string, AgentService>();
  /** Set to require this ACL token. */
  requiredToken?: string;
  /** How often the agent looks for services to reap (Consul: 30 s). */
  reapIntervalMs = 30_000;
  /** The least DeregisterCriticalServiceAfter Consul accepts (1 minute); tests lower it. */
  minDeregisterAfterMs = 60_000;
  /** Services the agent reaped, by ID, for assertions. */
  readonly reaped: string[] = [];
  private reaper?: NodeJS.Timeout;
  private readonly checkTimers = new Map<string, NodeJS.Timeout>();
  private readonly server: LoopbackHttpServer;
  private readonly ttlTimers = new Map<string, NodeJS.Timeout>();
  private readonly waiters = new Set<() => void>();
  /** Service names shown in the catalog, so one that is gone is emptied there. */
  private mirrored = new Set<string>();

  private constructor(
    private readonly catalog?: ConsulHttpDouble,
    listen: ListenOptions = {},
  ) {
    this.server = new LoopbackHttpServer((req, res) => this.receive(req, res), 0, undefined, listen);
  }

  /** An agent double; over HTTPS or on a unix socket when `listen` says so. */
  static async start(catalog?: ConsulHttpDouble, reaping: { reapIntervalMs?: number; minDeregisterAfterMs?: number } = {}, listen: ListenOptions = {}): Promise<ConsulAgentDouble> {
    const double = new ConsulAgentDouble(catalog, listen);
    Object.assign(double, reaping);
    await double.up();
    return double;
  }

  get url(): string {
    return this.server.url;
  }

  /** Starts answering (again, on the same port), and reaping. */
  up(): Promise<void> {
    clearInterval(this.reaper);
    this.reaper = setInterval(() => this.reap(), this.reapIntervalMs);
    this.reaper.unref();
    return this.server.up();
  }

  /** Stops answering: the agent is unreachable. Its services are kept, as an agent restart keeps them. */
  down(): Promise<void> {
    return this.server.down();
  }

  async stop(): Promise<void> {
    for (const timer of this.ttlTimers.values()) clearTimeout(timer);
    for (const timer of this.checkTimers.values()) clearInterval(timer);
    clearInterval(this.reaper);
    await this.down();
  }

  /** The agent forgets a service, as one restarted without its data directory does. */
  forget(id: string): void {
    this.services.delete(id);
    this.changed();
  }

  /** Resolves once `condition` holds (checked at once and after every change). */
  until(condition: (services: Map<string, AgentService>) => boolean): Promise<void> {
    if (condition(this.services)) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!condition(this.services)) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  private receive(req: http.IncomingMessage, res: http.ServerResponse): void {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://double');
      const token = req.headers['x-consul-token'] as string | undefined;
      this.requests.push({ method: req.method ?? '', path: url.pathname, token });
      if (this.requiredToken !== undefined && token !== this.requiredToken) return reply(res, 403, 'Permission denied');
      const read = /^\/v1\/agent\/service\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && read) return this.read(res, decodeURIComponent(read[1]));
      if (req.method !== 'PUT') return reply(res, 405, `method ${req.method} not allowed`);
      const [status, text] = this.route(url, body);
      reply(res, status, text);
    });
  }

  private route(url: URL, body: string): [number, string] {
    if (url.pathname === '/v1/agent/service/register') return this.register(JSON.parse(body) as Record<string, unknown>);
    const deregister = /^\/v1\/agent\/service\/deregister\/(.+)$/.exec(url.pathname);
    if (deregister) return this.deregister(decodeURIComponent(deregister[1]));
    const update = /^\/v1\/agent\/check\/(pass|warn|fail)\/(.+)$/.exec(url.pathname);
    if (update) return this.updateCheck(decodeURIComponent(update[2]), update[1], url.searchParams.get('note') ?? '');
    return [404, `no such endpoint in the double: ${url.pathname}`];
  }

  private register(definition: Record<string, unknown>): [number, string] {
    const name = String(definition.Name ?? '');
    if (!name) return [400, 'Missing service name'];
    const id = String(definition.ID ?? name);
    const check = (definition.Check ?? {}) as Record<string, unknown>;
    const status = (check.Status as CheckStatus | undefined) ?? 'critical';
    const service: AgentService = {
      id,
      name,
      tags: (definition.Tags as string[] | undefined) ?? [],
      address: String(definition.Address ?? ''),
      port: Number(definition.Port ?? 0),
      check,
      status,
      output: '',
    };
    if (status === 'critical') service.criticalSince = Date.now();
    this.services.set(id, service);
    if (check.TTL) this.armTtl(service);
    if (check.HTTP || check.TCP) this.runCheck(service);
    this.changed();
    return [200, ''];
  }

  /** agent/agent_endpoint.go `AgentService`: 404 "unknown service ID" when the agent lacks it. */
  private read(res: http.ServerResponse, id: string): void {
    const service = this.services.get(id);
    if (!service) return reply(res, 404, `unknown service ID: ${id}`);
    const body = { ID: service.id, Service: service.name, Tags: service.tags, Address: service.address, Port: service.port };
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  }

  /** agent/checks/check.go: the agent runs HTTP and TCP checks itself, every Interval. */
  private runCheck(service: AgentService): void {
    clearInterval(this.checkTimers.get(service.id));
    const timer = setInterval(() => {
      if (this.services.get(service.id) !== service) return clearInterval(timer);
      void probe(service.check).then((status) => {
        if (this.services.get(service.id) === service) this.setStatus(service, status, `${status} (run by the agent double)`);
      });
    }, durationMs(String(service.check.Interval ?? '10s')));
    timer.unref();
    this.checkTimers.set(service.id, timer);
  }

  /** agent/agent.go `reapServicesInternal`: removes services critical for longer than their DeregisterCriticalServiceAfter. */
  private reap(): void {
    const now = Date.now();
    for (const service of [...this.services.values()]) {
      const after = service.check.DeregisterCriticalServiceAfter;
      if (after === undefined || service.criticalSince === undefined) continue;
      const timeout = Math.max(this.minDeregisterAfterMs, durationMs(String(after)));
      if (now - service.criticalSince <= timeout) continue;
      this.services.delete(service.id);
      clearTimeout(this.ttlTimers.get(service.id));
      clearInterval(this.checkTimers.get(service.id));
      this.reaped.push(service.id);
      this.changed();
    }
  }

  private setStatus(service: AgentService, status: CheckStatus, output: string): void {
    if (status === 'critical' && service.status !== 'critical') service.criticalSince = Date.now();
    if (status !== 'critical') service.criticalSince = undefined;
    const changed = service.status !== status;
    service.status = status;
    service.output = output;
    if (changed) this.changed();
  }

  private deregister(id: string): [number, string] {
    if (!this.services.delete(id)) return [404, `Unknown service ID "${id}"`];
    clearTimeout(this.ttlTimers.get(id));
    this.changed();
    return [200, ''];
  }

  private updateCheck(checkId: string, state: string, note: string): [number, string] {
    const service = [...this.services.values()].find((s) => (s.check.CheckID ?? `service:${s.id}`) === checkId);
    if (!service) return [404, `Unknown check ID "${checkId}"`];
    if (!service.check.TTL) return [500, `CheckID "${checkId}" does not have associated TTL`];
    this.setStatus(service, state === 'pass' ? 'passing' : state === 'warn' ? 'warning' : 'critical', note);
    this.armTtl(service);
    this.changed();
    return [200, ''];
  }

  /** A TTL check not updated within its TTL turns critical. */
  private armTtl(service: AgentService): void {
    clearTimeout(this.ttlTimers.get(service.id));
    const ttlMs = durationMs(String(service.check.TTL));
    const timer = setTimeout(() => {
      if (this.services.get(service.id) !== service) return;
      this.setStatus(service, 'critical', 'TTL expired');
    }, ttlMs);
    timer.unref();
    this.ttlTimers.set(service.id, timer);
  }

  private changed(): void {
    this.mirror();
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Shows the agent's services in the catalog double, as Consul's health endpoint would. */
  private mirror(): void {
    if (!this.catalog) return;
    const names = new Set([...this.services.values()].map((s) => s.name));
    for (const name of [...names, ...this.mirrored]) {
      const instances = [...this.services.values()]
        .filter((s) => s.name === name)
        .map((s) => ({ node: 'agent-double', nodeAddress: '127.0.0.1', id: s.id, address: s.address, port: s.port, tags: s.tags, status: s.status }));
      this.catalog.setInstances(name, instances);
    }
    this.mirrored = names;
  }
}

function reply(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain' }).end(text);
}

/** One run of an HTTP or TCP check, as agent/checks/check.go judges it. */
async function probe(check: Record<string, unknown>): Promise<CheckStatus> {
  const timeoutMs = durationMs(String(check.Timeout ?? '10s'));
  if (typeof check.HTTP === 'string') {
    try {
      const response = await fetch(check.HTTP, { signal: AbortSignal.timeout(timeoutMs) });
      await response.arrayBuffer();
      return response.status >= 200 && response.status < 300 ? 'passing' : response.status === 429 ? 'warning' : 'critical';
    } catch {
      return 'critical';
    }
  }
  const [, host, port] = /^\[?(.*?)\]?:(\d+)$/.exec(String(check.TCP)) ?? [];
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port), timeout: timeoutMs });
    const done = (status: CheckStatus) => {
      socket.destroy();
      resolve(status);
    };
    socket.once('connect', () => done('passing'));
    socket.once('error', () => done('critical'));
    socket.once('timeout', () => done('critical'));
  });
}

/** A Go duration as Consul writes them: `5s`, `2000ms`, `1m`. */
function durationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`the double cannot read the duration "${text}"`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
}
