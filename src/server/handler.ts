import { AnswerCache, cachedAnswer, replyFromCache, type CachedAnswer, type StaleAnswer } from '../cache/answer-cache.js';
import { answerForm, cacheKey, formQuery, type AnswerForm } from '../cache/answer-form.js';
import { firstQuestions } from '../cache/first-questions.js';
import { Flag, HEADER_SIZE, MAX_TCP_SIZE, Rcode, RRClass } from '../dns/constants.js';
import { subnetNetwork, type ClientSubnet, type SubnetEcho } from '../dns/ecs.js';
import { EdeCode, type ExtendedError } from '../dns/ede.js';
import { cacheSeconds } from '../dns/inspect.js';
import { parseQuery, udpLimit, type Query, type QueryProblem } from '../dns/query.js';
import { encodeMovableAnswer, encodeRcode } from '../dns/response.js';
import { adaptForClient } from '../forward/adapt.js';
import type { Endpoint } from '../forward/endpoint.js';
import type { Forwarder } from '../forward/forwarder.js';
import { UpstreamError } from '../forward/transport.js';
import type { ProviderView } from '../registry/view.js';
import type { EnsureResult } from '../registry/source.js';
import type { ServiceZone } from '../zone/service-zone.js';
import { explainQuestion, type ExplainQuestion, type Explanation } from './explain.js';
import { reverseDependencies } from '../zone/reverse-index.js';
import type { ClientPlacement, Placement } from '../zone/datacenters.js';
import { clientNetwork } from '../zone/subset.js';
import { isTransfer, refuseTransfer } from '../zone/transfer.js';
import type { ClientAcl } from './acl.js';
import type { Router } from './router.js';

/** Told about every answer, for metrics and the query log; the event object is reused, so read it at once. */
export interface QueryObserver {
  /** `service`: the service the name asks for, '' for other names. */
  answered(event: { zone: string; type: number; rcode: number; cached: boolean; seconds: number; client: string; name: string; service: string }): void;
  malformed(reason: string): void;
  truncated(): void;
}

export interface HandlerOptions {
  /** Safety net on our zone's cached answers; they are normally dropped by registry events. */
  zoneCacheMs: number;
  /** Longest a forwarded answer is cached, seconds. */
  maxForwardTtl: number;
}

export interface HandlerDeps {
  cache: AnswerCache;
  zone: ServiceZone;
  router: Router;
  forwarder: Forwarder;
  registry: ProviderView;
  acl: ClientAcl;
  observer: QueryObserver;
  /** False when there are no upstreams: we then answer only our zone (no RA, others REFUSED). */
  recursionAvailable: boolean;
  /** With `--client-datacenter`: places each client in a datacenter, whose providers it gets first. */
  placement?: ClientPlacement;
}

/** Answers zone transfer requests on the DNS sockets; undefined for any other message. */
export interface TransferHandler {
  handle(msg: Buffer, client: string, tcp: boolean): Buffer[] | undefined;
}

export type HandlerResult = Buffer | undefined | Promise<Buffer | undefined>;

export const SERVICE_ZONE = 'service';

/** Who answers a question the cache did not have: our zone, upstreams, or nobody (REFUSED). */
export type Resolution =
  | { kind: 'zone' }
  | { kind: 'forward'; zone: string; upstreams: readonly Endpoint[] }
  | { kind: 'refused'; rcode: number; zone: string; why: string; errors?: readonly ExtendedError[] };

export function resolution(deps: Pick<HandlerDeps, 'router' | 'zone' | 'recursionAvailable'>, name: string, type: number): Resolution {
  const route = deps.router.route(name);
  if (route.kind === 'zone' && isTransfer(type)) {
    const refusal = refuseTransfer(name, deps.zone.options.domain);
    return { kind: 'refused', rcode: refusal.rcode, zone: SERVICE_ZONE, why: refusal.errors[0].text, errors: refusal.errors };
  }
  if (route.kind === 'zone' || deps.recursionAvailable) return route;
  return { kind: 'refused', rcode: Rcode.REFUSED, zone: route.zone, why: 'no upstreams are configured: only names of our zone are answered' };
}

/** With `--max-answers`: the addresses this client's network gets (see `ServiceZone.subsetFor`). */
export function clientSubset(zone: ServiceZone, name: string, type: number, client: string, placement?: Placement, ecs?: ClientSubnet): readonly string[] | undefined {
  if (!zone.options.maxAnswers) return undefined;
  return zone.subsetFor(name, type, networkOf(client, ecs), placement?.datacenter);
}

