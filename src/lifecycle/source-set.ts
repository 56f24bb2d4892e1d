import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { Registry } from '../registry/registry.js';
import { kindNamed, prepareInstances, type InstanceConfig, type SourceInstance } from '../sources/index.js';
import { sameValue } from './dns-reload.js';

export interface SourceReload {
  added: string[];
  removed: string[];
  /** Instances whose options changed: the old one was stopped and a new one started. */
  restarted: string[];
}

/** A checked new set of sources, the changed ones already made; `apply()` swaps them in. */
export interface SourcePlan {
  apply(): Promise<SourceReload>;
}

/**
 * The registry's source instances across configuration reloads. An instance is kept, with its
 * watches and what it loaded, as long as its kind, datacenter and the options its kind says
 * need a restart stay the same; instances are matched by name.
 */
export class SourceSet {
  constructor(
    private readonly registry: Registry,
    private config: Config,
    private readonly log: Logger,
  ) {}

  /**
   * Checks every instance `next` asks for and makes those that are new or changed (not started).
   * Throws (a ConfigError), changing nothing, when one cannot be made.
   */
  async prepare(next: Config): Promise<SourcePlan> {
    const before = new Map(this.config.sources.map((instance) => [instance.name, instance]));
    const changed = prepareInstances(next.sources).filter(({ config }) => !sameInstance(before.get(config.name), config));
    const made = await Promise.allSettled(changed.map((instance) => instance.create(this.log)));
    const failed = made.find((result) => result.status === 'rejected');
    const sources = made.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    if (failed) {
      await Promise.all(sources.map((instance) => instance.source.stop()));
      throw failed.reason;
    }
    return { apply: () => this.apply(next, sources) };
  }

  private async apply(next: Config, made: readonly SourceInstance[]): Promise<SourceReload> {
    const running = new Map(this.registry.sources.map((instance) => [instance.name, instance]));
    const result: SourceReload = { added: [], removed: [], restarted: [] };
    const stopping: Promise<void>[] = [];
    for (const instance of made) {
      const old = running.get(instance.name);
      // Removal withdraws the old providers and the new source starts in the same tick: a query
      // in between waits for the new source's first read instead of finding nothing.
      if (old) stopping.push(this.registry.removeSource(old));
      this.registry.addSource(instance);
      (old ? result.restarted : result.added).push(instance.name);
    }
    const wanted = new Set(next.sources.map((instance) => instance.name));
    for (const [name, old] of running) {
      if (wanted.has(name)) continue;
      stopping.push(this.registry.removeSource(old));
      result.removed.push(name);
    }
    this.config = next;
    await Promise.all(stopping);
    return result;
  }
}

/** True when a running instance configured as `before` can stay for `next`. */
function sameInstance(before: InstanceConfig | undefined, next: InstanceConfig): boolean {
  if (!before || before.kind !== next.kind || before.datacenter !== next.datacenter) return false;
  return kindNamed(next.kind)!.restartOn.every((option) => sameValue(before.options[option], next.options[option]));
}
