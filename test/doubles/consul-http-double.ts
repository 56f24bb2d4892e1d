// TEST DOUBLE of Consul's HTTP API: NOT Consul. Consul cannot be installed on this machine (not
// in Debian, not on npm), so the catalog source is tested against this stand-in. It follows
// Consul 1.18-1.20, read from hashicorp/consul: agent/health_endpoint.go, agent/agent.go,
// agent/config/default.go, api/api.go, api/health.go and
// website/content/api-docs/features/blocking.mdx. It implements only what the source uses:
// - GET /v1/health/service/:service[?passing][&index=N][&wait=D]: the `{Node, Service, Checks}`
//   entries of the service, `TaggedAddresses` included: the service's as `{Address, Port}`
//   objects with the one of its address's family filled in (agent/agent.go `addServiceInternal`),
//   the node's as strings with `lan`, `wan` and its family's (agent/config/builder.go);
//   `passing` keeps only instances whose
//   checks all pass, so `warning` and `critical` ones (maintenance too) leave
//   (agent/health_endpoint.go `filterNonPassing`).
// - GET /v1/catalog/services: every service name with its tags; its index moves on any
//   service registration change, not on a check change (state store `services` table).
// - GET /v1/health/state/any: every check with its `ModifyIndex`; its index moves on any check change.
// - Blocking: every reply carries `X-Consul-Index`. With `index` > 0 a request is held until its
//   index moves past it or `wait` (default 5m, at most 10m, plus up to wait/16) runs out (blocking.mdx).
// - GET /v1/status/leader: the leader's address.
// - Listening: plain HTTP on a loopback port, HTTPS (with `verify_incoming`, a client certificate
//   the CA signed is required), or a unix socket (agent/config/builder.go `addresses.http`).
// - ACLs: an unknown token gets 403 "ACL not found". A known token that cannot read some nodes
//   gets 200 without their entries and `X-Consul-Results-Filtered-By-ACLs: true` (agent/http.go
//   `setResultsFilteredByACLs`, read by api/api.go `parseQueryMeta`).
// - Connections: at most `http_max_conns_per_client` (200, agent/config/default.go) open at once
//   from one client address; past it the agent answers 429 and closes the connection
//   (agent/agent.go's connection limiter).
// Controls for tests: set instances, change a check's status, put a node or instance in
// maintenance, remove one, make the index go backwards (a snapshot restore, which wakes every
// blocked query), go down and come back up.
import http from 'node:http';
import { isIP, type Socket } from 'node:net';
import { LoopbackHttpServer, type ListenOptions } from './loopback-http-server.js';

export type CheckStatus = 'passing' | 'warning' | 'critical';

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
  /** `Service.Weights.Warning`. */
  warningWeight?: number;
  status?: CheckStatus;
  /**
   * `Service.TaggedAddresses` (`lan_ipv4`, `lan_ipv6`, ...), as `{Address, Port}` objects in the
   * reply; the one of `address`'s family is filled in as the agent does.
   */
  taggedAddresses?: Record<string, string>;
  /** `Node.TaggedAddresses` beside `lan`, `wan` and those of `nodeAddress`'s family, plain strings in the reply. */
  nodeTaggedAddresses?: Record<string, string>;
  /** Maintenance: a critical `_service_maintenance:<id>` check (agent/agent.go `EnableServiceMaintenance`). */
  maintenance?: boolean;
  /** Node maintenance: a critical `_node_maintenance` check (agent/agent.go `EnableNodeMaintenance`). */
  nodeMaintenance?: boolean;
  /** Index of the last change to this instance's checks. */
  checkIndex?: number;
}

interface ServiceState {
  index: number;
  instances: DoubleInstance[];
  /** Entries sent as given, to test how the source treats malformed ones. */
  raw: unknown[];
}

type Watched = { kind: 'service'; service: string } | { kind: 'catalog' } | { kind: 'checks' };

