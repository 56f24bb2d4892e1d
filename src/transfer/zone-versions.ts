import { isIP } from 'node:net';
import type { ResourceRecord } from '../dns/records.js';
import type { ProviderView } from '../registry/view.js';
import type { DatacenterOptions } from '../zone/datacenters.js';
import type { HostAddresses } from '../zone/host-addresses.js';
import { Journal, type JournalLimits, type ZoneDiff } from './journal.js';
import { nextSerial } from './serial.js';
import { recordKey, serviceRecords } from './service-records.js';

export interface ZoneVersionsOptions {
  domain: string;
  ttl: number;
  /** With datacenters, the zone holds the own datacenter's view and a sub-zone per datacenter (see `serviceRecords`). */
  datacenters?: DatacenterOptions;
  /** Registry changes within this long make one new version (and one NOTIFY). */
  coalesceMs: number;
  journal: JournalLimits;
  now?: () => number;
}

/** The zone at one serial, for an AXFR: SOA and NS first, then every record. */
export interface ZoneSnapshot {
  serial: number;
  soa: ResourceRecord & { type: 'SOA' };
  records: ResourceRecord[];
}

/**
 * The zone as secondaries get it: every service's records, kept current from registry changes.
 * Changes within `coalesceMs` become one version with a higher serial, its difference goes
 * into the journal for IXFR, and listeners (NOTIFY) hear of it.
 */
export class ZoneVersions {
  private readonly counts = new Map<string, { rr: ResourceRecord; count: number }>();
  private readonly byService = new Map<string, string[]>();
  /** Provider hostname -> services whose records hold its addresses. */
  private readonly hostUsers = new Map<string, Set<string>>();
  private readonly dirty = new Set<string>();
  private readonly journal: Journal;
  private readonly listeners: ((serial: number) => void)[] = [];
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private lastVersionAt = 0;
  serial: number;

  constructor(
    readonly options: ZoneVersionsOptions,
    private readonly view: ProviderView & { serviceNames(): string[] },
    private readonly hosts: HostAddresses,
  ) {
    this.now = options.now ?? Date.now;
    this.journal = new Journal(options.journal);
    this.serial = nextSerial(undefined, this.now());
    for (const service of view.serviceNames()) this.apply(service);
    view.onChange((service) => this.changed(service));
    hosts.onChange((host) => {
      for (const service of this.hostUsers.get(host) ?? []) this.changed(service);
    });
  }

  /** Told the new serial after each new version. */
  onVersion(listener: (serial: number) => void): void {
    this.listeners.push(listener);
  }

  snapshot(): ZoneSnapshot {
    const records = [this.nsRecord(), ...[...this.counts.values()].map((entry) => entry.rr)];
    return { serial: this.serial, soa: this.soa(this.serial), records };
  }

  /** The differences from `serial` to now; undefined when the journal does not reach back to it. */
  diffsSince(serial: number): ZoneDiff[] | undefined {
    return this.journal.since(serial);
  }

  /** The SOA record at `serial`. */
  soa(serial: number): ResourceRecord & { type: 'SOA' } {
    const { domain, ttl } = this.options;
    return { name: domain, ttl, type: 'SOA', mname: `ns.${domain}`, rname: `hostmaster.${domain}`, serial, refresh: 3600, retry: 600, expire: 86400, minimum: ttl };
  }

  get oldestJournalSerial(): number | undefined {
    return this.journal.oldest;
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private nsRecord(): ResourceRecord {
    return { name: this.options.domain, ttl: this.options.ttl, type: 'NS', host: `ns.${this.options.domain}` };
  }

  private changed(service: string): void {
    this.dirty.add(service);
    if (this.timer) return;
    const wait = Math.max(0, this.lastVersionAt + this.options.coalesceMs - this.now());
    this.timer = setTimeout(() => this.newVersion(), wait);
    this.timer.unref();
  }

  private newVersion(): void {
    this.timer = undefined;
    this.lastVersionAt = this.now();
    const before = new Map<string, boolean>();
    for (const service of this.dirty) this.apply(service, before);
    this.dirty.clear();
    const diff: ZoneDiff = { from: this.serial, to: 0, deleted: [], added: [] };
    for (const [key, was] of before) {
      const entry = this.counts.get(key);
      if (was && !entry) diff.deleted.push(this.removed.get(key)!);
      else if (!was && entry) diff.added.push(entry.rr);
    }
    this.removed.clear();
    if (!diff.deleted.length && !diff.added.length) return;
    this.serial = diff.to = nextSerial(this.serial, this.now());
    this.journal.add(diff);
    for (const listener of this.listeners) listener(this.serial);
  }

  /** Records that left the zone in this version, by key: the journal's deletions need their data. */
  private readonly removed = new Map<string, ResourceRecord>();

  /** Replaces `service`'s records; `before` notes whether each touched record was in the zone. */
  private apply(service: string, before?: Map<string, boolean>): void {
    const providers = this.view.providers(service);
    for (const provider of providers) if (!isIP(provider.host)) this.useHost(provider.host, service);
    const records = serviceRecords(service, providers, {
      domain: this.options.domain,
      ttl: this.options.ttl,
      addresses: (host) => this.hosts.get(host),
      datacenters: this.options.datacenters,
    });
    const keys = [...new Map(records.map((rr) => [recordKey(rr), rr]))];
    for (const key of this.byService.get(service) ?? []) {
      if (before && !before.has(key)) before.set(key, true);
      const entry = this.counts.get(key)!;
      if (--entry.count === 0) {
        this.counts.delete(key);
        this.removed.set(key, entry.rr);
      }
    }
    for (const [key, rr] of keys) {
      if (before && !before.has(key)) before.set(key, false);
      const entry = this.counts.get(key);
      if (entry) entry.count++;
      else this.counts.set(key, { rr, count: 1 });
    }
    if (keys.length) this.byService.set(service, keys.map(([key]) => key));
    else this.byService.delete(service);
  }

  /** Hostnames are resolved in the background; their addresses join the records when known. */
  private useHost(host: string, service: string): void {
    let users = this.hostUsers.get(host);
    if (!users) this.hostUsers.set(host, (users = new Set()));
    if (users.has(service)) return;
    users.add(service);
    if (this.hosts.get(host) === undefined) void this.hosts.resolve(host).then(() => this.changed(service));
  }
}