/** The `--max-answers` client network: the EDNS Client Subnet a resolver sent for its client, else the client's /24 or /56. */
function networkOf(client: string, ecs: ClientSubnet | undefined): string {
  return ecs ? subnetNetwork(ecs).network : clientNetwork(client);
}

/**
 * The datacenter a client is placed in by `--client-datacenter`: by the EDNS Client Subnet a
 * resolver sent for it (RFC 7871; none for SOURCE PREFIX-LENGTH 0, which asks us not to use its
 * address), else by its own address.
 */
export function placeClient(deps: HandlerDeps, client: string, ecs?: ClientSubnet): Placement | undefined {
  if (!deps.placement) return undefined;
  if (!ecs) return deps.placement.place(client);
  return ecs.sourcePrefix ? deps.placement.place(ecs.address) : undefined;
}

/** The Extended DNS Error of a client outside `--allow`. */
export function aclRefusal(client: string): ExtendedError {
  return { code: EdeCode.Prohibited, text: `client ${client} is not in --allow` };
}

/**
 * One query in, one answer out: question -> cache -> (zone | forwarder) -> encode -> cache.
 * A cache hit returns synchronously; only misses allocate promises.
 */
export class QueryHandler {
  private readonly inFlight = new Map<string, Promise<CachedAnswer>>();
  /** Answers a registry change dropped, to encode again once the change is applied. */
  private stale = new Map<string, StaleAnswer>();
  /** One event object for every answer: observers read it synchronously (no allocation per hit). */
  private readonly event = { zone: '', type: 0, rcode: 0, cached: false, seconds: 0, client: '', name: '', service: '' };

  constructor(
    private deps: HandlerDeps,
    private readonly options: HandlerOptions,
  ) {}

  /** Swaps in parts a configuration reload rebuilt; the sockets and the cache stay. */
  use(deps: HandlerDeps): void {
    this.deps = deps;
  }

  handle(msg: Buffer, client: string, tcp: boolean): HandlerResult {
    const started = performance.now();
    const parsed = parseQuery(msg);
    if (parsed.kind !== 'query') return this.problem(parsed);
    const query = parsed.query;
    if (!this.deps.acl.allows(client)) {
      const refused = this.uncached(query, Rcode.REFUSED, '-', [aclRefusal(client)]);
      return this.reply(refused, msg, query, false, started, client, Date.now());
    }
    if (query.class !== RRClass.IN) return this.reply(this.uncached(query, Rcode.REFUSED, '-'), msg, query, false, started, client, Date.now());
    const placement = placeClient(this.deps, client, query.ecs);
    const subset = clientSubset(this.deps.zone, query.name, query.type, client, placement, query.ecs);
    const form = answerForm(query, tcp ? MAX_TCP_SIZE : udpLimit(query), subset, placement);
    const key = cacheKey(form);
    const now = Date.now();
    const entry = this.deps.cache.get(key, now);
    if (entry) {
      // Once a second is enough to keep a service watched (it is released after minutes idle).
      if (entry.services.length && now - entry.touchedAt >= 1000) {
        entry.touchedAt = now;
        this.deps.registry.touch(entry.services[0]);
      }
      return this.reply(entry, msg, query, true, started, client, now);
    }
    return this.miss(msg, query, key, form, started, client);
  }

  /**
   * A registry change touched `service`: its cached answers are dropped at once, so none older
   * than the change is served, and encoded again right after, so the next query is a hit. A
   * query arriving in between misses and builds the new answer itself.
   */
  changed(service: string): void {
    const dropped = this.deps.cache.invalidate(service);
    if (!dropped.length) return;
    if (!this.stale.size) setImmediate(() => this.refresh());
    for (const answer of dropped) this.stale.set(answer.key, answer);
  }

  /**
   * Encodes `service`'s answers to the questions most first queries are (`firstQuestions`)
   * before anyone asks (`--preload`), so its first query is a hit. An answer that depends on the
   * client (a `--max-answers` subset) is left to its first query; one already cached is kept.
   */
  async warm(service: string): Promise<void> {
    const zone = this.deps.zone;
    const name = `${service}.${zone.options.domain}`;
    // With --client-datacenter every answer depends on the client's datacenter: left to first queries too.
    if (this.deps.router.route(name).kind !== 'zone' || this.deps.placement) return;
    const loaded = await zone.prepare(name);
    if (loaded !== 'ready') return;
    for (const question of firstQuestions(name)) {
      const form = answerForm(question, udpLimit(question));
      const key = cacheKey(form);
      if (this.deps.cache.has(key) || this.inFlight.has(key)) continue;
      if (zone.options.maxAnswers && zone.subsetFor(name, question.type, '') !== undefined) continue;
      this.answerZone(key, form, loaded, this.options.zoneCacheMs);
    }
  }

