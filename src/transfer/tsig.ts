import { createHmac, timingSafeEqual } from 'node:crypto';
import { HEADER_SIZE, RRClass } from '../dns/constants.js';
import { nameLabels, readName } from '../dns/names.js';
import { skipName } from '../dns/query.js';

/** A TSIG key (RFC 8945): its name, and the shared secret (hmac-sha256 only). */
export interface TsigKey {
  name: string;
  secret: Buffer;
}

export const TSIG_TYPE = 250;
export const HMAC_SHA256 = 'hmac-sha256';
/** Seconds of clock difference a signature may show (RFC 8945 10: 300 recommended). */
const FUDGE = 300;

/** TSIG error codes (RFC 8945 5.2). */
export const TsigError = { NONE: 0, BADSIG: 16, BADKEY: 17, BADTIME: 18 } as const;
export const TsigErrorName: Record<number, string> = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME' };

/** The TSIG record at the end of a message, as read from the wire. */
export interface TsigRecord {
  keyName: string;
  algorithm: string;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
  /** Where the record starts: the message without it is `msg.subarray(0, start)`. */
  start: number;
}

/** What a request's signature says: unsigned, valid (with its MAC, to chain the answer's), or why not. */
export type TsigCheck =
  | { kind: 'unsigned' }
  | { kind: 'valid'; record: TsigRecord }
  | { kind: 'invalid'; error: number; reason: string; record: TsigRecord };

/** Finds the TSIG record, which must be the last of the additional section; undefined when there is none. */
export function findTsig(msg: Buffer): TsigRecord | undefined | string {
  const counts = [4, 6, 8, 10].map((at) => msg.readUInt16BE(at));
  const total = counts[1] + counts[2] + counts[3];
  let offset = HEADER_SIZE;
  for (let i = 0; i < counts[0]; i++) offset = skipName(msg, offset) + 4;
  for (let i = 0; i < total; i++) {
    const start = offset;
    const end = skipName(msg, offset);
    if (end < 0 || end + 10 > msg.length) return 'record cut short';
    const type = msg.readUInt16BE(end);
    const rdlength = msg.readUInt16BE(end + 8);
    offset = end + 10 + rdlength;
    if (offset > msg.length) return 'record data cut short';
    if (type !== TSIG_TYPE) continue;
    if (i !== total - 1 || counts[3] === 0) return 'TSIG is not the last record';
    return readTsig(msg, start, end + 10);
  }
  return undefined;
}

function readTsig(msg: Buffer, start: number, rdata: number): TsigRecord | string {
  const keyName = readName(msg, start);
  const algorithm = readName(msg, rdata);
  if (typeof keyName === 'string' || typeof algorithm === 'string') return 'bad TSIG name';
  let at = algorithm.end;
  if (at + 10 > msg.length) return 'TSIG cut short';
  const timeSigned = msg.readUIntBE(at, 6);
  const fudge = msg.readUInt16BE(at + 6);
  const macSize = msg.readUInt16BE(at + 8);
  at += 10;
  if (at + macSize + 6 > msg.length) return 'TSIG cut short';
  const mac = msg.subarray(at, at + macSize);
  at += macSize;
  const originalId = msg.readUInt16BE(at);
  const error = msg.readUInt16BE(at + 2);
  const otherLength = msg.readUInt16BE(at + 4);
  const other = msg.subarray(at + 6, at + 6 + otherLength);
  return { keyName: keyName.name, algorithm: algorithm.name, timeSigned, fudge, mac, originalId, error, other, start };
}

/** Checks a request's TSIG against `key` (RFC 8945 5.2): key and algorithm, then MAC, then time. */
export function verifyRequest(msg: Buffer, key: TsigKey, nowSeconds: number): TsigCheck | string {
  const record = findTsig(msg);
  if (typeof record === 'string') return record;
  if (!record) return { kind: 'unsigned' };
  if (record.keyName !== key.name.toLowerCase() || record.algorithm !== HMAC_SHA256) {
    return { kind: 'invalid', error: TsigError.BADKEY, reason: `signed with key "${record.keyName}" (${record.algorithm}), not "${key.name}" (${HMAC_SHA256})`, record };
  }
  const expected = mac(key, Buffer.alloc(0), unsignedMessage(msg, record), variables(key, record.timeSigned, record.fudge, record.error, record.other));
  if (record.mac.length !== expected.length || !timingSafeEqual(record.mac, expected)) {
    return { kind: 'invalid', error: TsigError.BADSIG, reason: `the signature does not verify with key "${key.name}" (a different secret?)`, record };
  }
  if (Math.abs(nowSeconds - record.timeSigned) > record.fudge) {
    return { kind: 'invalid', error: TsigError.BADTIME, reason: `signed at ${record.timeSigned}, ${nowSeconds - record.timeSigned} s from our clock (fudge ${record.fudge} s)`, record };
  }
  return { kind: 'valid', record };
}

