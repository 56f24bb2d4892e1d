/** One benchmark of `npm run bench`: it prints its own figures, as a Markdown table where it can. */
export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<void>;
}

/** The p-th percentile (0-100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Runs `work` over `items` with at most `concurrency` at once. */
export async function runLimited<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/** The benches' service names: `svc0`, `svc1`, ... */
export const service = (i: number) => `svc${i}`;

/** Provider `p` of service `i` as `host:port`: a distinct address per service (up to 65,536) and port per provider. */
export const provider = (i: number, p: number) => `10.${(i >> 8) & 255}.${i & 255}.${p + 1}:${8000 + p}`;
