import { LRUCache } from 'lru-cache';
import { Flag, HEADER_SIZE } from '../dns/constants.js';
import type { Query } from '../dns/query.js';
import type { AnswerForm } from './answer-form.js';

/** An encoded answer, ready to be sent after patching a few bytes. */
export interface CachedAnswer {
  /** The answer, encoded once, its records in their first order. */
  bytes: Buffer;
  /**
   * Where each answer-section record starts, then where the section ends: replies send them
   * rotated, one step further each time. Absent (or one record) for answers sent as stored.
   */
  records?: readonly number[];
  /** The rotation the next reply sends. */
  next: number;
  rcode: number;
  /** For metrics: `service` for our zone, else the forwarding zone ('.' for the default upstreams). */
  zone: string;
  /** The question this answers, with everything else the answer depends on. */
  form: AnswerForm;
  /** Services the answer was built from: a change to any of them drops it. */
  services: readonly string[];
  /** The service the question names, for the busiest-services list; undefined for other names. */
  service?: string;
  /** For answers from an upstream: where each TTL sits, so hits count it down (RFC 1035 says TTLs age). */
  ttls?: { offsets: number[]; values: number[]; storedAt: number };
  /** When it leaves the cache (ms since the epoch), set by `AnswerCache.set`. */
  expires: number;
  /** When a hit last told the registry its service is in use. */
  touchedAt: number;
  /** The answer ends with an EDNS Client Subnet option whose ADDRESS each reply copies from its query. */
  echoesSubnet: boolean;
}

/** A cached answer with every field in place (one object shape for all of them keeps hits monomorphic). */
export function cachedAnswer(
  fields: Pick<CachedAnswer, 'bytes' | 'rcode' | 'zone' | 'form' | 'services'> & Partial<Pick<CachedAnswer, 'records' | 'ttls' | 'service' | 'echoesSubnet'>>,
): CachedAnswer {
  const { bytes, rcode, zone, form, services, records, ttls, service, echoesSubnet = false } = fields;
  return { bytes, records, next: 0, rcode, zone, form, services, service, ttls, expires: Infinity, touchedAt: 0, echoesSubnet };
}

/** A cached answer a registry change dropped: enough to encode it again. */
export interface StaleAnswer {
  key: string;
  form: AnswerForm;
  /** What was left of its time in the cache. */
  ttlMs: number;
}

export interface AnswerCacheOptions {
  max: number;
}

/**
 * Encoded answers keyed by `cacheKey(form)`. A hit copies the bytes and patches the ID, RD/CD
 * and the question's spelling: nothing is decoded or re-encoded. Expiry is checked against the
 * caller's clock reading rather than by lru-cache's TTLs, which read the clock again on every get.
 */
export class AnswerCache {
  private readonly lru: LRUCache<string, CachedAnswer>;
  private readonly byService = new Map<string, Set<string>>();
  hits = 0;
  misses = 0;
  invalidations = 0;
  /** Dropped answers encoded again after their registry change (see `QueryHandler.changed`). */
  refreshes = 0;

  constructor(options: AnswerCacheOptions) {
    this.lru = new LRUCache<string, CachedAnswer>({
      max: options.max,
      dispose: (entry, key) => this.unindex(key, entry),
    });
  }

  /** The answer stored under `key`, unless it expired by `now` (ms since the epoch). */
  get(key: string, now = Date.now()): CachedAnswer | undefined {
    const entry = this.lru.get(key);
    if (entry && entry.expires > now) {
      this.hits++;
      return entry;
    }
    if (entry) this.lru.delete(key);
    this.misses++;
    return undefined;
  }

  has(key: string, now = Date.now()): boolean {
    const entry = this.lru.peek(key);
    return entry !== undefined && entry.expires > now;
  }

