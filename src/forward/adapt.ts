import { Flag, MAX_UDP_SIZE, RRType } from '../dns/constants.js';
import type { InspectedResponse } from '../dns/inspect.js';
import type { Query } from '../dns/query.js';
import { encodeRcode } from '../dns/response.js';

export interface AdaptedReply {
  bytes: Buffer;
  ttlOffsets: number[];
  ttls: number[];
}

/**
 * Fits an upstream's reply to our client, changing nothing else: the OPT record is dropped
 * for a client that sent none and advertises our size otherwise (added when the upstream sent
 * none); a reply larger than the client takes becomes an empty TC=1 answer so the client
 * retries over TCP.
 */
export function adaptForClient(reply: Buffer, inspected: InspectedResponse, query: Query, limit: number): AdaptedReply {
  let bytes = reply;
  let removed = { at: Infinity, length: 0 };
  const opt = inspected.opt;
  if (opt && !query.edns) {
    bytes = Buffer.concat([reply.subarray(0, opt.start), reply.subarray(opt.end)]);
    bytes.writeUInt16BE(bytes.readUInt16BE(10) - 1, 10);
    removed = { at: opt.start, length: opt.end - opt.start };
  } else if (opt && reply[opt.start] === 0) {
    bytes = Buffer.from(reply);
    bytes.writeUInt16BE(MAX_UDP_SIZE, opt.start + 3);
  } else if (!opt && query.edns) {
    // An upstream without EDNS: the client still learns ours, as from our own zone's answers.
    bytes = Buffer.concat([reply, optRecord(query.edns.dnssecOk)]);
    bytes.writeUInt16BE(bytes.readUInt16BE(10) + 1, 10);
  }
  if (bytes.length > limit) {
    const truncated = encodeRcode({ id: 0, flags: inspected.flags }, inspected.rcode, query, (inspected.flags & Flag.RA) !== 0);
    truncated.writeUInt16BE(truncated.readUInt16BE(2) | (inspected.flags & 0x0780) | Flag.TC, 2);
    return { bytes: truncated, ttlOffsets: [], ttls: [] };
  }
  const ttlOffsets = inspected.records.map((r) => (r.ttlOffset > removed.at ? r.ttlOffset - removed.length : r.ttlOffset));
  return { bytes, ttlOffsets, ttls: inspected.records.map((r) => r.ttl) };
}

/** Our OPT record (RFC 6891): root owner, our UDP size, version 0, the client's DO bit. */
function optRecord(dnssecOk: boolean): Buffer {
  const opt = Buffer.alloc(11);
  opt.writeUInt16BE(RRType.OPT, 1);
  opt.writeUInt16BE(MAX_UDP_SIZE, 3);
  if (dnssecOk) opt.writeUInt16BE(0x8000, 7);
  return opt;
}
