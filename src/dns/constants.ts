/** DNS numbers used by dnsbridge (RFC 1035, 2782, 3596, 6891). */
export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

export const RRClass = { IN: 1, ANY: 255 } as const;

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  NOTAUTH: 9,
  /** Extended rcode 16, carried half in the header and half in OPT. */
  BADVERS: 16,
} as const;

export const RcodeName: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  9: 'NOTAUTH',
  16: 'BADVERS',
};

const typeNames = new Map<number, string>(Object.entries(RRType).map(([name, code]) => [code, name]));

export function typeName(type: number): string {
  return typeNames.get(type) ?? `TYPE${type}`;
}

export const HEADER_SIZE = 12;
/** Without EDNS a UDP answer must fit in 512 bytes (RFC 1035 4.2.1). */
export const CLASSIC_UDP_SIZE = 512;
/** DNS Flag Day 2020: the largest UDP payload that avoids IP fragmentation everywhere. */
export const MAX_UDP_SIZE = 1232;
export const MAX_TCP_SIZE = 65535;

/** Header flag bits, in the 16-bit flags word. */
export const Flag = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  AD: 0x0020,
  CD: 0x0010,
} as const;
