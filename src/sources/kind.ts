import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Source } from '../registry/source.js';

/** One option of a source kind: a key of its `sources:` entries, and the flag of its shorthand. */
export interface KindOption {
  /** Validates the value (YAML value, or flag/environment text); carries the default if any. */
  schema: z.ZodType;
  /** The shorthand's flag (also a top-level YAML key and a DNSBRIDGE_ variable): `zk-path` for `paths`. */
  flag: string;
  arg: string;
  help: string;
  repeatable?: boolean;
}

/** What making one instance needs besides its options. */
export interface InstanceContext {
  /** The instance's name, unique in the configuration. */
  name: string;
  env: NodeJS.ProcessEnv;
  /** An option as the user gave it, for messages: `--etcd-ca` or `"sources[1].ca" in FILE`. */
  keyOf(option: string): string;
}

/**
 * A kind of source, described by itself (as a CoreDNS plugin's setup.go): its options with
 * their defaults, its flag shorthand, what needs a restart, and how to make an instance.
 * Adding a kind is one folder with a `kind.ts` and one line in `src/sources/index.ts`.
 */
export interface SourceKind<Options = Record<string, unknown>, Settings = unknown> {
  /** `kind:` in a `sources:` entry, and the name of the shorthand's instance. */
  readonly kind: string;
  /** The instance's options by key. An instance comes from the flags when `main`'s flag is given. */
  readonly options: Readonly<Record<string, KindOption>>;
  /** The option that is required and whose flag asks for the shorthand instance (`servers`: `--zookeeper`). */
  readonly main: string;
  /**
   * Options whose change across a reload restarts the instance: a source takes its options
   * once, when made, so this is every option whose value the source reads.
   */
  readonly restartOn: readonly string[];
  /**
   * Checks what a schema cannot (files, secrets) and reads them: `check` runs this alone.
   * Throws a ConfigError naming the option through `context.keyOf`. Loads no registry library.
   */
  settings(options: Options, context: InstanceContext): Settings;
  /** Makes the source; the registry library is imported here, on first use (fast start). */
  create(settings: Settings, context: InstanceContext & { log: Logger }): Promise<Source>;
}

/** Keeps a kind's option types while it is listed with others. */
export function defineKind<Options, Settings>(kind: SourceKind<Options, Settings>): SourceKind<Options, Settings> {
  return kind;
}
