import http from 'node:http';
import type net from 'node:net';
import { freePort } from './ports.js';

/**
 * A provider the test runs: an HTTP server on a loopback port (a TCP check only connects). The
 * test closes its listener to wedge it (the port refuses while its registration stays), opens it
 * again on the same port, sets the status `/health` answers, and counts the connections made.
 */
export interface TestProvider {
  host: string;
  port: number;
  /** `127.0.0.1:PORT`, the registration's node name. */
  address: string;
  /** Connections accepted so far, with when (ms since epoch). */
  connections: number[];
  /** Status `/health` answers; 200 at first. */
  healthStatus: number;
  /** Stops listening: new connections are refused. */
  close(): Promise<void>;
  /** Listens again on the same port. */
  open(): Promise<void>;
}

export async function startTestProvider(host = '127.0.0.1'): Promise<TestProvider> {
  const port = await freePort(host);
  let server: http.Server | undefined;
  const provider: TestProvider = {
    host,
    port,
    address: `${host}:${port}`,
    connections: [],
    healthStatus: 200,
    async open() {
      if (server) return;
      const opened = http.createServer((req, res) => {
        res.writeHead(req.url === '/health' ? provider.healthStatus : 404, { connection: 'close' }).end();
      });
      opened.on('connection', (socket: net.Socket) => {
        provider.connections.push(Date.now());
        socket.unref();
      });
      await new Promise<void>((resolve) => opened.listen(port, host, () => resolve()));
      server = opened;
    },
    async close() {
      const closing = server;
      server = undefined;
      if (!closing) return;
      closing.closeAllConnections();
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
  };
  await provider.open();
  return provider;
}
