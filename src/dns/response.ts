import { Flag, MAX_UDP_SIZE, RRClass } from './constants.js';
import { encodeSubnetEcho, type SubnetEcho } from './ecs.js';
import { encodeEdeOptions, type ExtendedError } from './ede.js';
import type { Query } from './query.js';
import type { ResourceRecord, ZoneAnswer } from './records.js';
import { MessageTooLarge, MessageWriter } from './writer.js';

export interface EncodeOptions {
  /** Largest message the client takes; a larger answer goes out empty with TC=1. */
  limit: number;
  authoritative: boolean;
  recursionAvailable: boolean;
  /** The EDNS Client Subnet to echo (RFC 7871), last in the OPT record: its ADDRESS octets end the message, zeros to be filled per reply. */
  subnet?: SubnetEcho;
}

/** Encodes a zone's answer to the query; the question is written lowercased (the cache patches the spelling). */
export function encodeAnswer(query: Query, answer: ZoneAnswer, options: EncodeOptions): Buffer {
  return encode(query, answer, options, false).bytes;
}

/** An answer whose answer-section records may be sent in any order. */
export interface MovableAnswer {
  bytes: Buffer;
  /** Each answer record's start offset, then the section's end; empty when the answer was truncated. */
  records: number[];
}

/**
 * Encodes the answer with nothing pointing into its answer section, so its records can be
 * reordered in the bytes (rotation at send time, see the answer cache).
 */
export function encodeMovableAnswer(query: Query, answer: ZoneAnswer, options: EncodeOptions): MovableAnswer {
  return encode(query, answer, options, true);
}

function encode(query: Query, answer: ZoneAnswer, options: EncodeOptions, movable: boolean): MovableAnswer {
  const flags = responseFlags(query, answer.rcode, options);
  try {
    const writer = start(query);
    if (movable) writer.movableAnswers();
    writeSection(writer, 1, answer.answer);
    writeSection(writer, 2, answer.authority);
    writeSection(writer, 3, answer.additional);
    writeOpt(writer, query, answer.rcode, answer.errors, options.subnet);
    if (writer.length <= options.limit) return { bytes: writer.finish(query.id, flags), records: writer.answerOffsets ?? [] };
  } catch (error) {
    if (!(error instanceof MessageTooLarge)) throw error;
  }
  // Too large for this transport: the client retries over TCP (RFC 1035 4.2.1, RFC 7766).
  const writer = start(query);
  writeOpt(writer, query, answer.rcode, answer.errors, options.subnet);
  return { bytes: writer.finish(query.id, flags | Flag.TC), records: [] };
}

/** An answer carrying only an rcode, echoing the question when it was readable, and why (`errors`, RFC 8914). */
export function encodeRcode(
  header: { id: number; flags: number },
  rcode: number,
  question?: Query,
  recursionAvailable = false,
  errors?: readonly ExtendedError[],
): Buffer {
  const writer = new MessageWriter();
  if (question) writer.question(question.name, question.type, question.class);
  if (question) writeOpt(writer, question, rcode, errors);
  const flags = Flag.QR | (header.flags & (0x7800 | Flag.RD | Flag.CD)) | (recursionAvailable ? Flag.RA : 0);
  return writer.finish(header.id, flags | (rcode & 0xf));
}

function start(query: Query): MessageWriter {
  return new MessageWriter().question(query.name, query.type, query.class || RRClass.IN);
}

/** Our OPT record, for a client that sent one: the upper rcode bits, its DO bit echoed (RFC 3225), our EDEs. */
function writeOpt(writer: MessageWriter, query: Query, rcode: number, errors?: readonly ExtendedError[], subnet?: SubnetEcho): void {
  if (!query.edns) return;
  const ede = errors?.length ? encodeEdeOptions(errors) : undefined;
  const options = subnet ? Buffer.concat([ede ?? Buffer.alloc(0), encodeSubnetEcho(subnet)]) : ede;
  writer.opt(MAX_UDP_SIZE, rcode >> 4, query.edns.dnssecOk, options);
}

function writeSection(writer: MessageWriter, section: 1 | 2 | 3, records: ResourceRecord[]): void {
  for (const rr of records) writer.record(section, rr);
}

function responseFlags(query: Query, rcode: number, options: EncodeOptions): number {
  return (
    Flag.QR |
    (options.authoritative ? Flag.AA : 0) |
    (query.flags & (Flag.RD | Flag.CD)) |
    (options.recursionAvailable ? Flag.RA : 0) |
    (rcode & 0xf)
  );
}

/** A recursive query as the forwarder sends it: RD set, EDNS with our UDP size (RFC 6891). */
export function encodeQuery(
  name: string,
  type: number,
  klass: number,
  options: { dnssecOk?: boolean; checkingDisabled?: boolean } = {},
): Buffer {
  const writer = new MessageWriter().question(name, type, klass);
  writer.opt(MAX_UDP_SIZE, 0, options.dnssecOk);
  return writer.finish(0, Flag.RD | (options.checkingDisabled ? Flag.CD : 0));
}
