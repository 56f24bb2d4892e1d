import { isIP } from 'node:net';
import { Rcode, RRType } from '../dns/constants.js';
import { EdeCode, type ExtendedError } from '../dns/ede.js';
import type { ResourceRecord, ZoneAnswer } from '../dns/records.js';
import { healthStep } from '../health/filter.js';
import type { Provider } from '../registry/provider.js';
import type { EnsureResult } from '../registry/source.js';
import type { ProviderView } from '../registry/view.js';
import { runSteps, tagStep, type AnswerStep, type ProviderFilter } from './answer-step.js';
import { answerTtl, lowestTtl } from './answer-ttl.js';
import { datacenterScope, failoverStep } from './datacenter-step.js';
import { datacenterOrder, NO_DATACENTERS, type DatacenterOptions } from './datacenters.js';
import { hostAddresses, providerAddresses, type HostAddresses } from './host-addresses.js';
import { addressToHex, classify, reverseAddress, type ServiceForm, type ZoneName } from './names.js';
import { reverseDependency, type ReverseIndex } from './reverse-index.js';
import { rendezvous } from './subset.js';

export interface ServiceZoneOptions {
  domain: string;
  /** TTL of our answers, seconds. */
  ttl: number;
  /** How long a first answer waits for a provider hostname's addresses. */
  hostWaitMs: number;
  /** Most addresses in an A or AAAA answer, chosen per client network; 0 = all. */
  maxAnswers: number;
  /** `--datacenter`, `--failover` and the configured datacenters; none when left out. */
  datacenters?: DatacenterOptions;
}

/** An answer and what it was built from, so the cache can drop it when that changes. */
export interface ZoneResult {
  answer: ZoneAnswer;
  services: string[];
  /** The answer section may be served in rotated orders. */
  rotates: boolean;
}

/**
 * What `answerNow` did for one name, filled in only when the caller passes one (explain): the
 * same call that answers queries records its decisions, so the explanation cannot drift.
 */
export interface ZoneTrace {
  /** What the name is under the domain; undefined for a reverse name (or a name outside it). */
  form?: ZoneName;
  /** The service's providers (of the asked endpoint), before any step. */
  providers?: readonly Provider[];
  /** Each answer step in order, then for A and AAAA `address` and, with `--max-answers`, `subset`. */
  steps: AnswerStep[];
  /** The answer's TTL, and the provider whose own TTL lowered it below `--ttl`. */
  ttl?: { seconds: number; negative: boolean; provider?: Provider };
}

/** What the apex's answers depend on: invalidated when the zone's serial changes (zone transfers). */
export const ZONE_APEX = '@';

/** Answers names under our domain from the registry's providers. */
export class ServiceZone {
  private readonly startSerial = Math.floor(Date.now() / 1000);
  /** Hostname -> services whose answers used its addresses. */
  private readonly hostUsers = new Map<string, Set<string>>();
  /** The known addresses of a provider hostname. */
  private readonly known = (host: string) => this.hosts.get(host);
  /** What a service's providers pass through, in order, before an answer is made of them. */
  private readonly steps: readonly ProviderFilter[];
  private readonly datacenters: DatacenterOptions;
  /** The configured datacenters: each a sub-zone. */
  private readonly datacenterNames: ReadonlySet<string>;

  constructor(
    readonly options: ServiceZoneOptions,
    private readonly registry: ProviderView,
    private readonly hosts: HostAddresses,
    private readonly reverse: ReverseIndex,
    /** The SOA serial; with zone transfers, the serial secondaries transfer. */
    private readonly serial: () => number = () => this.startSerial,
  ) {
    this.datacenters = options.datacenters ?? NO_DATACENTERS;
    this.datacenterNames = new Set(this.datacenters.names);
    this.steps = this.datacenterNames.size ? [tagStep, ...this.datacenterSteps()] : [tagStep, healthStep];
  }

