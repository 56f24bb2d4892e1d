import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Endpoint } from '../forward/endpoint.js';

/** `rest`: the part of the path after a prefix route's path, URI-decoded. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, rest: string) => void | Promise<void>;

export interface Route {
  path: string;
  /** Matches every path under `path` too (`/api/services/` -> `/api/services/api`). */
  prefix?: boolean;
  handle: RouteHandler;
}

export function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(text);
}

export function sendJson(res: ServerResponse, status: number, data: unknown): void {
  sendText(res, status, `${JSON.stringify(data, null, 2)}\n`, 'application/json; charset=utf-8');
}

/** The ops HTTP server: GET routes only, no framework. */
export class HttpServer {
  private readonly server: Server;

  constructor(
    private readonly routes: readonly Route[],
    private readonly log: Logger,
  ) {
    this.server = createServer((req, res) => void this.dispatch(req, res));
  }

  listen(endpoint: Endpoint): Promise<Endpoint> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: endpoint.host, port: endpoint.port }, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(address && typeof address === 'object' ? { host: address.address, port: address.port } : endpoint);
      });
    });
  }

  /** Stops listening and cuts open connections (event streams never end on their own). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendText(res, 405, 'only GET\n');
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const match = this.match(path);
    if (!match) return sendText(res, 404, `no such page: ${path}\n`);
    try {
      await match.route.handle(req, res, match.rest);
    } catch (error) {
      this.log.error({ err: error, path }, 'HTTP handler failed');
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    }
  }

  private match(path: string): { route: Route; rest: string } | undefined {
    for (const route of this.routes) {
      if (route.path === path) return { route, rest: '' };
      if (route.prefix && path.startsWith(route.path)) {
        const rest = safeDecode(path.slice(route.path.length));
        if (rest !== undefined) return { route, rest };
      }
    }
    return undefined;
  }
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
