/** What one blocking-query reply means: the index to send next, and whether the result changed. */
export interface IndexStep {
  next: bigint;
  changed: boolean;
}

/**
 * Consul's documented rules for a blocking-query loop, given the index of the previous reply
 * (undefined before the first) and of this one:
 * - an index that did not move is no change (the wait ran out, or an unrelated write);
 * - an index that went backwards (snapshot restore, another server) restarts the loop from 0,
 *   and this reply, being current, is a change;
 * - an index of 0 is never sent back, as it would not block: 1 is always safe.
 */
export function stepIndex(previous: bigint | undefined, returned: bigint): IndexStep {
  const safe = returned > 0n ? returned : 1n;
  if (previous === undefined) return { next: safe, changed: true };
  if (returned === previous) return { next: safe, changed: false };
  if (returned < previous) return { next: 0n, changed: true };
  return { next: safe, changed: true };
}

/** Consul caps `wait` at 10 minutes. */
export const MAX_WAIT_SECONDS = 600;

export function capWait(seconds: number): number {
  return Math.max(1, Math.min(MAX_WAIT_SECONDS, Math.round(seconds)));
}