  /** What answering `question` would do and why, by the same steps as a query; changes nothing cached. */
  explain(question: ExplainQuestion): Promise<Explanation> {
    return explainQuestion(this.deps, question);
  }

  /** An empty TC=1 answer: the client should ask again over TCP (rate limiting's "slip"). */
  truncated(msg: Buffer): Buffer | undefined {
    const parsed = parseQuery(msg);
    if (parsed.kind !== 'query') return undefined;
    const out = encodeRcode(parsed.query, Rcode.NOERROR, parsed.query, this.deps.recursionAvailable);
    out.writeUInt16BE(out.readUInt16BE(2) | Flag.TC, 2);
    msg.copy(out, HEADER_SIZE, HEADER_SIZE, parsed.query.nameEnd);
    return out;
  }

  private async miss(msg: Buffer, query: Query, key: string, form: AnswerForm, started: number, client: string): Promise<Buffer> {
    // Before its service is loaded a name has no subset yet: each client network builds its own.
    const flight = this.deps.zone.options.maxAnswers && !form.subset ? `${key}|${networkOf(client, query.ecs)}` : key;
    let pending = this.inFlight.get(flight);
    if (!pending) {
      pending = this.resolve(query, key, form, client).finally(() => this.inFlight.delete(flight));
      this.inFlight.set(flight, pending);
    }
    return this.reply(await pending, msg, query, false, started, client, Date.now());
  }

  private reply(entry: CachedAnswer, msg: Buffer, query: Query, cached: boolean, started: number, client: string, now: number): Buffer {
    const out = replyFromCache(entry, msg, query, now);
    const event = this.event;
    event.zone = entry.zone;
    event.type = query.type;
    event.rcode = entry.rcode;
    event.cached = cached;
    event.seconds = (performance.now() - started) / 1000;
    event.client = client;
    event.name = query.name;
    event.service = entry.service ?? '';
    this.deps.observer.answered(event);
    if (out[2] & (Flag.TC >> 8)) this.deps.observer.truncated();
    return out;
  }

  private resolve(query: Query, key: string, form: AnswerForm, client: string): Promise<CachedAnswer> {
    const resolved = resolution(this.deps, query.name, query.type);
    if (resolved.kind === 'refused') return Promise.resolve(this.uncached(query, resolved.rcode, resolved.zone, resolved.errors));
    if (resolved.kind === 'zone') return this.fromZone(key, form, client, query.ecs);
    return this.forward(query, key, form, resolved.zone, resolved.upstreams);
  }

  private async fromZone(key: string, form: AnswerForm, client: string, ecs: ClientSubnet | undefined): Promise<CachedAnswer> {
    const loaded = await this.deps.zone.prepare(form.name);
    // A service loaded just now has a subset only from now on.
    const subset = form.subset ?? clientSubset(this.deps.zone, form.name, form.type, client, form.placement, ecs);
    const subnet = this.subnetEcho(form, subset);
    if (subset === form.subset && subnet === form.subnet) return this.answerZone(key, form, loaded, this.options.zoneCacheMs);
    const chosen: AnswerForm = { ...form, ...(subset ? { subset } : {}), ...(subnet ? { subnet } : {}) };
    return this.answerZone(cacheKey(chosen), chosen, loaded, this.options.zoneCacheMs);
  }

  /**
   * The Client Subnet to echo, with the SCOPE PREFIX-LENGTH the answer used (RFC 7871 7.2.1): the
   * length of the `--client-datacenter` network that placed the client (all of the subnet when
   * none did) for names answered by datacenter, that of the `--max-answers` network for a subset;
   * 0 when the answer is everyone's.
   */
  private subnetEcho(form: AnswerForm, subset: readonly string[] | undefined): SubnetEcho | undefined {
    const subnet = form.subnet;
    if (!subnet || subnet.sourcePrefix === 0) return subnet;
    let scope = 0;
    if (form.placement && this.deps.zone.answersByDatacenter(form.name)) scope = form.placement.prefix >= 0 ? form.placement.prefix : subnet.sourcePrefix;
    if (subset) scope = Math.max(scope, Math.min(subnet.sourcePrefix, subnet.family === 1 ? 24 : 56));
    return scope === subnet.scopePrefix ? subnet : { ...subnet, scopePrefix: scope };
  }

