import Consul from 'consul';
import type { CheckOptions } from 'consul/lib/agent/check.js';
import type { Logger } from 'pino';
import { consulDuration } from '../duration.js';
import { messageOf, RegisterError, withTimeout } from '../errors.js';
import type { Backend } from './backend.js';

/** The check Consul runs: its own HTTP or TCP check, or a TTL check we feed with our check's results. */
export type ConsulCheck = { kind: 'http'; url: string } | { kind: 'tcp'; target: string } | { kind: 'ttl' };

export interface ConsulBackendOptions {
  /** The agent's HTTP API, e.g. http://127.0.0.1:8500 (port 8500 when the URL has none). */
  url: string;
  token?: string;
  service: { id: string; name: string; address: string; port: number; tags: readonly string[] };
  check: ConsulCheck;
  intervalMs: number;
  timeoutMs: number;
  /** A TTL check not fed for this long turns critical: a killed register is then withdrawn. */
  ttlSeconds: number;
  callTimeoutMs: number;
  log: Logger;
}

/** Consul's floor for DeregisterCriticalServiceAfter: a killed register's entry is cleaned up after it. */
const DEREGISTER_CRITICAL_AFTER = '1m';

/**
 * The registration as an agent service. Visibility is its check's state, Consul's own way:
 * with a TTL check we pass or fail it after each of our checks; with an HTTP or TCP check the
 * agent runs the equivalent check itself. The service is deregistered on exit.
 */
export class ConsulBackend implements Backend {
  readonly name: string;
  readonly location: string;
  private readonly consul: Consul;
  private readonly checkId: string;
  private registered = false;
  /** A registration was sent (perhaps answered too late): only then is there something to deregister. */
  private attempted = false;

  constructor(private readonly options: ConsulBackendOptions) {
    this.name = `consul ${options.url}`;
    this.location = `service ${options.service.id}`;
    this.checkId = `service:${options.service.id}`;
    const url = new URL(options.url);
    this.consul = new Consul({
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(url.port || 8500),
      secure: url.protocol === 'https:',
      defaults: options.token ? { token: options.token } : undefined,
    });
  }

  async publish(note: string): Promise<void> {
    await this.ensureRegistered();
    await this.setCheck('pass', note);
  }

  async withdraw(note: string): Promise<void> {
    await this.ensureRegistered();
    await this.setCheck('fail', note);
  }

  async refresh(note: string): Promise<void> {
    await this.setCheck('pass', note);
  }

  async close(): Promise<void> {
    const { id } = this.options.service;
    try {
      if (this.attempted) await this.call(`deregister ${id}`, this.consul.agent.service.deregister({ id }));
    } finally {
      this.consul.destroy();
    }
  }

  private async ensureRegistered(): Promise<void> {
    if (this.registered) return;
    const { id, name, address, port, tags } = this.options.service;
    this.attempted = true;
    await this.call(`register ${id}`, this.consul.agent.service.register({ id, name, address, port, tags: [...tags], check: this.checkDefinition() }));
    this.registered = true;
  }

  /** Feeds a TTL check; an HTTP or TCP check is run by the agent itself. */
  private async setCheck(state: 'pass' | 'fail', note: string): Promise<void> {
    if (this.options.check.kind !== 'ttl') return;
    const check = this.consul.agent.check;
    const options = { id: this.checkId, note: note.slice(0, 500) };
    try {
      await this.call(`${state} check ${this.checkId}`, state === 'pass' ? check.pass(options) : check.fail(options));
    } catch (error) {
      // The agent lost the service (restarted without its data, or cleaned it up): register again next time.
      this.registered = false;
      throw error;
    }
  }

  private checkDefinition(): CheckOptions {
    const { check, intervalMs, timeoutMs, ttlSeconds } = this.options;
    const common = {
      name: `dnsbridge register: ${this.options.service.name}`,
      checkid: this.checkId,
      timeout: consulDuration(timeoutMs),
      deregistercriticalserviceafter: DEREGISTER_CRITICAL_AFTER,
    };
    if (check.kind === 'http') return { ...common, http: check.url, interval: consulDuration(intervalMs) };
    if (check.kind === 'tcp') return { ...common, tcp: check.target, interval: consulDuration(intervalMs) };
    return { ...common, ttl: `${ttlSeconds}s` };
  }

  private call<T>(what: string, operation: Promise<T>): Promise<T> {
    return withTimeout(operation, this.options.callTimeoutMs, `${this.name}: ${what}`).catch((error: unknown) => {
      if (error instanceof RegisterError) throw error;
      throw new RegisterError('EBACKEND', `${this.name}: ${what}: ${messageOf(error)}`);
    });
  }
}
