import { Option } from 'commander';
import { formatEndpoint, parseEndpoint, type Endpoint } from '../../forward/endpoint.js';

/** The bridge's HTTP API could not be asked, or answered with an error. */
export class BridgeApiError extends Error {
  constructor(
    readonly code: 'EBRIDGEDOWN' | 'EBRIDGEHTTP',
    message: string,
  ) {
    super(message);
  }
}

/** `--http HOST:PORT` of the bridge to ask (also DNSBRIDGE_HTTP), as `serve --http` takes it. */
export function httpOption(): Option {
  return new Option('--http <HOST:PORT>', 'HTTP address of the running bridge').env('DNSBRIDGE_HTTP').default('127.0.0.1:8053');
}

/** Runs a command's action; a failure to ask the bridge is one line on stderr and exit code 1. */
export function reportingApiErrors<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await action(...args);
    } catch (error) {
      if (!(error instanceof BridgeApiError)) throw error;
      process.stderr.write(`dnsbridge: ${error.message}\n`);
      process.exitCode = 1;
    }
  };
}

export function parseHttp(text: string): Endpoint {
  const endpoint = parseEndpoint(text.trim());
  if (typeof endpoint === 'string') throw new BridgeApiError('EBRIDGEHTTP', `--http: ${endpoint}`);
  return endpoint;
}

/**
 * GETs `path` from the bridge's API: the JSON body and the status. A status the caller does not
 * list in `accept` is an error carrying the bridge's own message.
 */
export async function getJson<T>(http: Endpoint, path: string, accept: readonly number[] = [200]): Promise<{ status: number; body: T }> {
  const url = `http://${formatEndpoint(http)}${path}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new BridgeApiError(
      'EBRIDGEDOWN',
      `cannot reach the bridge at ${formatEndpoint(http)} (${cause?.code ?? cause?.message ?? (error as Error).message}): is it running? give --http HOST:PORT as in its "serve --http"`,
    );
  }
  const body = (await response.json().catch(() => undefined)) as T & { message?: string };
  if (!accept.includes(response.status) || body === undefined) {
    throw new BridgeApiError('EBRIDGEHTTP', `${url} answered ${response.status}${body?.message ? `: ${body.message}` : ''}`);
  }
  return { status: response.status, body };
}
