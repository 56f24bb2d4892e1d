import type { Command } from 'commander';
import type { ServiceJson, StatusJson } from '../api.js';
import { getJson, httpOption, parseHttp, reportingApiErrors } from './bridge-client.js';
import { table } from './table.js';

/** `dnsbridge ls`: every service a running bridge sees, and its sources' state. */
export function lsCommand(command: Command): void {
  command
    .addOption(httpOption())
    .option('--json', 'print the API answers as they are')
    .action(reportingApiErrors(ls));
}

async function ls(options: { http: string; json?: boolean }): Promise<void> {
  const http = parseHttp(options.http);
  const [{ body: services }, { body: status }] = await Promise.all([
    getJson<{ services: ServiceJson[] }>(http, '/api/services'),
    getJson<StatusJson>(http, '/api/status'),
  ]);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ...services, sources: status.sources }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${formatServices(services.services)}\n${formatSources(status)}`);
}

export function formatServices(services: readonly ServiceJson[]): string {
  if (!services.length) return 'no services with providers yet\n';
  const rows = services.map((s) => {
    const sources = [...new Set(s.providers.map((p) => p.source))].join(',');
    const datacenters = [...new Set(s.providers.flatMap((p) => (p.datacenter ? [p.datacenter] : [])))].join(',') || '-';
    const stale = s.providers.filter((p) => p.health === 'stale').length;
    return [s.name, s.providers.length, sources, datacenters, stale ? `${stale} stale` : 'live'];
  });
  return table(['service', 'providers', 'sources', 'datacenters', 'health'], rows);
}

function formatSources(status: StatusJson): string {
  if (!status.sources.length) return 'no sources configured\n';
  const rows = status.sources.map((s) => [
    s.name,
    s.kind,
    s.datacenter ?? '-',
    s.state,
    s.lastSync ? new Date(s.lastSync).toISOString() : 'never',
    s.watchedServices,
    loaded(s),
    s.detail ?? '',
  ]);
  return `${table(['source', 'kind', 'datacenter', 'state', 'last sync', 'services', 'loaded', 'detail'], rows)}${status.ready ? 'ready' : 'NOT READY'}\n`;
}

/** A preloading source's progress: `1200/5000 loading`, `5000/5000`; `-` for a source that loads on demand. */
function loaded(status: StatusJson['sources'][number]): string {
  const preload = status.preload;
  if (!preload) return '-';
  return `${preload.loaded}/${preload.listed}${preload.done ? '' : ' loading'}`;
}
