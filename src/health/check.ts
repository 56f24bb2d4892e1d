/** What one health check does to a provider: connect to its port, or GET a path on it. */
export type CheckKind = { kind: 'tcp' } | { kind: 'http'; path: string };

/** One check with its timing: a provider leaves after `fall` failures in a row, returns after `rise` passes. */
export interface CheckSpec {
  check: CheckKind;
  intervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
}

/** Parses `tcp`, `http:/path` or `off` (undefined); a string is why it is neither. */
export function parseCheckKind(text: string): CheckKind | undefined | string {
  const value = text.trim();
  if (value === 'off') return undefined;
  if (value === 'tcp') return { kind: 'tcp' };
  const http = /^http:(\/\S*)$/.exec(value);
  if (http) return { kind: 'http', path: http[1] };
  return `"${text}" is not tcp, http:/PATH or off`;
}

export function describeCheck(check: CheckKind): string {
  return check.kind === 'tcp' ? 'tcp' : `http:${check.path}`;
}

/** One string per distinct check: providers checked the same way share one probe and one state. */
export function specId(spec: CheckSpec): string {
  return `${describeCheck(spec.check)} every ${spec.intervalMs} timeout ${spec.timeoutMs} rise ${spec.rise} fall ${spec.fall}`;
}
