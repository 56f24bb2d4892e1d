import { AnswerCache, cacheKey, replyFromCache, type CachedAnswer } from '../cache/answer-cache.js';
import { Flag, HEADER_SIZE, MAX_TCP_SIZE, Rcode, RRClass } from '../dns/constants.js';
import { cacheSeconds } from '../dns/inspect.js';
import { parseQuery, udpLimit, type Query, type QueryProblem } from '../dns/query.js';
import type { ZoneAnswer } from '../dns/records.js';
import { encodeAnswer, encodeRcode } from '../dns/response.js';
import { adaptForClient } from '../forward/adapt.js';
import type { Forwarder } from '../forward/forwarder.js';
import type { ProviderView } from '../registry/view.js';
import type { ServiceZone, ZoneResult } from '../zone/service-zone.js';
import type { ClientAcl } from './acl.js';
import type { Router } from './router.js';

/** Told about every answer, for metrics and the query log. */
export interface QueryObserver {
  answered(event: { zone: string; type: number; rcode: number; cached: boolean; seconds: number; client: string; name: string }): void;
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
}

export type HandlerResult = Buffer | undefined | Promise<Buffer | undefined>;

const SERVICE_ZONE = 'service';
/** Answers with rotated record orders kept per question: the first record spreads over this many providers. */
const MAX_ROTATIONS = 16;

/**
 * One query in, one answer out: question -> cache -> (zone | forwarder) -> encode -> cache.
 * A cache hit returns synchronously; only misses allocate promises.
 */
export class QueryHandler {
  private readonly inFlight = new Map<string, Promise<CachedAnswer>>();

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
    if (!this.deps.acl.allows(client) || query.class !== RRClass.IN) {
      return this.reply(this.uncached(query, Rcode.REFUSED, '-'), msg, query, false, started, client);
    }
    const limit = tcp ? MAX_TCP_SIZE : udpLimit(query);
    const key = cacheKey(query, limit);
    const entry = this.deps.cache.get(key);
    if (entry) {
      if (entry.services.length) this.deps.registry.touch(entry.services[0]);
      return this.reply(entry, msg, query, true, started, client);
    }
    return this.miss(msg, query, key, limit, started, client);
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

  private async miss(msg: Buffer, query: Query, key: string, limit: number, started: number, client: string): Promise<Buffer> {
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.resolve(query, key, limit).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return this.reply(await pending, msg, query, false, started, client);
  }

  private reply(entry: CachedAnswer, msg: Buffer, query: Query, cached: boolean, started: number, client: string): Buffer {
    const out = replyFromCache(entry, msg, query, Date.now());
    const seconds = (performance.now() - started) / 1000;
    this.deps.observer.answered({ zone: entry.zone, type: query.type, rcode: entry.rcode, cached, seconds, client, name: query.name });
    if (out.readUInt16BE(2) & Flag.TC) this.deps.observer.truncated();
    return out;
  }

  private resolve(query: Query, key: string, limit: number): Promise<CachedAnswer> {
    const route = this.deps.router.route(query.name);
    if (route.kind === 'zone') return this.fromZone(query, key, limit);
    if (!this.deps.recursionAvailable) return Promise.resolve(this.uncached(query, Rcode.REFUSED, route.zone));
    return this.forward(query, key, limit, route.zone, route.upstreams);
  }

  private async fromZone(query: Query, key: string, limit: number): Promise<CachedAnswer> {
    let mark = this.deps.cache.mark();
    const result = await this.deps.zone.answer(query.name, query.type, () => (mark = this.deps.cache.mark()));
    const rotate = this.rotations(query, result, limit);
    const entry: CachedAnswer = {
      variants: [rotate(0)],
      next: 0,
      rcode: result.answer.rcode,
      zone: SERVICE_ZONE,
      services: result.services,
    };
    // The other rotations are encoded once this answer is sent: a miss right after a registry change
    // pays for one encoding, not 16 (about 1.5 ms for ten SRV records), and later hits for none.
    if (rotate.count > 1) setImmediate(() => addRotations(entry, rotate));
    const fresh = !this.deps.cache.changedSince(mark, result.services);
    if (fresh && entry.rcode !== Rcode.SERVFAIL) this.deps.cache.set(key, entry, this.options.zoneCacheMs);
    return entry;
  }

  /** Encodes the answer with its records rotated by the i-th of `count` steps. */
  private rotations(query: Query, result: ZoneResult, limit: number): ((index: number) => Buffer) & { count: number } {
    const options = { limit, authoritative: result.answer.rcode !== Rcode.SERVFAIL, recursionAvailable: this.deps.recursionAvailable };
    const records = result.answer.answer;
    const count = result.rotates ? Math.min(records.length, MAX_ROTATIONS) : 1;
    const rotate = (index: number) => {
      const shift = Math.floor((index * records.length) / count);
      const answer: ZoneAnswer = { ...result.answer, answer: [...records.slice(shift), ...records.slice(0, shift)] };
      return encodeAnswer(query, answer, options);
    };
    return Object.assign(rotate, { count });
  }

  private async forward(query: Query, key: string, limit: number, zone: string, upstreams: Parameters<Forwarder['forward']>[0]): Promise<CachedAnswer> {
    try {
      const question = { name: query.name, type: query.type, class: query.class, dnssecOk: query.edns?.dnssecOk, checkingDisabled: (query.flags & Flag.CD) !== 0 };
      const { reply, inspected } = await this.deps.forwarder.forward(upstreams, question);
      const adapted = adaptForClient(reply, inspected, query, limit);
      const entry: CachedAnswer = {
        variants: [adapted.bytes],
        next: 0,
        rcode: inspected.rcode,
        zone,
        services: [],
        ttls: { offsets: adapted.ttlOffsets, values: adapted.ttls, storedAt: Date.now() },
      };
      const seconds = Math.min(cacheSeconds(inspected, reply), this.options.maxForwardTtl);
      this.deps.cache.set(key, entry, seconds * 1000);
      return entry;
    } catch {
      return this.uncached(query, Rcode.SERVFAIL, zone);
    }
  }

  private uncached(query: Query, rcode: number, zone: string): CachedAnswer {
    const bytes = encodeRcode(query, rcode, query, this.deps.recursionAvailable);
    return { variants: [bytes], next: 0, rcode, zone, services: [] };
  }

  private problem(problem: QueryProblem): Buffer | undefined {
    this.deps.observer.malformed(problem.reason);
    if (problem.kind === 'drop') return undefined;
    const rcode = problem.kind === 'formerr' ? Rcode.FORMERR : problem.kind === 'notimp' ? Rcode.NOTIMP : Rcode.BADVERS;
    return encodeRcode(problem, rcode, problem.kind === 'badvers' ? problem.question : undefined, this.deps.recursionAvailable);
  }
}

function addRotations(entry: CachedAnswer, rotate: ((index: number) => Buffer) & { count: number }): void {
  for (let i = entry.variants.length; i < rotate.count; i++) entry.variants.push(rotate(i));
  // Until now every answer went out in the first order: the next one takes the second.
  entry.next = 1;
}
