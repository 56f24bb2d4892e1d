import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../../harness/bridge.js';
import { startProcess, type Running } from '../../harness/process.js';

/**
 * Runs `dnsbridge register` with `args`; ready once it logged `readyWhen` (by default its first
 * registration). Logs at debug so a failing test shows what it did.
 */
export function startRegister(args: string[], readyWhen = ': registered ', env: NodeJS.ProcessEnv = {}): Promise<Running> {
  return startProcess(process.execPath, [CLI, 'register', '--address', '127.0.0.1', '--log-level', 'debug', ...args], {
    env: { ...process.env, ...env },
    ready: (output) => output.includes(readyWhen),
    name: 'dnsbridge register',
  });
}

/** A health switch for `--check-cmd`: the check passes while the file exists. */
export interface HealthSwitch {
  check: string;
  pass(): Promise<void>;
  fail(): Promise<void>;
  remove(): Promise<void>;
}

export async function healthSwitch(): Promise<HealthSwitch> {
  const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-health-'));
  const file = join(dir, 'healthy');
  await writeFile(file, '');
  return {
    check: `test -e ${file}`,
    pass: () => writeFile(file, ''),
    fail: () => rm(file, { force: true }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Attempts for harness `eventually` when waiting out a TTL or a restart: a hang guard of 30 s, not a threshold. */
export const PATIENTLY = { attempts: 600, intervalMs: 50 };
