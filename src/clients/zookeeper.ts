import type { Socket } from 'node:net';
import zookeeper, { type ACL, type Stat } from 'node-zookeeper-client';
import { leanWatches } from './zookeeper-watch-table.js';

/** A node's data as read, with its mtime (ZooKeeper's clock, epoch ms) when the reply carried one. */
export interface NodeData {
  bytes: Buffer;
  mtime?: number;
}

export type WatchEventType = 'created' | 'deleted' | 'data' | 'children';

/** A one-shot ZooKeeper watch firing, path relative to the chroot. */
export interface WatchEvent {
  type: WatchEventType;
  path: string;
}

export interface ZooKeeperSessionOptions {
  /** `host:port,host:port[/chroot]`. */
  connect: string;
  /** Asked of the server, which bounds it to 2..20 ticks. */
  sessionTimeoutMs: number;
  /** Longest wait for one request's reply. */
  requestTimeoutMs: number;
  /** `user:password` for digest authentication, sent on every (re)connect. */
  digest?: string;
}

/** What the session tells its owner. */
export interface SessionListener {
  /** A session is up; `newSession`: every watch and ephemeral node of the previous session is gone. */
  connected?(newSession: boolean): void;
  disconnected?(reason: string): void;
  watchFired?(event: WatchEvent): void;
}

export type ZooKeeperErrorCode = 'ZK_TIMEOUT' | 'ZK_NOT_CONNECTED' | 'ZK_NO_AUTH' | 'ZK_NODE_EXISTS' | 'ZK_FAILED';

/** A failed request, naming the servers, the path and what happened. */
export class ZooKeeperError extends Error {
  constructor(
    readonly code: ZooKeeperErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ZooKeeperError';
  }
}

const EVENT_TYPES: Record<number, WatchEventType> = {
  [zookeeper.Event.NODE_CREATED]: 'created',
  [zookeeper.Event.NODE_DELETED]: 'deleted',
  [zookeeper.Event.NODE_DATA_CHANGED]: 'data',
  [zookeeper.Event.NODE_CHILDREN_CHANGED]: 'children',
};

type Callback<T> = (error: Error | zookeeper.Exception | null, result: T) => void;

/**
 * The one wrapper of node-zookeeper-client, for the source and for `register`, made to survive:
 * every request has a timeout and fails at once while disconnected (instead of queueing without
 * end); a session is checked by a heartbeat, since the library never notices a connection that
 * went silent; and after `expired` (or a failed authentication), after which the library never
 * connects again, a new client opens a new session. Watches all go to one function, so re-arming
 * a watch never registers a second one.
 */
export class ZooKeeperSession {
  /** The servers, for messages: the connection string without the chroot. */
  readonly servers: string;
  private client?: zookeeper.Client;
  private freshSession = true;
  private connected = false;
  private closed = false;
  private heartbeat?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private waiters = new Set<() => void>();
  /** Why this client closed its own connection, for the disconnect that follows. */
  private dropReason?: string;
  private readonly watcher = (event: zookeeper.Event) => this.watchFired(event);

  constructor(
    private readonly options: ZooKeeperSessionOptions,
    private readonly listener: SessionListener,
  ) {
    this.servers = options.connect.split('/')[0];
  }

  start(): void {
    this.open();
  }

  isConnected(): boolean {
    return this.connected;
  }

  /** Resolves true once connected, or false after `ms`. */
  whenConnected(ms: number): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(this.connected);
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  /** The children's names, watching the list; undefined when the node does not exist. */
  children(path: string): Promise<string[] | undefined> {
    return this.request('list', path, (client, cb: Callback<string[]>) => client.getChildren(path, this.watcher, cb));
  }

  /** The node's data and when it was last written (its mtime, epoch ms), watching it; undefined when the node does not exist. */
  data(path: string): Promise<NodeData | undefined> {
    // A node created without data reads back as no data: that is an empty node, not a missing one.
    return this.request('read', path, (client, cb: Callback<NodeData>) =>
      client.getData(path, this.watcher, (error, data, stat) => cb(error, { bytes: data ?? Buffer.alloc(0), mtime: stat ? Number(stat.mtime.readBigInt64BE()) : undefined })),
    );
  }

  /** Whether the node exists, watching for its creation or deletion. */
  async exists(path: string): Promise<boolean> {
    const stat = await this.request('check', path, (client, cb: Callback<unknown>) => client.exists(path, this.watcher, cb));
    return Boolean(stat);
  }

  /** The session's id, to tell our ephemeral nodes from an earlier session's. */
  sessionId(): Buffer | undefined {
    return this.connected ? this.client?.getSessionId() : undefined;
  }

  /** The session timeout the server granted. */
  grantedTimeoutMs(): number | undefined {
    return this.client?.getSessionTimeout();
  }

  /** The node's stat, without a watch; undefined when it does not exist. */
  stat(path: string): Promise<Stat | undefined> {
    return this.request('stat', path, (client, cb: Callback<Stat | undefined>) => client.exists(path, (error, stat) => cb(error, stat ?? undefined)));
  }

  /** Creates the path and its missing parents as persistent nodes. */
  async mkdirp(path: string): Promise<void> {
    await this.request('create', path, (client, cb: Callback<string>) => client.mkdirp(path, cb));
  }

  /** Creates one node; fails with ZK_NODE_EXISTS when it is there. */
  async create(path: string, data: Buffer, acl: ACL[], mode: number): Promise<void> {
    await this.request('create', path, (client, cb: Callback<string>) => client.create(path, data, acl, mode, cb));
  }

  async setData(path: string, data: Buffer): Promise<void> {
    await this.request('set', path, (client, cb: Callback<Stat>) => client.setData(path, data, cb));
  }

