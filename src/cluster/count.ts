import { availableParallelism } from 'node:os';

/** More workers than this stop paying off: they contend for the one shared UDP socket. */
const MAX_AUTO_WORKERS = 8;

/** `--workers 0` (the default) means one per core, up to the cap. */
export function workerCount(configured: number): number {
  return configured > 0 ? configured : Math.min(availableParallelism(), MAX_AUTO_WORKERS);
}
