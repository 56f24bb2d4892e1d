import { Registry, type RegistryOptions } from '../../src/registry/registry.js';
import type { ProviderSink, Source } from '../../src/registry/source.js';

/**
 * A started registry with one source instance (`name`, of kind `test`) that the test writes
 * through, as a real source writes into its sink: `write(service, providers)` is a registry change.
 */
export function writableRegistry(
  name = 'test',
  options: RegistryOptions = { maxServices: 100, idleReleaseMs: 60_000, ensureTimeoutMs: 1000 },
): { registry: Registry; write: ProviderSink['replace'] } {
  let sink: ProviderSink | undefined;
  const source: Source = {
    start: (given) => void (sink = given),
    ensure: async () => 'ready',
    release: () => {},
    status: () => ({ state: 'connected', watchedServices: 0, watchEvents: 0, decodeFailures: 0, synced: true }),
    stop: async () => {},
  };
  const registry = new Registry([{ name, kind: 'test', source }], options);
  registry.start();
  return { registry, write: (service, providers) => sink!.replace(service, providers) };
}