  /**
   * With datacenters: the ones a name may be answered from (a sub-zone's, or the client's, the
   * bridge's and `--failover`'s), health over those alone (so it fails open only when none of them
   * has a healthy provider), then the first of them with providers left.
   */
  private datacenterSteps(): ProviderFilter[] {
    const { local, srvFailoverPriority } = this.datacenters;
    const order = (question: ServiceForm) => (question.datacenter === undefined ? datacenterOrder(this.datacenters, question.client) : [question.datacenter]);
    const srvStep = (question: ServiceForm) => (question.datacenter === undefined && question.asksSrv ? srvFailoverPriority : 0);
    return [
      (providers, question) => datacenterScope(providers, order(question), local),
      healthStep,
      (providers, question) => failoverStep(providers, order(question), local, srvStep(question)),
    ];
  }

  /** True when `name`'s answer depends on the client's datacenter: a service name outside the sub-zones, with `--datacenter`. */
  answersByDatacenter(name: string): boolean {
    const form = this.classify(name);
    return this.datacenters.local !== undefined && form !== undefined && 'service' in form && form.datacenter === undefined;
  }

  /** What `name` asks for; a configured datacenter's label before the domain is its sub-zone. */
  classify(name: string): ZoneName | undefined {
    return classify(name, this.options.domain, this.datacenterNames);
  }

  /** Services whose answers depend on `host`'s addresses. */
  servicesUsingHost(host: string): string[] {
    return [...(this.hostUsers.get(host) ?? [])];
  }

  contains(name: string): boolean {
    return this.classify(name) !== undefined;
  }

  /** Loads, then answers: `prepare` followed by `answerNow`. */
  async answer(name: string, type: number): Promise<ZoneResult> {
    return this.answerNow(name, type, await this.prepare(name));
  }

  /**
   * Loads what answering `name` needs: its service (watched from now on), and its providers'
   * hostnames, waiting for those at most `hostWaitMs`.
   */
  async prepare(name: string): Promise<EnsureResult> {
    const service = this.serviceOf(name);
    if (service === undefined) return 'ready';
    const result = await this.registry.ensure(service);
    await this.waitForHosts(service, this.registry.providers(service));
    return result;
  }

  /**
   * The answer from what is loaded now. Synchronous, so a caller that caches it has read the
   * providers and stored the answer with no registry change in between.
   */
  answerNow(name: string, type: number, loadResult: EnsureResult = 'ready', subset?: readonly string[], trace?: ZoneTrace, client?: string): ZoneResult {
    const form = this.classify(name);
    if (trace) trace.form = form;
    if (!form) return this.reverseName(name, type);
    if (form.kind === 'none') return this.negative(Rcode.NXDOMAIN, [], trace);
    if (form.kind === 'empty') return this.negative(Rcode.NOERROR, [], trace);
    if (form.kind === 'apex') return this.apex(name, type);
    if (form.kind === 'addr') return this.addr(name, type, form.address);
    const service = form.service;
    if (loadResult === 'unavailable' && this.registry.providers(service).length === 0) {
      return { answer: { rcode: Rcode.SERVFAIL, answer: [], authority: [], additional: [] }, services: [], rotates: false };
    }
    const providers = this.filter(asked(form, type, client), trace);
    if (providers.length === 0) return this.negative(Rcode.NXDOMAIN, [service], trace);
    const answer = form.kind === 'srv' ? this.srvOnly(name, type, providers) : this.records(name, type, providers, subset, trace);
    if (!answer.answer.length) return this.negative(Rcode.NOERROR, [service], trace);
    answer.errors = this.staleErrors(service, providers);
    if (trace) trace.ttl = { seconds: answerTtl(this.options.ttl, providers), negative: false, provider: lowestTtl(this.options.ttl, providers) };
    return { answer, services: [service], rotates: true };
  }

