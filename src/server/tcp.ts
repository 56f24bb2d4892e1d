import net from 'node:net';
import type { Logger } from 'pino';
import type { Endpoint } from '../forward/endpoint.js';
import type { QueryHandler, TransferHandler } from './handler.js';

export interface TcpOptions {
  /** A connection with nothing in flight and nothing received for this long is closed (RFC 7766 6.2.3). */
  idleMs: number;
  /** A query must arrive whole within this time of its first byte: slow senders are cut off. */
  frameMs: number;
  maxConnections: number;
  /** Queries of one connection answered at once; reading pauses past it. */
  maxInFlightPerConnection: number;
  /** Unread answers kept for a client that does not read; past it the connection is closed. */
  maxPendingBytes: number;
}

interface Connection {
  socket: net.Socket;
  buffered: Buffer;
  inFlight: number;
  lastActive: number;
  frameTimer?: NodeJS.Timeout;
}

/**
 * DNS over TCP with 2-byte length framing. Several queries per connection are answered as
 * they complete. At the connection cap the longest-idle connection makes room for the new one.
 */
export class TcpListener {
  private server?: net.Server;
  private readonly connections = new Set<Connection>();
  private closing = false;
  /** Zone transfers, when configured: their answers take several messages. */
  transfers?: TransferHandler;

  constructor(
    private readonly handler: QueryHandler,
    private readonly options: TcpOptions,
    private readonly log: Logger,
  ) {}

  get openConnections(): number {
    return this.connections.size;
  }

  listen(endpoint: Endpoint, exclusive = true): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: endpoint.host, port: endpoint.port, exclusive, backlog: 1024 }, () => {
        server.off('error', reject);
        server.on('error', (error) => this.log.error({ err: error }, 'TCP listener error'));
        resolve();
      });
    });
  }

  /** Stops accepting and reading; open connections are closed once their answers in flight are written. */
  close(): Promise<void> {
    this.closing = true;
    for (const connection of this.connections) if (connection.inFlight === 0) connection.socket.destroy();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(socket: net.Socket): void {
    if (this.connections.size >= this.options.maxConnections) this.evictIdlest();
    const connection: Connection = { socket, buffered: Buffer.alloc(0), inFlight: 0, lastActive: Date.now() };
    this.connections.add(connection);
    socket.setNoDelay(true);
    socket.setTimeout(this.options.idleMs, () => {
      if (connection.inFlight === 0) socket.destroy();
    });
    socket.on('data', (chunk) => this.onData(connection, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(connection.frameTimer);
      this.connections.delete(connection);
    });
  }

  private onData(connection: Connection, chunk: Buffer): void {
    connection.lastActive = Date.now();
    let data = connection.buffered.length ? Buffer.concat([connection.buffered, chunk]) : chunk;
    let completed = false;
    while (data.length >= 2) {
      const length = data.readUInt16BE(0);
      if (data.length < 2 + length) break;
      this.answer(connection, data.subarray(2, 2 + length));
      data = data.subarray(2 + length);
      completed = true;
    }
    connection.buffered = Buffer.from(data);
    this.watchFrame(connection, completed);
    if (connection.inFlight >= this.options.maxInFlightPerConnection) connection.socket.pause();
  }

  /** Each query gets `frameMs` from its first byte: dripping bytes does not extend it. */
  private watchFrame(connection: Connection, completedOne: boolean): void {
    if (connection.buffered.length === 0 || completedOne) {
      clearTimeout(connection.frameTimer);
      connection.frameTimer = undefined;
    }
    if (connection.buffered.length === 0 || connection.frameTimer) return;
    connection.frameTimer = setTimeout(() => connection.socket.destroy(), this.options.frameMs);
    connection.frameTimer.unref();
  }

  private answer(connection: Connection, msg: Buffer): void {
    connection.inFlight++;
    let result;
    try {
      const transfer = this.transfers?.handle(msg, connection.socket.remoteAddress ?? '', true);
      if (transfer) return this.sendAll(connection, transfer);
      result = this.handler.handle(Buffer.from(msg), connection.socket.remoteAddress ?? '', true);
    } catch (error) {
      this.log.error({ err: error }, 'query failed');
    }
    if (result instanceof Promise) {
      result.then(
        (out) => this.send(connection, out),
        (error) => {
          this.log.error({ err: error }, 'query failed');
          this.send(connection, undefined);
        },
      );
    } else this.send(connection, result);
  }

  /** The messages of one transfer, written in order; a zone may pass the unread-answer cap, which is for queries. */
  private sendAll(connection: Connection, messages: readonly Buffer[]): void {
    connection.inFlight--;
    if (!connection.socket.destroyed) for (const message of messages) connection.socket.write(frame(message));
    this.settled(connection);
  }

  private send(connection: Connection, out: Buffer | undefined): void {
    connection.inFlight--;
    const socket = connection.socket;
    if (socket.destroyed) return;
    if (out) {
      socket.write(frame(out));
      if (socket.writableLength > this.options.maxPendingBytes) {
        socket.destroy();
        return;
      }
    }
    this.settled(connection);
  }

  private settled(connection: Connection): void {
    const socket = connection.socket;
    if (socket.destroyed) return;
    if (this.closing && connection.inFlight === 0) socket.end();
    else if (socket.isPaused() && connection.inFlight < this.options.maxInFlightPerConnection) socket.resume();
  }

  private evictIdlest(): void {
    let idlest: Connection | undefined;
    for (const connection of this.connections) {
      if (!idlest || connection.lastActive < idlest.lastActive) idlest = connection;
    }
    idlest?.socket.destroy();
    if (idlest) this.connections.delete(idlest);
  }
}

/** A message with its 2-byte length in front (RFC 1035 4.2.2). */
function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + message.length);
  out.writeUInt16BE(message.length, 0);
  message.copy(out, 2);
  return out;
}
