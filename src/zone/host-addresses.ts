import { isIP } from 'node:net';
import { RRType } from '../dns/constants.js';
import type { SourceProvider } from '../registry/provider.js';

export interface Addresses {
  v4: readonly string[];
  v6: readonly string[];
}

/** Resolves one name and type; `ttl` in seconds. Rejects when no upstream could answer. */
export type AddressLookup = (name: string, type: 'A' | 'AAAA') => Promise<{ addresses: string[]; ttl: number }>;

export interface HostAddressesOptions {
  /** Cache time for a name that did not resolve, so a bad hostname slows only its first answer. */
  failureTtlMs: number;
  minTtlMs: number;
  maxTtlMs: number;
  /** Names not asked for this long are not refreshed any more. */
  idleMs: number;
  now?: () => number;
}

interface Entry {
  addresses?: Addresses;
  expires: number;
  lastUse: number;
  loading?: Promise<void>;
  timer?: NodeJS.Timeout;
}

/**
 * A provider's addresses of one family, as its A or AAAA records give them: its IP when `host` is
 * one of that family, else the known addresses of its hostname; and its `otherFamilyAddress`.
 * The one rule the answers and the zone transfer share.
 */
export function providerAddresses(
  provider: Pick<SourceProvider, 'host' | 'otherFamilyAddress'>,
  type: 'A' | 'AAAA',
  known: (host: string) => Addresses | undefined,
): readonly string[] {
  const other = provider.otherFamilyAddress;
  if (other !== undefined && (isIP(other) === 4) === (type === 'A')) return [other];
  return hostAddresses(provider.host, type, known);
}

/** `host`'s addresses of one family: itself when it is an IP of that family, else its hostname's known ones. */
export function hostAddresses(host: string, type: 'A' | 'AAAA', known: (host: string) => Addresses | undefined): readonly string[] {
  const family = isIP(host);
  if (family) return (family === 4) === (type === 'A') ? [host] : [];
  const addresses = known(host);
  return addresses ? (type === 'A' ? addresses.v4 : addresses.v6) : [];
}

const LOOPBACK: Addresses = { v4: ['127.0.0.1'], v6: ['::1'] };

/**
 * Addresses of providers registered by hostname, resolved in the background through the
 * upstreams (not glibc, whose resolv.conf may point at us) and kept for their TTL. A change of
 * addresses is announced so the answers built from them can be dropped.
 */
export class HostAddresses {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners: ((host: string) => void)[] = [];
  private readonly now: () => number;

  constructor(
    private readonly lookup: AddressLookup,
    private readonly options: HostAddressesOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  onChange(listener: (host: string) => void): void {
    this.listeners.push(listener);
  }

  /** The known addresses of `host`; undefined until its first lookup finished. */
  get(host: string): Addresses | undefined {
    if (host === 'localhost') return LOOPBACK;
    const entry = this.entries.get(host);
    if (entry) entry.lastUse = this.now();
    return entry?.addresses;
  }

  /** Resolves `host` if it never was; settles when its first lookup is done (never rejects). */
  resolve(host: string): Promise<void> {
    if (host === 'localhost') return Promise.resolve();
    let entry = this.entries.get(host);
    if (!entry) {
      entry = { expires: 0, lastUse: this.now() };
      this.entries.set(host, entry);
      entry.loading = this.refresh(host, entry);
    }
    return entry.loading ?? Promise.resolve();
  }

  stop(): void {
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
    this.entries.clear();
  }

  private async refresh(host: string, entry: Entry): Promise<void> {
    const [v4, v6] = await Promise.allSettled([this.lookup(host, 'A'), this.lookup(host, 'AAAA')]);
    if (this.entries.get(host) !== entry) return;
    const answered = [v4, v6].filter((r) => r.status === 'fulfilled');
    const ttls = answered.map((r) => r.value.ttl * 1000);
    const ttlMs = ttls.length ? clamp(Math.min(...ttls), this.options.minTtlMs, this.options.maxTtlMs) : this.options.failureTtlMs;
    const addresses: Addresses = {
      v4: v4.status === 'fulfilled' ? v4.value.addresses : entry.addresses?.v4 ?? [],
      v6: v6.status === 'fulfilled' ? v6.value.addresses : entry.addresses?.v6 ?? [],
    };
    const changed = !entry.addresses || !sameAddresses(entry.addresses, addresses);
    entry.addresses = addresses;
    entry.expires = this.now() + ttlMs;
    entry.loading = undefined;
    entry.timer = setTimeout(() => this.onExpiry(host, entry), ttlMs);
    entry.timer.unref();
    if (changed) for (const listener of this.listeners) listener(host);
  }

  private onExpiry(host: string, entry: Entry): void {
    if (this.now() - entry.lastUse > this.options.idleMs) {
      this.entries.delete(host);
      return;
    }
    entry.loading = this.refresh(host, entry);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function sameAddresses(a: Addresses, b: Addresses): boolean {
  return a.v4.join() === b.v4.join() && a.v6.join() === b.v6.join();
}

/** Reads the A or AAAA records (at any owner, so CNAME chains count) out of a forwarded answer. */
export function addressesFromAnswer(
  reply: Buffer,
  records: readonly { type: number; ttl: number; rdataOffset: number; rdlength: number; section: number }[],
  type: 'A' | 'AAAA',
  negativeTtl: number,
): { addresses: string[]; ttl: number } {
  const wanted = RRType[type];
  const found = records.filter((r) => r.section === 1 && r.type === wanted && r.rdlength === (type === 'A' ? 4 : 16));
  const addresses = found.map((r) => formatAddress(reply.subarray(r.rdataOffset, r.rdataOffset + r.rdlength)));
  const ttl = found.length ? Math.min(...found.map((r) => r.ttl)) : negativeTtl;
  return { addresses: addresses.sort(), ttl };
}

function formatAddress(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}
