import zookeeper, { type ACL } from 'node-zookeeper-client';
import type { Logger } from 'pino';
import { ZooKeeperSession, type ZooKeeperError } from '../../clients/zookeeper.js';
import { RegisterError } from '../errors.js';
import type { Backend } from './backend.js';

export interface ZooKeeperBackendOptions {
  /** Connection string, `host:port,host:port[/chroot]`. */
  hosts: string;
  node: { parent: string; path: string; data: Buffer };
  /** Asked of the server, which clamps it to 2..20 ticks: how long the node outlives a killed register. */
  sessionTimeoutMs: number;
  /** Bound on each call: node-zookeeper-client has none. */
  callTimeoutMs: number;
  /** `user:password` for digest auth; the node is then writable only by that user and readable by all. */
  digest?: string;
  log: Logger;
}

/**
 * The registration as an ephemeral node: it dies with our session, so a killed register is
 * withdrawn by ZooKeeper itself after the session timeout. When the session is lost, the
 * session wrapper opens a new one, and the node is created again.
 */
export class ZooKeeperBackend implements Backend {
  readonly name: string;
  readonly location: string;
  private readonly session: ZooKeeperSession;
  private closed = false;
  /** Whether the current session holds the node: only losing that session loses the registration. */
  private held = false;
  private readonly lostListeners: ((reason: string) => void)[] = [];

  constructor(private readonly options: ZooKeeperBackendOptions) {
    this.name = `zookeeper ${options.hosts}`;
    this.location = options.node.path;
    const { hosts, sessionTimeoutMs, callTimeoutMs, digest, log } = options;
    this.session = new ZooKeeperSession(
      { connect: hosts, sessionTimeoutMs, requestTimeoutMs: callTimeoutMs, digest },
      {
        connected: (newSession) => {
          log.info({ backend: this.name, sessionTimeoutMs: this.session.grantedTimeoutMs() }, `${this.name}: connected`);
          if (newSession) this.sessionLost();
        },
        disconnected: (reason) => {
          if (!this.closed) log.warn({ backend: this.name }, `${this.name}: disconnected (${reason}); reconnecting`);
        },
      },
    );
    this.session.start();
  }

  onLost(listener: (reason: string) => void): void {
    this.lostListeners.push(listener);
  }

  async publish(): Promise<void> {
    await this.connected();
    const { parent, path, data } = this.options.node;
    await this.call(this.session.mkdirp(parent));
    try {
      await this.call(this.session.create(path, data, this.acl(), zookeeper.CreateMode.EPHEMERAL));
    } catch (error) {
      if ((error as ZooKeeperError).code !== 'ZK_NODE_EXISTS') throw error;
      await this.replaceExisting(path, data);
    }
    this.held = true;
  }

  async withdraw(): Promise<void> {
    await this.connected();
    await this.call(this.session.remove(this.options.node.path));
    this.held = false;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (!this.session.isConnected()) {
      await this.session.close();
      // The session (if the server still has it) times out on its own, taking the node with it.
      if (this.held) throw new RegisterError('EBACKEND', `${this.name}: not connected, cannot delete ${this.location}`);
      return;
    }
    try {
      await this.call(this.session.remove(this.options.node.path));
    } finally {
      // Closing the session removes the ephemeral node even when the delete did not get through.
      await this.session.close();
    }
  }

  /** A new session: the node went with the old one, if it held it. */
  private sessionLost(): void {
    if (this.closed || !this.held) return;
    this.held = false;
    for (const listener of this.lostListeners) listener('session expired; the ephemeral node goes with the old session');
  }

  /** Waits for a session; fails after the call timeout, so the caller retries with backoff. */
  private async connected(): Promise<void> {
    const { callTimeoutMs } = this.options;
    if (!(await this.session.whenConnected(callTimeoutMs))) throw new RegisterError('ETIMEDOUT', `${this.name}: no session: no answer in ${callTimeoutMs} ms`);
  }

  /**
   * The node is there already: ours (a retry whose answer was lost) gets our data; one left by
   * an earlier session (a register killed a moment ago) is replaced, or it would take our
   * registration away when that session expires.
   */
  private async replaceExisting(path: string, data: Buffer): Promise<void> {
    const stat = await this.call(this.session.stat(path));
    const ours = this.session.sessionId();
    if (stat && ours && stat.ephemeralOwner.equals(ours)) {
      await this.call(this.session.setData(path, data));
      return;
    }
    if (stat) await this.call(this.session.remove(path));
    await this.call(this.session.create(path, data, this.acl(), zookeeper.CreateMode.EPHEMERAL));
  }

  private acl(): ACL[] {
    const { ACL, Id, Permission } = zookeeper;
    const anyone = new Id('world', 'anyone');
    if (!this.options.digest) return [new ACL(Permission.ALL, anyone)];
    return [new ACL(Permission.ALL, new Id('auth', '')), new ACL(Permission.READ, anyone)];
  }

  /** A session call, its failure a RegisterError naming the servers and the path (the node's existence stays a ZooKeeperError). */
  private async call<T>(operation: Promise<T>): Promise<T> {
    try {
      return await operation;
    } catch (error) {
      const { code, message } = error as ZooKeeperError;
      if (code === 'ZK_NODE_EXISTS') throw error;
      throw new RegisterError(code === 'ZK_TIMEOUT' ? 'ETIMEDOUT' : 'EBACKEND', message);
    }
  }
}
