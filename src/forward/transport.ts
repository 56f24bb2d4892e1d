import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { isIPv6, Socket } from 'node:net';
import type { Endpoint } from './endpoint.js';

/** Why one exchange with one upstream failed: a stable code for logs and metrics. */
export class UpstreamError extends Error {
  constructor(
    readonly code: 'TIMEOUT' | 'NETWORK' | 'MALFORMED',
    message: string,
  ) {
    super(message);
  }
}

/** Accepts a reply only from the server asked, with the ID sent, and (checked by the caller) the question asked. */
export type ReplyCheck = (reply: Buffer) => boolean;

interface Pending {
  server: Endpoint;
  check: ReplyCheck;
  resolve: (reply: Buffer) => void;
}

/**
 * UDP sockets for upstream queries. Each query gets a random ID and goes out through one of
 * several sockets bound to kernel-chosen random ports, retired after a few hundred queries,
 * so an off-path attacker must guess both (RFC 5452).
 */
export class UdpPool {
  private readonly sockets: PooledSocket[] = [];
  private closed = false;

  constructor(private readonly size = 8) {}

  /** Sends `query` (ID already set) and resolves with the first acceptable reply. */
  exchange(server: Endpoint, query: Buffer, check: ReplyCheck, timeoutMs: number): Promise<Buffer> {
    if (this.closed) return Promise.reject(new UpstreamError('NETWORK', 'forwarder closed'));
    const socket = this.pick(isIPv6(server.host) ? 'udp6' : 'udp4');
    return socket.exchange(server, query, check, timeoutMs);
  }

  close(): void {
    this.closed = true;
    for (const socket of this.sockets) socket?.retire();
  }

  private pick(family: 'udp4' | 'udp6'): PooledSocket {
    const index = randomInt(this.size);
    const slot = family === 'udp4' ? index : this.size + index;
    let socket = this.sockets[slot];
    if (!socket || socket.worn) {
      socket?.retire();
      socket = this.sockets[slot] = new PooledSocket(family);
    }
    return socket;
  }
}

const QUERIES_PER_SOCKET = 500;

class PooledSocket {
  private readonly socket: dgram.Socket;
  private readonly pending = new Map<number, Pending>();
  private used = 0;
  private retired = false;

  constructor(family: 'udp4' | 'udp6') {
    this.socket = dgram.createSocket(family);
    this.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    this.socket.on('error', () => this.retire());
    this.socket.unref();
  }

  get worn(): boolean {
    return this.retired || this.used >= QUERIES_PER_SOCKET;
  }

  exchange(server: Endpoint, query: Buffer, check: ReplyCheck, timeoutMs: number): Promise<Buffer> {
    this.used++;
    const id = this.freeId();
    query.writeUInt16BE(id, 0);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(id);
        reject(new UpstreamError('TIMEOUT', `no answer from ${server.host}:${server.port} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        server,
        check,
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
      });
      this.socket.send(query, server.port, server.host, (error) => {
        if (!error) return;
        clearTimeout(timer);
        this.settle(id);
        reject(new UpstreamError('NETWORK', `sending to ${server.host}:${server.port}: ${error.message}`));
      });
    });
  }

  retire(): void {
    this.retired = true;
    if (this.pending.size === 0) this.socket.close();
  }

  private freeId(): number {
    for (;;) {
      const id = randomInt(65536);
      if (!this.pending.has(id)) return id;
    }
  }

  private settle(id: number): void {
    this.pending.delete(id);
    if (this.retired && this.pending.size === 0) this.socket.close();
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length < 12) return;
    const id = msg.readUInt16BE(0);
    const pending = this.pending.get(id);
    if (!pending) return;
    if (!sameAddress(rinfo, pending.server) || !pending.check(msg)) return;
    this.settle(id);
    pending.resolve(msg);
  }
}

function sameAddress(rinfo: dgram.RemoteInfo, server: Endpoint): boolean {
  if (rinfo.port !== server.port) return false;
  const address = rinfo.address.startsWith('::ffff:') ? rinfo.address.slice(7) : rinfo.address;
  return address === server.host || (server.host === 'localhost' && (address === '127.0.0.1' || address === '::1'));
}

/** One query over TCP (RFC 7766), for answers that came back truncated over UDP. */
export function exchangeTcp(server: Endpoint, query: Buffer, check: ReplyCheck, timeoutMs: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const socket = new Socket();
    let received = Buffer.alloc(0);
    const fail = (code: UpstreamError['code'], why: string) => {
      socket.destroy();
      reject(new UpstreamError(code, `TCP ${server.host}:${server.port}: ${why}`));
    };
    socket.setTimeout(timeoutMs, () => fail('TIMEOUT', `no answer in ${timeoutMs} ms`));
    socket.on('error', (error) => fail('NETWORK', error.message));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const length = received.readUInt16BE(0);
      if (received.length < 2 + length) return;
      const reply = received.subarray(2, 2 + length);
      socket.destroy();
      if (check(reply)) resolve(reply);
      else reject(new UpstreamError('MALFORMED', `TCP ${server.host}:${server.port}: reply does not match the query`));
    });
    socket.on('end', () => fail('NETWORK', 'closed before answering'));
    socket.connect(server.port, server.host, () => {
      const frame = Buffer.allocUnsafe(2 + query.length);
      frame.writeUInt16BE(query.length, 0);
      query.copy(frame, 2);
      socket.write(frame);
    });
  });
}