/**
 * Signs the messages of one answer (or one request when `requestMac` is empty): the first covers
 * the request's MAC and every TSIG variable, each later one the previous MAC, the message and the
 * timers only (RFC 8945 5.3.1), so a secondary can check that none was dropped or reordered.
 */
export function signMessages(messages: readonly Buffer[], key: TsigKey, requestMac: Buffer, nowSeconds: number, error = 0, other = Buffer.alloc(0)): Buffer[] {
  let prior = requestMac;
  return messages.map((message, i) => {
    const covered = i === 0 ? variables(key, nowSeconds, FUDGE, error, other) : timers(nowSeconds, FUDGE);
    const signature = mac(key, prior, message, covered);
    prior = macWithSize(signature);
    return appendTsig(message, key, nowSeconds, signature, error, other);
  });
}

/** Checks a signed answer to our request (a NOTIFY's acknowledgement); true when its MAC verifies. */
export function verifyResponse(msg: Buffer, key: TsigKey, requestMac: Buffer): boolean {
  const record = findTsig(msg);
  if (!record || typeof record === 'string' || record.keyName !== key.name.toLowerCase()) return false;
  const expected = mac(key, requestMac, unsignedMessage(msg, record), variables(key, record.timeSigned, record.fudge, record.error, record.other));
  return record.mac.length === expected.length && timingSafeEqual(record.mac, expected);
}

/** An answer telling the client why its signature failed: unsigned, except BADTIME (RFC 8945 5.3.2). */
export function tsigErrorRecord(message: Buffer, key: TsigKey, request: TsigRecord, error: number, nowSeconds: number): Buffer {
  if (error === TsigError.BADTIME) {
    const other = Buffer.alloc(6);
    other.writeUIntBE(nowSeconds, 0, 6);
    return signMessages([message], key, macWithSize(request.mac), request.timeSigned, error, other)[0];
  }
  return appendTsig(message, { name: request.keyName, secret: Buffer.alloc(0) }, request.timeSigned, Buffer.alloc(0), error, Buffer.alloc(0), request.algorithm);
}

/** The MAC as the next message's digest starts with it: its length, then the MAC. */
export function macWithSize(mac: Buffer): Buffer {
  const out = Buffer.alloc(2 + mac.length);
  out.writeUInt16BE(mac.length, 0);
  mac.copy(out, 2);
  return out;
}

/** The MAC of the last message `signMessages` signed, for the next message's chain or a response check. */
export function lastMac(signed: Buffer): Buffer {
  const record = findTsig(signed);
  if (!record || typeof record === 'string') throw new Error('message is not signed');
  return macWithSize(record.mac);
}

function mac(key: TsigKey, prior: Buffer, message: Buffer, covered: Buffer): Buffer {
  const hmac = createHmac('sha256', key.secret);
  if (prior.length) hmac.update(prior);
  hmac.update(message);
  hmac.update(covered);
  return hmac.digest();
}

/** The request as it was before signing: without its TSIG, ARCOUNT one lower, the original ID. */
function unsignedMessage(msg: Buffer, record: TsigRecord): Buffer {
  const out = Buffer.from(msg.subarray(0, record.start));
  out.writeUInt16BE(record.originalId, 0);
  out.writeUInt16BE(out.readUInt16BE(10) - 1, 10);
  return out;
}

/** Name, class ANY, TTL 0, algorithm, time, fudge, error, other data (RFC 8945 4.3.3). */
function variables(key: TsigKey, time: number, fudge: number, error: number, other: Buffer, algorithm = HMAC_SHA256): Buffer {
  const fixed = Buffer.alloc(6);
  fixed.writeUInt16BE(RRClass.ANY, 0);
  const tail = Buffer.alloc(4 + other.length);
  tail.writeUInt16BE(error, 0);
  tail.writeUInt16BE(other.length, 2);
  other.copy(tail, 4);
  return Buffer.concat([wireName(key.name), fixed, wireName(algorithm), timers(time, fudge), tail]);
}

function timers(time: number, fudge: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeUIntBE(time, 0, 6);
  out.writeUInt16BE(fudge, 6);
  return out;
}

function appendTsig(message: Buffer, key: TsigKey, time: number, signature: Buffer, error: number, other: Buffer, algorithm = HMAC_SHA256): Buffer {
  const rdata = Buffer.concat([wireName(algorithm), timers(time, FUDGE), macWithSize(signature), u16s(message.readUInt16BE(0), error, other.length), other]);
  const header = Buffer.alloc(10);
  header.writeUInt16BE(TSIG_TYPE, 0);
  header.writeUInt16BE(RRClass.ANY, 2);
  header.writeUInt16BE(rdata.length, 8);
  const out = Buffer.concat([message, wireName(key.name), header, rdata]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return out;
}

function u16s(...values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 2);
  values.forEach((value, i) => out.writeUInt16BE(value, i * 2));
  return out;
}

/** A name in canonical wire form: lowercased, uncompressed. */
function wireName(name: string): Buffer {
  const labels = nameLabels(name.toLowerCase());
  return Buffer.concat([...labels.flatMap((label) => [Buffer.from([label.length]), label]), Buffer.from([0])]);
}
