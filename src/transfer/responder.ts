import type { Logger } from 'pino';
import { Rcode, RRClass } from '../dns/constants.js';
import { EdeCode } from '../dns/ede.js';
import { encodeRcode } from '../dns/response.js';
import type { ClientAcl } from '../server/acl.js';
import { axfrRecords, encodeTransfer, ixfrRecords } from './messages.js';
import { readTransferRequest, type TransferRequest } from './request.js';
import { macWithSize, signMessages, tsigErrorRecord, TsigErrorName, verifyRequest, type TsigKey } from './tsig.js';
import type { ZoneVersions } from './zone-versions.js';

/** How a transfer request ended, for metrics and the status page. */
export type TransferResult = 'ok' | 'refused' | 'notauth';

/** The last transfer of one secondary. */
export interface TransferRecord {
  client: string;
  /** `axfr`, `ixfr`, or `ixfr-axfr` when an IXFR was answered with the whole zone. */
  type: string;
  result: TransferResult;
  serial: number;
  messages: number;
  records: number;
  at: number;
  /** Why it was refused. */
  reason?: string;
}

export interface TransferObserver {
  transferred(record: TransferRecord): void;
}

/**
 * Answers AXFR and IXFR of our zone on the DNS sockets: checks the client against
 * --transfer-allow and the request's TSIG, then sends the zone (or its changes) in as many
 * messages as needed, each signed when a key is configured.
 */
export class TransferResponder {
  constructor(
    private readonly versions: ZoneVersions,
    private readonly allow: ClientAcl,
    private readonly key: TsigKey | undefined,
    private readonly observer: TransferObserver,
    private readonly log: Logger,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** The answer messages to a transfer request; undefined when `msg` is not one (the query path answers it). */
  handle(msg: Buffer, client: string, tcp: boolean): Buffer[] | undefined {
    const request = readTransferRequest(msg, this.versions.options.domain);
    if (request === undefined) return undefined;
    if (typeof request === 'string') {
      this.log.warn({ client }, `transfer request from ${client} malformed: ${request}`);
      return [encodeRcode(headerOf(msg), Rcode.FORMERR)];
    }
    const { query } = request;
    const what = `${request.kind.toUpperCase()} of ${query.name}`;
    if (!this.allow.allows(client)) return this.refuse(request, client, `client ${client} is not in --transfer-allow`);
    let requestMac: Buffer = Buffer.alloc(0);
    if (this.key) {
      const check = verifyRequest(msg, this.key, this.nowSeconds());
      if (typeof check === 'string') return this.refuse(request, client, `${what}: TSIG record malformed: ${check}`);
      if (check.kind === 'unsigned') return this.refuse(request, client, `${what} is not signed; TSIG key "${this.key.name}" is required`);
      if (check.kind === 'invalid') {
        const reason = `${what}: TSIG ${TsigErrorName[check.error]}: ${check.reason}`;
        this.log.warn({ client, tsigError: TsigErrorName[check.error] }, `transfer refused to ${client}: ${reason}`);
        this.observer.transferred({ client, type: request.kind, result: 'notauth', serial: this.versions.serial, messages: 1, records: 0, at: Date.now(), reason });
        const answer = encodeRcode(query, Rcode.NOTAUTH, query);
        return [tsigErrorRecord(answer, this.key, check.record, check.error, this.nowSeconds())];
      }
      requestMac = macWithSize(check.record.mac);
    }
    const { type, records } = this.answer(request, tcp);
    const question = { id: query.id, name: query.name, type: query.type };
    const unsigned = encodeTransfer(question, records);
    const messages = this.key ? signMessages(unsigned, this.key, requestMac, this.nowSeconds()) : unsigned;
    const serial = this.versions.serial;
    this.observer.transferred({ client, type, result: 'ok', serial, messages: messages.length, records: records.length, at: Date.now() });
    this.log.info({ client, type, serial, messages: messages.length, records: records.length }, `${type.toUpperCase()} of ${query.name} at serial ${serial} to ${client}`);
    return messages;
  }

  /** What to send: the zone, or its changes since the client's serial, or over UDP only the SOA. */
  private answer(request: TransferRequest, tcp: boolean): { type: string; records: ReturnType<typeof axfrRecords> } {
    const versions = this.versions;
    const soaAt = (serial: number) => versions.soa(serial);
    if (request.kind === 'ixfr') {
      // Over UDP the SOA alone tells the client to come back over TCP (RFC 1995 2).
      if (!tcp || request.clientSerial === versions.serial) return { type: 'ixfr', records: [soaAt(versions.serial)] };
      const diffs = versions.diffsSince(request.clientSerial!);
      if (diffs) return { type: 'ixfr', records: ixfrRecords(soaAt, versions.serial, diffs) };
    }
    const snapshot = versions.snapshot();
    return { type: request.kind === 'ixfr' ? 'ixfr-axfr' : 'axfr', records: axfrRecords(snapshot.soa, snapshot.records) };
  }

  /** REFUSED with the reason in an Extended DNS Error (Prohibited, RFC 8914), logged; nothing of the zone. */
  private refuse(request: TransferRequest, client: string, reason: string): Buffer[] {
    this.log.warn({ client }, `transfer refused to ${client}: ${reason}`);
    this.observer.transferred({ client, type: request.kind, result: 'refused', serial: this.versions.serial, messages: 1, records: 0, at: Date.now(), reason });
    const query = request.query;
    return [encodeRcode(query, Rcode.REFUSED, { ...query, class: query.class || RRClass.IN }, false, [{ code: EdeCode.Prohibited, text: reason }])];
  }
}

function headerOf(msg: Buffer): { id: number; flags: number } {
  return { id: msg.readUInt16BE(0), flags: msg.readUInt16BE(2) };
}
