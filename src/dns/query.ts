import { CLASSIC_UDP_SIZE, Flag, HEADER_SIZE, MAX_UDP_SIZE, RRType } from './constants.js';
import { ECS_OPTION, readClientSubnet, type ClientSubnet } from './ecs.js';
import { readQuestionName } from './names.js';

/** A query's question, read without building a message object: the hot path reads only this. */
export interface Query {
  id: number;
  flags: number;
  /** Lowercased, dot-separated, no trailing dot; '' for the root. */
  name: string;
  type: number;
  class: number;
  /** Offset just past QTYPE/QCLASS. */
  questionEnd: number;
  /** Offset just past the question's name: bytes 12..nameEnd are the client's spelling. */
  nameEnd: number;
  /** Present when the query carried an OPT record. */
  edns?: { udpSize: number; version: number; dnssecOk: boolean };
  /** EDNS Client Subnet (RFC 7871), when the OPT record carried one. */
  ecs?: ClientSubnet;
}

/**
 * What to do with input that is not a plain query. `drop` when even the header cannot be
 * trusted (too short, or a response: answering responses invites reflection loops).
 */
export type QueryProblem =
  | { kind: 'drop'; reason: string }
  | { kind: 'formerr' | 'notimp' | 'badvers'; reason: string; id: number; flags: number; question?: Query };

export type ParsedQuery = { kind: 'query'; query: Query } | QueryProblem;

export function parseQuery(msg: Buffer): ParsedQuery {
  if (msg.length < HEADER_SIZE) return { kind: 'drop', reason: 'shorter than a header' };
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  if (flags & Flag.QR) return { kind: 'drop', reason: 'a response, not a query' };
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== 0) return { kind: 'notimp', reason: `opcode ${opcode}`, id, flags };
  const qdcount = msg.readUInt16BE(4);
  if (qdcount !== 1) return { kind: 'formerr', reason: `QDCOUNT ${qdcount}`, id, flags };
  const qname = readQuestionName(msg, HEADER_SIZE);
  if (typeof qname === 'string') return { kind: 'formerr', reason: qname, id, flags };
  if (qname.end + 4 > msg.length) return { kind: 'formerr', reason: 'question cut short', id, flags };
  const query: Query = {
    id,
    flags,
    name: qname.name,
    type: msg.readUInt16BE(qname.end),
    class: msg.readUInt16BE(qname.end + 2),
    nameEnd: qname.end,
    questionEnd: qname.end + 4,
  };
  const edns = readEdns(msg, query.questionEnd);
  if (typeof edns === 'string') return { kind: 'formerr', reason: edns, id, flags, question: query };
  if (edns) {
    query.edns = edns.edns;
    if (edns.ecs) query.ecs = edns.ecs;
    if (edns.edns.version !== 0) return { kind: 'badvers', reason: `EDNS version ${edns.edns.version}`, id, flags, question: query };
  }
  return { kind: 'query', query };
}

/** Finds the OPT record among the remaining records; a string is the reason it is malformed. */
function readEdns(msg: Buffer, offset: number): { edns: NonNullable<Query['edns']>; ecs?: ClientSubnet } | string | undefined {
  const records = msg.readUInt16BE(6) + msg.readUInt16BE(8) + msg.readUInt16BE(10);
  let edns: { edns: NonNullable<Query['edns']>; ecs?: ClientSubnet } | undefined;
  for (let i = 0; i < records; i++) {
    const end = skipName(msg, offset);
    if (end < 0 || end + 10 > msg.length) return 'record cut short';
    const type = msg.readUInt16BE(end);
    const rdlength = msg.readUInt16BE(end + 8);
    if (end + 10 + rdlength > msg.length) return 'record data cut short';
    if (type === RRType.OPT) {
      if (edns) return 'more than one OPT record';
      const ttl = msg.readUInt32BE(end + 4);
      const ecs = rdlength ? readOptions(msg, end + 10, rdlength) : undefined;
      if (typeof ecs === 'string') return ecs;
      edns = { edns: { udpSize: msg.readUInt16BE(end + 2), version: (ttl >>> 16) & 0xff, dnssecOk: (ttl & 0x8000) !== 0 } };
      if (ecs) edns.ecs = ecs;
    }
    offset = end + 10 + rdlength;
  }
  return edns;
}

/**
 * The OPT record's options: its Client Subnet, if any; a string is why that is malformed. Options
 * we do not read were never checked, so a broken one past them is ignored as before.
 */
function readOptions(msg: Buffer, offset: number, length: number): ClientSubnet | string | undefined {
  const end = offset + length;
  let ecs: ClientSubnet | undefined;
  while (offset + 4 <= end) {
    const code = msg.readUInt16BE(offset);
    const size = msg.readUInt16BE(offset + 2);
    if (offset + 4 + size > end) return code === ECS_OPTION ? 'EDNS Client Subnet option cut short' : ecs;
    if (code === ECS_OPTION) {
      if (ecs) return 'more than one EDNS Client Subnet option';
      const read = readClientSubnet(msg, offset + 4, size);
      if (typeof read === 'string') return read;
      ecs = read;
    }
    offset += 4 + size;
  }
  return ecs;
}

/** Offset past a name in wire form, following no pointers; -1 when malformed. */
export function skipName(msg: Buffer, offset: number): number {
  for (let hops = 0; hops < 128; hops++) {
    if (offset >= msg.length) return -1;
    const len = msg[offset];
    if (len === 0) return offset + 1;
    if ((len & 0xc0) === 0xc0) return offset + 2 <= msg.length ? offset + 2 : -1;
    if (len & 0xc0) return -1;
    offset += 1 + len;
  }
  return -1;
}

/** The largest response this client can take over UDP (RFC 6891 6.2.5, capped per Flag Day 2020). */
export function udpLimit(query: Query): number {
  if (!query.edns) return CLASSIC_UDP_SIZE;
  return Math.min(Math.max(query.edns.udpSize, CLASSIC_UDP_SIZE), MAX_UDP_SIZE);
}
