import type { Provider } from '../registry/provider.js';
import type { AnswerStep } from '../zone/answer-step.js';

export const FAIL_OPEN_NOTE = 'fail open: every provider fails its health check, so all are answered';

/** Leaves out the providers the health checks marked failing, unless that would leave none (fail open). */
export function healthStep(providers: readonly Provider[]): AnswerStep {
  let failing = 0;
  for (const provider of providers) if (provider.unhealthy !== undefined) failing++;
  if (failing === 0) return { step: 'health', kept: providers, removed: [] };
  if (failing === providers.length) return { step: 'health', kept: providers, removed: [], note: FAIL_OPEN_NOTE };
  return {
    step: 'health',
    kept: providers.filter((p) => p.unhealthy === undefined),
    removed: providers.filter((p) => p.unhealthy !== undefined).map((provider) => ({ provider, why: provider.unhealthy! })),
  };
}
