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
