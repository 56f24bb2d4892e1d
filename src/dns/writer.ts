import { isIPv4 } from 'node:net';
import { HEADER_SIZE, MAX_TCP_SIZE, RRClass, RRType } from './constants.js';
import { nameLabels } from './names.js';
import type { ResourceRecord } from './records.js';

/** Thrown when a message would pass 65,535 bytes. */
export class MessageTooLarge extends Error {
  readonly code = 'EMSGSIZE';
}

/**
 * Writes one DNS message. Hand-written rather than dns-packet because dns-packet never
 * compresses names: answers could then not point at the question (whose spelling the cache
 * patches per client) and 100-provider answers grow by half. Encoding runs on cache misses only.
 */
export class MessageWriter {
  // One scratch buffer per process: encoding is synchronous and the result is copied out.
  private static scratch = Buffer.alloc(MAX_TCP_SIZE);
  private readonly buf = MessageWriter.scratch;
  private offset = HEADER_SIZE;
  private readonly suffixes = new Map<string, number>();
  private readonly counts = [0, 0, 0, 0];
  /** Where each answer-section record starts, when they must stay movable (see `movableAnswers`). */
  private answerStarts?: number[];
  private answerEnd = 0;
  /** False while writing a movable record: its names must not be pointed at. */
  private referable = true;

  /**
   * Keeps the answer section's records movable: nothing points into them, so a reply may send
   * them in any order (rotation at send time). Names in later sections are then written out
   * where they would have pointed at an SRV target.
   */
  movableAnswers(): this {
    this.answerStarts = [];
    return this;
  }

  /** The answer records' start offsets followed by the section's end, when `movableAnswers` was asked for. */
  get answerOffsets(): number[] | undefined {
    return this.answerStarts && [...this.answerStarts, this.answerEnd];
  }

  question(name: string, type: number, klass: number): this {
    this.name(name, true);
    this.u16(type).u16(klass);
    this.counts[0]++;
    return this;
  }

  /** Appends a record to section 1 (answer), 2 (authority) or 3 (additional). */
  record(section: 1 | 2 | 3, rr: ResourceRecord): this {
    const movable = section === 1 && this.answerStarts !== undefined;
    if (movable) this.answerStarts!.push(this.offset);
    this.referable = !movable;
    this.name(rr.name, true);
    this.u16(RRType[rr.type]).u16(RRClass.IN).u32(rr.ttl);
    const lengthAt = this.offset;
    this.u16(0);
    this.rdata(rr);
    this.buf.writeUInt16BE(this.offset - lengthAt - 2, lengthAt);
    this.counts[section]++;
    this.referable = true;
    if (movable) this.answerEnd = this.offset;
    return this;
  }

  /** The EDNS OPT pseudo-record (RFC 6891); `extendedRcode` is the rcode's upper 8 bits, `options` its RDATA. */
  opt(udpSize: number, extendedRcode = 0, dnssecOk = false, options?: Buffer): this {
    this.u8(0).u16(RRType.OPT).u16(udpSize).u8(extendedRcode).u8(0).u16(dnssecOk ? 0x8000 : 0);
    this.u16(options?.length ?? 0);
    if (options) this.bytes(options);
    this.counts[3]++;
    return this;
  }

  get length(): number {
    return this.offset;
  }

  finish(id: number, flags: number): Buffer {
    const out = Buffer.allocUnsafe(this.offset);
    this.buf.copy(out, 0, 0, this.offset);
    out.writeUInt16BE(id, 0);
    out.writeUInt16BE(flags, 2);
    for (let i = 0; i < 4; i++) out.writeUInt16BE(this.counts[i], 4 + 2 * i);
    return out;
  }

  private rdata(rr: ResourceRecord): void {
    switch (rr.type) {
      case 'A':
        this.ipv4(rr.address);
        return;
      case 'AAAA':
        this.ipv6(rr.address);
        return;
      case 'NS':
      case 'PTR':
        this.name(rr.host, true);
        return;
      case 'TXT':
        for (const text of rr.text) this.characterString(text);
        return;
      case 'SRV':
        // RFC 2782: the target must not be compressed (c-ares >= 1.34.7 rejects it).
        this.u16(rr.priority).u16(rr.weight).u16(rr.port).name(rr.target, false);
        return;
      case 'SOA':
        this.name(rr.mname, true).name(rr.rname, true);
        this.u32(rr.serial).u32(rr.refresh).u32(rr.retry).u32(rr.expire).u32(rr.minimum);
        return;
    }
  }

  /** Writes a name, pointing at an earlier copy of its longest known suffix when `compress`. */
  private name(name: string, compress: boolean): this {
    const labels = nameLabels(name);
    const keys = suffixKeys(name, labels.length);
    for (let i = 0; i < labels.length; i++) {
      const earlier = this.suffixes.get(keys[i]);
      if (compress && earlier !== undefined) return this.u16(0xc000 | earlier);
      if (earlier === undefined && this.referable && this.offset < 0x3fff) this.suffixes.set(keys[i], this.offset);
      this.u8(labels[i].length);
      this.bytes(labels[i]);
    }
    return this.u8(0);
  }

  private characterString(text: string): void {
    const bytes = Buffer.from(text, 'utf8').subarray(0, 255);
    this.u8(bytes.length).bytes(bytes);
  }

  private ipv4(address: string): void {
    for (const part of address.split('.')) this.u8(Number(part));
  }

  private ipv6(address: string): void {
    this.bytes(ipv6Bytes(address));
  }

  private bytes(data: Buffer): this {
    if (this.offset + data.length > this.buf.length) throw new MessageTooLarge('message over 65535 bytes');
    data.copy(this.buf, this.offset);
    this.offset += data.length;
    return this;
  }

  private u8(value: number): this {
    this.check(1);
    this.buf[this.offset++] = value;
    return this;
  }

  private u16(value: number): this {
    this.check(2);
    this.buf.writeUInt16BE(value, this.offset);
    this.offset += 2;
    return this;
  }

  private u32(value: number): this {
    this.check(4);
    this.buf.writeUInt32BE(value >>> 0, this.offset);
    this.offset += 4;
    return this;
  }

  private check(size: number): void {
    if (this.offset + size > this.buf.length) throw new MessageTooLarge('message over 65535 bytes');
  }
}

function suffixKeys(name: string, count: number): string[] {
  const lower = (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
  const keys: string[] = [];
  let rest = lower;
  for (let i = 0; i < count; i++) {
    keys.push(rest);
    const dot = rest.indexOf('.');
    rest = dot < 0 ? '' : rest.slice(dot + 1);
  }
  return keys;
}

/** The 16 bytes of an IPv6 address in text form, including the embedded-IPv4 form. */
export function ipv6Bytes(address: string): Buffer {
  let text = address.split('%')[0];
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (isIPv4(tail)) {
    const [a, b, c, d] = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest ? rest.split(':') : [];
  const fill = rest === undefined ? 0 : Math.max(0, 8 - headGroups.length - restGroups.length);
  const groups = [...headGroups, ...new Array<string>(fill).fill('0'), ...restGroups];
  const out = Buffer.alloc(16);
  groups.slice(0, 8).forEach((group, i) => out.writeUInt16BE(parseInt(group, 16) || 0, i * 2));
  return out;
}
