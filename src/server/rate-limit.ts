import { isIPv6 } from 'node:net';

export interface RateLimitOptions {
  /** Answers per second allowed to one client network (IPv4 /24, IPv6 /56), as BIND's RRL counts. */
  perSecond: number;
  /** Every `slip`-th limited query still gets an empty TC=1 answer, so a real client retries over TCP. */
  slip: number;
  /** Networks tracked at once; the table is cleared past it rather than grow. */
  maxClients?: number;
}

export type RateDecision = 'answer' | 'slip' | 'drop';

interface Bucket {
  tokens: number;
  updated: number;
  limited: number;
}

/**
 * Response rate limiting for UDP, in the spirit of BIND's RRL: a token bucket per client
 * network. A spoofed flood cannot turn us into an amplifier (dropped or tiny TC=1 answers),
 * while a real client that is limited still gets through over TCP, which cannot be spoofed.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  limitedTotal = 0;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {}

  decide(address: string): RateDecision {
    const network = networkOf(address);
    const now = this.now();
    let bucket = this.buckets.get(network);
    if (!bucket) {
      if (this.buckets.size >= (this.options.maxClients ?? 100_000)) this.buckets.clear();
      bucket = { tokens: this.options.perSecond, updated: now, limited: 0 };
      this.buckets.set(network, bucket);
    }
    const refill = ((now - bucket.updated) / 1000) * this.options.perSecond;
    bucket.tokens = Math.min(this.options.perSecond, bucket.tokens + refill);
    bucket.updated = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 'answer';
    }
    this.limitedTotal++;
    bucket.limited++;
    return this.options.slip > 0 && bucket.limited % this.options.slip === 0 ? 'slip' : 'drop';
  }
}

/** The client's network: IPv4 /24, IPv6 /56 (the prefixes BIND's RRL uses by default). */
export function networkOf(address: string): string {
  if (address.startsWith('::ffff:') && !address.slice(7).includes(':')) address = address.slice(7);
  if (!isIPv6(address)) return address.slice(0, address.lastIndexOf('.'));
  const [head, tail] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...new Array<string>(missing).fill('0'), ...tailGroups];
  return `${groups.slice(0, 3).join(':')}:${(parseInt(groups[3] ?? '0', 16) & 0xff00).toString(16)}`;
}
