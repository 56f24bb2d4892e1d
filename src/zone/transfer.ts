import { Rcode, RRType } from '../dns/constants.js';
import { EdeCode, type ExtendedError } from '../dns/ede.js';

export function isTransfer(type: number): boolean {
  return type === RRType.AXFR || type === RRType.IXFR;
}

/**
 * Our answer to AXFR and IXFR while no transfers are configured, over UDP and TCP alike.
 * The zone itself gets REFUSED with Prohibited, the policy refusal RFC 5936 2.2.1 names (NSD
 * answers the same); NOTAUTH stays free for what RFC 8945 uses it for, a transfer whose TSIG
 * fails. A name under the zone that is not a zone gets NOTAUTH with Not Authoritative, as Knot
 * answers a transfer of a zone it does not serve.
 */
export function refuseTransfer(name: string, domain: string): { rcode: number; errors: ExtendedError[] } {
  if (name !== domain) {
    return { rcode: Rcode.NOTAUTH, errors: [{ code: EdeCode.NotAuthoritative, text: `${name} is not a zone; the zone is ${domain}` }] };
  }
  return { rcode: Rcode.REFUSED, errors: [{ code: EdeCode.Prohibited, text: `zone transfers of ${domain} are not allowed` }] };
}
