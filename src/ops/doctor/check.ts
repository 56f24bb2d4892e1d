/** One finding of `dnsbridge doctor`: what was looked at, what was found, and what to do about it. */
export interface Check {
  status: 'ok' | 'warn' | 'fail';
  subject: string;
  found: string;
  fix?: string;
}

export function formatCheck(check: Check): string {
  const mark = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' }[check.status];
  const fix = check.fix ? `\n      fix: ${check.fix}` : '';
  return `${mark}  ${check.subject}: ${check.found}${fix}\n`;
}