  /** The providers a service name is answered with: those of its endpoint, through every answer step. */
  private filter(form: ServiceForm, trace?: ZoneTrace): readonly Provider[] {
    const registered = forEndpoint(this.registry.providers(form.service), form);
    if (trace) trace.providers = registered;
    return runSteps(this.steps, registered, form, trace?.steps);
  }

  /**
   * A provider address's reverse name: one PTR to `<svc>.<domain>` for each service at that
   * address. Without a negative SOA: the reverse zones are not ours.
   */
  private reverseName(name: string, type: number): ZoneResult {
    const address = reverseAddress(name);
    const services = address === undefined ? [] : this.reverse.servicesAt(address);
    const depends = [...services, ...(address === undefined ? [] : [reverseDependency(address)])];
    const answer: ZoneAnswer = { rcode: services.length ? Rcode.NOERROR : Rcode.NXDOMAIN, answer: [], authority: [], additional: [] };
    if (type === RRType.PTR || type === RRType.ANY) {
      answer.answer = services.map((service): ResourceRecord => ({ name, ttl: this.options.ttl, type: 'PTR', host: `${service}.${this.options.domain}` }));
    }
    return { answer, services: depends, rotates: false };
  }

  /** Stale Answer (RFC 8914) for each source of these providers that lost its registry. */
  private staleErrors(service: string, providers: readonly Provider[]): ExtendedError[] | undefined {
    const stale = this.registry.staleSources(service).filter((source) => providers.some((p) => p.source === source));
    if (!stale.length) return undefined;
    return stale.map((source) => ({ code: EdeCode.StaleAnswer, text: `source ${source} is not connected: its providers are as last read` }));
  }

  /**
   * True when `answerNow` can answer `name` without `prepare`: its service is loaded and every
   * provider hostname's addresses are known (re-encoding after a change must not wait or load).
   */
  answerable(name: string): boolean {
    const service = this.serviceOf(name);
    if (service === undefined) return true;
    return this.registry.loaded(service) && this.trackHosts(service, this.registry.providers(service)).length === 0;
  }

  /** The service `name` asks for (`api` of `_http._tcp.api.service.local`); undefined for other names. */
  serviceOf(name: string): string | undefined {
    const form = this.classify(name);
    return form && 'service' in form ? form.service : undefined;
  }

  /**
   * With `--max-answers N`: the N addresses of an A or AAAA answer that `network` gets, by
   * weighted rendezvous hashing; undefined when every address is answered (N or fewer, another
   * type, or a service not loaded yet).
   */
  subsetFor(name: string, type: number, network: string, client?: string): readonly string[] | undefined {
    const family = type === RRType.A ? 'A' : type === RRType.AAAA ? 'AAAA' : undefined;
    const form = family && this.classify(name);
    if (!form || form.kind !== 'service' || !this.registry.loaded(form.service)) return undefined;
    const weights = new Map<string, number>();
    for (const provider of this.filter(asked(form, type, client))) {
      for (const address of providerAddresses(provider, family!, this.known)) weights.set(address, (weights.get(address) ?? 0) + provider.weight);
    }
    if (weights.size <= this.options.maxAnswers) return undefined;
    return rendezvous(network, [...weights].map(([address, weight]) => ({ address, weight })), this.options.maxAnswers);
  }

  private records(name: string, type: number, providers: readonly Provider[], subset?: readonly string[], trace?: ZoneTrace): ZoneAnswer {
    const answer: ResourceRecord[] = [];
    let additional: ResourceRecord[] = [];
    // An ANY answer holds both families: a provider without one of them is not left out of it.
    const steps = type === RRType.ANY ? undefined : trace?.steps;
    if (type === RRType.A || type === RRType.ANY) answer.push(...this.addressRecords(name, providers, 'A', subset, steps));
    if (type === RRType.AAAA || type === RRType.ANY) answer.push(...this.addressRecords(name, providers, 'AAAA', subset, steps));
    if (type === RRType.SRV || type === RRType.ANY) {
      const srv = this.srvRecords(name, providers);
      answer.push(...srv.answer);
      additional = srv.additional;
    }
    return { rcode: Rcode.NOERROR, answer, authority: [], additional };
  }

