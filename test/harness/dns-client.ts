import dgram from 'node:dgram';
import net from 'node:net';

/**
 * Sends raw bytes over UDP; resolves with the reply, or undefined when none came within `timeoutMs`.
 * `from` binds the client's address first (any 127.x.y.z on loopback), as a distinct client.
 */
export function udpAsk(host: string, port: number, message: Buffer, timeoutMs = 2000, from?: string): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const done = (reply: Buffer | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once('message', (reply) => done(reply));
    if (from) socket.bind(0, from, () => socket.send(message, port, host));
    else socket.send(message, port, host);
  });
}

/** Prefixes a message with its 2-byte length (RFC 1035 4.2.2). */
export function framed(message: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return Buffer.concat([length, message]);
}

/**
 * Writes `parts` on one TCP connection, each in its own segment, and collects `expected` framed
 * replies in the order they arrive; rejects when the server closes first or `timeoutMs` passes.
 */
export function tcpAsk(host: string, port: number, parts: Buffer | Buffer[], expected: number, timeoutMs = 5000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const replies: Buffer[] = [];
    let received = Buffer.alloc(0);
    const socket = net.connect({ host, port }, () => writeParts(socket, [parts].flat()));
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(replies);
    };
    const timer = setTimeout(() => finish(new Error(`${replies.length} of ${expected} TCP replies in ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        replies.push(received.subarray(2, 2 + received.readUInt16BE(0)));
        received = received.subarray(2 + received.readUInt16BE(0));
      }
      if (replies.length >= expected) finish();
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error(`connection closed after ${replies.length} of ${expected} replies`)));
  });
}

function writeParts(socket: net.Socket, parts: Buffer[]): void {
  socket.setNoDelay(true);
  const [first, ...rest] = parts;
  if (!first || socket.destroyed) return;
  socket.write(first, () => setTimeout(() => writeParts(socket, rest), 20));
}
