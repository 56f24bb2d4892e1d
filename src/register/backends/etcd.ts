import type { Etcd3, Lease } from 'etcd3';
import { createEtcdClient, type EtcdClientOptions } from '../../clients/etcd.js';
import type { Logger } from 'pino';
import { messageOf, RegisterError, withTimeout } from '../errors.js';
import type { Backend } from './backend.js';

export interface EtcdBackendOptions {
  endpoints: string[];
  entry: { key: string; value: string };
  /** The lease's TTL: how long the key outlives a killed register. */
  ttlSeconds: number;
  callTimeoutMs: number;
  auth?: EtcdClientOptions['auth'];
  tls?: EtcdClientOptions['tls'];
  log: Logger;
}

/**
 * The registration as a key under a lease that etcd3 keeps alive. etcd3 does not grant a
 * new lease when one is lost (etcd was down longer than the TTL, or restarted without it),
 * so a lost lease is reported and the next publish grants a new one and puts the key again.
 */
export class EtcdBackend implements Backend {
  readonly name: string;
  readonly location: string;
  private readonly client: Etcd3;
  private lease: Lease | undefined;
  /** True while the key is known to be stored under `lease`: only then is a lost lease a lost registration. */
  private stored = false;
  private readonly lostListeners: ((reason: string) => void)[] = [];

  constructor(private readonly options: EtcdBackendOptions) {
    this.name = `etcd ${options.endpoints.join(',')}`;
    this.location = options.entry.key;
    this.client = createEtcdClient({ endpoints: options.endpoints, auth: options.auth, tls: options.tls, callTimeoutMs: options.callTimeoutMs });
  }

  onLost(listener: (reason: string) => void): void {
    this.lostListeners.push(listener);
  }

  async publish(): Promise<void> {
    const { key, value } = this.options.entry;
    const lease = this.lease ?? this.grant();
    await this.call(`put ${key}`, lease.put(key).value(value).exec());
    this.stored = this.lease === lease;
  }

  async withdraw(): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    this.stored = false;
    const { key } = this.options.entry;
    // Revoking deletes the key with it; without a lease of ours, a key left by an earlier run is deleted.
    if (lease) await this.call(`revoke the lease of ${key}`, lease.revoke());
    else await this.call(`delete ${key}`, this.client.delete().key(key).exec());
  }

  async close(): Promise<void> {
    try {
      await this.withdraw();
    } finally {
      this.client.close();
    }
  }

  private grant(): Lease {
    const lease = this.client.lease(this.options.ttlSeconds);
    lease.on('lost', (error) => this.leaseLost(lease, error));
    lease.on('keepaliveFailed', (error) => this.options.log.debug({ backend: this.name, err: error }, `${this.name}: keepalive failed`));
    this.lease = lease;
    return lease;
  }

  private leaseLost(lease: Lease, error: Error): void {
    if (this.lease !== lease) return;
    const wasStored = this.stored;
    this.lease = undefined;
    this.stored = false;
    if (!wasStored) return;
    for (const listener of this.lostListeners) listener(`lease lost (${error.message}): ${this.location} went with it`);
  }

  private call<T>(what: string, operation: Promise<T>): Promise<T> {
    return withTimeout(operation, this.options.callTimeoutMs, `${this.name}: ${what}`).catch((error: unknown) => {
      if (error instanceof RegisterError) throw error;
      throw new RegisterError('EBACKEND', `${this.name}: ${what}: ${messageOf(error)}`);
    });
  }
}