  private srvOnly(name: string, type: number, providers: readonly Provider[]): ZoneAnswer {
    const srv = type === RRType.SRV || type === RRType.ANY ? this.srvRecords(name, providers) : { answer: [], additional: [] };
    return { rcode: Rcode.NOERROR, authority: [], ...srv };
  }

  /**
   * The A or AAAA records of `providers`; with `subset`, only its addresses. With `trace`, two
   * steps say which providers had no such address and which the client's network did not get.
   */
  private addressRecords(name: string, providers: readonly Provider[], type: 'A' | 'AAAA', subset?: readonly string[], trace?: AnswerStep[]): ResourceRecord[] {
    const ttl = answerTtl(this.options.ttl, providers);
    const addresses = new Set<string>();
    const none: AnswerStep['removed'] = [];
    const notChosen: AnswerStep['removed'] = [];
    for (const provider of providers) {
      const own = providerAddresses(provider, type, this.known);
      const chosen = subset ? own.filter((address) => subset.includes(address)) : own;
      for (const address of chosen) addresses.add(address);
      if (!trace) continue;
      if (!own.length) none.push({ provider, why: this.noAddressWhy(provider.host, type) });
      else if (!chosen.length) notChosen.push({ provider, why: `not among the ${plural(subset!.length, `${type} address`)} the client's network gets` });
    }
    if (trace) {
      const withAddress = keptStep('address', providers, none);
      trace.push(withAddress);
      if (this.options.maxAnswers) trace.push(keptStep('subset', withAddress.kept, notChosen, this.subsetNote(type, subset)));
    }
    return [...addresses].map((address) => ({ name, ttl, type, address }));
  }

  private noAddressWhy(host: string, type: 'A' | 'AAAA'): string {
    if (isIP(host)) return `registered by an IPv${isIP(host)} address: no ${type} record`;
    return this.hosts.get(host) ? `its hostname ${host} has no ${type} address` : `its hostname ${host} has not resolved (yet)`;
  }

  private subsetNote(type: 'A' | 'AAAA', subset?: readonly string[]): string {
    const limit = this.options.maxAnswers;
    if (!subset) return `no more than ${plural(limit, `${type} address`)} (--max-answers ${limit}): every one is answered`;
    return `--max-answers ${limit}: the client's network gets ${subset.join(', ')}, chosen by weighted rendezvous hashing`;
  }

  private srvRecords(name: string, providers: readonly Provider[]): { answer: ResourceRecord[]; additional: ResourceRecord[] } {
    const ttl = answerTtl(this.options.ttl, providers);
    const answer: ResourceRecord[] = [];
    const additional = new Map<string, ResourceRecord[]>();
    for (const provider of providers) {
      const target = this.targetOf(provider.host);
      answer.push({ name, ttl, type: 'SRV', priority: provider.priority, weight: provider.weight, port: provider.port, target });
      if (additional.has(target)) continue;
      // The target's own records: a dual-stack provider's other address is not the target's.
      additional.set(target, [
        ...hostAddresses(provider.host, 'A', this.known).map((address): ResourceRecord => ({ name: target, ttl, type: 'A', address })),
        ...hostAddresses(provider.host, 'AAAA', this.known).map((address): ResourceRecord => ({ name: target, ttl, type: 'AAAA', address })),
      ]);
    }
    return { answer, additional: [...additional.values()].flat() };
  }

  private addr(name: string, type: number, address: string): ZoneResult {
    const family = isIP(address) === 6 ? 'AAAA' : 'A';
    if (type !== RRType[family] && type !== RRType.ANY) return this.negative(Rcode.NOERROR, []);
    const record: ResourceRecord = { name, ttl: this.options.ttl, type: family, address };
    return { answer: { rcode: Rcode.NOERROR, answer: [record], authority: [], additional: [] }, services: [], rotates: false };
  }

