import net from 'node:net';
import { freePort } from './ports.js';

/**
 * A loopback TCP relay whose open connections a test can silence: nothing more passes either
 * way and nothing is closed, as when a firewall or NAT drops a connection without a reset.
 * New connections are relayed as usual, so only a client that notices the silence recovers.
 */
export interface SilentProxy {
  /** `127.0.0.1:PORT`. */
  address: string;
  /** Stops relaying on every open connection, leaving them open. */
  silence(): void;
  close(): Promise<void>;
}

export async function startSilentProxy(target: { host: string; port: number }): Promise<SilentProxy> {
  const port = await freePort();
  const open = new Set<{ inbound: net.Socket; outbound: net.Socket }>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(target);
    const pair = { inbound, outbound };
    open.add(pair);
    inbound.pipe(outbound).pipe(inbound);
    const end = () => {
      open.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.once('error', end).once('close', end);
    outbound.once('error', end).once('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    address: `127.0.0.1:${port}`,
    silence() {
      for (const { inbound, outbound } of open) {
        inbound.unpipe(outbound);
        outbound.unpipe(inbound);
        inbound.pause();
        outbound.pause();
      }
    },
    async close() {
      for (const { inbound, outbound } of open) {
        inbound.destroy();
        outbound.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
