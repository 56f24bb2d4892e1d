import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { startProcess, type Running } from './process.js';

export const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

export interface BridgeProcess extends Running {
  port: number;
  host: string;
  /** `127.0.0.1:PORT`, for c-ares' setServers and dig. */
  address: string;
  /** `127.0.0.1:PORT` of the status page, metrics and API (`--http`). */
  http: string;
}

/**
 * Runs `dnsbridge serve` on a free loopback port with `args` added, and waits for it to listen.
 * `--upstream` defaults to a closed port so no test forwards off the machine by accident.
 */
export async function startBridge(args: string[], options: { env?: NodeJS.ProcessEnv; port?: number; host?: string } = {}): Promise<BridgeProcess> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const listen = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  // One process unless a test asks for workers: quicker to start, and logs come from one place.
  const defaults = [...(args.includes('--upstream') ? [] : ['--upstream', '127.0.0.1:9']), ...(args.includes('--workers') ? [] : ['--workers', '1'])];
  // Each bridge gets its own HTTP port: the default 8053 would be shared by bridges running at once.
  const http = args.includes('--http') ? args[args.indexOf('--http') + 1] : `127.0.0.1:${await freePort()}`;
  if (!args.includes('--http')) defaults.push('--http', http);
  const [httpHost, httpPort] = [http.slice(0, http.lastIndexOf(':')), Number(http.slice(http.lastIndexOf(':') + 1))];
  const running = await startProcess(process.execPath, [CLI, 'serve', '--listen', listen, ...defaults, ...args], {
    env: { ...process.env, ...options.env },
    ready: async () => (await accepts(host, port)) && accepts(httpHost, httpPort),
    name: 'dnsbridge',
  });
  return { ...running, port, host, address: listen, http };
}

/** Runs the CLI to completion: exit code and output. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | string; output: string }> {
  const running = await startProcess(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    ready: () => true,
    name: 'dnsbridge',
  });
  const code = await running.exited;
  return { code, output: running.output() };
}

/** True once something accepts TCP connections at host:port (the bridge binds UDP before TCP). */
export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