interface Held {
  watched: Watched;
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
/** agent/config/default.go: `http_max_conns_per_client = 200`. */
export const CONSUL_MAX_CONNS_PER_CLIENT = 200;

export class ConsulHttpDouble {
  readonly requests: SeenRequest[] = [];
  private readonly services = new Map<string, ServiceState>();
  private readonly held = new Set<Held>();
  private readonly catchUpWaiters = new Set<() => void>();
  /** Per service: how many requests had been seen at its last change. */
  private readonly changedAt = new Map<string, number>();
  private readonly server: LoopbackHttpServer;
  private readonly refused = new WeakSet<Socket>();
  /** Raft-like index, bumped by every write. */
  private lastIndex = 1;
  /** Index of the last service registration change (`/v1/catalog/services`). */
  private catalogIndex = 1;
  /** Index of the last check change (`/v1/health/state/any`). */
  private checksIndex = 1;
  /** Set to require this ACL token. */
  requiredToken?: string;
  /** Nodes the token has no `node:read` on: their entries are filtered out, with the header. */
  readonly unreadableNodes = new Set<string>();
  /** Open connections per client allowed; Consul's default. */
  maxConnsPerClient = CONSUL_MAX_CONNS_PER_CLIENT;
  /** The most connections open at once, and how many were refused with 429. */
  readonly connections = { peak: 0, refused: 0 };

  private constructor(port: number, listen: ListenOptions = {}) {
    this.server = new LoopbackHttpServer((req, res) => this.handle(req, res), port, (socket, open) => this.admit(socket, open), listen);
  }

  /**
   * A double listening on `port` (0: any free port), over HTTPS or on a unix socket when `listen`
   * says so, as an agent with `ports.https` and TLS files, or with `addresses.http = "unix://…"`.
   */
  static async start(port = 0, listen: ListenOptions = {}): Promise<ConsulHttpDouble> {
    const double = new ConsulHttpDouble(port, listen);
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
    this.write(service, true, (state) => (state.instances = instances.map((i) => ({ ...i }))));
  }

  addInstance(service: string, instance: DoubleInstance): void {
    this.write(service, true, (state) => state.instances.push({ ...instance }));
  }

  setRawEntries(service: string, entries: unknown[]): void {
    this.write(service, true, (state) => (state.raw = entries));
  }

  markCritical(service: string, node: string): void {
    this.setStatus(service, node, 'critical');
  }

  /** A check changes state: a check write, not a service registration (the listing's index stays). */
  setStatus(service: string, node: string, status: CheckStatus): void {
    this.changeChecks(service, node, (instance) => (instance.status = status));
  }

  /** `PUT /v1/agent/service/maintenance/:id?enable=`: adds or removes a critical maintenance check. */
  setMaintenance(service: string, node: string, enable: boolean): void {
    this.changeChecks(service, node, (instance) => (instance.maintenance = enable));
  }

  /** `PUT /v1/agent/maintenance?enable=`: a critical `_node_maintenance` check on every instance of the node. */
  setNodeMaintenance(node: string, enable: boolean): void {
    for (const service of this.services.keys()) {
      if (this.services.get(service)?.instances.some((i) => i.node === node)) this.changeChecks(service, node, (instance) => (instance.nodeMaintenance = enable));
    }
  }

  remove(service: string, node: string): void {
    this.write(service, true, (state) => (state.instances = state.instances.filter((i) => i.node !== node)));
  }

  /**
   * A snapshot restore: the index drops to `index` with these instances, and every held query
   * wakes up (Consul abandons its watches on restore). A client that does not reset its index
   * keeps blocking on the old, higher one and misses later changes.
   */
  restoreSnapshot(service: string, index: number, instances: DoubleInstance[]): void {
    this.lastIndex = index;
    this.catalogIndex = Math.min(this.catalogIndex, index);
    this.checksIndex = Math.min(this.checksIndex, index);
    this.services.set(service, { index, instances: instances.map((i) => ({ ...i, checkIndex: index })), raw: [] });
    this.changedAt.set(service, this.requests.length);
    for (const held of this.held) held.wake();
  }

  /** The index the double reports for `service` now. */
  indexOf(service: string): number {
    return this.services.get(service)?.index ?? this.lastIndex;
  }

