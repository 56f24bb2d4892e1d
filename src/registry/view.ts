import type { Provider } from './provider.js';
import type { EnsureResult } from './source.js';

/**
 * What the DNS path needs from the registry. The `Registry` implements it in the process that
 * runs the sources; a worker process implements it as a replica fed over IPC.
 */
export interface ProviderView {
  /** The union of every source's providers of `service`; empty when none. */
  providers(service: string): readonly Provider[];
  /** Makes sure every source has loaded `service`; `unavailable` when one could not say in time. */
  ensure(service: string): Promise<EnsureResult>;
  /** True when every source has loaded `service` and follows its changes. */
  loaded(service: string): boolean;
  /**
   * Sources providing `service` that are not connected to their registry: their providers are
   * what they last read. A source connecting or disconnecting is a change of its services.
   */
  staleSources(service: string): readonly string[];
  /** Marks `service` as queried, so it stays watched. */
  touch(service: string): void;
  onChange(listener: (service: string) => void): void;
}
