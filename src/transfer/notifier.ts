import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import { Flag, Rcode, RRClass, RRType } from '../dns/constants.js';
import type { ResourceRecord } from '../dns/records.js';
import { MessageWriter } from '../dns/writer.js';
import { formatEndpoint, type Endpoint } from '../forward/endpoint.js';
import { lastMac, signMessages, verifyResponse, type TsigKey } from './tsig.js';

const OPCODE_NOTIFY = 4;
const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 30_000;

/** How one NOTIFY ended, for metrics. */
export type NotifyResult = 'acknowledged' | 'timeout' | 'error' | 'badsig';

export interface NotifyObserver {
  notified(secondary: string, result: NotifyResult): void;
}

interface Secondary {
  endpoint: Endpoint;
  label: string;
  /** The serial to announce; undefined once acknowledged. */
  pending?: number;
  /** The NOTIFY in flight: its ID and MAC (to check a signed acknowledgement). */
  inFlight?: { id: number; serial: number; mac: Buffer };
  timer?: NodeJS.Timeout;
  retryMs: number;
}

/**
 * Tells every --notify secondary about a new serial (RFC 1996): a NOTIFY over UDP, signed when a
 * TSIG key is configured, sent again with growing pauses until the secondary acknowledges it. A
 * newer serial replaces one still unacknowledged.
 */
export class Notifier {
  private readonly secondaries: Secondary[];
  private readonly sockets = new Map<string, dgram.Socket>();
  private stopped = false;

  constructor(
    private readonly domain: string,
    endpoints: readonly Endpoint[],
    private readonly soaAt: (serial: number) => ResourceRecord,
    private readonly key: TsigKey | undefined,
    private readonly observer: NotifyObserver,
    private readonly log: Logger,
  ) {
    this.secondaries = endpoints.map((endpoint) => ({ endpoint, label: formatEndpoint(endpoint), retryMs: FIRST_RETRY_MS }));
  }

  /** Announces `serial` to every secondary. */
  announce(serial: number): void {
    for (const secondary of this.secondaries) {
      secondary.pending = serial;
      secondary.retryMs = FIRST_RETRY_MS;
      if (!secondary.inFlight) this.send(secondary);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const secondary of this.secondaries) clearTimeout(secondary.timer);
    for (const socket of this.sockets.values()) socket.close();
  }

  private send(secondary: Secondary): void {
    if (this.stopped || secondary.pending === undefined) return;
    const serial = secondary.pending;
    const id = randomInt(0, 65536);
    const writer = new MessageWriter().question(this.domain, RRType.SOA, RRClass.IN).record(1, this.soaAt(serial));
    const unsigned = writer.finish(id, (OPCODE_NOTIFY << 11) | Flag.AA);
    const message = this.key ? signMessages([unsigned], this.key, Buffer.alloc(0), Math.floor(Date.now() / 1000))[0] : unsigned;
    secondary.inFlight = { id, serial, mac: this.key ? lastMac(message) : Buffer.alloc(0) };
    this.socketFor(secondary.endpoint).send(message, secondary.endpoint.port, secondary.endpoint.host, (error) => {
      if (error) this.log.warn({ secondary: secondary.label }, `NOTIFY to ${secondary.label} not sent: ${error.message}`);
    });
    clearTimeout(secondary.timer);
    secondary.timer = setTimeout(() => this.unanswered(secondary), secondary.retryMs);
    secondary.timer.unref();
  }

  private unanswered(secondary: Secondary): void {
    this.observer.notified(secondary.label, 'timeout');
    this.log.warn({ secondary: secondary.label, serial: secondary.pending }, `NOTIFY to ${secondary.label} unanswered after ${secondary.retryMs} ms; sending again`);
    secondary.retryMs = Math.min(secondary.retryMs * 2, LAST_RETRY_MS);
    secondary.inFlight = undefined;
    this.send(secondary);
  }

  private received(msg: Buffer, from: dgram.RemoteInfo): void {
    if (msg.length < 12) return;
    const id = msg.readUInt16BE(0);
    const flags = msg.readUInt16BE(2);
    const secondary = this.secondaries.find((s) => s.inFlight?.id === id && s.endpoint.port === from.port && sameHost(s.endpoint.host, from.address));
    if (!secondary || !(flags & Flag.QR) || ((flags >> 11) & 0xf) !== OPCODE_NOTIFY) return;
    const inFlight = secondary.inFlight!;
    const rcode = flags & 0xf;
    let result: NotifyResult = rcode === Rcode.NOERROR ? 'acknowledged' : 'error';
    if (result === 'acknowledged' && this.key && !verifyResponse(msg, this.key, inFlight.mac)) result = 'badsig';
    this.observer.notified(secondary.label, result);
    if (result !== 'acknowledged') {
      this.log.warn({ secondary: secondary.label, rcode }, `NOTIFY to ${secondary.label} answered with ${result === 'badsig' ? 'a signature that does not verify' : `rcode ${rcode}`}; sending again`);
      return;
    }
    clearTimeout(secondary.timer);
    secondary.inFlight = undefined;
    if (secondary.pending === inFlight.serial) secondary.pending = undefined;
    else this.send(secondary);
  }

  private socketFor(endpoint: Endpoint): dgram.Socket {
    const family = isIPv6(endpoint.host) ? 'udp6' : 'udp4';
    let socket = this.sockets.get(family);
    if (!socket) {
      socket = dgram.createSocket(family);
      socket.on('message', (msg, from) => this.received(msg, from));
      socket.on('error', (error) => this.log.warn({ err: error }, 'NOTIFY socket error'));
      socket.unref();
      this.sockets.set(family, socket);
    }
    return socket;
  }
}

function sameHost(configured: string, from: string): boolean {
  return configured === from || `::ffff:${configured}` === from || configured === 'localhost';
}