  /** Deletes the node; a node that is not there is no error. */
  async remove(path: string): Promise<void> {
    await this.request('delete', path, (client, cb: Callback<void>) => client.remove(path, cb));
  }

  /**
   * Ends the session, which deletes its ephemeral nodes. A client closed while not connected
   * misreads the server's reply to the connect in flight and throws, so such a client closes
   * its session as soon as it has one (if the server still has it, it would otherwise time out).
   */
  async close(): Promise<void> {
    this.closed = true;
    this.stopTimers();
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    client.removeAllListeners();
    if (this.connected) client.close();
    else client.once('connected', () => client.close());
    this.connected = false;
  }

  private open(): void {
    const client = leanWatches(zookeeper.createClient(this.options.connect, { sessionTimeout: this.options.sessionTimeoutMs, spinDelay: 1000, retries: 0 }));
    if (this.options.digest) client.addAuthInfo('digest', Buffer.from(this.options.digest));
    client.on('state', (state: zookeeper.State) => this.stateChanged(client, state));
    this.client = client;
    this.freshSession = true;
    client.connect();
    this.armWatchdog();
  }

  private stateChanged(client: zookeeper.Client, state: zookeeper.State): void {
    if (client !== this.client || this.closed) return;
    if (state === zookeeper.State.SYNC_CONNECTED) this.onConnected();
    else if (state === zookeeper.State.DISCONNECTED) this.onDisconnected('connection lost');
    else if (state === zookeeper.State.EXPIRED) this.renew('session expired');
    else if (state === zookeeper.State.AUTH_FAILED) this.renew('authentication failed');
  }

  private onConnected(): void {
    this.connected = true;
    this.stopTimers();
    this.heartbeat = setInterval(() => void this.beat(), Math.max(100, this.options.sessionTimeoutMs / 3));
    for (const waiter of [...this.waiters]) waiter();
    const newSession = this.freshSession;
    this.freshSession = false;
    this.listener.connected?.(newSession);
  }

  private onDisconnected(reason: string): void {
    const was = this.connected;
    this.connected = false;
    this.stopTimers();
    this.armWatchdog();
    if (was) this.listener.disconnected?.(this.dropReason ?? reason);
    this.dropReason = undefined;
  }

  /** The library gives up on an expired session for good: a new client opens a new session. */
  private renew(reason: string): void {
    this.connected = false;
    this.stopTimers();
    this.listener.disconnected?.(reason);
    this.client?.removeAllListeners();
    this.client?.close();
    this.open();
  }

  /** A request nobody answers within two thirds of the session means the connection is dead. */
  private async beat(): Promise<void> {
    try {
      await this.request('check', '/', (client, cb: Callback<unknown>) => client.exists('/', cb), (this.options.sessionTimeoutMs * 2) / 3);
    } catch (error) {
      if ((error as ZooKeeperError).code === 'ZK_TIMEOUT') this.dropConnection('no reply to the heartbeat');
    }
  }

  /** While no session comes up, a connection the server accepted but never answered is dropped too. */
  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      this.dropConnection('no session after the session timeout');
      this.armWatchdog();
    }, this.options.sessionTimeoutMs);
  }

  /**
   * Closes the library's socket so it reconnects with the same session, as the Java client does
   * after a read timeout; the library offers no public way, so this reaches into it.
   */
  private dropConnection(reason: string): void {
    const manager = (this.client as unknown as { connectionManager?: { socket?: Socket } } | undefined)?.connectionManager;
    if (!manager?.socket || manager.socket.destroyed) return;
    this.dropReason = reason;
    manager.socket.destroy();
  }

  private stopTimers(): void {
    clearInterval(this.heartbeat);
    clearTimeout(this.watchdog);
  }

  private watchFired(event: zookeeper.Event): void {
    const type = EVENT_TYPES[event.getType()];
    if (type && !this.closed) this.listener.watchFired?.({ type, path: event.getPath() });
  }

  private request<T>(
    operation: string,
    path: string,
    send: (client: zookeeper.Client, cb: Callback<T>) => void,
    timeoutMs = this.options.requestTimeoutMs,
  ): Promise<T | undefined> {
    const client = this.client;
    if (!client || !this.connected) return Promise.reject(this.error('ZK_NOT_CONNECTED', operation, path, 'not connected'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.error('ZK_TIMEOUT', operation, path, `no reply in ${timeoutMs} ms`)), timeoutMs);
      send(client, (error, result) => {
        clearTimeout(timer);
        if (!error) resolve(result);
        else if (codeOf(error) === zookeeper.Exception.NO_NODE) resolve(undefined);
        else reject(this.failure(operation, path, error));
      });
    });
  }

  private failure(operation: string, path: string, error: Error | zookeeper.Exception): ZooKeeperError {
    const code = codeOf(error);
    if (code === zookeeper.Exception.NO_AUTH) return this.error('ZK_NO_AUTH', operation, path, 'not allowed (NoAuth): check the digest credentials');
    if (code === zookeeper.Exception.CONNECTION_LOSS) return this.error('ZK_NOT_CONNECTED', operation, path, 'connection lost');
    if (code === zookeeper.Exception.NODE_EXISTS) return this.error('ZK_NODE_EXISTS', operation, path, 'the node exists');
    return this.error('ZK_FAILED', operation, path, error instanceof Error ? error.message : error.toString());
  }

  private error(code: ZooKeeperErrorCode, operation: string, path: string, what: string): ZooKeeperError {
    return new ZooKeeperError(code, `zookeeper ${this.servers}: ${operation} ${path}: ${what}`);
  }
}

function codeOf(error: Error | zookeeper.Exception): number | undefined {
  return typeof (error as zookeeper.Exception).getCode === 'function' ? (error as zookeeper.Exception).getCode() : undefined;
}
