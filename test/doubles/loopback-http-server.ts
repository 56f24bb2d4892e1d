import { rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** How a double listens besides plain HTTP on a loopback port. */
export interface ListenOptions {
  /** HTTPS with this key and certificate; with `requestCert`, only clients with a certificate `ca` signed get in. */
  tls?: { key: Buffer; cert: Buffer; ca?: Buffer; requestCert?: boolean };
  /** A unix socket at this path instead of a loopback port. */
  socketPath?: string;
}

/**
 * An HTTP server on 127.0.0.1 (or a unix socket, or HTTPS) that a double can take down (cutting
 * open connections, as a dead agent would) and bring back up on the same port.
 */
export class LoopbackHttpServer {
  private server?: http.Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly handler: http.RequestListener,
    private port = 0,
    /** Sees each new connection first; returning false means it handled (refused) it. */
    private readonly admit: (socket: Socket, open: ReadonlySet<Socket>) => boolean = () => true,
    private readonly listen: ListenOptions = {},
  ) {}

  get url(): string {
    if (this.listen.socketPath) return `unix://${this.listen.socketPath}`;
    return `${this.listen.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  async up(): Promise<void> {
    const { tls, socketPath } = this.listen;
    const server = tls ? https.createServer({ ...tls, rejectUnauthorized: tls.requestCert ?? false }, this.handler) : http.createServer(this.handler);
    server.on('connection', (socket: Socket) => {
      if (!this.admit(socket, this.sockets)) return;
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    if (socketPath) await rm(socketPath, { force: true });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const listening = () => {
        if (!socketPath) this.port = (server.address() as AddressInfo).port;
        resolve();
      };
      if (socketPath) server.listen(socketPath, listening);
      else server.listen(this.port, '127.0.0.1', listening);
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
