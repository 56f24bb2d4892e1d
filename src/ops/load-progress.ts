import type { Logger } from 'pino';
import type { InstanceStatus } from '../registry/source.js';

/** How often a loading source's progress is logged. */
const EVERY_MS = 3000;
/** How often the sources are looked at: a load is reported within this of its listing. */
const LOOK_EVERY_MS = 500;

/**
 * While a source preloads (`--preload`), a log line says how far it got (`loaded` of `listed`
 * services) as soon as it has its listing and then every few seconds, and one more when it is
 * done; /readyz answers 503 meanwhile. Returns how to stop.
 */
export function logLoadProgress(registry: { statuses(): InstanceStatus[] }, log: Logger, everyMs = EVERY_MS): () => void {
  /** Source -> when its progress was last logged; Infinity once it is done. */
  const logged = new Map<string, number>();
  const timer = setInterval(() => {
    const now = Date.now();
    for (const { name, preload } of registry.statuses()) {
      if (!preload || !preload.listed || now - (logged.get(name) ?? -Infinity) < everyMs) continue;
      logged.set(name, preload.done ? Infinity : now);
      const fields = { source: name, loaded: preload.loaded, listed: preload.listed };
      log.info(fields, preload.done ? `source loaded: all ${preload.listed} services` : `source loading: ${preload.loaded} of ${preload.listed} services`);
    }
  }, LOOK_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
