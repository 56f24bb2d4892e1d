/**
 * DNS messages built byte by byte for tests, so malformed input can be written as easily as
 * good input, and good input does not depend on the code under test.
 */

export interface HeaderFields {
  id?: number;
  flags?: number;
  qdcount?: number;
  ancount?: number;
  nscount?: number;
  arcount?: number;
}

export function header(fields: HeaderFields = {}): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(fields.id ?? 0x1234, 0);
  out.writeUInt16BE(fields.flags ?? 0x0100, 2);
  out.writeUInt16BE(fields.qdcount ?? 1, 4);
  out.writeUInt16BE(fields.ancount ?? 0, 6);
  out.writeUInt16BE(fields.nscount ?? 0, 8);
  out.writeUInt16BE(fields.arcount ?? 0, 10);
  return out;
}

/** A name in wire form from its labels, uncompressed: `wireName('api', 'service', 'local')`. */
export function wireName(...labels: (string | Buffer)[]): Buffer {
  const parts = labels.map((label) => (typeof label === 'string' ? Buffer.from(label, 'latin1') : label));
  return Buffer.concat([...parts.flatMap((label) => [Buffer.from([label.length]), label]), Buffer.from([0])]);
}

export function dottedName(name: string): Buffer {
  return wireName(...(name === '' ? [] : name.split('.')));
}

export function u16(...values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 2);
  values.forEach((value, i) => out.writeUInt16BE(value, i * 2));
  return out;
}

export interface OptFields {
  udpSize?: number;
  extendedRcode?: number;
  version?: number;
  dnssecOk?: boolean;
  rdata?: Buffer;
}

/** An OPT pseudo-record (RFC 6891) with the root as its owner. */
export function opt(fields: OptFields = {}): Buffer {
  const out = Buffer.alloc(11);
  out.writeUInt16BE(41, 1);
  out.writeUInt16BE(fields.udpSize ?? 1232, 3);
  out[5] = fields.extendedRcode ?? 0;
  out[6] = fields.version ?? 0;
  out.writeUInt16BE(fields.dnssecOk ? 0x8000 : 0, 7);
  const rdata = fields.rdata ?? Buffer.alloc(0);
  out.writeUInt16BE(rdata.length, 9);
  return Buffer.concat([out, rdata]);
}

/** A well-formed query: RD set, one question, an OPT record when `edns` is given. */
export function query(name: string, type: number, options: { id?: number; edns?: OptFields; klass?: number } = {}): Buffer {
  return Buffer.concat([
    header({ id: options.id, arcount: options.edns ? 1 : 0 }),
    dottedName(name),
    u16(type, options.klass ?? 1),
    options.edns ? opt(options.edns) : Buffer.alloc(0),
  ]);
}
