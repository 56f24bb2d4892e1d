import type { Logger } from 'pino';
import { Etcd2Client, KEY_NOT_FOUND, V2Error } from '../../clients/etcd2.js';
import { messageOf, RegisterError, withTimeout } from '../errors.js';
import type { Backend } from './backend.js';

export interface Etcd2BackendOptions {
  endpoints: string[];
  entry: { key: string; value: string };
  /** The key's TTL: how long it outlives a killed register. */
  ttlSeconds: number;
  callTimeoutMs: number;
  log: Logger;
}

/**
 * The registration as a key of etcd's v2 keyspace with a TTL, kept as the ep2016 talk's
 * HealthPinger keeps it: written with `ttl`, then renewed before it runs out. The renewal is
 * `refresh=true&prevExist=true`, which (unlike the talk's rewrite) sends watchers no event.
 * A renewal that finds the key gone (etcd was down past the TTL, or it was deleted) reports the
 * registration lost, and the keeper writes it again.
 */
export class Etcd2Backend implements Backend {
  readonly name: string;
  readonly location: string;
  private readonly client: Etcd2Client;
  private renewal: NodeJS.Timeout | undefined;
  private readonly lostListeners: ((reason: string) => void)[] = [];

  constructor(private readonly options: Etcd2BackendOptions) {
    this.name = `etcd v2 ${options.endpoints.join(',')}`;
    this.location = options.entry.key;
    this.client = new Etcd2Client(options.endpoints.map((endpoint) => endpoint.replace(/\/+$/, '')));
  }

  onLost(listener: (reason: string) => void): void {
    this.lostListeners.push(listener);
  }

  async publish(): Promise<void> {
    const { key, value } = this.options.entry;
    await this.call(`put ${key}`, this.client.put(key, { value, ttl: String(this.options.ttlSeconds) }));
    this.renewEvery(this.options.ttlSeconds * 1000 / 3);
  }

  async withdraw(): Promise<void> {
    this.stopRenewing();
    await this.call(`delete ${this.location}`, this.client.delete(this.location));
  }

  async close(): Promise<void> {
    await this.withdraw();
  }

  /** Three renewals per TTL: one lost on the way leaves time for the next. */
  private renewEvery(ms: number): void {
    this.stopRenewing();
    this.renewal = setInterval(() => void this.renew(), ms);
  }

  private stopRenewing(): void {
    clearInterval(this.renewal);
    this.renewal = undefined;
  }

  private async renew(): Promise<void> {
    const { key } = this.options.entry;
    const what = `${this.name}: refresh ${key}`;
    try {
      await withTimeout(this.client.put(key, { ttl: String(this.options.ttlSeconds), refresh: 'true', prevExist: 'true' }), this.options.callTimeoutMs, what);
    } catch (error) {
      if (!this.renewal) return;
      if (!(error instanceof V2Error && error.errorCode === KEY_NOT_FOUND)) {
        this.options.log.warn({ backend: this.name }, `${what}: ${messageOf(error)}; trying again before the TTL runs out`);
        return;
      }
      this.stopRenewing();
      for (const listener of this.lostListeners) listener(`${key} expired or was deleted`);
    }
  }

  private call<T>(what: string, operation: Promise<T>): Promise<T> {
    return withTimeout(operation, this.options.callTimeoutMs, `${this.name}: ${what}`).catch((error: unknown) => {
      if (error instanceof RegisterError) throw error;
      throw new RegisterError('EBACKEND', `${this.name}: ${what}: ${messageOf(error)}`);
    });
  }
}
