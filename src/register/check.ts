import { spawn } from 'node:child_process';
import net from 'node:net';
import type { CheckSpec } from './options.js';

/** One run of a health check: passed or not, and a line saying what was seen. */
export interface CheckResult {
  ok: boolean;
  detail: string;
}

/** A health check; it settles within its own timeout and never throws. */
export type HealthCheck = () => Promise<CheckResult>;

/** Passes on a 2xx answer to GET `url`, as Consul's HTTP check does. */
export function httpCheck(url: string, timeoutMs: number): HealthCheck {
  return async () => {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
      await response.body?.cancel();
      const ok = response.status >= 200 && response.status < 300;
      return { ok, detail: `GET ${url}: HTTP ${response.status}` };
    } catch (error) {
      return { ok: false, detail: `GET ${url}: ${describeFetchError(error, timeoutMs)}` };
    }
  };
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer in ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** Passes when a TCP connection to host:port opens. */
export function tcpCheck(host: string, port: number, timeoutMs: number): HealthCheck {
  const target = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
  return () =>
    new Promise((resolve) => {
      const socket = net.connect({ host, port });
      const finish = (result: CheckResult) => {
        socket.destroy();
        resolve(result);
      };
      socket.setTimeout(timeoutMs, () => finish({ ok: false, detail: `connect ${target}: no answer in ${timeoutMs} ms` }));
      socket.once('connect', () => finish({ ok: true, detail: `connect ${target}: open` }));
      socket.once('error', (error: NodeJS.ErrnoException) => finish({ ok: false, detail: `connect ${target}: ${error.code ?? error.message}` }));
    });
}

/**
 * Passes when `sh -c command` exits 0. On timeout the whole process group is killed,
 * so a check that started children does not leave them behind.
 */
export function commandCheck(command: string, timeoutMs: number): HealthCheck {
  return () =>
    new Promise((resolve) => {
      const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-200)));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid);
      }, timeoutMs);
      child.once('error', (error) => {
        clearTimeout(timer);
        resolve({ ok: false, detail: `${command}: ${error.message}` });
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve({ ok: true, detail: `${command}: exit 0` });
        else if (timedOut) resolve({ ok: false, detail: `${command}: no result in ${timeoutMs} ms (killed)` });
        else if (signal) resolve({ ok: false, detail: `${command}: killed by ${signal}` });
        else resolve({ ok: false, detail: `${command}: exit ${code}${stderr.trim() ? `: ${stderr.trim()}` : ''}` });
      });
    });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** No check given: always passes (with --exec, the program running is the check). */
export const alwaysPasses: HealthCheck = async () => ({ ok: true, detail: 'no check configured' });

/** The check a `register` command asked for. */
export function checkFor(spec: CheckSpec | undefined, timeoutMs: number): HealthCheck {
  if (!spec) return alwaysPasses;
  if (spec.kind === 'http') return httpCheck(spec.url, timeoutMs);
  if (spec.kind === 'tcp') return tcpCheck(spec.host, spec.port, timeoutMs);
  return commandCheck(spec.command, timeoutMs);
}
