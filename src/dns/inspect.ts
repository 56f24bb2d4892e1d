import { HEADER_SIZE, RRType } from './constants.js';
import type { Query } from './query.js';
import { readName } from './names.js';

export interface InspectedRecord {
  name: string;
  type: number;
  ttl: number;
  /** Offset of the TTL field, so a cached copy can count it down. */
  ttlOffset: number;
  rdataOffset: number;
  rdlength: number;
  section: 1 | 2 | 3;
}

/** What the forwarder needs to know about an upstream's response. */
export interface InspectedResponse {
  id: number;
  flags: number;
  rcode: number;
  truncated: boolean;
  question?: { name: string; type: number; class: number; nameEnd: number };
  records: InspectedRecord[];
  /** The OPT record's bytes, [start, end). */
  opt?: { start: number; end: number };
}

/** Walks a response without decoding record data; a string is why it is malformed. */
export function inspectResponse(msg: Buffer): InspectedResponse | string {
  if (msg.length < HEADER_SIZE) return 'shorter than a header';
  const flags = msg.readUInt16BE(2);
  const qdcount = msg.readUInt16BE(4);
  if (qdcount > 1) return `QDCOUNT ${qdcount}`;
  const response: InspectedResponse = {
    id: msg.readUInt16BE(0),
    flags,
    rcode: flags & 0xf,
    truncated: (flags & 0x0200) !== 0,
    records: [],
  };
  let offset = HEADER_SIZE;
  if (qdcount === 1) {
    const name = readName(msg, offset);
    if (typeof name === 'string') return name;
    if (name.end + 4 > msg.length) return 'question cut short';
    response.question = {
      name: name.name,
      type: msg.readUInt16BE(name.end),
      class: msg.readUInt16BE(name.end + 2),
      nameEnd: name.end,
    };
    offset = name.end + 4;
  }
  const counts = [msg.readUInt16BE(6), msg.readUInt16BE(8), msg.readUInt16BE(10)];
  for (let section = 1 as 1 | 2 | 3; section <= 3; section++) {
    for (let i = 0; i < counts[section - 1]; i++) {
      const start = offset;
      const name = readName(msg, offset);
      if (typeof name === 'string') return name;
      if (name.end + 10 > msg.length) return 'record cut short';
      const type = msg.readUInt16BE(name.end);
      const rdlength = msg.readUInt16BE(name.end + 8);
      const end = name.end + 10 + rdlength;
      if (end > msg.length) return 'record data cut short';
      if (type === RRType.OPT) {
        response.opt = { start, end };
        response.rcode |= msg[name.end + 4] << 4;
      } else {
        response.records.push({
          name: name.name,
          type,
          ttl: msg.readUInt32BE(name.end + 4),
          ttlOffset: name.end + 4,
          rdataOffset: name.end + 10,
          rdlength,
          section,
        });
      }
      offset = end;
    }
  }
  return response;
}

/** True when the response answers exactly this question (a spoofed or stray reply does not). */
export function answersQuestion(response: InspectedResponse, query: Pick<Query, 'name' | 'type' | 'class'>): boolean {
  const q = response.question;
  return q !== undefined && q.name === query.name && q.type === query.type && q.class === query.class;
}

/**
 * How long a forwarded response may be cached, in seconds: the smallest TTL of a positive
 * answer; for a negative one the SOA's minimum capped by its TTL (RFC 2308 5); 0 = do not cache.
 */
export function cacheSeconds(response: InspectedResponse, msg: Buffer): number {
  if (response.rcode !== 0 && response.rcode !== 3) return 0;
  const answers = response.records.filter((r) => r.section === 1);
  if (response.rcode === 0 && answers.length) return Math.min(...response.records.map((r) => r.ttl));
  const soa = response.records.find((r) => r.section === 2 && r.type === RRType.SOA);
  if (!soa || soa.rdlength < 22) return 0;
  const minimum = msg.readUInt32BE(soa.rdataOffset + soa.rdlength - 4);
  return Math.min(soa.ttl, minimum);
}
