import http from 'node:http';
import net from 'node:net';
import type { CheckKind } from './check.js';

/** What one check found. `timeout` is kept apart from other failures for the metric. */
export interface ProbeResult {
  result: 'pass' | 'fail' | 'timeout';
  /** Time from start to the outcome, milliseconds. */
  ms: number;
  /** For operators: `connected`, `HTTP 503`, `ECONNREFUSED`, `no answer in 1000 ms`. */
  detail: string;
}

export type Probe = (target: { host: string; port: number }, check: CheckKind, timeoutMs: number) => Promise<ProbeResult>;

/** Checks one provider: a TCP connect, or an HTTP GET whose 2xx or 3xx status passes. */
export const probe: Probe = (target, check, timeoutMs) => {
  const started = performance.now();
  return new Promise<ProbeResult>((resolve) => {
    let done = false;
    const finish = (result: ProbeResult['result'], detail: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cancel();
      resolve({ result, ms: performance.now() - started, detail });
    };
    const cancel = check.kind === 'tcp' ? connect(target, finish) : get(target, check.path, finish);
    const timer = setTimeout(() => finish('timeout', `no answer in ${timeoutMs} ms`), timeoutMs);
  });
};

type Finish = (result: ProbeResult['result'], detail: string) => void;

function connect(target: { host: string; port: number }, finish: Finish): () => void {
  const socket = net.connect({ host: target.host, port: target.port });
  socket.once('connect', () => finish('pass', 'connected'));
  socket.once('error', (error: NodeJS.ErrnoException) => finish('fail', error.code ?? error.message));
  return () => socket.destroy();
}

function get(target: { host: string; port: number }, path: string, finish: Finish): () => void {
  const request = http.get({ host: target.host, port: target.port, path, agent: false, headers: { 'user-agent': 'dnsbridge-health-check' } }, (response) => {
    const status = response.statusCode ?? 0;
    response.resume();
    finish(status >= 200 && status < 400 ? 'pass' : 'fail', `HTTP ${status}`);
  });
  request.once('error', (error: NodeJS.ErrnoException) => finish('fail', error.code ?? error.message));
  return () => request.destroy();
}