  private apex(name: string, type: number): ZoneResult {
    const answer: ResourceRecord[] = [];
    if (type === RRType.SOA || type === RRType.ANY) answer.push(this.soa(name));
    if (type === RRType.NS || type === RRType.ANY) answer.push({ name, ttl: this.options.ttl, type: 'NS', host: `ns.${this.options.domain}` });
    if (!answer.length) return this.negative(Rcode.NOERROR, []);
    return { answer: { rcode: Rcode.NOERROR, answer, authority: [], additional: [] }, services: [ZONE_APEX], rotates: false };
  }

  /** NXDOMAIN or NODATA, with the SOA that tells resolvers how long to remember it (RFC 2308). */
  private negative(rcode: number, services: string[], trace?: ZoneTrace): ZoneResult {
    if (trace) trace.ttl = { seconds: this.options.ttl, negative: true };
    const soa = this.soa(this.options.domain);
    return { answer: { rcode, answer: [], authority: [soa], additional: [] }, services, rotates: false };
  }

  private soa(name: string): ResourceRecord {
    const domain = this.options.domain;
    const ttl = this.options.ttl;
    return {
      name,
      ttl,
      type: 'SOA',
      mname: `ns.${domain}`,
      rname: `hostmaster.${domain}`,
      serial: this.serial(),
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: ttl,
    };
  }

  private targetOf(host: string): string {
    return isIP(host) ? `${addressToHex(host)}.addr.${this.options.domain}` : host;
  }


  /** Starts resolving provider hostnames and waits, bounded, for the ones never resolved. */
  private async waitForHosts(service: string, providers: readonly Provider[]): Promise<void> {
    const pending = this.trackHosts(service, providers);
    if (!pending.length) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.hostWaitMs)));
    await Promise.race([Promise.all(pending), deadline]);
    clearTimeout(timer);
  }

  /** Records that `service` uses its providers' hostnames; returns the resolutions still to wait for. */
  private trackHosts(service: string, providers: readonly Provider[]): Promise<void>[] {
    const pending: Promise<void>[] = [];
    for (const provider of providers) {
      if (isIP(provider.host) || this.ownName(provider.host)) continue;
      let users = this.hostUsers.get(provider.host);
      if (!users) this.hostUsers.set(provider.host, (users = new Set()));
      users.add(service);
      if (this.hosts.get(provider.host) === undefined) pending.push(this.hosts.resolve(provider.host));
    }
    return pending;
  }

  private ownName(host: string): boolean {
    return host === this.options.domain || host.endsWith(`.${this.options.domain}`);
  }
}

/** The question the steps see: the name's form, with the client's datacenter and whether SRV records are asked for. */
function asked(form: ServiceForm, type: number, client: string | undefined): ServiceForm {
  if (client === undefined && type !== RRType.SRV) return form;
  return { ...form, ...(client === undefined ? {} : { client }), ...(type === RRType.SRV ? { asksSrv: true } : {}) };
}

/** The providers of the endpoint a name asks for: `_<endpoint>._tcp.<svc>`, or the main one. */
function forEndpoint(providers: readonly Provider[], form: ServiceForm): readonly Provider[] {
  const endpoint = form.kind === 'srv' ? form.endpoint : undefined;
  return providers.every((p) => p.endpoint === endpoint) ? providers : providers.filter((p) => p.endpoint === endpoint);
}

/** A step that removed `removed` of `providers` and kept the rest. */
function keptStep(step: string, providers: readonly Provider[], removed: AnswerStep['removed'], note?: string): AnswerStep {
  const gone = new Set(removed.map((r) => r.provider));
  return { step, kept: providers.filter((p) => !gone.has(p)), removed, ...(note ? { note } : {}) };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : noun.endsWith('s') ? 'es' : 's'}`;
}
