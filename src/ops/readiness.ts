import type { InstanceStatus } from '../registry/source.js';

export interface Readiness {
  ready: boolean;
  /** One line per source (and why the bridge is not ready), for people and probe logs. */
  lines: string[];
}

/**
 * Ready when the DNS sockets listen and every source has synced at least once: a source that
 * lost its registry after that still answers from what it last read, so it keeps the bridge
 * ready and says so. A source that never synced would make us answer NXDOMAIN for live services;
 * a preloading one is ready once it has loaded every service of its first listing.
 */
export function readiness(listening: boolean, statuses: readonly InstanceStatus[]): Readiness {
  const lines = statuses.map(describe);
  const synced = statuses.every(hasSynced);
  if (!listening) lines.unshift('not listening: shutting down or not started');
  return { ready: listening && synced, lines };
}

/** A preloading source must also have loaded every service of its first listing. */
function hasSynced(status: InstanceStatus): boolean {
  return (status.synced || status.lastSync !== undefined) && (status.preload?.done ?? true);
}

function describe(status: InstanceStatus): string {
  const why = status.detail ? `: ${status.detail}` : '';
  const preload = status.preload;
  if (preload && !preload.done) return `${status.name}: preloading, ${preload.loaded} of ${preload.listed} services loaded (${status.state})${why}`;
  if (!hasSynced(status)) return `${status.name}: never synced (${status.state})${why}`;
  const since = status.lastSync ? ` (last sync ${new Date(status.lastSync).toISOString()})` : '';
  if (status.state !== 'connected') return `${status.name}: serving stale${since}, ${status.state}${why}`;
  return `${status.name}: synced${since}`;
}
