import type { Logger } from 'pino';
import { ConfigError, type ConfigProblem } from '../config/errors.js';
import type { Source } from '../registry/source.js';
import { consulKind } from './consul/kind.js';
import { etcdKind } from './etcd/kind.js';
import { etcd2Kind } from './etcd2/kind.js';
import { fileKind } from './file/kind.js';
import type { InstanceContext, SourceKind } from './kind.js';
import { zooKeeperKind } from './zookeeper/kind.js';

/** Every kind of source. A new registry adds its folder and one line here. */
// `any`: each kind's options were checked by that kind's own schemas.
export const kinds: readonly SourceKind<any, any>[] = [fileKind, zooKeeperKind, etcdKind, etcd2Kind, consulKind];

export function kindNamed(kind: string): SourceKind | undefined {
  return kinds.find((k) => k.kind === kind);
}

/** One source instance as configured: from a flag shorthand or an entry of `sources:`. */
export interface InstanceConfig {
  kind: string;
  /** Unique in the configuration; the kind's name by default. */
  name: string;
  datacenter?: string;
  /** `preload: true` in its `sources:` entry: its services are loaded before they are asked for. */
  preload?: boolean;
  /** The kind's options, validated, defaults filled in. */
  options: Record<string, unknown>;
  /** How each option (and `name`) was given, for messages: `--zk-path` or `"sources[1].paths" in FILE`. */
  keys: Record<string, string>;
}

/** A running source with the name and datacenter the registry stamps on its providers. */
export interface SourceInstance {
  name: string;
  kind: string;
  datacenter?: string;
  /** Loads every service it lists at start (its `preload: true`, or `--preload` for all). */
  preload?: boolean;
  source: Source;
}

/** A configured instance whose settings were checked (files and secrets read), not yet made. */
export interface PreparedInstance {
  config: InstanceConfig;
  create(log: Logger): Promise<SourceInstance>;
}

/** Checks every instance's settings without loading any registry library; throws a ConfigError. */
export function prepareInstances(instances: readonly InstanceConfig[], env: NodeJS.ProcessEnv = process.env): PreparedInstance[] {
  const problems: ConfigProblem[] = [];
  const prepared = instances.flatMap((config) => {
    try {
      return [prepare(config, env)];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return [];
    }
  });
  if (problems.length) throw new ConfigError(problems);
  return prepared;
}

function prepare(config: InstanceConfig, env: NodeJS.ProcessEnv): PreparedInstance {
  const kind = kindNamed(config.kind)!;
  const context: InstanceContext = { name: config.name, env, keyOf: (option) => config.keys[option] ?? option };
  const settings = kind.settings(config.options, context);
  return {
    config,
    create: async (log) => {
      const source = await kind.create(settings, { ...context, log: log.child({ source: config.name }) });
      return { name: config.name, kind: config.kind, datacenter: config.datacenter, ...(config.preload ? { preload: true } : {}), source };
    },
  };
}

/** Makes the sources a configuration asks for. */
export function createSources(instances: readonly InstanceConfig[], log: Logger): Promise<SourceInstance[]> {
  return Promise.all(prepareInstances(instances).map((instance) => instance.create(log)));
}
