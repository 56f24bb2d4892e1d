const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `500ms`, `2s`, `1.5s`, `1m`, `1h` (Consul's and Go's way of writing them) into milliseconds; undefined if not one. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNITS[match[2]]);
}

/** Milliseconds as Consul wants a duration: `2000ms`, exact for any value. */
export function consulDuration(ms: number): string {
  return `${Math.round(ms)}ms`;
}
