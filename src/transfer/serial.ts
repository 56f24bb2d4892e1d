/**
 * SOA serials (RFC 1982 serial arithmetic). The serial counts tenths of a second since the epoch,
 * modulo 2^32: each new version of the zone takes the later of that and the last serial + 1, so it
 * grows with every change and a restart (which starts from the clock) never goes back, as long as
 * changes do not outrun ten per second for long before it. The count wraps every 13.6 years;
 * serial arithmetic treats the wrap as growth.
 */
export function nextSerial(last: number | undefined, nowMs: number): number {
  const fromClock = Math.floor(nowMs / 100) % 2 ** 32;
  if (last === undefined || serialAfter(fromClock, last)) return fromClock;
  return (last + 1) % 2 ** 32;
}

/** True when serial `a` is later than `b` (RFC 1982 3.2). */
export function serialAfter(a: number, b: number): boolean {
  const diff = (a - b + 2 ** 32) % 2 ** 32;
  return diff !== 0 && diff < 2 ** 31;
}
