import type { CachedAnswer } from '../cache/answer-cache.js';
import { cacheKey } from '../cache/answer-form.js';
import { MAX_TCP_SIZE, Rcode, RcodeName, typeName } from '../dns/constants.js';
import type { ResourceRecord } from '../dns/records.js';
import { formatEndpoint } from '../forward/endpoint.js';
import { providerLabel } from '../ops/changes.js';
import type { Provider } from '../registry/provider.js';
import type { AnswerStep } from '../zone/answer-step.js';
import { hexToAddress, reverseAddress } from '../zone/names.js';
import type { ZoneTrace } from '../zone/service-zone.js';
import { clientNetwork } from '../zone/subset.js';
import { aclRefusal, clientSubset, placeClient, resolution, type HandlerDeps, type Resolution } from './handler.js';

/** A question to explain: a lowercased name without the trailing dot, a type, the client asking. */
export interface ExplainQuestion {
  name: string;
  type: number;
  client: string;
}

export interface ExplainedProvider {
  provider: string;
  source: string;
  datacenter?: string;
  origin: string;
}

export interface ExplainedStep {
  step: string;
  /** Providers it was given, and kept. */
  given: number;
  kept: number;
  removed: (ExplainedProvider & { why: string })[];
  note?: string;
}

/** A source instance with providers of the service: how many, how many are in the answer, whether it serves them stale. */
export interface ExplainedSource {
  name: string;
  providers: number;
  answered: number;
  stale: boolean;
  /** Added where the sources run (the HTTP side): the instance's kind, datacenter and connection. */
  kind?: string;
  datacenter?: string;
  state?: string;
  detail?: string;
}

/** One stored form of the answer (the cache key holds transport, EDNS and size, and the subset). */
export interface CachedForm {
  key: string;
  form: string;
  rcode: string;
  /** Seconds until it leaves the cache (a registry change drops our zone's answers sooner). */
  expiresIn: number;
  /** With `--workers`: the worker process holding it. */
  worker?: number;
}

/** What answering a question does, and why: the JSON of `/api/explain`. */
export interface Explanation {
  name: string;
  type: string;
  client: string;
  /** Our zone answers it, upstreams do, or it is refused. */
  route: 'zone' | 'forward' | 'refused';
  /** Absent for a forwarded name whose answer is not cached: only the upstream knows. */
  rcode?: string;
  /** Why the answer is what it is, in sentences. */
  why: string[];
  service?: string;
  tags?: string[];
  /** With `--max-answers`: the client network whose subset this is. */
  network?: string;
  /** The service's providers before any step. */
  providers?: ExplainedProvider[];
  steps?: ExplainedStep[];
  sources?: ExplainedSource[];
  /** Where a forwarded name goes; `firstTried`: of several upstreams, the one the next question tries first (the last to answer). */
  forward?: { zone: string; upstreams: string[]; firstTried?: string };
  /** The answer section, one record a line (zone-file style); empty when not built here (forwarded). */
  answer: string[];
  ttl?: { seconds: number; from: string };
  cache: { cached: boolean; forms: CachedForm[]; workers?: { asked: number; answered: number } };
}

/** One DNS worker's explanation (`--workers`): the zone's decision is the same in each, the cache its own. */
export interface WorkerExplanation {
  pid: number;
  explanation: Explanation;
}

/**
 * The workers' explanations as one: the decision of one that has the answer cached (else the
 * first), and every worker's cached forms, each naming its worker. Undefined when none answered.
 */
export function fromWorkers(asked: number, replies: readonly WorkerExplanation[]): Explanation | undefined {
  if (!replies.length) return undefined;
  const base = (replies.find((r) => r.explanation.cache.cached) ?? replies[0]).explanation;
  const forms = replies.flatMap((r) => r.explanation.cache.forms.map((form) => ({ ...form, worker: r.pid })));
  return { ...base, cache: { cached: forms.length > 0, forms, workers: { asked, answered: replies.length } } };
}

/**
 * Explains `question` by the query path's own decisions: the handler's `resolution`, the zone's
 * `answerNow` with a trace (its answer steps, address and subset choices, TTL) and the cache's
 * stored forms. Loads the service as a first query would; stores nothing in the cache.
 */
