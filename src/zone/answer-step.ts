import type { Provider } from '../registry/provider.js';
import type { ServiceForm } from './names.js';

/**
 * One filter a service's providers pass on the way to an answer (tag, health, then datacenter):
 * what it kept, what it removed and why, for the answer and for operators asking why a provider
 * is missing (`lookup --explain`). A step that removes nothing returns its input as `kept`,
 * allocating nothing.
 */
export interface AnswerStep {
  step: string;
  kept: readonly Provider[];
  removed: { provider: Provider; why: string }[];
  /** What the step decided as a whole (fail open, which datacenter answered). */
  note?: string;
}

/**
 * A step as the zone runs it, given what the question asks for (the service, its tags). A step
 * that needs more of the question (the client's datacenter) reads it from a new field of the form.
 */
export type ProviderFilter = (providers: readonly Provider[], question: ServiceForm) => AnswerStep;

/**
 * Runs `steps` in order, each on what the one before kept. With `trace`, every step's result is
 * appended to it: explain runs this same list, so what it reports is what answers do.
 */
export function runSteps(steps: readonly ProviderFilter[], providers: readonly Provider[], question: ServiceForm, trace?: AnswerStep[]): readonly Provider[] {
  let kept = providers;
  for (const step of steps) {
    const result = step(kept, question);
    trace?.push(result);
    kept = result.kept;
  }
  return kept;
}

/** Keeps the providers carrying every tag the name asks for (`canary.v2.api`). */
export function tagStep(providers: readonly Provider[], question: ServiceForm): AnswerStep {
  const tags = question.tags ?? [];
  if (!tags.length || providers.every((p) => carriesAll(p, tags))) return { step: 'tag', kept: providers, removed: [] };
  const kept: Provider[] = [];
  const removed: AnswerStep['removed'] = [];
  for (const provider of providers) {
    const missing = tags.filter((tag) => !provider.tags.includes(tag));
    if (!missing.length) kept.push(provider);
    else removed.push({ provider, why: `does not carry the tag${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` });
  }
  return { step: 'tag', kept, removed };
}

function carriesAll(provider: Provider, tags: readonly string[]): boolean {
  return tags.every((tag) => provider.tags.includes(tag));
}
