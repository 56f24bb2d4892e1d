import type { ExtendedError } from './ede.js';

/** Resource records as dnsbridge builds them: only the types its zone serves. */
export type ResourceRecord =
  | { name: string; ttl: number; type: 'A'; address: string }
  | { name: string; ttl: number; type: 'AAAA'; address: string }
  | { name: string; ttl: number; type: 'NS'; host: string }
  | { name: string; ttl: number; type: 'PTR'; host: string }
  | { name: string; ttl: number; type: 'TXT'; text: string[] }
  | { name: string; ttl: number; type: 'SRV'; priority: number; weight: number; port: number; target: string }
  | {
      name: string;
      ttl: number;
      type: 'SOA';
      mname: string;
      rname: string;
      serial: number;
      refresh: number;
      retry: number;
      expire: number;
      minimum: number;
    };

/** What a zone decided; the encoder turns it into wire bytes. */
export interface ZoneAnswer {
  rcode: number;
  answer: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
  /** Extended DNS Errors for an EDNS client (RFC 8914). */
  errors?: readonly ExtendedError[];
}