  /**
   * Reads the providers, encodes and caches in one synchronous step: no registry change can
   * fall between reading and caching, so a cached answer is never older than the last change.
   */
  private answerZone(key: string, form: AnswerForm, loaded: EnsureResult, ttlMs: number): CachedAnswer {
    const result = this.deps.zone.answerNow(form.name, form.type, loaded, form.subset, undefined, form.placement?.datacenter);
    const rcode = result.answer.rcode;
    const options = { limit: form.limit, authoritative: rcode !== Rcode.SERVFAIL, recursionAvailable: this.deps.recursionAvailable, subnet: form.subnet };
    const encoded = encodeMovableAnswer(formQuery(form), result.answer, options);
    const records = result.rotates && encoded.records.length > 2 ? encoded.records : undefined;
    const service = this.deps.zone.serviceOf(form.name);
    const echoesSubnet = form.subnet !== undefined;
    const entry = cachedAnswer({ bytes: encoded.bytes, records, rcode, zone: SERVICE_ZONE, form, services: result.services, service, echoesSubnet });
    if (rcode !== Rcode.SERVFAIL) this.deps.cache.set(key, entry, ttlMs);
    return entry;
  }

  /** Encodes again the answers changes dropped, unless a query did meanwhile or they would have to wait. */
  private refresh(): void {
    const stale = this.stale;
    this.stale = new Map();
    for (const { key, form, ttlMs } of stale.values()) {
      if (this.inFlight.has(key) || this.deps.cache.has(key)) continue;
      if (this.deps.router.route(form.name).kind !== 'zone' || !this.deps.zone.answerable(form.name)) continue;
      this.answerZone(key, form, 'ready', ttlMs);
      this.deps.cache.refreshes++;
    }
  }

  private async forward(query: Query, key: string, form: AnswerForm, zone: string, upstreams: Parameters<Forwarder['forward']>[0]): Promise<CachedAnswer> {
    try {
      // Only a TCP client is allowed MAX_TCP_SIZE: it is asked upstream over TCP too.
      const tcp = form.limit === MAX_TCP_SIZE;
      const question = { name: query.name, type: query.type, class: query.class, dnssecOk: query.edns?.dnssecOk, checkingDisabled: (query.flags & Flag.CD) !== 0, tcp };
      const { reply, inspected } = await this.deps.forwarder.forward(upstreams, question);
      const adapted = adaptForClient(reply, inspected, query, form.limit);
      const entry = cachedAnswer({
        bytes: adapted.bytes,
        rcode: inspected.rcode,
        zone,
        form,
        // A provider that takes this address makes it ours: the forwarded answer must go then.
        services: reverseDependencies(query.name),
        ttls: { offsets: adapted.ttlOffsets, values: adapted.ttls, storedAt: Date.now() },
      });
      const seconds = Math.min(cacheSeconds(inspected, reply), this.options.maxForwardTtl);
      this.deps.cache.set(key, entry, seconds * 1000);
      return entry;
    } catch (error) {
      return this.uncached(query, Rcode.SERVFAIL, zone, [forwardingError(error)]);
    }
  }

  private uncached(query: Query, rcode: number, zone: string, errors?: readonly ExtendedError[]): CachedAnswer {
    const bytes = encodeRcode(query, rcode, query, this.deps.recursionAvailable, errors);
    return cachedAnswer({ bytes, rcode, zone, form: answerForm(query, 0), services: [] });
  }

  private problem(problem: QueryProblem): Buffer | undefined {
    this.deps.observer.malformed(problem.reason);
    if (problem.kind === 'drop') return undefined;
    const rcode = problem.kind === 'formerr' ? Rcode.FORMERR : problem.kind === 'notimp' ? Rcode.NOTIMP : Rcode.BADVERS;
    return encodeRcode(problem, rcode, problem.kind === 'badvers' ? problem.question : undefined, this.deps.recursionAvailable);
  }
}

/** Why forwarding failed, for the client (RFC 8914): no upstream answered in time, or none could be reached. */
function forwardingError(error: unknown): ExtendedError {
  const text = error instanceof Error ? error.message : String(error);
  const timeout = error instanceof UpstreamError && error.code === 'TIMEOUT';
  return { code: timeout ? EdeCode.NoReachableAuthority : EdeCode.NetworkError, text };
}
