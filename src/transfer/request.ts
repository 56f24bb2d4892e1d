import { HEADER_SIZE, RRType } from '../dns/constants.js';
import { readName } from '../dns/names.js';
import { parseQuery, skipName, type Query } from '../dns/query.js';

export interface TransferRequest {
  query: Query;
  kind: 'axfr' | 'ixfr';
  /** IXFR: the serial the client has, from the SOA in its authority section. */
  clientSerial?: number;
}

/**
 * Reads an AXFR or IXFR request of `domain`; undefined for anything else (the query path answers
 * it). Looks at the question type first, so other queries cost a name skip.
 */
export function readTransferRequest(msg: Buffer, domain: string): TransferRequest | undefined | string {
  const end = skipName(msg, HEADER_SIZE);
  if (end < 0 || end + 2 > msg.length) return undefined;
  const type = msg.readUInt16BE(end);
  if (type !== RRType.AXFR && type !== RRType.IXFR) return undefined;
  const parsed = parseQuery(msg);
  if (parsed.kind !== 'query' || parsed.query.name !== domain) return undefined;
  const query = parsed.query;
  if (type === RRType.AXFR) return { query, kind: 'axfr' };
  const serial = ixfrSerial(msg, query.questionEnd);
  return typeof serial === 'string' ? serial : { query, kind: 'ixfr', clientSerial: serial };
}

/** The serial of the SOA in an IXFR request's authority section (RFC 1995 3). */
function ixfrSerial(msg: Buffer, offset: number): number | string {
  if (msg.readUInt16BE(6) !== 0 || msg.readUInt16BE(8) < 1) return 'IXFR without its SOA in the authority section';
  const end = skipName(msg, offset);
  if (end < 0 || end + 10 > msg.length || msg.readUInt16BE(end) !== RRType.SOA) return 'IXFR authority record is not a SOA';
  const mname = readName(msg, end + 10);
  if (typeof mname === 'string') return `IXFR SOA: ${mname}`;
  const rname = readName(msg, mname.end);
  if (typeof rname === 'string' || rname.end + 4 > msg.length) return 'IXFR SOA cut short';
  return msg.readUInt32BE(rname.end);
}
