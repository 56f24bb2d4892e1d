import { Flag, RRClass } from '../dns/constants.js';
import type { ResourceRecord } from '../dns/records.js';
import { MessageWriter } from '../dns/writer.js';
import type { ZoneDiff } from './journal.js';

/** Records per message stop once a message passes this size; each stays well under 64 KiB with its TSIG. */
const MESSAGE_BUDGET = 16_000;

export interface TransferQuestion {
  id: number;
  name: string;
  type: number;
}

/** The AXFR answer (RFC 5936 2.2): SOA, every record, SOA again, over as many messages as needed. */
export function axfrRecords(soa: ResourceRecord, records: readonly ResourceRecord[]): ResourceRecord[] {
  return [soa, ...records, soa];
}

/**
 * The IXFR answer (RFC 1995 4): the new SOA, then per step the old SOA, what it deleted, the new
 * SOA and what it added, and the new SOA again. With no step (the client is current) only the SOA.
 */
export function ixfrRecords(soaAt: (serial: number) => ResourceRecord, current: number, diffs: readonly ZoneDiff[]): ResourceRecord[] {
  const now = soaAt(current);
  if (diffs.length === 0) return [now];
  const records: ResourceRecord[] = [now];
  for (const diff of diffs) records.push(soaAt(diff.from), ...diff.deleted, soaAt(diff.to), ...diff.added);
  records.push(now);
  return records;
}

/** Splits records into answer messages; the question goes in the first only. */
export function encodeTransfer(question: TransferQuestion, records: readonly ResourceRecord[]): Buffer[] {
  const flags = Flag.QR | Flag.AA;
  const messages: Buffer[] = [];
  let writer = new MessageWriter().question(question.name, question.type, RRClass.IN);
  let count = 0;
  for (const rr of records) {
    writer.record(1, rr);
    count++;
    if (writer.length > MESSAGE_BUDGET) {
      messages.push(writer.finish(question.id, flags));
      writer = new MessageWriter();
      count = 0;
    }
  }
  if (count > 0 || messages.length === 0) messages.push(writer.finish(question.id, flags));
  return messages;
}