export async function explainQuestion(deps: HandlerDeps, question: ExplainQuestion): Promise<Explanation> {
  const { type, client } = question;
  // One label is a service of ours: `lookup api --explain`.
  const name = question.name.includes('.') ? question.name : `${question.name}.${deps.zone.options.domain}`;
  const base = { name, type: typeName(type), client };
  const notCached = { cached: false, forms: [] };
  if (!deps.acl.allows(client)) return { ...base, route: 'refused', rcode: 'REFUSED', why: [aclRefusal(client).text], answer: [], cache: notCached };
  const resolved = resolution(deps, name, type);
  if (resolved.kind === 'refused') return { ...base, route: 'refused', rcode: RcodeName[resolved.rcode], why: [resolved.why], answer: [], cache: notCached };
  if (resolved.kind === 'forward') return { ...base, ...forwarded(deps, name, type, resolved) };
  const loaded = await deps.zone.prepare(name);
  const placement = placeClient(deps, client);
  const subset = clientSubset(deps.zone, name, type, client, placement);
  const trace: ZoneTrace = { steps: [] };
  const result = deps.zone.answerNow(name, type, loaded, subset, trace, placement?.datacenter);
  const rcode = result.answer.rcode;
  const records = result.answer.answer.length ? result.answer.answer : result.answer.authority;
  // The forms this client is served: its subset and its placement, any transport.
  const cached = deps.cache.answersTo(name, type).filter((entry) => sameSubset(entry.form.subset, subset) && entry.form.placement?.key === placement?.key);
  return {
    ...base,
    route: 'zone',
    rcode: RcodeName[rcode],
    why: zoneWhy(deps, name, type, trace, rcode, loaded),
    answer: result.answer.answer.map(recordText),
    ...(records.length ? { ttl: { seconds: records[0].ttl, from: ttlFrom(deps, trace) } } : {}),
    cache: { cached: cached.length > 0, forms: cached.map(cachedForm) },
    ...serviceParts(deps, trace, subset ? clientNetwork(client) : undefined),
  };
}

/** A name outside our zone: which upstreams get it, and its cached answer if there is one. */
function forwarded(deps: HandlerDeps, name: string, type: number, route: Extract<Resolution, { kind: 'forward' }>): Omit<Explanation, 'name' | 'type' | 'client'> {
  const upstreams = route.upstreams.map(formatEndpoint);
  const first = upstreams.length > 1 ? deps.forwarder.firstTried(route.upstreams) : undefined;
  const to = route.zone === '.' ? 'the upstreams' : `the servers of --zone ${route.zone}`;
  const cached = deps.cache.answersTo(name, type);
  const why = [`${name} is outside ${deps.zone.options.domain}: forwarded to ${to}, ${upstreams.join(', ')}, one after another until one answers`];
  const ttl = cached[0]?.ttls ? agedTtl(cached[0]) : undefined;
  return {
    route: 'forward',
    ...(cached.length ? { rcode: RcodeName[cached[0].rcode] } : {}),
    why,
    answer: [],
    forward: { zone: route.zone, upstreams, ...(first ? { firstTried: formatEndpoint(first) } : {}) },
    ...(ttl !== undefined ? { ttl: { seconds: ttl, from: "the upstream's answer, counting down while cached" } } : {}),
    cache: { cached: cached.length > 0, forms: cached.map(cachedForm) },
  };
}

function zoneWhy(deps: HandlerDeps, name: string, questionType: number, trace: ZoneTrace, rcode: number, loaded: string): string[] {
  const domain = deps.zone.options.domain;
  const form = trace.form;
  const type = typeName(questionType);
  if (!form) {
    const address = reverseAddress(name);
    return [`the reverse name of ${address ? hexToAddress(address) : 'an address'}, a provider's address: a PTR to each service with a provider there`];
  }
  switch (form.kind) {
    case 'apex':
      return [`the apex of ${domain}: its SOA and NS`];
    case 'empty':
      return [`a name of ${domain} that only has names below it (NODATA)`];
    case 'none':
      return [`no name form of ${domain} reads this way (see the README's name table)`];
    case 'addr':
      return [`the SRV target name of a provider registered at ${form.address}`];
  }
  const service = form.service;
  const registered = trace.providers?.length ?? 0;
  if (rcode === Rcode.SERVFAIL) return [`a source could not say in time whether ${service} has providers (${loaded}), and none is known`];
  if (registered === 0) return [`no source has a provider of ${service}${form.kind === 'srv' && form.endpoint ? ` with the endpoint ${form.endpoint}` : ''}`];
  const emptied = trace.steps.find((step) => step.kept.length === 0 && step.removed.length > 0);
  if (rcode === Rcode.NXDOMAIN) return [`every provider of ${service} was left out by the ${emptied?.step ?? 'answer'} step`];
  if (rcode === Rcode.NOERROR && !trace.ttl?.negative) {
    const answered = finalProviders(trace).length;
    return [`${answered} of ${registered} provider${registered > 1 ? 's' : ''} of ${service} in the answer`];
  }
  return [`${service} has providers, but none with a ${type} record (NODATA)`];
}

