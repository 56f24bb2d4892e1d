import type { ResourceRecord } from '../dns/records.js';

/** One version step of the zone: what left it and what came in (RFC 1995's difference sequence). */
export interface ZoneDiff {
  from: number;
  to: number;
  deleted: ResourceRecord[];
  added: ResourceRecord[];
}

export interface JournalLimits {
  /** Most steps kept. */
  maxDiffs: number;
  /** Most records kept over all steps: a burst of large changes pushes out the oldest. */
  maxRecords: number;
}

/** The latest zone differences, bounded: an IXFR from a serial it no longer holds falls back to AXFR. */
export class Journal {
  private diffs: ZoneDiff[] = [];
  private records = 0;

  constructor(private readonly limits: JournalLimits) {}

  add(diff: ZoneDiff): void {
    this.diffs.push(diff);
    this.records += diff.deleted.length + diff.added.length;
    while (this.diffs.length > this.limits.maxDiffs || (this.records > this.limits.maxRecords && this.diffs.length > 1)) {
      const dropped = this.diffs.shift()!;
      this.records -= dropped.deleted.length + dropped.added.length;
    }
  }

  /** The steps from `serial` to the newest, in order; undefined when `serial` is not one this journal starts a step at. */
  since(serial: number): ZoneDiff[] | undefined {
    const first = this.diffs.findIndex((diff) => diff.from === serial);
    return first < 0 ? undefined : this.diffs.slice(first);
  }

  /** The oldest serial an IXFR can start from, for the status page. */
  get oldest(): number | undefined {
    return this.diffs[0]?.from;
  }
}
