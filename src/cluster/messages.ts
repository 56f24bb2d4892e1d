import type { QueryFigures } from '../ops/metrics.js';
import type { Provider } from '../registry/provider.js';
import type { EnsureResult } from '../registry/source.js';
import type { ExplainQuestion, Explanation } from '../server/explain.js';

/** What a DNS worker asks of the primary, which runs the sources. */
export type WorkerMessage =
  | { kind: 'dnsbridge:ensure'; id: number; service: string }
  | { kind: 'dnsbridge:touch'; services: string[] }
  | { kind: 'dnsbridge:warmed'; id: number }
  /** Once a second: the worker's query counts since it started, for the status page's charts. */
  | { kind: 'dnsbridge:figures'; figures: QueryFigures }
  | { kind: 'dnsbridge:explained'; id: number; pid: number; explanation: Explanation };

/** What the primary tells its workers. */
export type PrimaryMessage =
  | { kind: 'dnsbridge:ensured'; id: number; result: EnsureResult; providers: readonly Provider[]; stale: readonly string[] }
  | { kind: 'dnsbridge:change'; service: string; providers: readonly Provider[]; stale: readonly string[] }
  | { kind: 'dnsbridge:release'; service: string }
  /** A preloaded service, loaded: encode its first answers, then reply `warmed` with the same id. */
  | { kind: 'dnsbridge:warm'; id: number; service: string; providers: readonly Provider[]; stale: readonly string[] }
  | { kind: 'dnsbridge:reload' }
  /** `/api/explain`: each worker explains from its own zone and cache. */
  | { kind: 'dnsbridge:explain'; id: number; question: ExplainQuestion };

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  const kind = (message as { kind?: unknown } | null)?.kind;
  return kind === 'dnsbridge:ensure' || kind === 'dnsbridge:touch' || kind === 'dnsbridge:warmed' || kind === 'dnsbridge:figures' || kind === 'dnsbridge:explained';
}

export function isPrimaryMessage(message: unknown): message is PrimaryMessage {
  const kind = (message as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' && kind.startsWith('dnsbridge:') && !isWorkerMessage(message);
}