function serviceParts(deps: HandlerDeps, trace: ZoneTrace, network: string | undefined): Partial<Explanation> {
  const form = trace.form;
  if (!form || !('service' in form) || !trace.providers) return network ? { network } : {};
  const stale = new Set(deps.registry.staleSources(form.service));
  const sources = new Map<string, ExplainedSource>();
  for (const provider of trace.providers) {
    let source = sources.get(provider.source);
    if (!source) sources.set(provider.source, (source = { name: provider.source, providers: 0, answered: 0, stale: stale.has(provider.source) }));
    source.providers++;
  }
  // Counted from the last step's providers, which a step may have copied (an SRV priority raised).
  for (const provider of finalProviders(trace)) {
    const source = sources.get(provider.source);
    if (source) source.answered++;
  }
  return {
    service: form.service,
    ...(form.tags?.length ? { tags: [...form.tags] } : {}),
    ...(network ? { network } : {}),
    sources: [...sources.values()],
    ...(trace.providers.length ? { providers: trace.providers.map(explainedProvider), steps: trace.steps.map(explainedStep) } : {}),
  };
}

/** The providers left after the last step: those the answer is made of. */
function finalProviders(trace: ZoneTrace): readonly Provider[] {
  return trace.steps.length ? trace.steps[trace.steps.length - 1].kept : (trace.providers ?? []);
}

function ttlFrom(deps: HandlerDeps, trace: ZoneTrace): string {
  const ttl = deps.zone.options.ttl;
  if (trace.ttl?.negative) return `a negative answer: the SOA's minimum, which is --ttl (${ttl} s), tells resolvers how long to remember it`;
  const lowest = trace.ttl?.provider;
  if (lowest) return `provider ${providerLabel(lowest)} of source ${lowest.source} asks for ${lowest.ttl} s in its registration, below --ttl (${ttl} s)`;
  return `--ttl (${ttl} s)`;
}

function explainedProvider(provider: Provider): ExplainedProvider {
  return { provider: providerLabel(provider), source: provider.source, ...(provider.datacenter ? { datacenter: provider.datacenter } : {}), origin: provider.origin };
}

function explainedStep(step: AnswerStep): ExplainedStep {
  const given = step.kept.length + step.removed.length;
  return {
    step: step.step,
    given,
    kept: step.kept.length,
    removed: step.removed.map((r) => ({ ...explainedProvider(r.provider), why: r.why })),
    ...(step.note ? { note: step.note } : {}),
  };
}

function cachedForm(entry: CachedAnswer): CachedForm {
  const { form } = entry;
  const transport = form.limit === MAX_TCP_SIZE ? 'TCP' : `UDP ${form.edns === 'none' ? 'without EDNS' : form.edns === 'dnssec' ? 'with EDNS and DO' : 'with EDNS'}, up to ${form.limit} bytes`;
  const subset = form.subset ? `, subset ${form.subset.join(' ')}` : '';
  const placement = form.placement?.datacenter ? `, datacenter ${form.placement.datacenter}` : '';
  const subnet = form.subnet ? `, Client Subnet IPv${form.subnet.family === 1 ? 4 : 6} /${form.subnet.sourcePrefix}` : '';
  const expires = Math.max(0, Math.round((entry.expires - Date.now()) / 1000));
  return { key: cacheKey(form), form: `${transport}${subset}${placement}${subnet}`, rcode: RcodeName[entry.rcode], expiresIn: expires };
}

function agedTtl(entry: CachedAnswer): number | undefined {
  const ttls = entry.ttls!;
  if (!ttls.values.length) return undefined;
  return Math.max(0, Math.min(...ttls.values) - Math.floor((Date.now() - ttls.storedAt) / 1000));
}

function sameSubset(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.join() === b.join());
}

/** A record as a zone file writes it. */
export function recordText(rr: ResourceRecord): string {
  const data = (() => {
    switch (rr.type) {
      case 'A':
      case 'AAAA':
        return rr.address;
      case 'NS':
      case 'PTR':
        return `${rr.host}.`;
      case 'TXT':
        return rr.text.map((t) => JSON.stringify(t)).join(' ');
      case 'SRV':
        return `${rr.priority} ${rr.weight} ${rr.port} ${rr.target}.`;
      case 'SOA':
        return `${rr.mname}. ${rr.rname}. ${rr.serial} ${rr.refresh} ${rr.retry} ${rr.expire} ${rr.minimum}`;
    }
  })();
  return `${rr.name}. ${rr.ttl} IN ${rr.type} ${data}`;
}
