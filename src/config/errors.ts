/** A configuration value that cannot be used; `key` is the option's name as the user wrote it. */
export class ConfigError extends Error {
  readonly code = 'ECONFIG';
  constructor(readonly problems: readonly { key: string; message: string }[]) {
    super(problems.map((p) => `${p.key}: ${p.message}`).join('\n'));
  }
}
