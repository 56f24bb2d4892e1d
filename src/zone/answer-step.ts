import type { Provider } from '../registry/provider.js';

/**
 * One filter a service's providers pass on the way to an answer (health, then datacenter): what
 * it kept, what it removed and why, for the answer and for operators asking why a provider is
 * missing. A step that removes nothing returns its input as `kept`, allocating nothing.
 */
export interface AnswerStep {
  step: string;
  kept: readonly Provider[];
  removed: { provider: Provider; why: string }[];
  /** What the step decided as a whole (fail open, which datacenter answered). */
  note?: string;
}
