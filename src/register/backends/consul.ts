import type { Logger } from 'pino';
import { ConsulClient } from '../../clients/consul.js';
import type { ConsulEndpoint } from '../../clients/consul-connection.js';
import { consulDuration } from '../duration.js';
import { messageOf, RegisterError, withTimeout } from '../errors.js';
import type { Backend } from './backend.js';

/** The check Consul runs: its own HTTP or TCP check, or a TTL check we feed with our check's results. */
export type ConsulCheck = { kind: 'http'; url: string } | { kind: 'tcp'; target: string } | { kind: 'ttl' };

export interface ConsulBackendOptions {
  /** The agent's HTTP API and its TLS files, as `consulEndpoint` found them. */
  endpoint: ConsulEndpoint;
  token?: string;
  service: { id: string; name: string; address: string; port: number; tags: readonly string[] };
  check: ConsulCheck;
  intervalMs: number;
  timeoutMs: number;
  /** A TTL check not fed for this long turns critical: a killed register is then withdrawn. */
  ttlSeconds: number;
  /** DeregisterCriticalServiceAfter: the agent removes the service once its check has been critical this long. */
  deregisterAfterMs: number;
  callTimeoutMs: number;
  log: Logger;
}

/**
 * The registration as an agent service. Visibility is its check's state, Consul's own way:
 * with a TTL check we pass or fail it after each of our checks; with an HTTP or TCP check the
 * agent runs the equivalent check itself. The service is deregistered on exit.
 *
 * The agent may drop the service by itself: it reaps one whose check stayed critical past
 * DeregisterCriticalServiceAfter (agent/agent.go `reapServicesInternal`), and one restarted
 * without a data dir forgets it. So before each step we ask the agent whether it still has
 * the service (`GET /v1/agent/service/:id`, 404 when not) and register it again if not.
 */
export class ConsulBackend implements Backend {
  readonly name: string;
  readonly location: string;
  private readonly client: ConsulClient;
  private readonly checkId: string;
  /** A registration was sent (perhaps answered too late): only then is there something to deregister. */
  private attempted = false;

  constructor(private readonly options: ConsulBackendOptions) {
    this.client = new ConsulClient({ ...options.endpoint, token: options.token, maxConnections: 2 });
    this.name = `consul ${this.client.url}`;
    this.location = `service ${options.service.id}`;
    this.checkId = `service:${options.service.id}`;
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
    await this.ensureRegistered();
    await this.setCheck('pass', note);
  }

  async close(): Promise<void> {
    const { id } = this.options.service;
    try {
      if (this.attempted) await this.call(`deregister ${id}`, this.client.deregisterService(id, this.options.callTimeoutMs));
    } finally {
      this.client.close();
    }
  }

  private async ensureRegistered(): Promise<void> {
    const { id, name, address, port, tags } = this.options.service;
    const timeout = this.options.callTimeoutMs;
    if (this.attempted && (await this.call(`read ${id}`, this.client.agentService(id, timeout))) !== undefined) return;
    if (this.attempted) this.options.log.warn({ at: this.location }, `${this.name}: the agent no longer has ${id} (reaped after its check stayed critical, or restarted without its data); registering it again`);
    this.attempted = true;
    const definition = { ID: id, Name: name, Address: address, Port: port, Tags: [...tags], Check: this.checkDefinition() };
    await this.call(`register ${id}`, this.client.registerService(definition, timeout));
  }

  /** Feeds a TTL check; an HTTP or TCP check is run by the agent itself. */
  private async setCheck(state: 'pass' | 'fail', note: string): Promise<void> {
    if (this.options.check.kind !== 'ttl') return;
    await this.call(`${state} check ${this.checkId}`, this.client.updateCheck(this.checkId, state, note.slice(0, 500), this.options.callTimeoutMs));
  }

  private checkDefinition(): Record<string, unknown> {
    const { check, intervalMs, timeoutMs, ttlSeconds, deregisterAfterMs } = this.options;
    const common = {
      Name: `dnsbridge register: ${this.options.service.name}`,
      CheckID: this.checkId,
      Timeout: consulDuration(timeoutMs),
      DeregisterCriticalServiceAfter: consulDuration(deregisterAfterMs),
    };
    if (check.kind === 'http') return { ...common, HTTP: check.url, Interval: consulDuration(intervalMs) };
    if (check.kind === 'tcp') return { ...common, TCP: check.target, Interval: consulDuration(intervalMs) };
    return { ...common, TTL: `${ttlSeconds}s` };
  }

  private call<T>(what: string, operation: Promise<T>): Promise<T> {
    return withTimeout(operation, this.options.callTimeoutMs, `${this.name}: ${what}`).catch((error: unknown) => {
      if (error instanceof RegisterError) throw error;
      throw new RegisterError('EBACKEND', `${this.name}: ${what}: ${messageOf(error)}`);
    });
  }
}
