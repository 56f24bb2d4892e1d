import { availableParallelism } from 'node:os';

/** More workers than this stop paying off: they contend for the one shared UDP socket. */
const MAX_AUTO_WORKERS = 8;

/**
 * `--workers 0` (the default) means one per core, up to the cap. Zone transfers keep the zone's
 * versions in the one process that answers them: then 0 means one.
 */
export function workerCount(configured: number, transfers = false): number {
  if (transfers) return Math.max(1, configured);
  return configured > 0 ? configured : Math.min(availableParallelism(), MAX_AUTO_WORKERS);
}
