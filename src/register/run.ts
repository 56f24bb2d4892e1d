import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { sleep } from '../util/sleep.js';
import { createBackends, readCredentials } from './backends/index.js';
import { checkFor } from './check.js';
import { Keeper } from './keeper.js';
import type { RegisterSettings } from './options.js';
import { Program } from './program.js';
import type { Registration } from './registration.js';
import { Sidecar } from './sidecar.js';

/** Retries against a registry that is down: from half a second up to ten, with jitter. */
const BACKOFF = { initialMs: 500, maxMs: 10_000 };

/**
 * Registers until SIGTERM or SIGINT (then withdraws at once and resolves 0) or, with --exec,
 * until the program exits (then withdraws and resolves with its exit code).
 */
export async function runRegister(settings: RegisterSettings, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const credentials = readCredentials(settings, env);
  const signalled = firstSignal(['SIGTERM', 'SIGINT']);
  const program = settings.exec ? new Program(settings.exec, log) : undefined;
  if (program && !(await program.started)) return program.exited;
  const registration = registrationOf(settings, program?.pid ?? process.pid);
  const keepers = createBackends(settings, registration, credentials, log).map((backend) => new Keeper(backend, log.child({ backend: backend.name }), BACKOFF));
  const sidecar = new Sidecar(keepers, checkFor(settings.check, settings.timeoutMs), settings.intervalMs, log);
  log.info({ service: settings.service, address: settings.address, port: settings.port, backends: keepers.length }, `registering ${settings.service} at ${settings.address}:${settings.port}`);
  if (settings.tags.length > 0 && settings.format === 'hostport' && (settings.zookeeper || settings.etcd || settings.etcd2)) {
    log.warn('--tags reach Consul and the json format only: host:port entries in ZooKeeper and etcd cannot carry them');
  }
  sidecar.start();
  const end = await Promise.race([signalled.then((signal) => ({ signal })), ...(program ? [program.exited.then((code) => ({ code }))] : [])]);
  if ('code' in end) {
    await sidecar.stop();
    return end.code;
  }
  // Listened for at once: a second signal ends the drain instead of killing us.
  const again = firstSignal(['SIGTERM', 'SIGINT']);
  log.info({ signal: end.signal }, `${end.signal}: withdrawing`);
  await sidecar.stop();
  if (!program) return 0;
  await drain(program, settings.drainMs, again, log);
  program.stop(end.signal);
  return program.exited;
}

/**
 * Keeps the program serving, withdrawn, for `ms`: clients that still hold its address for a TTL
 * are served. Ends early on a second signal or when the program exits.
 */
async function drain(program: Program, ms: number, again: Promise<NodeJS.Signals>, log: Logger): Promise<void> {
  if (ms <= 0) return;
  log.info({ drainSeconds: ms / 1000 }, `draining: the program keeps serving for ${ms / 1000} s before it gets the signal (a second SIGTERM ends the drain)`);
  const timer = new AbortController();
  const ended = await Promise.race([sleep(ms, timer.signal).then(() => 'over'), again.then((signal) => signal), program.exited.then(() => 'exited')]);
  timer.abort();
  if (ended !== 'over' && ended !== 'exited') log.info({ signal: ended }, `${ended}: drain ended early`);
}

function registrationOf(settings: RegisterSettings, pid: number): Registration {
  return { service: settings.service, host: settings.address, port: settings.port, tags: settings.tags, instanceId: randomUUID(), pid, startedAt: Date.now() };
}

function firstSignal(signals: NodeJS.Signals[]): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    for (const signal of signals) process.once(signal, () => resolve(signal));
  });
}