  set(key: string, entry: CachedAnswer, ttlMs: number): void {
    if (ttlMs <= 0) return;
    entry.expires = Date.now() + ttlMs;
    this.lru.delete(key);
    this.lru.set(key, entry);
    for (const service of entry.services) {
      let keys = this.byService.get(service);
      if (!keys) this.byService.set(service, (keys = new Set()));
      keys.add(key);
    }
  }

  /** Drops every answer built from `service`, at once; returns what they answered, to encode them again. */
  invalidate(service: string): StaleAnswer[] {
    const keys = this.byService.get(service);
    if (!keys) return [];
    const stale: StaleAnswer[] = [];
    const now = Date.now();
    for (const key of [...keys]) {
      const entry = this.lru.peek(key);
      if (entry && this.lru.delete(key) && entry.expires > now) stale.push({ key, form: entry.form, ttlMs: entry.expires - now });
    }
    this.byService.delete(service);
    this.invalidations += stale.length;
    return stale;
  }

  /** Every live answer to `name` and `type`, in each form it is stored in (explain; walks the whole cache). */
  answersTo(name: string, type: number, now = Date.now()): CachedAnswer[] {
    const found: CachedAnswer[] = [];
    for (const entry of this.lru.values()) if (entry.form.name === name && entry.form.type === type && entry.expires > now) found.push(entry);
    return found;
  }

  /** Drops every answer `stale(form, entry)` picks (a configuration reload); returns how many. */
  drop(stale: (form: AnswerForm, entry: CachedAnswer) => boolean): number {
    const keys: string[] = [];
    for (const [key, entry] of this.lru.entries()) if (stale(entry.form, entry)) keys.push(key);
    for (const key of keys) this.lru.delete(key);
    return keys.length;
  }

  clear(): void {
    this.lru.clear();
    this.byService.clear();
  }

  get size(): number {
    return this.lru.size;
  }

  private unindex(key: string, entry: CachedAnswer): void {
    for (const service of entry.services) {
      const keys = this.byService.get(service);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.byService.delete(service);
    }
  }
}

/** Builds the reply to `msg` from a cached answer: the hot path. */
export function replyFromCache(entry: CachedAnswer, msg: Buffer, query: Query, nowMs: number): Buffer {
  const source = entry.bytes;
  const out = Buffer.allocUnsafe(source.length);
  const records = entry.records;
  if (records && records.length > 2) rotateInto(out, entry, records);
  else source.copy(out);
  out[0] = msg[0];
  out[1] = msg[1];
  const rdcd = Flag.RD | Flag.CD;
  const flags = (out.readUInt16BE(2) & ~rdcd) | (query.flags & rdcd);
  out.writeUInt16BE(flags, 2);
  msg.copy(out, HEADER_SIZE, HEADER_SIZE, query.nameEnd);
  if (entry.ttls) ageTtls(out, entry.ttls, nowMs);
  const ecs = query.ecs;
  if (entry.echoesSubnet && ecs) msg.copy(out, out.length - ecs.addressLength, ecs.addressOffset, ecs.addressOffset + ecs.addressLength);
  return out;
}

/** Copies the answer with its answer records starting at the `next`-th: nothing points into them, so any order is valid. */
function rotateInto(out: Buffer, entry: CachedAnswer, records: readonly number[]): void {
  const source = entry.bytes;
  const count = records.length - 1;
  const first = records[0];
  const end = records[count];
  const split = records[entry.next];
  entry.next = entry.next + 1 === count ? 0 : entry.next + 1;
  source.copy(out, 0, 0, first);
  source.copy(out, first, split, end);
  source.copy(out, first + end - split, first, split);
  source.copy(out, end, end);
}

function ageTtls(out: Buffer, ttls: NonNullable<CachedAnswer['ttls']>, nowMs: number): void {
  const elapsed = Math.floor((nowMs - ttls.storedAt) / 1000);
  for (let i = 0; i < ttls.offsets.length; i++) {
    out.writeUInt32BE(Math.max(0, ttls.values[i] - elapsed), ttls.offsets[i]);
  }
}
