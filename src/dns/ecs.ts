/** EDNS Client Subnet (RFC 7871): the client network a resolver asks for, and our echo of it. */
import { ipv6Bytes } from './writer.js';

/** EDNS option code of Client Subnet. */
export const ECS_OPTION = 8;

/** The Client Subnet of a query, as sent (RFC 7871 section 6). */
export interface ClientSubnet {
  /** 1 IPv4, 2 IPv6 (IANA address family numbers). */
  family: 1 | 2;
  /** How many leading bits of `address` the resolver sent: 0 asks us not to use its client's address. */
  sourcePrefix: number;
  /** The address, its bits past `sourcePrefix` zero. */
  address: string;
  /** Where the ADDRESS octets sit in the query, and how many there are: a reply echoes them. */
  addressOffset: number;
  addressLength: number;
}

/** What a reply echoes: the query's FAMILY and SOURCE PREFIX-LENGTH, and the SCOPE PREFIX-LENGTH the answer used. */
export interface SubnetEcho {
  family: 1 | 2;
  sourcePrefix: number;
  scopePrefix: number;
}

/**
 * Reads a Client Subnet option's data, `length` bytes at `offset` of `msg`. A string says why it is
 * malformed, which RFC 7871 answers with FORMERR (6: ADDRESS longer or shorter than SOURCE
 * PREFIX-LENGTH needs, or bits set past it; 7.2.1: an unknown FAMILY); a query's SCOPE must be 0.
 */
export function readClientSubnet(msg: Buffer, offset: number, length: number): ClientSubnet | string {
  if (length < 4) return 'EDNS Client Subnet shorter than 4 bytes';
  const family = msg.readUInt16BE(offset);
  if (family !== 1 && family !== 2) return `EDNS Client Subnet of unknown family ${family}`;
  const sourcePrefix = msg[offset + 2];
  const scopePrefix = msg[offset + 3];
  const bits = family === 1 ? 32 : 128;
  if (sourcePrefix > bits) return `EDNS Client Subnet source prefix ${sourcePrefix} is longer than an address`;
  if (scopePrefix !== 0) return `EDNS Client Subnet scope prefix ${scopePrefix} in a query (must be 0)`;
  const addressLength = Math.ceil(sourcePrefix / 8);
  if (length - 4 !== addressLength) return `EDNS Client Subnet address of ${length - 4} bytes for source prefix ${sourcePrefix} (must be ${addressLength})`;
  const addressOffset = offset + 4;
  const spare = addressLength * 8 - sourcePrefix;
  if (spare && msg[addressOffset + addressLength - 1] & ((1 << spare) - 1)) return `EDNS Client Subnet address has bits set past source prefix ${sourcePrefix}`;
  const bytes = Buffer.alloc(bits / 8);
  msg.copy(bytes, 0, addressOffset, addressOffset + addressLength);
  return { family, sourcePrefix, address: formatAddress(bytes), addressOffset, addressLength };
}

/**
 * The option a reply carries: FAMILY, SOURCE PREFIX-LENGTH and SCOPE PREFIX-LENGTH, then zeros
 * for the ADDRESS octets, which each reply fills from its query. It must end the message (the
 * OPT record's last option), so a reply finds the ADDRESS in its last bytes.
 */
export function encodeSubnetEcho(echo: SubnetEcho): Buffer {
  const addressLength = Math.ceil(echo.sourcePrefix / 8);
  const option = Buffer.alloc(8 + addressLength);
  option.writeUInt16BE(ECS_OPTION, 0);
  option.writeUInt16BE(4 + addressLength, 2);
  option.writeUInt16BE(echo.family, 4);
  option[6] = echo.sourcePrefix;
  option[7] = echo.scopePrefix;
  return option;
}

/**
 * The network an ECS subnet stands for, as a `--max-answers` client network: its first
 * `min(SOURCE PREFIX-LENGTH, 24)` bits for IPv4, 56 for IPv6, the lengths a client's own address gets.
 */
export function subnetNetwork(subnet: ClientSubnet): { network: string; prefix: number } {
  const prefix = Math.min(subnet.sourcePrefix, subnet.family === 1 ? 24 : 56);
  if (subnet.family === 1) {
    const masked = subnet.address.split('.').map((octet, i) => Number(octet) & byteMask(prefix - i * 8));
    return { network: `${masked.join('.')}/${prefix}`, prefix };
  }
  // As `clientNetwork` names a client's /56: the network's bytes in hex.
  const bytes = ipv6Bytes(subnet.address).subarray(0, Math.ceil(prefix / 8));
  if (bytes.length) bytes[bytes.length - 1] &= byteMask(prefix - (bytes.length - 1) * 8);
  return { network: `${bytes.toString('hex')}/${prefix}`, prefix };
}

function byteMask(bits: number): number {
  return bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
}

function formatAddress(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}
