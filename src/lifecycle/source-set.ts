import type { Config } from '../config/load.js';
import type { Registry } from '../registry/registry.js';
import type { Source } from '../registry/source.js';
import { sameValue } from './dns-reload.js';

export interface SourceReload {
  added: string[];
  removed: string[];
  /** Sources whose options changed: the old one was stopped and a new one started. */
  restarted: string[];
}

/** A checked new set of sources, applied by `apply()`. */
export interface SourcePlan {
  apply(): Promise<SourceReload>;
}

/**
 * The registry's sources across configuration reloads. A source is kept as long as its own
 * options stay the same (those named after it: `etcd-*` for etcd, `zk-*` for ZooKeeper); its
 * watches and what it loaded stay too.
 */
export class SourceSet {
  constructor(
    private readonly registry: Registry,
    private config: Config,
    private readonly create: (config: Config) => Source[],
  ) {}

  /** Builds the sources `next` asks for; throws (a ConfigError), changing nothing, when one cannot be made. */
  prepare(next: Config): SourcePlan {
    const wanted = this.create(next);
    return { apply: () => this.apply(next, wanted) };
  }

  private async apply(next: Config, wanted: readonly Source[]): Promise<SourceReload> {
    const running = new Map(this.registry.sources.map((source) => [source.name, source]));
    const result: SourceReload = { added: [], removed: [], restarted: [] };
    const stopping: Promise<void>[] = [];
    for (const source of wanted) {
      const old = running.get(source.name);
      running.delete(source.name);
      if (old && sameValue(optionsOf(old.name, this.config), optionsOf(source.name, next))) {
        // The running one stays; the one made to compare with never started, but may hold a client.
        stopping.push(source.stop());
        continue;
      }
      // Removal withdraws the old providers and the new source starts in the same tick: a query
      // in between waits for the new source's first read instead of finding nothing.
      if (old) stopping.push(this.registry.removeSource(old));
      this.registry.addSource(source);
      (old ? result.restarted : result.added).push(source.name);
    }
    for (const old of running.values()) {
      stopping.push(this.registry.removeSource(old));
      result.removed.push(old.name);
    }
    this.config = next;
    await Promise.all(stopping);
    return result;
  }
}

/** The options that configure the source named `name`: `etcd` and `etcd-*`, not `etcd2`'s. */
function optionsOf(name: string, config: Config): [string, unknown][] {
  const names = name === 'zookeeper' ? ['zookeeper', 'zk'] : [name];
  return Object.entries(config).filter(([key]) => names.some((option) => key === option || key.startsWith(`${option}-`)));
}
