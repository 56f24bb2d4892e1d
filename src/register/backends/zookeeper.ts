import type { Socket } from 'node:net';
import zookeeper, { type ACL, type Client, type Stat } from 'node-zookeeper-client';
import type { Logger } from 'pino';
import { RegisterError, withTimeout } from '../errors.js';
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

type Callback<T> = (error: Error | zookeeper.Exception | null, result: T) => void;

/**
 * The registration as an ephemeral node: it dies with our session, so a killed register is
 * withdrawn by ZooKeeper itself after the session timeout. When the session is lost, a new
 * client opens a new one and the node is created again.
 */
export class ZooKeeperBackend implements Backend {
  readonly name: string;
  readonly location: string;
  private client: Client;
  private closed = false;
  /** The heartbeat (connected) or watchdog (not connected) of the current client. */
  private timer: NodeJS.Timeout | undefined;
  /** The client whose session holds the node: only losing that session loses the registration. */
  private holder: Client | undefined;
  private readonly lostListeners: ((reason: string) => void)[] = [];

  constructor(private readonly options: ZooKeeperBackendOptions) {
    this.name = `zookeeper ${options.hosts}`;
    this.location = options.node.path;
    this.client = this.connect();
  }

  onLost(listener: (reason: string) => void): void {
    this.lostListeners.push(listener);
  }

  async publish(): Promise<void> {
    const client = await this.connected();
    const { parent, path, data } = this.options.node;
    await this.call<string>(`create ${parent}`, (cb) => client.mkdirp(parent, cb));
    try {
      await this.create(client, path, data);
    } catch (error) {
      if (!isException(error, zookeeper.Exception.NODE_EXISTS)) throw error;
      await this.replaceExisting(client, path, data);
    }
    this.holder = client;
  }

  async withdraw(): Promise<void> {
    const client = await this.connected();
    await this.removeIfThere(client, this.options.node.path);
    this.holder = undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const client = this.client;
    client.removeAllListeners();
    // A client closed while not connected misreads the server's next reply and throws; the
    // session (if the server still has one) then times out on its own, taking the node with it.
    if (client.getState() !== zookeeper.State.SYNC_CONNECTED) {
      if (this.holder) throw new RegisterError('EBACKEND', `${this.name}: not connected, cannot delete ${this.location}`);
      return;
    }
    try {
      await this.removeIfThere(client, this.options.node.path);
    } finally {
      // Closing the session removes the ephemeral node even when the delete did not get through.
      client.close();
    }
  }

  private connect(): Client {
    const { hosts, sessionTimeoutMs, digest, log } = this.options;
    const client = zookeeper.createClient(hosts, { sessionTimeout: sessionTimeoutMs, spinDelay: 500, retries: 0 });
    if (digest) client.addAuthInfo('digest', Buffer.from(digest));
    client.on('connected', () => {
      log.info({ backend: this.name, sessionTimeoutMs: client.getSessionTimeout() }, `${this.name}: connected`);
      this.watch(client, 'heartbeat');
    });
    client.on('disconnected', () => {
      if (this.closed) return;
      log.warn({ backend: this.name }, `${this.name}: disconnected; reconnecting`);
      this.watch(client, 'watchdog');
    });
    client.once('expired', () => this.renew(client, 'session expired'));
    this.client = client;
    client.connect();
    this.watch(client, 'watchdog');
    return client;
  }

  /**
   * node-zookeeper-client has no read timeout: it can wait forever on a server that accepted
   * the connection but never answers, or on a connection gone silent. So while connected a
   * heartbeat must be answered within two thirds of the session, and while not, a session
   * must come up within the session timeout; otherwise the connection is dropped and the
   * library reconnects with the same session, as the Java client does after a read timeout.
   */
  private watch(client: Client, mode: 'heartbeat' | 'watchdog'): void {
    clearInterval(this.timer);
    if (this.closed || client !== this.client) return;
    const { sessionTimeoutMs } = this.options;
    if (mode === 'watchdog') {
      this.timer = setInterval(() => this.dropConnection(client, `no session within ${sessionTimeoutMs} ms`), sessionTimeoutMs);
      return;
    }
    this.timer = setInterval(() => {
      const beat = new Promise<void>((resolve) => client.exists('/', () => resolve()));
      withTimeout(beat, (sessionTimeoutMs * 2) / 3, 'heartbeat').catch(() => this.dropConnection(client, 'no reply to the heartbeat'));
    }, sessionTimeoutMs / 3);
  }

