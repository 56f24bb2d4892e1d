/** One service among the busiest: queries in the last minute (at least), and how many got NXDOMAIN. */
export interface TopService {
  service: string;
  queries: number;
  nxdomain: number;
}

/**
 * Space-saving top-k (Metwally et al. 2005) over `capacity` counters: a name not counted yet takes
 * over the smallest counter and its count plus one, so a heavy hitter is never undercounted and a
 * flood of random names only churns the smallest counters. What a name inherited is remembered as
 * its possible error; `entries` report the count less that error, a figure it surely reached, so
 * a flood's names read as 1 rather than as the counter they took over. The counters sit in a
 * min-heap: a query costs one map lookup and a few swaps however many names arrive.
 */
export class SpaceSaving {
  private readonly names: string[] = [];
  private readonly counts: Float64Array;
  /** The count each name inherited when it took its counter over. */
  private readonly errors: Float64Array;
  private readonly nxdomains: Float64Array;
  /** The per-counter arrays, swapped together when the heap moves a counter. */
  private readonly columns: readonly Float64Array[];
  private readonly index = new Map<string, number>();

  constructor(readonly capacity: number) {
    this.counts = new Float64Array(capacity);
    this.errors = new Float64Array(capacity);
    this.nxdomains = new Float64Array(capacity);
    this.columns = [this.counts, this.errors, this.nxdomains];
  }

  get size(): number {
    return this.names.length;
  }

  count(name: string, nxdomain: boolean): void {
    let i = this.index.get(name);
    if (i === undefined) {
      if (this.names.length < this.capacity) {
        i = this.names.length;
        this.names.push(name);
        this.index.set(name, i);
        this.counts[i] = 1;
        this.errors[i] = 0;
        this.nxdomains[i] = nxdomain ? 1 : 0;
        this.siftUp(i);
        return;
      }
      // The smallest counter goes to the new name, keeping its count as the new name's possible error.
      i = 0;
      this.index.delete(this.names[0]);
      this.names[0] = name;
      this.index.set(name, 0);
      this.errors[0] = this.counts[0];
      this.nxdomains[0] = 0;
    }
    this.counts[i]++;
    if (nxdomain) this.nxdomains[i]++;
    this.siftDown(i);
  }

  /** Every counter, in no order, with the count each name surely reached. */
  entries(): TopService[] {
    return this.names.map((service, i) => ({ service, queries: this.counts[i] - this.errors[i], nxdomain: this.nxdomains[i] }));
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.counts[parent] <= this.counts[i]) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const n = this.names.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const smaller = left + 1 < n && this.counts[left + 1] < this.counts[left] ? left + 1 : left;
      if (this.counts[i] <= this.counts[smaller]) return;
      this.swap(i, smaller);
      i = smaller;
    }
  }

  private swap(a: number, b: number): void {
    const name = this.names[a];
    this.names[a] = this.names[b];
    this.names[b] = name;
    for (const column of this.columns) {
      const value = column[a];
      column[a] = column[b];
      column[b] = value;
    }
    this.index.set(this.names[a], a);
    this.index.set(this.names[b], b);
  }
}

export interface TopServicesOptions {
  /** Counters per window: the most distinct names remembered at once, per window. */
  capacity: number;
  windowMs: number;
  /** Windows kept: `windows * windowMs` is how far back the list looks. */
  windows: number;
  now?: () => number;
}

/**
 * The busiest services of the last minute: one space-saving sketch per 10-second window, six
 * windows summed when read. Memory is `capacity * windows` counters whatever is queried. Windows
 * move on when read (the status page reads every second), so counting never looks at the clock.
 */
export class TopServices {
  private readonly windows: SpaceSaving[];
  private windowStart: number;
  private readonly now: () => number;

  constructor(private readonly options: TopServicesOptions = { capacity: 256, windowMs: 10_000, windows: 6 }) {
    this.now = options.now ?? Date.now;
    this.windows = [new SpaceSaving(options.capacity)];
    this.windowStart = this.now();
  }

  count(service: string, nxdomain: boolean): void {
    this.windows[0].count(service, nxdomain);
  }

  /** Counters in use over every window kept: at most `capacity * windows`. */
  get tracked(): number {
    let sum = 0;
    for (const window of this.windows) sum += window.size;
    return sum;
  }

  /** The `n` services most queried over the windows kept, most first. */
  top(n: number): TopService[] {
    this.advance();
    return mergeTop(this.windows.map((window) => window.entries()), n);
  }

  private advance(): void {
    const now = this.now();
    while (now - this.windowStart >= this.options.windowMs) {
      this.windows.unshift(new SpaceSaving(this.options.capacity));
      if (this.windows.length > this.options.windows) this.windows.pop();
      this.windowStart += this.options.windowMs;
      // Idle for longer than every window: start afresh rather than loop through empty ones.
      if (now - this.windowStart >= this.options.windowMs * this.options.windows) this.windowStart = now;
    }
  }
}

/** Sums lists of counts by service (windows, or DNS workers) and keeps the `n` largest. */
export function mergeTop(lists: readonly (readonly TopService[])[], n: number): TopService[] {
  const sums = new Map<string, TopService>();
  for (const list of lists) {
    for (const { service, queries, nxdomain } of list) {
      const sum = sums.get(service);
      if (sum) {
        sum.queries += queries;
        sum.nxdomain += nxdomain;
      } else sums.set(service, { service, queries, nxdomain });
    }
  }
  return [...sums.values()].sort((a, b) => b.queries - a.queries || a.service.localeCompare(b.service)).slice(0, n);
}
