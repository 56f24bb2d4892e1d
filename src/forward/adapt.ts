import { Flag, MAX_UDP_SIZE } from '../dns/constants.js';
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
 * for a client that sent none and advertises our size otherwise; a reply larger than the
 * client takes becomes an empty TC=1 answer so the client retries over TCP.
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
  }
  if (bytes.length > limit) {
    const truncated = encodeRcode({ id: 0, flags: inspected.flags }, inspected.rcode, query, (inspected.flags & Flag.RA) !== 0);
    truncated.writeUInt16BE(truncated.readUInt16BE(2) | (inspected.flags & 0x0780) | Flag.TC, 2);
    return { bytes: truncated, ttlOffsets: [], ttls: [] };
  }
  const ttlOffsets = inspected.records.map((r) => (r.ttlOffset > removed.at ? r.ttlOffset - removed.length : r.ttlOffset));
  return { bytes, ttlOffsets, ttls: inspected.records.map((r) => r.ttl) };
}
