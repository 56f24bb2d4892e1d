import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';

/**
 * Ports are drawn below Linux's ephemeral range (32768-60999): a port the kernel picked would
 * be free now, but any outgoing connection of a test running beside this one could take it as
 * its source port before our server binds it.
 */
const LOWEST = 20_000;
const HIGHEST = 32_767;

/** A loopback port free for both UDP and TCP right now. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = randomInt(LOWEST, HIGHEST + 1);
    if ((await tcpFree(host, port)) && (await udpFree(host, port))) return port;
  }
  throw new Error('no free port pair found');
}

function tcpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
}
