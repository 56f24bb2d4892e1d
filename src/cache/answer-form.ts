import type { SubnetEcho } from '../dns/ecs.js';
import type { Query } from '../dns/query.js';
import type { Placement } from '../zone/datacenters.js';

/** How the client asked about EDNS: no OPT, an OPT, an OPT with the DO bit. */
export type EdnsForm = 'none' | 'edns' | 'dnssec';

/**
 * Everything a cached answer depends on besides the registry: the cache key is made of these
 * fields and nothing else, and a stored answer can be encoded again from them alone (after a
 * registry change). A new dimension of answers is a new field here and in `cacheKey`.
 */
export interface AnswerForm {
  /** Lowercased question name, no trailing dot. */
  readonly name: string;
  readonly type: number;
  readonly class: number;
  /** Largest message this client takes. */
  readonly limit: number;
  readonly edns: EdnsForm;
  /** With `--max-answers`: the addresses chosen for the client's network (sorted), the only ones answered. */
  readonly subset?: readonly string[];
  /** With `--client-datacenter`: the datacenter the client was placed in (by network, never by address). */
  readonly placement?: Placement;
  /**
   * The EDNS Client Subnet echoed (RFC 7871): family and source prefix from the query, the scope
   * the answer used (set when it is built). The address is not here: each reply copies its own.
   */
  readonly subnet?: SubnetEcho;
}

export function answerForm(query: Query, limit: number, subset?: readonly string[], placement?: Placement): AnswerForm {
  const edns: EdnsForm = query.edns ? (query.edns.dnssecOk ? 'dnssec' : 'edns') : 'none';
  const form: AnswerForm = { name: query.name, type: query.type, class: query.class, limit, edns };
  const ecs = query.ecs;
  if (!subset && !placement && !ecs) return form;
  return {
    ...form,
    ...(subset ? { subset } : {}),
    ...(placement ? { placement } : {}),
    ...(ecs ? { subnet: { family: ecs.family, sourcePrefix: ecs.sourcePrefix, scopePrefix: 0 } } : {}),
  };
}

/** The cache key: a pure function of the form. */
export function cacheKey(form: AnswerForm): string {
  let key = `${form.name}|${form.type}|${form.class}|${form.limit}|${form.edns}`;
  if (form.subset) key = `${key}|${form.subset.join(',')}`;
  if (form.placement) key = `${key}|@${form.placement.key}`;
  return form.subnet ? `${key}|ecs${form.subnet.family}/${form.subnet.sourcePrefix}` : key;
}

/** A question with the form's shape, to encode its answer (ID and RD/CD are patched per reply). */
export function formQuery(form: AnswerForm): Query {
  const edns = form.edns === 'none' ? undefined : { udpSize: form.limit, version: 0, dnssecOk: form.edns === 'dnssec' };
  return { id: 0, flags: 0, name: form.name, type: form.type, class: form.class, nameEnd: 0, questionEnd: 0, edns };
}
