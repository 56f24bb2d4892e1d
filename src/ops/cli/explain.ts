import type { Explanation } from '../../server/explain.js';
import { table } from './table.js';


/** `lookup NAME --explain` as text: the decision, the answer, its TTL and cache state, then each source and step. */
export function formatExplanation(e: Explanation): string {
  const lines = [
    `${e.name} ${e.type}, asked by ${e.client}${e.network ? ` (network ${e.network})` : ''}`,
    `${decision(e)}: ${e.why.join('; ')}`,
    ...e.answer.map((record) => `  ${record}`),
  ];
  if (e.forward?.firstTried) lines.push(`tried first: ${e.forward.firstTried} (the last to answer)`);
  if (e.ttl) lines.push(`TTL ${e.ttl.seconds} s: ${e.ttl.from}`);
  if (e.route !== 'refused') lines.push(cacheLine(e.cache));
  let text = `${lines.join('\n')}\n`;
  if (e.sources?.length) text += `\n${sourcesTable(e.sources)}`;
  if (e.steps?.length) text += `\n${stepsTable(e.steps)}${e.steps.flatMap((s) => (s.note ? [`${s.step}: ${s.note}\n`] : [])).join('')}`;
  return text;
}

function decision(e: Explanation): string {
  if (e.route === 'zone') return `${e.rcode} from our zone`;
  if (e.route === 'refused') return `${e.rcode}, not cached`;
  return e.rcode ? `forwarded, ${e.rcode} cached from the upstream` : 'forwarded';
}

function cacheLine(cache: Explanation['cache']): string {
  const workers = cache.workers ? ` (asked ${cache.workers.answered} of ${cache.workers.asked} DNS workers, each has its own cache)` : '';
  if (!cache.cached) return `cached: no, the next query builds it${workers}`;
  const forms = cache.forms.map((f) => `${f.form}: ${f.rcode}, ${f.expiresIn} s left${f.worker ? ` in worker ${f.worker}` : ''} [${f.key}]`);
  return `cached: yes${workers}\n${forms.map((f) => `  ${f}`).join('\n')}`;
}

function sourcesTable(sources: NonNullable<Explanation['sources']>): string {
  const rows = sources.map((s) => [s.name, s.kind ?? '-', s.datacenter ?? '-', s.stale ? `${s.state ?? 'disconnected'} (stale)` : (s.state ?? 'connected'), s.providers, s.answered, s.detail ?? '']);
  return table(['source', 'kind', 'datacenter', 'state', 'providers', 'answered', 'detail'], rows);
}

/** One row per provider a step removed, one for a step that removed none. */
function stepsTable(steps: NonNullable<Explanation['steps']>): string {
  const rows = steps.flatMap((s) => {
    const kept = `${s.kept} of ${s.given}`;
    if (!s.removed.length) return [[s.step, kept, '-', '-', '']];
    return s.removed.map((r, i) => [i ? '' : s.step, i ? '' : kept, r.provider, r.source, r.why]);
  });
  return table(['step', 'kept', 'removed', 'source', 'why'], rows);
}
