import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
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
  log.info({ signal: end.signal }, `${end.signal}: withdrawing`);
  await sidecar.stop();
  if (!program) return 0;
  program.stop(end.signal);
  return program.exited;
}

function registrationOf(settings: RegisterSettings, pid: number): Registration {
  return { service: settings.service, host: settings.address, port: settings.port, tags: settings.tags, instanceId: randomUUID(), pid, startedAt: Date.now() };
}

function firstSignal(signals: NodeJS.Signals[]): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    for (const signal of signals) process.once(signal, () => resolve(signal));
  });
}
