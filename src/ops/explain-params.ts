import { isIP } from 'node:net';
import { RRType } from '../dns/constants.js';
import { isValidName } from '../dns/names.js';
import type { ExplainQuestion } from '../server/explain.js';

/** Not questions explain takes: OPT is no question, zone transfers have their own status in /api/status. */
const NOT_QUESTIONS = new Set<number>([RRType.OPT, RRType.AXFR, RRType.IXFR]);
const QUESTION_NAMES = Object.keys(RRType).filter((name) => !NOT_QUESTIONS.has(RRType[name as keyof typeof RRType]));

/**
 * The question of `/api/explain?name=&type=&client=`: `type` defaults to A, `client` to the
 * address asking. A message naming the parameter when one is not usable.
 */
export function explainQuestion(params: URLSearchParams, remote: string | undefined): ExplainQuestion | string {
  const raw = params.get('name')?.trim().toLowerCase() ?? '';
  const name = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  if (!name || !isValidName(name)) return `name: "${raw}" is not a DNS name`;
  const type = parseType(params.get('type') ?? 'A');
  if (type === undefined) return `type: "${params.get('type')}" is not a question type (${QUESTION_NAMES.join(', ')} or TYPEnnn)`;
  const client = params.get('client')?.trim() || unmapped(remote ?? '');
  if (!isIP(client)) return `client: "${client}" is not an IP address`;
  return { name, type, client };
}

function parseType(text: string): number | undefined {
  const upper = text.trim().toUpperCase();
  const type = upper in RRType ? RRType[upper as keyof typeof RRType] : /^TYPE\d{1,5}$/.test(upper) ? Number(upper.slice(4)) : NaN;
  return type >= 1 && type <= 65535 && !NOT_QUESTIONS.has(type) ? type : undefined;
}

/** `::ffff:127.0.0.1` as the IPv4 address it carries. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
