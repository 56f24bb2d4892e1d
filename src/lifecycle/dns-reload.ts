import type { AnswerForm } from '../cache/answer-form.js';
import type { Config } from '../config/load.js';
import { formatEndpoint, type Endpoint } from '../forward/endpoint.js';
import type { Router } from '../server/router.js';
import { datacenterOptions } from '../zone/datacenters.js';

/** Options a running process cannot take over (sockets, sizes fixed at start): they need a restart. */
const RESTART_OPTIONS = ['listen', 'http', 'workers', 'cache-size', 'upstream-timeout', 'rate-limit', 'rate-limit-slip', 'preload', 'transfer-allow', 'notify', 'tsig-key-file'];

/** The restart-only options whose value `next` changes. */
export function needsRestart(before: Config, next: Config): string[] {
  const was = before as unknown as Record<string, unknown>;
  const now = next as unknown as Record<string, unknown>;
  return RESTART_OPTIONS.filter((key) => comparable(was[key]) !== comparable(now[key]));
}

/** True when `a` and `b` hold the same values (Maps and arrays compared by content). */
export function sameValue(a: unknown, b: unknown): boolean {
  return comparable(a) === comparable(b);
}

function comparable(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof Map ? [...v] : v)) ?? 'undefined';
}

export interface DnsSettings {
  config: Config;
  router: Router;
}

/**
 * Which cached answers a reload makes wrong: an answer is kept when its name is answered by
 * the same zone, from the same servers, with the same TTL as before. A new domain, or gaining
 * or losing every upstream (the RA flag of every answer), drops them all.
 */
export function staleAfterReload(before: DnsSettings, next: DnsSettings): (form: AnswerForm) => boolean {
  const recursion = (config: Config) => config.upstreams.length > 0;
  if (before.config.domain !== next.config.domain || recursion(before.config) !== recursion(next.config)) return () => true;
  const ttlChanged =
    before.config.ttl !== next.config.ttl ||
    before.config['max-answers'] !== next.config['max-answers'] ||
    !sameValue(datacenterOptions(before.config), datacenterOptions(next.config)) ||
    !sameValue(before.config['client-datacenter'], next.config['client-datacenter']);
  return ({ name }) => {
    const was = before.router.route(name);
    const now = next.router.route(name);
    if (was.kind === 'zone' || now.kind === 'zone') return was.kind !== now.kind || ttlChanged;
    return was.zone !== now.zone || !sameServers(was.upstreams, now.upstreams);
  };
}

function sameServers(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  return a.map(formatEndpoint).join() === b.map(formatEndpoint).join();
}