  /**
   * Resolves once the client has asked about `service` with the double's current index: it
   * has taken in every change and is blocking for the next. For a service gone from the
   * catalog, asking for the listing at or past the index of its removal does. Fails after
   * `limitMs` (a hang guard).
   */
  async caughtUp(service: string, limitMs = 15_000): Promise<void> {
    const path = `/v1/health/service/${service}`;
    const index = () => this.indexOf(service);
    const listed = () => service in this.listing();
    const done = () =>
      this.requests
        .slice(this.changedAt.get(service) ?? 0)
        .some((r) => (r.path === path && r.index === index()) || (!listed() && r.path === '/v1/catalog/services' && (r.index ?? 0) >= index()));
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

  /** agent/agent.go's connection limiter: past the cap, 429 and the connection is closed. */
  private admit(socket: Socket, open: ReadonlySet<Socket>): boolean {
    const fromSameClient = [...open].filter((s) => s.remoteAddress === socket.remoteAddress).length;
    if (fromSameClient >= this.maxConnsPerClient) {
      this.connections.refused++;
      this.refused.add(socket);
      socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 78\r\n\r\nYour IP is issuing too many concurrent connections, please rate limit your calls');
      return false;
    }
    this.connections.peak = Math.max(this.connections.peak, open.size + 1);
    return true;
  }

  private write(service: string, registration: boolean, change: (state: ServiceState) => void): void {
    let state = this.services.get(service);
    if (!state) this.services.set(service, (state = { index: 0, instances: [], raw: [] }));
    change(state);
    state.index = ++this.lastIndex;
    // A registration writes the service and its checks; a status change writes a check only.
    if (registration) this.catalogIndex = state.index;
    this.checksIndex = state.index;
    for (const instance of state.instances) instance.checkIndex ??= state.index;
    this.changedAt.set(service, this.requests.length);
    for (const held of this.held) if (this.indexFor(held.watched) > held.after) held.wake();
  }

  private changeChecks(service: string, node: string, change: (instance: DoubleInstance) => void): void {
    this.write(service, false, (state) => {
      for (const instance of state.instances) {
        if (instance.node !== node) continue;
        change(instance);
        instance.checkIndex = this.lastIndex + 1;
      }
    });
  }

  private indexFor(watched: Watched): number {
    if (watched.kind === 'catalog') return this.catalogIndex;
    if (watched.kind === 'checks') return this.checksIndex;
    return this.indexOf(watched.service);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.refused.has(req.socket)) return;
    const url = new URL(req.url ?? '/', 'http://double');
    const token = headerValue(req.headers['x-consul-token']);
    const indexParam = url.searchParams.get('index');
    this.requests.push({ path: url.pathname, index: indexParam === null ? undefined : Number(indexParam), token });
    for (const check of [...this.catchUpWaiters]) check();
    if (this.requiredToken !== undefined && token !== this.requiredToken) return text(res, 403, 'ACL not found');
    if (url.pathname === '/v1/status/leader') return json(res, 200, '127.0.0.1:8300');
    const watched = this.route(url.pathname);
    if (!watched) return text(res, 404, `no such endpoint in the double: ${url.pathname}`);
    const after = Number(indexParam ?? 0);
    this.hold(watched, after, waitMs(url.searchParams.get('wait')), () => this.answer(res, watched, url.searchParams.has('passing')));
  }

  private route(path: string): Watched | undefined {
    if (path === '/v1/catalog/services') return { kind: 'catalog' };
    if (path === '/v1/health/state/any') return { kind: 'checks' };
    const match = /^\/v1\/health\/service\/([^/]+)$/.exec(path);
    return match ? { kind: 'service', service: decodeURIComponent(match[1]) } : undefined;
  }

