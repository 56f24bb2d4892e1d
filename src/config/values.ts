import { z } from 'zod';

/** Option value schemas shared by the core options and the source kinds' options. */

/** A list given as YAML sequence, or as one comma-separated string (flags, environment). */
export const list = z.union([z.string(), z.array(z.union([z.string(), z.number()]))]).transform((value) =>
  (Array.isArray(value) ? value.map(String) : value.split(','))
    .map((item) => item.trim())
    .filter(Boolean),
);

/** A whole number given as a number (YAML) or digits (flags, environment); '' is not 0. */
export const integer = (min: number, max: number) =>
  z.unknown().transform((value, ctx) => {
    const number = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
    if (Number.isInteger(number) && number >= min && number <= max) return number;
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a whole number from ${min} to ${max}` });
    return z.NEVER;
  });

/** Provider path or key templates: each must say where the service name goes. */
export const templates = list.pipe(z.array(z.string().refine((t) => t.includes('{service}'), 'must contain {service}')));

/** A switch: YAML boolean, or true/false/1/0 (flags, environment). */
export const flag = z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]).transform((v) => v === true || v === 'true' || v === '1');

/** A file name; the file is read when the source is made. */
export const filePath = z.string().min(1);
