import { isIPv4 } from 'node:net';
import { ipv6Bytes } from '../dns/writer.js';

/** An address an answer could hold, with the weight of the providers behind it. */
export interface Candidate {
  address: string;
  weight: number;
}

/**
 * The network a client's subset is chosen for: its /24 (IPv4) or /56 (IPv6), so clients of one
 * network share an answer and the cache holds one per subset, never one per client.
 */
export function clientNetwork(client: string): string {
  const address = client.startsWith('::ffff:') && isIPv4(client.slice(7)) ? client.slice(7) : client;
  if (isIPv4(address)) return `${address.slice(0, address.lastIndexOf('.'))}.0/24`;
  return `${ipv6Bytes(address).subarray(0, 7).toString('hex')}/56`;
}

/**
 * The `count` candidates with the highest weighted rendezvous score for `network` (highest
 * random weight, Thaler and Ravishankar): each candidate wins a network with a probability
 * proportional to its weight, a network keeps its choice while the candidates stay, and when
 * one leaves only the networks it had move. Returned sorted by address.
 */
export function rendezvous(network: string, candidates: readonly Candidate[], count: number): string[] {
  const scored = candidates.map((c) => ({ address: c.address, score: c.weight / -Math.log(unitHash(`${network}|${c.address}`)) }));
  scored.sort((a, b) => b.score - a.score || (a.address < b.address ? -1 : 1));
  return scored
    .slice(0, count)
    .map((c) => c.address)
    .sort();
}

/** A hash of `text` in (0, 1): FNV-1a, then murmur3's finalizer so similar texts spread evenly. */
function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 0) + 0.5) / 4294967296;
}
