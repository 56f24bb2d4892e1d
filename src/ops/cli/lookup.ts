import type { Command } from 'commander';
import type { Explanation } from '../../server/explain.js';
import type { ServiceJson } from '../api.js';
import { providerLabel } from '../changes.js';
import { getJson, httpOption, parseHttp, reportingApiErrors } from './bridge-client.js';
import { formatExplanation } from './explain.js';
import { table } from './table.js';

/** `dnsbridge lookup NAME`: a service's providers as a running bridge sees them, with their sources. */
export function lookupCommand(command: Command): void {
  command
    .argument('<service>', 'service name: api for api.service.local; with --explain any name (one label is a service)')
    .addOption(httpOption())
    .option('--json', 'print the API answer as it is')
    .option('--explain', 'how the bridge answers the name: sources, the providers each step left out and why, TTL, cache')
    .option('--type <TYPE>', 'with --explain: the question type', 'A')
    .option('--client <IP>', 'with --explain: the client asking (default: this host, as the bridge sees it)')
    .action(reportingApiErrors(lookup));
}

interface LookupOptions {
  http: string;
  json?: boolean;
  explain?: boolean;
  type: string;
  client?: string;
}

async function lookup(service: string, options: LookupOptions): Promise<void> {
  if (options.explain) return explain(service, options);
  const path = `/api/services/${encodeURIComponent(service)}`;
  const { status, body } = await getJson<ServiceJson & { message?: string }>(parseHttp(options.http), path, [200, 404]);
  if (options.json) process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  else if (status === 404) process.stderr.write(`${body.message ?? `no providers of ${service}`}\n`);
  else process.stdout.write(formatProviders(body));
  if (status === 404) process.exitCode = 1;
}

export function formatProviders(service: ServiceJson): string {
  const rows = service.providers.map((p) => [providerLabel(p), p.priority, p.weight, p.tags.join(',') || '-', p.source, p.datacenter ?? '-', p.health, ...checkColumns(p.check), p.origin]);
  return table(['provider', 'priority', 'weight', 'tags', 'source', 'datacenter', 'health', 'check', 'last check', 'latency', 'origin'], rows);
}

/** State, last result and its latency of the bridge's own check; `-` where the service is not checked. */
function checkColumns(check: ServiceJson['providers'][number]['check']): string[] {
  if (!check) return ['-', '-', '-'];
  if (!check.last) return [check.state, '-', '-'];
  return [check.state, `${check.last.result} (${check.last.detail})`, `${check.last.ms} ms`];
}

async function explain(name: string, options: LookupOptions): Promise<void> {
  const query = new URLSearchParams({ name, type: options.type, ...(options.client ? { client: options.client } : {}) });
  const { body } = await getJson<Explanation>(parseHttp(options.http), `/api/explain?${query}`);
  process.stdout.write(options.json ? `${JSON.stringify(body, null, 2)}\n` : formatExplanation(body));
}
