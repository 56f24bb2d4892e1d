import { LRUCache } from 'lru-cache';
import { Flag, HEADER_SIZE } from '../dns/constants.js';
import type { Query } from '../dns/query.js';

/** An encoded answer, ready to be sent after patching a few bytes. */
export interface CachedAnswer {
  /** The same answer with its records in rotated orders; hits take them in turn. */
  variants: Buffer[];
  next: number;
  rcode: number;
  /** For metrics: `service` for our zone, else the forwarding zone ('.' for the default upstreams). */
  zone: string;
  /** Services the answer was built from: a change to any of them drops it. */
  services: readonly string[];
  /** For answers from an upstream: where each TTL sits, so hits count it down (RFC 1035 says TTLs age). */
  ttls?: { offsets: number[]; values: number[]; storedAt: number };
}

export interface AnswerCacheOptions {
  max: number;
}

/**
 * Encoded answers keyed by question and client size limit. A hit copies the bytes and patches
 * the ID, RD/CD and the question's spelling: nothing is decoded or re-encoded.
 */
export class AnswerCache {
  private readonly lru: LRUCache<string, CachedAnswer>;
  private readonly byService = new Map<string, Set<string>>();
  /** Invalidation count, and when each service was last invalidated on that count. */
  private generation = 0;
  private readonly invalidatedAt = new Map<string, number>();
  /** The count at the last `drop`: answers built before it used settings a reload replaced. */
  private droppedAt = -1;
  hits = 0;
  misses = 0;
  invalidations = 0;

  constructor(options: AnswerCacheOptions) {
    this.lru = new LRUCache<string, CachedAnswer>({
      max: options.max,
      dispose: (entry, key) => this.unindex(key, entry),
    });
  }

  get(key: string): CachedAnswer | undefined {
    const entry = this.lru.get(key);
    if (entry) this.hits++;
    else this.misses++;
    return entry;
  }

  set(key: string, entry: CachedAnswer, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.lru.delete(key);
    this.lru.set(key, entry, { ttl: ttlMs });
    for (const service of entry.services) {
      let keys = this.byService.get(service);
      if (!keys) this.byService.set(service, (keys = new Set()));
      keys.add(key);
    }
  }

  /** A mark to pass to `changedSince` after building an answer asynchronously. */
  mark(): number {
    return this.generation;
  }

  /** True when one of `services` was invalidated after `mark`: an answer built meanwhile may be stale. */
  changedSince(mark: number, services: readonly string[]): boolean {
    return this.droppedAt >= mark || services.some((service) => (this.invalidatedAt.get(service) ?? -1) >= mark);
  }

  /** Drops every answer built from `service`; returns how many. */
  invalidate(service: string): number {
    this.invalidatedAt.set(service, this.generation++);
    const keys = this.byService.get(service);
    if (!keys) return 0;
    let count = 0;
    for (const key of [...keys]) if (this.lru.delete(key)) count++;
    this.byService.delete(service);
    this.invalidations += count;
    return count;
  }

  /** Drops every answer `stale(key, entry)` picks (a configuration reload); returns how many. */
  drop(stale: (key: string, entry: CachedAnswer) => boolean): number {
    this.droppedAt = this.generation++;
    const keys: string[] = [];
    for (const [key, entry] of this.lru.entries()) if (stale(key, entry)) keys.push(key);
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

/** The cache key: the lowercased question plus what shapes the answer (size limit, EDNS, DO). */
export function cacheKey(query: Query, limit: number): string {
  const edns = query.edns ? (query.edns.dnssecOk ? 'd' : 'e') : 'n';
  return `${query.name}|${query.type}|${query.class}|${limit}|${edns}`;
}

/** Builds the reply to `msg` from a cached answer: the hot path. */
export function replyFromCache(entry: CachedAnswer, msg: Buffer, query: Query, nowMs: number): Buffer {
  const source = entry.variants[entry.next];
  entry.next = (entry.next + 1) % entry.variants.length;
  const out = Buffer.allocUnsafe(source.length);
  source.copy(out);
  out[0] = msg[0];
  out[1] = msg[1];
  const rdcd = Flag.RD | Flag.CD;
  const flags = (out.readUInt16BE(2) & ~rdcd) | (query.flags & rdcd);
  out.writeUInt16BE(flags, 2);
  msg.copy(out, HEADER_SIZE, HEADER_SIZE, query.nameEnd);
  if (entry.ttls) ageTtls(out, entry.ttls, nowMs);
  return out;
}

function ageTtls(out: Buffer, ttls: NonNullable<CachedAnswer['ttls']>, nowMs: number): void {
  const elapsed = Math.floor((nowMs - ttls.storedAt) / 1000);
  for (let i = 0; i < ttls.offsets.length; i++) {
    out.writeUInt32BE(Math.max(0, ttls.values[i] - elapsed), ttls.offsets[i]);
  }
}
