import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { isPrimaryMessage } from '../cluster/messages.js';
import { ConfigError } from '../config/errors.js';
import type { Config } from '../config/load.js';

/** What SIGHUP reloads: a bridge, a cluster primary, a DNS worker. */
export interface Reloadable {
  reload(config: Config): unknown;
}

/**
 * SIGHUP re-reads the configuration (the --config file and the environment; flags stay) and
 * applies it. One that does not load or apply is refused with the reason, and the old one keeps
 * running. A DNS worker reloads when its primary says so. Reloads run one at a time, in order,
 * and wait for `target` to have started.
 */
export function reloadOnSignal(target: Promise<Reloadable>, load: () => Config, log: Logger): void {
  let queue: Promise<void> = target.then(() => undefined);
  const reload = (trigger: string) => {
    queue = queue.then(async () => applyReload(await target, load, log, trigger));
  };
  process.on('SIGHUP', () => reload('SIGHUP'));
  if (cluster.isWorker) process.on('message', (message) => isPrimaryMessage(message) && message.kind === 'dnsbridge:reload' && reload('primary'));
}

async function applyReload(target: Reloadable, load: () => Config, log: Logger, trigger: string): Promise<void> {
  try {
    const result = (await target.reload(load())) as { restartNeeded?: string[] } | undefined;
    log.info({ trigger, ...result }, 'configuration reloaded');
    const restart = result?.restartNeeded ?? [];
    if (restart.length) log.warn({ options: restart }, `${restart.join(', ')} changed: only a restart applies ${restart.length > 1 ? 'them' : 'it'}`);
  } catch (error) {
    const reason = error instanceof ConfigError ? error.problems.map((p) => `${p.key}: ${p.message}`).join('; ') : (error as Error).message;
    log.error({ trigger, err: error instanceof ConfigError ? undefined : error }, `new configuration refused, the old one keeps running: ${reason}`);
  }
}