  /** Holds the request while the watched index is not past `after`, at most `wait`. */
  private hold(watched: Watched, after: number, wait: number, reply: () => void): void {
    if (!(after > 0) || this.indexFor(watched) > after) return reply();
    const held: Held = {
      watched,
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

  private answer(res: http.ServerResponse, watched: Watched, passing: boolean): void {
    const [body, filtered] =
      watched.kind === 'catalog' ? [this.listing(), false] : watched.kind === 'checks' ? [this.checks(), false] : this.instances(watched.service, passing);
    res.setHeader('X-Consul-Index', String(this.indexFor(watched)));
    res.setHeader('X-Consul-KnownLeader', 'true');
    res.setHeader('X-Consul-LastContact', '0');
    if (filtered) res.setHeader('X-Consul-Results-Filtered-By-ACLs', 'true');
    json(res, 200, body);
  }

  private instances(service: string, passing: boolean): [unknown[], boolean] {
    const state = this.services.get(service);
    const all = state?.instances ?? [];
    const readable = all.filter((i) => !this.unreadableNodes.has(i.node));
    // agent/health_endpoint.go: ?passing drops an instance unless every check passes.
    const kept = readable.filter((i) => !passing || checksOf(service, i).every((c) => c.Status === 'passing'));
    return [[...kept.map((i) => entry(service, i)), ...(state?.raw ?? [])], readable.length < all.length];
  }

  /** `/v1/catalog/services`: `{name: [tags]}` for every service with an instance. */
  private listing(): Record<string, string[]> {
    const names: Record<string, string[]> = {};
    for (const [service, state] of this.services) {
      if (state.instances.length === 0 && state.raw.length === 0) continue;
      names[service] = [...new Set(state.instances.flatMap((i) => i.tags ?? []))];
    }
    return names;
  }

  private checks(): unknown[] {
    return [...this.services].flatMap(([service, state]) => state.instances.flatMap((i) => checksOf(service, i)));
  }
}

function checksOf(service: string, i: DoubleInstance): Record<string, unknown>[] {
  const id = i.id ?? `${service}-${i.node}`;
  const modify = i.checkIndex ?? 1;
  const check = (CheckID: string, Status: CheckStatus, ServiceID = '', ServiceName = '') => ({ Node: i.node, CheckID, Name: CheckID, Status, ServiceID, ServiceName, ModifyIndex: modify });
  return [
    check('serfHealth', 'passing'),
    ...(i.nodeMaintenance ? [check('_node_maintenance', 'critical')] : []),
    check(`service:${id}`, i.status ?? 'passing', id, service),
    ...(i.maintenance ? [check(`_service_maintenance:${id}`, 'critical', id, service)] : []),
  ];
}

function entry(service: string, i: DoubleInstance): unknown {
  const id = i.id ?? `${service}-${i.node}`;
  // agent/agent.go `addServiceInternal`: a service address that is an IP also becomes the tagged
  // address of its family, `lan_ipv4`/`wan_ipv4` or `lan_ipv6`/`wan_ipv6`, unless given.
  const serviceTagged = { ...familyTagged(i.address ?? ''), ...i.taggedAddresses };
  const tagged = Object.fromEntries(Object.entries(serviceTagged).map(([name, address]) => [name, { Address: address, Port: i.port }]));
  // agent/config/builder.go: the node's `lan` and `wan` are its advertise address, plus the tagged
  // address of its family; `tagged_addresses` in the agent's configuration add others (a dual-stack node's).
  const nodeTagged = { lan: i.nodeAddress, wan: i.nodeAddress, ...familyTagged(i.nodeAddress), ...i.nodeTaggedAddresses };
  return {
    Node: { ID: `node-${i.node}`, Node: i.node, Address: i.nodeAddress, Datacenter: 'dc1', TaggedAddresses: nodeTagged, Meta: {} },
    Service: {
      ID: id,
      Service: service,
      Tags: i.tags ?? [],
      Address: i.address ?? '',
      TaggedAddresses: tagged,
      Port: i.port,
      Weights: { Passing: i.weight ?? 1, Warning: i.warningWeight ?? 1 },
      Meta: {},
    },
    Checks: checksOf(service, i),
  };
}

/** `lan_ipv4` and `wan_ipv4` for an IPv4 address, `lan_ipv6` and `wan_ipv6` for an IPv6 one, nothing for a hostname. */
function familyTagged(address: string): Record<string, string> {
  const family = isIP(address);
  return family ? { [`lan_ipv${family}`]: address, [`wan_ipv${family}`]: address } : {};
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
