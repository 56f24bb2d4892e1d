import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import type { Endpoint } from '../forward/endpoint.js';
import type { QueryHandler, TransferHandler } from './handler.js';
import type { RateLimiter } from './rate-limit.js';

/** The UDP listener: each datagram is one query; an answer that throws is logged, never fatal. */
export class UdpListener {
  private socket?: dgram.Socket;
  /** Answers still being worked out; close() waits for them. */
  private inFlight = 0;
  private closing = false;
  private drained?: () => void;
  /** Zone transfers, when configured: over UDP an IXFR gets only the SOA. */
  transfers?: TransferHandler;

  constructor(
    private readonly handler: QueryHandler,
    private readonly log: Logger,
    private readonly limiter?: RateLimiter,
  ) {}

  listen(endpoint: Endpoint, exclusive = true): Promise<void> {
    const family = isIPv6(endpoint.host) ? 6 : 4;
    // Every answer goes to the address a datagram came from, always a literal: taking it as it is
    // skips the `dns.lookup` and the deferred callback that `send` otherwise goes through per answer.
    const lookup: dgram.SocketOptions['lookup'] = (address, _options, callback) => callback(null, address, family);
    const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', recvBufferSize: 4 << 20, lookup });
    this.socket = socket;
    socket.on('message', (msg, rinfo) => this.onMessage(socket, msg, rinfo));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: endpoint.host, port: endpoint.port, exclusive }, () => {
        socket.off('error', reject);
        socket.on('error', (error) => this.log.error({ err: error }, 'UDP socket error'));
        resolve();
      });
    });
  }

  /** Stops taking queries (a client retries at its next server), sends the answers in flight, closes. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await new Promise<void>((resolve) => (this.socket ? this.socket.close(() => resolve()) : resolve()));
  }

  private onMessage(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closing) return;
    try {
      const decision = this.limiter?.decide(rinfo.address) ?? 'answer';
      if (decision !== 'answer') {
        const slip = decision === 'slip' ? this.handler.truncated(msg) : undefined;
        if (slip) socket.send(slip, rinfo.port, rinfo.address);
        return;
      }
      const transfer = this.transfers?.handle(msg, rinfo.address, false);
      if (transfer) return void socket.send(transfer[0], rinfo.port, rinfo.address);
      const result = this.handler.handle(msg, rinfo.address, false);
      if (result instanceof Buffer) socket.send(result, rinfo.port, rinfo.address);
      else if (result instanceof Promise) {
        this.inFlight++;
        result
          // Settles once the datagram left, so close() never cuts an answer off.
          .then((out) => out && new Promise((sent) => socket.send(out, rinfo.port, rinfo.address, sent)))
          .catch((error) => this.fail(error))
          .finally(() => --this.inFlight === 0 && this.drained?.());
      }
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    this.log.error({ err: error }, 'query failed');
  }
}