  /**
   * Closes the library's socket so it connects again. The library has no public way; closing
   * the client instead is worse: one closed while connecting misreads the server's reply and throws.
   */
  private dropConnection(client: Client, reason: string): void {
    const socket = (client as unknown as { connectionManager?: { socket?: Socket } }).connectionManager?.socket;
    if (this.closed || client !== this.client || !socket || socket.destroyed) return;
    this.options.log.debug({ backend: this.name }, `${this.name}: ${reason}; connecting again`);
    socket.destroy();
  }

  /**
   * The library never opens a new session by itself after expiry: a new client does, and the
   * node is created again. The expired client stops once the server closes its connection.
   */
  private renew(client: Client, reason: string): void {
    if (this.closed || client !== this.client) return;
    clearInterval(this.timer);
    client.removeAllListeners();
    this.connect();
    if (this.holder !== client) return;
    this.holder = undefined;
    for (const listener of this.lostListeners) listener(`${reason}; the ephemeral node goes with the old session`);
  }

  /** The client once it has a session; fails after the call timeout, so the caller retries with backoff. */
  private async connected(): Promise<Client> {
    const client = this.client;
    if (client.getState() === zookeeper.State.SYNC_CONNECTED) return client;
    let onConnected = () => {};
    const connected = new Promise<void>((resolve) => client.once('connected', (onConnected = resolve)));
    try {
      await withTimeout(connected, this.options.callTimeoutMs, `${this.name}: no session`);
    } finally {
      client.removeListener('connected', onConnected);
    }
    return client;
  }

  private async create(client: Client, path: string, data: Buffer): Promise<void> {
    await this.call<string>(`create ${path}`, (cb) => client.create(path, data, this.acl(), zookeeper.CreateMode.EPHEMERAL, cb));
  }

  /**
   * The node is there already: ours (a retry whose answer was lost) gets our data; one left by
   * an earlier session (a register killed a moment ago) is replaced, or it would take our
   * registration away when that session expires.
   */
  private async replaceExisting(client: Client, path: string, data: Buffer): Promise<void> {
    const stat = await this.call<Stat | null>(`stat ${path}`, (cb) => client.exists(path, cb));
    if (stat?.ephemeralOwner.equals(client.getSessionId())) {
      await this.call<Stat>(`set ${path}`, (cb) => client.setData(path, data, cb));
      return;
    }
    if (stat) await this.removeIfThere(client, path);
    await this.create(client, path, data);
  }

  private async removeIfThere(client: Client, path: string): Promise<void> {
    try {
      await this.call<void>(`delete ${path}`, (cb) => client.remove(path, cb));
    } catch (error) {
      if (!isException(error, zookeeper.Exception.NO_NODE)) throw error;
    }
  }

  private acl(): ACL[] {
    const { ACL, Id, Permission } = zookeeper;
    const anyone = new Id('world', 'anyone');
    if (!this.options.digest) return [new ACL(Permission.ALL, anyone)];
    return [new ACL(Permission.ALL, new Id('auth', '')), new ACL(Permission.READ, anyone)];
  }

  /** One client call with a timeout, its error naming the host and the path. */
  private call<T>(what: string, start: (callback: Callback<T>) => void): Promise<T> {
    const done = new Promise<T>((resolve, reject) =>
      start((error, result) => (error ? reject(error) : resolve(result))),
    );
    return withTimeout(done, this.options.callTimeoutMs, `${this.name}: ${what}`).catch((error: unknown) => {
      if (error instanceof RegisterError || isException(error, zookeeper.Exception.NO_NODE) || isException(error, zookeeper.Exception.NODE_EXISTS)) throw error;
      throw new RegisterError('EBACKEND', `${this.name}: ${what}: ${(error as Error).message ?? String(error)}`);
    });
  }
}

function isException(error: unknown, code: number): boolean {
  return error instanceof zookeeper.Exception && error.getCode() === code;
}
