import { EventEmitter } from 'node:events';
import Consul from 'consul';

/** Why a request to the Consul agent failed: a stable code for logs, status and tests. */
export type ConsulErrorCode = 'UNREACHABLE' | 'TIMEOUT' | 'HTTP_STATUS' | 'NO_INDEX' | 'BAD_BODY' | 'ABORTED';

export class ConsulError extends Error {
  constructor(
    readonly code: ConsulErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ConsulError';
  }
}

export interface HealthQuery {
  service: string;
  /** The blocking index: 0 answers at once, otherwise the agent holds the request until it moves. */
  index: bigint;
  waitSeconds: number;
  signal: AbortSignal;
}

export interface HealthReply {
  /** The JSON entries as the agent sent them; `decode.ts` checks their shape. */
  entries: unknown[];
  /** `X-Consul-Index` of the reply. */
  index: bigint;
}

/** The part of Consul's HTTP API the catalog source uses. */
export interface ConsulCatalog {
  readonly url: string;
  /** `GET /v1/health/service/:service?passing=true&index=&wait=`: a blocking query. */
  passingInstances(query: HealthQuery): Promise<HealthReply>;
  /** `GET /v1/status/leader`: resolves when the agent answers at all. */
  ping(signal: AbortSignal): Promise<void>;
  close(): void;
}

/** What the `consul` package returns with `ctx.includeResponse`; its types say `any[]`. */
type Reply = [{ headers: Record<string, string | undefined> }, unknown];
type Call = (options: Record<string, unknown>) => Promise<Reply>;

/** Extra time past `wait` before giving up on a blocking request: Consul adds up to wait/16. */
const SLACK_MS = 5000;

/**
 * The one module that touches the `consul` package. Its TypeScript types lack `baseUrl`,
 * `index`, `wait`, `timeout` and `ctx`, so every cast stays here.
 */
export function createConsulCatalog(url: string, token: string | undefined): ConsulCatalog {
  const options = { baseUrl: `${url.replace(/\/+$/, '')}/v1`, defaults: token ? { token } : undefined };
  const consul = new Consul(options as ConstructorParameters<typeof Consul>[0]);
  const health = consul.health.service.bind(consul.health) as unknown as Call;
  const leader = consul.status.leader.bind(consul.status) as unknown as Call;
  const base = withoutCredentials(url);
  return {
    url: base,
    async passingInstances(query) {
      const timeout = query.waitSeconds * 1000 + (query.waitSeconds * 1000) / 16 + SLACK_MS;
      const where = `${base}: GET /v1/health/service/${query.service}`;
      const [response, body] = await call(health, where, query.signal, {
        service: query.service,
        passing: true,
        index: query.index.toString(),
        wait: `${query.waitSeconds}s`,
        timeout,
      });
      if (!Array.isArray(body)) throw new ConsulError('BAD_BODY', `${where}: the reply is not a JSON list`);
      return { entries: body, index: indexOf(response.headers, where) };
    },
    async ping(signal) {
      await call(leader, `${base}: GET /v1/status/leader`, signal, { timeout: SLACK_MS });
    },
    close: () => consul.destroy(),
  };
}

/** Runs one request, cancelled through the package's `ctx` emitter when `signal` aborts. */
async function call(method: Call, where: string, signal: AbortSignal, options: Record<string, unknown>): Promise<Reply> {
  if (signal.aborted) throw new ConsulError('ABORTED', `${where}: stopped`);
  const ctx = Object.assign(new EventEmitter(), { includeResponse: true });
  const cancel = () => ctx.emit('cancel');
  signal.addEventListener('abort', cancel, { once: true });
  try {
    return await method({ ...options, ctx });
  } catch (error) {
    throw signal.aborted ? new ConsulError('ABORTED', `${where}: stopped`) : describe(error, where);
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}

/** The URL as logs and status show it: user:password, if any, left out. */
function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString().replace(/\/+$/, '');
}

function indexOf(headers: Record<string, string | undefined>, where: string): bigint {
  const text = headers['x-consul-index'];
  if (!text || !/^\d+$/.test(text)) throw new ConsulError('NO_INDEX', `${where}: no X-Consul-Index header in the reply`);
  return BigInt(text);
}

/** Turns the package's errors (papi's flags, Node's socket errors) into a ConsulError. */
function describe(error: unknown, where: string): ConsulError {
  const e = error as Error & { isTimeout?: boolean; isResponse?: boolean; isCodec?: boolean; statusCode?: number };
  const reason = String(e?.message ?? error).replace(/^consul: [\w.]+: /, '');
  if (e?.isTimeout) return new ConsulError('TIMEOUT', `${where}: no reply in time (${reason})`);
  if (e?.isResponse) return new ConsulError('HTTP_STATUS', `${where}: HTTP ${e.statusCode} ${reason}`);
  if (e?.isCodec) return new ConsulError('BAD_BODY', `${where}: the reply does not parse (${reason})`);
  return new ConsulError('UNREACHABLE', `${where}: ${reason}`);
}
