import { randomInt } from 'node:crypto';
import { Rcode } from '../dns/constants.js';
import { answersQuestion, inspectResponse, type InspectedResponse } from '../dns/inspect.js';
import { encodeQuery } from '../dns/response.js';
import type { Endpoint } from './endpoint.js';
import { exchangeTcp, UdpPool, UpstreamError } from './transport.js';

export interface ForwarderOptions {
  /** One try at one upstream; then the next upstream is tried. */
  timeoutMs: number;
  /** Upstream queries in flight at once; past it queries fail at once rather than pile up. */
  maxInFlight: number;
}

export interface Question {
  name: string;
  type: number;
  class: number;
  dnssecOk?: boolean;
  checkingDisabled?: boolean;
  /**
   * Ask over TCP from the start: the client asked us over TCP. Some servers trim UDP answers
   * without setting TC (Consul's DNS does unless `enable_truncate`, agent/dns.go), so only TCP
   * gets such a client what it would get asking the server itself over TCP.
   */
  tcp?: boolean;
}

export interface ForwardedReply {
  reply: Buffer;
  inspected: InspectedResponse;
  upstream: Endpoint;
}

/** Observes each try, for metrics and logs. */
export interface ForwardObserver {
  /** A question is sent upstream (tried at one upstream after another). */
  forwarded?(): void;
  attempt(upstream: Endpoint, seconds: number, outcome: 'answer' | 'timeout' | 'error' | 'failover'): void;
}

/**
 * Sends questions to a list of upstreams: UDP first (TCP only for a question asked over TCP),
 * TCP when the reply is truncated, the next
 * upstream on a timeout, a network error or a SERVFAIL/REFUSED. The upstream that answered
 * last is tried first next time.
 */
export class Forwarder {
  private readonly pool = new UdpPool();
  private readonly preferred = new WeakMap<readonly Endpoint[], number>();
  private inFlight = 0;

  constructor(
    private readonly options: ForwarderOptions,
    private readonly observer?: ForwardObserver,
  ) {}

  get pending(): number {
    return this.inFlight;
  }

  async forward(upstreams: readonly Endpoint[], question: Question): Promise<ForwardedReply> {
    if (upstreams.length === 0) throw new UpstreamError('NETWORK', 'no upstream configured');
    if (this.inFlight >= this.options.maxInFlight) {
      throw new UpstreamError('NETWORK', `${this.inFlight} upstream queries already in flight`);
    }
    this.inFlight++;
    this.observer?.forwarded?.();
    try {
      return await this.tryEach(upstreams, question);
    } finally {
      this.inFlight--;
    }
  }

  close(): void {
    this.pool.close();
  }

  /** The upstream of `upstreams` the next question tries first: the one that answered last. */
  firstTried(upstreams: readonly Endpoint[]): Endpoint | undefined {
    return upstreams[this.preferred.get(upstreams) ?? 0];
  }

  private async tryEach(upstreams: readonly Endpoint[], question: Question): Promise<ForwardedReply> {
    const first = this.preferred.get(upstreams) ?? 0;
    let lastReply: ForwardedReply | undefined;
    const errors: string[] = [];
    let timedOut = false;
    for (let i = 0; i < upstreams.length; i++) {
      const index = (first + i) % upstreams.length;
      const upstream = upstreams[index];
      const started = performance.now();
      try {
        const answer = await this.ask(upstream, question);
        const seconds = (performance.now() - started) / 1000;
        if (answer.inspected.rcode === Rcode.SERVFAIL || answer.inspected.rcode === Rcode.REFUSED) {
          this.observer?.attempt(upstream, seconds, 'failover');
          lastReply = answer;
          continue;
        }
        this.observer?.attempt(upstream, seconds, 'answer');
        this.preferred.set(upstreams, index);
        return answer;
      } catch (error) {
        const timeout = error instanceof UpstreamError && error.code === 'TIMEOUT';
        timedOut ||= timeout;
        this.observer?.attempt(upstream, (performance.now() - started) / 1000, timeout ? 'timeout' : 'error');
        errors.push((error as Error).message);
      }
    }
    if (lastReply) return lastReply;
    // TIMEOUT when some upstream never answered, NETWORK when every one failed at the network level.
    throw new UpstreamError(timedOut ? 'TIMEOUT' : 'NETWORK', `every upstream failed: ${errors.join('; ')}`);
  }

  private async ask(upstream: Endpoint, question: Question): Promise<ForwardedReply> {
    const query = encodeQuery(question.name, question.type, question.class, question);
    let inspected: InspectedResponse | undefined;
    const check = (reply: Buffer): boolean => {
      const result = inspectResponse(reply);
      if (typeof result === 'string' || !answersQuestion(result, question)) return false;
      inspected = result;
      return true;
    };
    let reply = question.tcp ? undefined : await this.pool.exchange(upstream, query, check, this.options.timeoutMs);
    if (!reply || inspected!.truncated) {
      const id = randomInt(65536);
      query.writeUInt16BE(id, 0);
      const sameId = (r: Buffer) => r.readUInt16BE(0) === id && check(r);
      reply = await exchangeTcp(upstream, query, sameId, this.options.timeoutMs);
    }
    return { reply, inspected: inspected!, upstream };
  }
}
