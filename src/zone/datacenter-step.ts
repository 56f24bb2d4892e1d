import { healthStep } from '../health/filter.js';
import type { Provider } from '../registry/provider.js';
import type { AnswerStep } from './answer-step.js';
import { datacenterOf } from './datacenters.js';

/**
 * Keeps the providers of the datacenters a name may be answered from (`order`): before the health
 * step, so that health fails open only when none of these datacenters has a healthy provider.
 * An empty order (no `--datacenter`, a name outside the sub-zones) keeps every provider.
 */
export function datacenterScope(providers: readonly Provider[], order: readonly string[], local: string | undefined): AnswerStep {
  if (!order.length) return { step: 'datacenter', kept: providers, removed: [] };
  const outside = providers.filter((p) => !order.includes(datacenterOf(p, local) ?? ''));
  if (!outside.length) return { step: 'datacenter', kept: providers, removed: [] };
  const answered = order.join(', ');
  return {
    step: 'datacenter',
    kept: providers.filter((p) => !outside.includes(p)),
    removed: outside.map((provider) => ({ provider, why: `${describe(provider, local)}, not one this name is answered from (${answered})` })),
  };
}

/**
 * Answers the first datacenter in `order` that has providers left (healthy ones, after the health
 * step): Consul's prepared-query failover. With `srvPriorityStep` > 0 (SRV answers), every
 * datacenter is kept, each step down the order at its providers' priority + that many.
 */
export function failoverStep(providers: readonly Provider[], order: readonly string[], local: string | undefined, srvPriorityStep = 0): AnswerStep {
  if (!order.length) return { step: 'failover', kept: providers, removed: [] };
  const rank = (p: Provider) => order.indexOf(datacenterOf(p, local) ?? '');
  if (srvPriorityStep > 0) return lowered(providers, order, rank, srvPriorityStep);
  let best = order.length;
  for (const provider of providers) best = Math.min(best, rank(provider));
  const chosen = order[best];
  const others = providers.filter((p) => rank(p) !== best);
  const note = best > 0 && chosen !== undefined ? `answered from ${chosen}: ${order.slice(0, best).join(', ')} has no healthy provider` : undefined;
  if (!others.length) return { step: 'failover', kept: providers, removed: [], ...(note ? { note } : {}) };
  return {
    step: 'failover',
    kept: providers.filter((p) => rank(p) === best),
    removed: others.map((provider) => ({ provider, why: `${describe(provider, local)}: ${chosen} comes first in this name's order (${order.join(', ')}) and has providers` })),
    ...(note ? { note } : {}),
  };
}

/** Every datacenter's providers, the n-th datacenter of the order at priority + n × step (capped at 65535). */
function lowered(providers: readonly Provider[], order: readonly string[], rank: (p: Provider) => number, step: number): AnswerStep {
  if (providers.every((p) => rank(p) === 0)) return { step: 'failover', kept: providers, removed: [] };
  const kept = providers.map((p) => (rank(p) === 0 ? p : { ...p, priority: Math.min(65535, p.priority + rank(p) * step) }));
  return { step: 'failover', kept, removed: [], note: `SRV priorities raised by ${step} per step of ${order.join(', ')}` };
}

/**
 * The providers a name of `order`'s datacenters is answered with, by the same steps as answers:
 * their scope, health, then failover (for a transferred zone, which records no steps).
 */
export function datacenterChoice(providers: readonly Provider[], order: readonly string[], local: string | undefined, srvPriorityStep = 0): readonly Provider[] {
  const scoped = datacenterScope(providers, order, local).kept;
  return failoverStep(healthStep(scoped).kept, order, local, srvPriorityStep).kept;
}

function describe(provider: Provider, local: string | undefined): string {
  const datacenter = datacenterOf(provider, local);
  return datacenter === undefined ? 'in no datacenter' : `in datacenter ${datacenter}`;
}
