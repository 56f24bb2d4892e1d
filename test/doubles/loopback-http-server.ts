import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An HTTP server on 127.0.0.1 that a double can take down (cutting open connections, as a dead
 * agent would) and bring back up on the same port.
 */
export class LoopbackHttpServer {
  private server?: http.Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly handler: http.RequestListener,
    private port = 0,
    /** Sees each new connection first; returning false means it handled (refused) it. */
    private readonly admit: (socket: Socket, open: ReadonlySet<Socket>) => boolean = () => true,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  up(): Promise<void> {
    const server = http.createServer(this.handler);
    server.on('connection', (socket) => {
      if (!this.admit(socket, this.sockets)) return;
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** Stops answering: open connections are cut, new ones refused. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
