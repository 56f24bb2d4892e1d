/** Extended DNS Errors (RFC 8914): why an answer is what it is, carried in the OPT record. */

/** The INFO-CODEs dnsbridge sends (RFC 8914 section 4). */
export const EdeCode = {
  StaleAnswer: 3,
  Prohibited: 18,
  NotAuthoritative: 20,
  NoReachableAuthority: 22,
  NetworkError: 23,
} as const;

export interface ExtendedError {
  code: number;
  /** EXTRA-TEXT: names the source, upstream or rule behind the code. */
  text: string;
}

/** EDNS option code of an Extended DNS Error. */
export const EDE_OPTION = 15;
/** EXTRA-TEXT is kept short: it rides in UDP answers capped at 1232 bytes. */
const MAX_TEXT_BYTES = 200;

/** The OPT record's RDATA for `errors`: one option each (code 15, length, INFO-CODE, EXTRA-TEXT). */
export function encodeEdeOptions(errors: readonly ExtendedError[]): Buffer {
  const options = errors.map((error) => {
    const text = Buffer.from(error.text, 'utf8').subarray(0, MAX_TEXT_BYTES);
    const option = Buffer.allocUnsafe(6 + text.length);
    option.writeUInt16BE(EDE_OPTION, 0);
    option.writeUInt16BE(2 + text.length, 2);
    option.writeUInt16BE(error.code, 4);
    text.copy(option, 6);
    return option;
  });
  return Buffer.concat(options);
}
