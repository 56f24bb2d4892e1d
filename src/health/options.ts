import { z } from 'zod';
import { sameValue } from '../lifecycle/dns-reload.js';
import { isServiceName } from '../registry/fields.js';
import { parseCheckKind, type CheckKind, type CheckSpec } from './check.js';

/** `--health-check tcp|http:/PATH|off`: undefined is off. */
export const checkKindOption = z.string().transform((text, ctx): CheckKind | undefined => {
  const parsed = parseCheckKind(text);
  if (typeof parsed !== 'string') return parsed;
  ctx.addIssue({ code: 'custom', message: parsed });
  return z.NEVER;
});

/** What one service changes of the default check; `check: null` turns its checks off. */
export interface ServiceCheckOverride {
  check?: CheckKind | null;
  intervalMs?: number;
  timeoutMs?: number;
  rise?: number;
  fall?: number;
}

const whole = (min: number, max: number) => z.number().int().min(min).max(max).optional();
const serviceCheck = z
  .object({ check: z.string().optional(), interval: whole(100, 3_600_000), timeout: whole(10, 60_000), rise: whole(1, 100), fall: whole(1, 100) })
  .strict();

/**
 * `--health-service SERVICE=CHECK` (repeatable), or in YAML a map of service to a check string
 * or `{check, interval, timeout, rise, fall}`; what a service leaves out comes from the defaults.
 */
export const serviceChecksOption = z
  .union([z.string(), z.array(z.string()), z.record(z.string(), z.union([z.string(), serviceCheck]))])
  .transform((value, ctx) => {
    const result = new Map<string, ServiceCheckOverride>();
    const entries = typeof value === 'string' || Array.isArray(value) ? flagEntries([value].flat()) : Object.entries(value);
    for (const [name, given] of entries) {
      const service = name.trim().toLowerCase();
      if (given === undefined || !isServiceName(service)) {
        ctx.addIssue({ code: 'custom', message: `"${name}" is not SERVICE=CHECK with a service name` });
        continue;
      }
      const fields = typeof given === 'string' ? { check: given } : given;
      const check = fields.check === undefined ? undefined : parseCheckKind(fields.check);
      if (typeof check === 'string') {
        ctx.addIssue({ code: 'custom', message: `${service}: ${check}` });
        continue;
      }
      result.set(service, {
        ...(fields.check !== undefined ? { check: check ?? null } : {}),
        ...(typeof given === 'string' ? {} : { intervalMs: given.interval, timeoutMs: given.timeout, rise: given.rise, fall: given.fall }),
      });
    }
    return result;
  });

/** `api=http:/health,web=tcp` from flags and the environment; an item without `=` is refused by the caller. */
function flagEntries(items: string[]): [string, string | undefined][] {
  return items
    .flatMap((item) => item.split(','))
    .filter((item) => item.trim())
    .map((item) => {
      const at = item.indexOf('=');
      return at < 0 ? [item, undefined] : [item.slice(0, at), item.slice(at + 1)];
    });
}

export interface HealthOptions {
  'health-check'?: CheckKind;
  'health-interval': number;
  'health-timeout': number;
  'health-rise': number;
  'health-fall': number;
  'health-service': Map<string, ServiceCheckOverride>;
}

/** Which check each service gets: its own, else the default; none when it is off. */
export class HealthSettings {
  private readonly fallback: Omit<CheckSpec, 'check'>;

  private readonly options: HealthOptions;

  /** Takes the `health-*` options of a configuration (and ignores the rest). */
  constructor(options: HealthOptions) {
    this.options = {
      'health-check': options['health-check'],
      'health-interval': options['health-interval'],
      'health-timeout': options['health-timeout'],
      'health-rise': options['health-rise'],
      'health-fall': options['health-fall'],
      'health-service': options['health-service'],
    };
    this.fallback = { intervalMs: options['health-interval'], timeoutMs: options['health-timeout'], rise: options['health-rise'], fall: options['health-fall'] };
  }

  sameAs(other: HealthSettings): boolean {
    return sameValue(this.options, other.options);
  }

  /** True when some service may be checked: otherwise nothing needs to run. */
  get enabled(): boolean {
    return this.options['health-check'] !== undefined || [...this.options['health-service'].values()].some((o) => o.check);
  }

  specFor(service: string): CheckSpec | undefined {
    const own = this.options['health-service'].get(service);
    const check = own?.check === undefined ? this.options['health-check'] : (own.check ?? undefined);
    if (!check) return undefined;
    return {
      check,
      intervalMs: own?.intervalMs ?? this.fallback.intervalMs,
      timeoutMs: own?.timeoutMs ?? this.fallback.timeoutMs,
      rise: own?.rise ?? this.fallback.rise,
      fall: own?.fall ?? this.fallback.fall,
    };
  }
}
