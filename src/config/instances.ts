import type { z } from 'zod';
import { kindNamed, kinds, type InstanceConfig } from '../sources/index.js';
import type { SourceKind } from '../sources/kind.js';
import type { ConfigProblem } from './errors.js';
import { keyOf, withValue, type Layers } from './load.js';
import { kindSchema, label } from './schema.js';

interface Instances {
  instances: InstanceConfig[];
  problems: ConfigProblem[];
}

/**
 * The source instances a configuration asks for: one per kind whose shorthand flag is given
 * (named after the kind), then each entry of `sources:`. Every problem is named by its key.
 */
export function sourceInstances(merged: Record<string, unknown>, layers: Layers, file: string | undefined): Instances {
  const result: Instances = { instances: [], problems: [] };
  for (const kind of kinds) if (merged[kind.options[kind.main].flag] !== undefined) add(result, flagInstance(kind, merged, layers, file));
  const listed = merged.sources;
  const inFile = (path: string) => `"${path}" in ${file ?? 'the config file'}`;
  if (listed !== undefined && !Array.isArray(listed)) {
    result.problems.push({ key: inFile('sources'), message: 'must be a list of sources, each with a kind' });
  } else if (listed) {
    listed.forEach((entry: unknown, index) => add(result, listedInstance(entry, `sources[${index}]`, inFile)));
  }
  result.problems.push(...duplicateNames(result.instances));
  return result;
}

function add(result: Instances, { instance, problems }: Parsed): void {
  if (instance) result.instances.push(instance);
  result.problems.push(...problems);
}

/** `--zookeeper HOSTS --zk-path P`: the kind's options under their flag names. */
function flagInstance(kind: SourceKind, merged: Record<string, unknown>, layers: Layers, file: string | undefined): Parsed {
  const options = Object.entries(kind.options);
  const keys = Object.fromEntries(options.map(([option, spec]) => [option, keyOf(spec.flag, layers, file)]));
  keys.name = keys[kind.main];
  const given = Object.fromEntries(options.filter(([, spec]) => merged[spec.flag] !== undefined).map(([option, spec]) => [option, merged[spec.flag]]));
  const problems: ConfigProblem[] = [];
  const flagOptions = parseOptions(kind, given, keys, problems);
  return { instance: flagOptions && { kind: kind.kind, name: kind.kind, options: flagOptions, keys }, problems };
}

/** `{ kind: zookeeper, name: zk-east, datacenter: east, servers: ..., paths: [...] }`. */
function listedInstance(entry: unknown, at: string, inFile: (path: string) => string): Parsed {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return { problems: [{ key: inFile(at), message: 'must be a map with a kind and its options' }] };
  }
  const { kind: kindName, name, datacenter, preload, ...given } = entry as Record<string, unknown>;
  const kind = typeof kindName === 'string' ? kindNamed(kindName) : undefined;
  if (!kind) {
    return { problems: [{ key: inFile(`${at}.kind`), message: withValue(`must be one of ${kinds.map((k) => k.kind).join(', ')}`, kindName) }] };
  }
  const problems: ConfigProblem[] = [];
  const keys = Object.fromEntries([...Object.keys(kind.options), 'name'].map((key) => [key, inFile(`${at}.${key}`)]));
  const labelOf = (key: string, value: unknown): string | undefined => {
    const parsed = label.safeParse(value);
    if (!parsed.success) problems.push({ key: inFile(`${at}.${key}`), message: withValue(parsed.error.issues[0].message, value) });
    return parsed.data;
  };
  const instanceName = name === undefined ? kind.kind : labelOf('name', name);
  const dc = datacenter === undefined ? undefined : labelOf('datacenter', datacenter);
  if (preload !== undefined && typeof preload !== 'boolean') problems.push({ key: inFile(`${at}.preload`), message: withValue('must be true or false', preload) });
  for (const key of Object.keys(given)) {
    if (!(key in kind.options)) problems.push({ key: inFile(`${at}.${key}`), message: `unknown option of a ${kind.kind} source` });
  }
  const options = parseOptions(kind, given, keys, problems);
  if (problems.length || !options || !instanceName) return { problems };
  return { instance: { kind: kind.kind, name: instanceName, ...(dc ? { datacenter: dc } : {}), ...(preload === true ? { preload } : {}), options, keys }, problems };
}

interface Parsed {
  instance?: InstanceConfig;
  problems: ConfigProblem[];
}

/** The kind's options checked by its own schemas, defaults filled in; undefined (problems added) when one is bad. */
function parseOptions(kind: SourceKind, given: Record<string, unknown>, keys: Record<string, string>, problems: ConfigProblem[]): Record<string, unknown> | undefined {
  const known = Object.fromEntries(Object.entries(given).filter(([key]) => key in kind.options));
  const parsed = kindSchema(kind).safeParse(known);
  if (parsed.success) return parsed.data;
  problems.push(...parsed.error.issues.map((issue) => describeIssue(issue, kind, keys, known)));
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue, kind: SourceKind, keys: Record<string, string>, given: Record<string, unknown>): ConfigProblem {
  const option = String(issue.path[0]);
  const message = given[option] === undefined ? `missing: every ${kind.kind} source needs it` : withValue(issue.message, given[option]);
  return { key: keys[option] ?? option, message };
}

function duplicateNames(instances: readonly InstanceConfig[]): ConfigProblem[] {
  const first = new Map<string, InstanceConfig>();
  const problems: ConfigProblem[] = [];
  for (const instance of instances) {
    const earlier = first.get(instance.name);
    if (!earlier) first.set(instance.name, instance);
    else {
      problems.push({
        key: instanceKey(instance),
        message: `"${instance.name}" is already the name of the source given by ${instanceKey(earlier)}: give each source its own name`,
      });
    }
  }
  return problems;
}

/** Where an instance was named: `--zookeeper` (named after its kind), `"sources[1].name" in FILE`. */
function instanceKey(instance: InstanceConfig): string {
  return instance.keys.name;
}
