/** A node of etcd's v2 keyspace as its HTTP API returns it. */
export interface V2Node {
  key: string;
  value?: string;
  dir?: boolean;
  nodes?: V2Node[];
  modifiedIndex: number;
}

/** One change, as a `wait=true` request returns it: `set`, `create`, `update`, `compareAndSwap`, `delete`, `expire`, ... */
export interface V2Event {
  action: string;
  node: V2Node;
}

/** etcd's errorCode for a waitIndex older than the 1,000 events it keeps: read again. */
export const EVENT_INDEX_CLEARED = 401;
/** etcd's errorCode for a key that does not exist. */
export const KEY_NOT_FOUND = 100;

/** An answer of etcd's v2 API that is an error of its own (`{"errorCode": …, "message": …}`). */
export class V2Error extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** How long a request may take to get its response headers; etcd sends a long poll's at once. */
const HEADERS_DEADLINE_MS = 5_000;

/**
 * The calls the source (read, wait) and `register --etcd2` (put, delete) make to etcd's v2 keys
 * API, over Node's fetch, on whichever endpoint answers: a request that cannot reach one tries
 * the next, and the one that answered is asked first next time.
 */
export class Etcd2Client {
  private preferred = 0;

  constructor(readonly endpoints: readonly string[]) {}

  /** A directory and everything below it, with the index to watch after; no node when it does not exist. */
  async read(dir: string): Promise<{ node?: V2Node; index: number }> {
    const { response } = await this.request(`${keysPath(dir)}?recursive=true`);
    const index = indexOf(response);
    if (response.status === 404) {
      const error = await errorOf(response);
      if (error.errorCode === KEY_NOT_FOUND) return { index };
      throw error;
    }
    if (!response.ok) throw await errorOf(response);
    return { node: ((await response.json()) as { node: V2Node }).node, index };
  }

  /**
   * The first change at or below `dir` from `waitIndex` on. A long poll with nothing to report
   * is ended after `renewMs` (so a connection gone silent is noticed) and says up to which
   * index nothing happened there: etcd's `X-Etcd-Index` when the wait began.
   */
  async wait(dir: string, waitIndex: number, renewMs: number, stop: AbortSignal): Promise<{ event?: V2Event; index: number }> {
    const { response, controller } = await this.request(`${keysPath(dir)}?wait=true&recursive=true&waitIndex=${waitIndex}`, stop);
    const index = indexOf(response);
    if (!response.ok) throw await errorOf(response);
    const renew = setTimeout(() => controller.abort(), renewMs);
    try {
      return { event: JSON.parse(await response.text()) as V2Event, index };
    } catch (error) {
      if (controller.signal.aborted && !stop.aborted) return { index };
      throw error;
    } finally {
      clearTimeout(renew);
    }
  }

  /** Writes a key with a form body: `value`, `ttl`, and `refresh` + `prevExist` to renew a TTL without a watch event. */
  async put(key: string, form: Record<string, string>): Promise<void> {
    const { response } = await this.request(keysPath(key), undefined, { method: 'PUT', body: new URLSearchParams(form) });
    if (!response.ok) throw await errorOf(response);
    await response.body?.cancel();
  }

  /** Deletes a key; one already gone is no error. */
  async delete(key: string): Promise<void> {
    const { response } = await this.request(keysPath(key), undefined, { method: 'DELETE' });
    if (response.ok) return void (await response.body?.cancel());
    const error = await errorOf(response);
    if (error.errorCode !== KEY_NOT_FOUND) throw error;
  }

  /** `GET /v2/keys/` on any endpoint: whether etcd answers its v2 API. */
  async probe(): Promise<void> {
    const { response } = await this.request('/v2/keys/');
    if (!response.ok) throw await errorOf(response);
    await response.body?.cancel();
  }

  private async request(path: string, stop?: AbortSignal, init: RequestInit = {}): Promise<{ response: Response; controller: AbortController }> {
    const failures: string[] = [];
    for (let tried = 0; tried < this.endpoints.length; tried++) {
      const at = (this.preferred + tried) % this.endpoints.length;
      const controller = new AbortController();
      const deadline = setTimeout(() => controller.abort(new Error(`no answer within ${HEADERS_DEADLINE_MS} ms`)), HEADERS_DEADLINE_MS);
      try {
        const signal = stop ? AbortSignal.any([controller.signal, stop]) : controller.signal;
        const response = await fetch(`${this.endpoints[at]}${path}`, { ...init, signal });
        this.preferred = at;
        return { response, controller };
      } catch (error) {
        if (stop?.aborted) throw error;
        failures.push(`${this.endpoints[at]}: ${reasonOf(error, controller.signal)}`);
      } finally {
        clearTimeout(deadline);
      }
    }
    throw new Error(failures.join('; '));
  }
}

/** `/v2/keys` + the directory, each segment URL-encoded (`yazd:5000` stays readable to etcd). */
function keysPath(dir: string): string {
  return `/v2/keys${dir.split('/').map(encodeURIComponent).join('/')}`;
}

function indexOf(response: Response): number {
  const index = Number(response.headers.get('x-etcd-index'));
  return Number.isSafeInteger(index) ? index : 0;
}

/** etcd's JSON error, or what else came back (a 404 page when etcd was started without --enable-v2). */
async function errorOf(response: Response): Promise<V2Error> {
  const text = await response.text();
  try {
    const { errorCode, message, cause } = JSON.parse(text) as { errorCode: number; message: string; cause?: string };
    if (typeof errorCode === 'number') return new V2Error(errorCode, `${message}${cause ? ` (${cause})` : ''}`);
  } catch {
    // Not etcd's JSON: described below.
  }
  const hint = response.status === 404 ? ': is etcd started with --enable-v2=true?' : '';
  return new V2Error(0, `HTTP ${response.status} ${text.trim().slice(0, 80)}${hint}`);
}

/** Why fetch failed: undici hides the socket error in `cause`. */
function reasonOf(error: unknown, signal: AbortSignal): string {
  if (signal.aborted && signal.reason instanceof Error) return signal.reason.message;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
