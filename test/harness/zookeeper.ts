import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zookeeper from 'node-zookeeper-client';
import { freePort } from './ports.js';
import { startProcess, type Running } from './process.js';
import { requireTool } from './tools.js';

export interface ZooKeeperServer {
  port: number;
  /** `127.0.0.1:PORT`, the connection string. */
  address: string;
  dataDir: string;
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory: sessions and nodes survive. */
  start(): Promise<void>;
  output(): string;
  /** The ids (hex, as `sessionId()` gives them) of the sessions the server holds, from `dump`: an expired one is gone. */
  sessions(): Promise<string[]>;
}

/**
 * A real ZooKeeper (Debian's `zookeeper`, standalone) on a free loopback port with a temporary
 * data directory. tickTime 500 ms lets sessions of 1 to 10 s; the admin server is off and JMX
 * has no port, so the client port is the only one it opens (four-letter words `srvr`, `dump`).
 */
export async function startZooKeeper(): Promise<ZooKeeperServer> {
  const script = requireTool('zkServer.sh', 'zookeeper');
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-zk-'));
  const dataDir = join(dir, 'data');
  await mkdir(dataDir);
  const config = join(dir, 'zoo.cfg');
  await writeFile(
    config,
    [
      'tickTime=500',
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      'minSessionTimeout=1000',
      'maxSessionTimeout=10000',
      'admin.enableServer=false',
      '4lw.commands.whitelist=srvr,dump',
      'maxClientCnxns=0',
    ].join('\n'),
  );
  const env = { ...process.env, JMXDISABLE: 'true', ZOO_LOG_DIR: dir, SERVER_JVMFLAGS: '-Xmx512m -XX:+UseSerialGC' };
  let running: Running | undefined;
  let previousOutput = '';
  const start = async () => {
    running = await startProcess(script, ['start-foreground', config], { env, ready: () => serving(port), timeoutMs: 60_000, name: 'zookeeper' });
  };
  await start();
  return {
    port,
    address: `127.0.0.1:${port}`,
    dataDir,
    async stop() {
      if (!running) return;
      const stopped = running;
      running = undefined;
      await stopped.stop(10_000);
      previousOutput += stopped.output();
    },
    start: () => (running ? Promise.resolve() : start()),
    output: () => previousOutput + (running?.output() ?? ''),
    sessions: async () => [...(await fourLetterWord(port, 'dump')).matchAll(/^\s+0x([0-9a-f]+)$/gm)].map((match) => match[1].padStart(16, '0')),
  };
}

/** True once ZooKeeper answers `srvr` on its client port. */
async function serving(port: number): Promise<boolean> {
  const reply = await fourLetterWord(port, 'srvr');
  return reply.includes('Zookeeper version') && !reply.includes('not currently serving');
}

/** ZooKeeper's reply to a four-letter word; empty when it does not answer. */
function fourLetterWord(port: number, word: string): Promise<string> {
  return new Promise((resolve) => {
    let reply = '';
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(word));
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('data', (chunk) => (reply += chunk));
    socket.once('error', () => undefined);
    socket.once('close', () => resolve(reply));
  });
}

export type CreateMode = 'persistent' | 'ephemeral';

/**
 * A ZooKeeper client of the test's own, as another process would be: it registers providers
 * (ephemeral nodes go when it closes), reads and watches. Every call fails after 10 s.
 */
export interface ZooKeeperTestClient {
  /** Creates the node, and its missing parents as persistent nodes. */
  create(path: string, data?: string | Buffer, mode?: CreateMode, acls?: zookeeper.ACL[]): Promise<void>;
  setData(path: string, data: string | Buffer): Promise<void>;
  /** Deletes the node and everything under it; no error when it does not exist. */
  remove(path: string): Promise<void>;
  children(path: string, watcher?: (event: zookeeper.Event) => void): Promise<string[]>;
  sessionId(): string;
  /** Closes the session (once, however often called): its ephemeral nodes are deleted. */
  close(): Promise<void>;
  raw: zookeeper.Client;
}

export async function connectZooKeeper(connect: string, options: { sessionTimeoutMs?: number; digest?: string } = {}): Promise<ZooKeeperTestClient> {
  const client = zookeeper.createClient(connect, { sessionTimeout: options.sessionTimeoutMs ?? 4000, spinDelay: 100 });
  if (options.digest) client.addAuthInfo('digest', Buffer.from(options.digest));
  await within(`connect to ${connect}`, new Promise<void>((resolve) => {
    client.once('connected', () => resolve());
    client.connect();
  }));
  const call = <T>(what: string, send: (done: (error: unknown, result?: T) => void) => void) =>
    within(what, new Promise<T>((resolve, reject) => send((error, result) => (error ? reject(error) : resolve(result as T)))));
  const bytes = (data: string | Buffer | undefined) => (data === undefined ? undefined : Buffer.isBuffer(data) ? data : Buffer.from(data));
  let closing: Promise<void> | undefined;
  const remove = async (path: string): Promise<void> => {
    const children = await call<string[]>(`list ${path}`, (done) => client.getChildren(path, done)).catch(ignoreNoNode([]));
    for (const child of children) await remove(`${path}/${child}`);
    await call(`remove ${path}`, (done) => client.remove(path, done)).catch(ignoreNoNode(undefined));
  };
  return {
    raw: client,
    async create(path, data, mode = 'persistent', acls = OPEN_ACL) {
      const parent = path.slice(0, path.lastIndexOf('/'));
      if (parent) await call(`mkdirp ${parent}`, (done) => client.mkdirp(parent, done));
      const createMode = mode === 'ephemeral' ? zookeeper.CreateMode.EPHEMERAL : zookeeper.CreateMode.PERSISTENT;
      const payload = bytes(data) ?? Buffer.alloc(0);
      await call(`create ${path}`, (done) => client.create(path, payload, acls, createMode, done));
    },
    setData: (path, data) => call(`set ${path}`, (done) => client.setData(path, bytes(data) ?? null, done)).then(() => undefined),
    remove,
    children: (path, watcher) =>
      call<string[]>(`list ${path}`, (done) => (watcher ? client.getChildren(path, watcher, done) : client.getChildren(path, done))),
    sessionId: () => client.getSessionId().toString('hex'),
    close: () => {
      closing ??= within(`close the session with ${connect}`, new Promise<void>((resolve) => {
        client.once('disconnected', () => resolve());
        client.close();
      }));
      return closing;
    },
  };
}

/** Anyone may do anything: the ACL zkCli and most registrations use. The types leave it out. */
const OPEN_ACL: zookeeper.ACL[] = (zookeeper.ACL as unknown as { OPEN_ACL_UNSAFE: zookeeper.ACL[] }).OPEN_ACL_UNSAFE;

function ignoreNoNode<T>(value: T): (error: unknown) => T {
  return (error) => {
    if ((error as zookeeper.Exception).getCode?.() === zookeeper.Exception.NO_NODE) return value;
    throw error;
  };
}

function within<T>(what: string, promise: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`zookeeper test client: ${what}: no reply in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
