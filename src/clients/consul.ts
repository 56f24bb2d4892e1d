import http from 'node:http';
import https from 'node:https';
import { parseConsulAddress, type ConsulEndpoint, type ConsulTarget } from './consul-connection.js';

/**
 * The one Consul HTTP client: `serve`'s catalog source and `register --consul` both use it.
 * Written on Node's http/https rather than the `consul` package, which has no call for
 * `GET /v1/agent/service/:id`, hides response headers behind untyped options, and cannot cap
 * its connections. Every request goes through one keep-alive agent whose `maxSockets` is the
 * cap, so the bridge never opens more connections than that to one Consul agent.
 */

/** Why a request to Consul failed: a stable code for logs, status and tests. */
export type ConsulErrorCode = 'UNREACHABLE' | 'TIMEOUT' | 'HTTP_STATUS' | 'TOO_MANY_REQUESTS' | 'NO_INDEX' | 'BAD_BODY' | 'ABORTED';

export class ConsulError extends Error {
  constructor(
    readonly code: ConsulErrorCode,
    message: string,
    /** The HTTP status, for HTTP_STATUS and TOO_MANY_REQUESTS. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ConsulError';
  }
}

/** Where Consul is and how to reach it; `consulEndpoint` (consul-connection.ts) finds it from the configuration and Consul's environment. */
export interface ConsulConnection extends ConsulEndpoint {
  token?: string;
  /** Connections open at once, at most; more requests wait for one. */
  maxConnections?: number;
}

/** A blocking read's result: the body, `X-Consul-Index`, and whether ACLs hid entries. */
export interface IndexedReply<T> {
  body: T;
  index: bigint;
  /** `X-Consul-Results-Filtered-By-ACLs: true`: the token could not read some entries. */
  filteredByAcls: boolean;
}

export interface BlockingQuery {
  /** 0 answers at once; otherwise Consul holds the request until its index moves past this. */
  index: bigint;
  waitSeconds: number;
  signal: AbortSignal;
}

/** Service registration as `PUT /v1/agent/service/register` takes it (Consul's JSON field names). */
export interface ServiceDefinition {
  ID: string;
  Name: string;
  Address: string;
  Port: number;
  Tags: string[];
  Check: Record<string, unknown>;
}

/** Default cap: well below Consul's `http_max_conns_per_client` of 200 (agent/config/default.go). */
export const DEFAULT_MAX_CONNECTIONS = 64;

/** Time past `wait` before giving up on a blocking request: Consul adds up to wait/16 (blocking.mdx). */
const SLACK_MS = 5000;

export class ConsulClient {
  /** The URL as logs and status show it: user:password, if any, left out. */
  readonly url: string;
  private readonly agent: http.Agent;
  private readonly target: Omit<ConsulTarget, 'pathPrefix' | 'display'>;
  private readonly pathPrefix: string;
  private readonly token?: string;

  constructor(connection: ConsulConnection) {
    const parsed = parseConsulAddress(connection.url);
    if (typeof parsed === 'string') throw new Error(parsed);
    const { pathPrefix, display, ...target } = parsed;
    this.target = target;
    this.pathPrefix = pathPrefix;
    this.url = display;
    this.token = connection.token;
    const options = { keepAlive: true, maxSockets: connection.maxConnections ?? DEFAULT_MAX_CONNECTIONS, ...connection.tls };
    this.agent = this.target.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
  }

  /** `GET /v1/health/service/:service` as a blocking query; `passing` keeps only instances whose checks all pass. */
  healthService(service: string, passing: boolean, query: BlockingQuery): Promise<IndexedReply<unknown[]>> {
    const path = `/v1/health/service/${encodeURIComponent(service)}${passing ? '?passing=true&' : '?'}${blocking(query)}`;
    return this.indexed(path, query, isList);
  }

  /** `GET /v1/catalog/services`: every service name with its tags; its index moves on any service write. */
  catalogServices(query: BlockingQuery): Promise<IndexedReply<Record<string, unknown>>> {
    return this.indexed(`/v1/catalog/services?${blocking(query)}`, query, isRecord);
  }

  /** `GET /v1/health/state/any`: every check; its index moves on any check change. */
  healthStates(query: BlockingQuery): Promise<IndexedReply<unknown[]>> {
    return this.indexed(`/v1/health/state/any?${blocking(query)}`, query, isList);
  }

  /** `GET /v1/status/leader`: resolves when the agent answers at all. */
  async ping(signal: AbortSignal): Promise<void> {
    await this.request('GET', '/v1/status/leader', { signal, timeoutMs: SLACK_MS });
  }

  /** `GET /v1/agent/service/:id`: the agent's own copy, undefined when it has no such service (404). */
  async agentService(id: string, timeoutMs: number): Promise<unknown | undefined> {
    const reply = await this.request('GET', `/v1/agent/service/${encodeURIComponent(id)}`, { timeoutMs, allow404: true });
    return reply.status === 404 ? undefined : parseJson(reply.text, `${this.url}: GET /v1/agent/service/${id}`);
  }

  async registerService(definition: ServiceDefinition, timeoutMs: number): Promise<void> {
    await this.request('PUT', '/v1/agent/service/register', { timeoutMs, body: JSON.stringify(definition) });
  }

  async deregisterService(id: string, timeoutMs: number): Promise<void> {
    await this.request('PUT', `/v1/agent/service/deregister/${encodeURIComponent(id)}`, { timeoutMs });
  }

  /** `PUT /v1/agent/check/pass|fail/:id?note=`: feeds a TTL check. */
  async updateCheck(id: string, state: 'pass' | 'fail', note: string, timeoutMs: number): Promise<void> {
    await this.request('PUT', `/v1/agent/check/${state}/${encodeURIComponent(id)}?note=${encodeURIComponent(note)}`, { timeoutMs });
  }

  close(): void {
    this.agent.destroy();
  }

  private async indexed<T>(path: string, query: BlockingQuery, shape: (value: unknown) => value is T): Promise<IndexedReply<T>> {
    const where = `${this.url}: GET ${path.split('?')[0]}`;
    const timeoutMs = query.waitSeconds * 1000 + (query.waitSeconds * 1000) / 16 + SLACK_MS;
    const reply = await this.request('GET', path, { signal: query.signal, timeoutMs });
    const body = parseJson(reply.text, where);
    if (!shape(body)) throw new ConsulError('BAD_BODY', `${where}: the reply is not the expected JSON`);
    const text = reply.headers['x-consul-index'];
    if (typeof text !== 'string' || !/^\d+$/.test(text)) throw new ConsulError('NO_INDEX', `${where}: no X-Consul-Index header in the reply`);
    return { body, index: BigInt(text), filteredByAcls: reply.headers['x-consul-results-filtered-by-acls'] === 'true' };
  }

  private request(
    method: string,
    path: string,
    options: { signal?: AbortSignal; timeoutMs: number; body?: string; allow404?: boolean },
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
    const where = `${this.url}: ${method} ${path.split('?')[0]}`;
    if (options.signal?.aborted) return Promise.reject(new ConsulError('ABORTED', `${where}: stopped`));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers['x-consul-token'] = this.token;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const transport = this.target.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.request({ ...this.target, agent: this.agent, method, path: this.pathPrefix + path, headers, signal: options.signal }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('error', (error) => reject(failure(error, where, options.signal)));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if ((status >= 200 && status < 300) || (status === 404 && options.allow404)) return resolve({ status, headers: response.headers, text });
          const reason = `${where}: HTTP ${status} ${text.trim().slice(0, 200)}`;
          // agent/agent.go's connection limiter answers 429 past http_max_conns_per_client: back-pressure, not an outage.
          reject(new ConsulError(status === 429 ? 'TOO_MANY_REQUESTS' : 'HTTP_STATUS', reason, status));
        });
      });
      request.setTimeout(options.timeoutMs, () => request.destroy(new ConsulError('TIMEOUT', `${where}: no reply in ${options.timeoutMs} ms`)));
      request.on('error', (error) => reject(failure(error, where, options.signal)));
      request.end(options.body);
    });
  }
}

/** `wait` is capped at Consul's 10 minutes (blocking.mdx). */
export const MAX_WAIT_SECONDS = 600;

function blocking(query: BlockingQuery): string {
  const wait = Math.max(1, Math.min(MAX_WAIT_SECONDS, Math.round(query.waitSeconds)));
  return `index=${query.index}&wait=${wait}s`;
}

function failure(error: unknown, where: string, signal?: AbortSignal): ConsulError {
  if (error instanceof ConsulError) return error;
  if (signal?.aborted) return new ConsulError('ABORTED', `${where}: stopped`);
  return new ConsulError('UNREACHABLE', `${where}: ${(error as Error).message}`);
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConsulError('BAD_BODY', `${where}: the reply does not parse (${(error as Error).message})`);
  }
}

function isList(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
