/** One unusable option: `key` names it as the user gave it (`--ttl`, `DNSBRIDGE_TTL`, `"ttl" in FILE`). */
export interface ConfigProblem {
  key: string;
  message: string;
}

/** A configuration that cannot be used; every problem found is listed. */
export class ConfigError extends Error {
  readonly code = 'ECONFIG';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map((p) => `${p.key}: ${p.message}`).join('\n'));
  }
}

/** Exit code of bad usage or configuration: nothing was started. */
export const EXIT_CONFIG = 2;

/** Prints every configuration problem, naming its key, and exits 2: nothing was started. */
export function exitForConfig(error: ConfigError): never {
  process.stderr.write(`dnsbridge: invalid configuration:\n${error.problems.map((p) => `  ${p.key}: ${p.message}`).join('\n')}\n`);
  process.exit(EXIT_CONFIG);
}
