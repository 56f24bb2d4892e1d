import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { Etcd3, type IOptions } from 'etcd3';
import type { TestCertificates } from './certs.js';
import { freePort } from './ports.js';
import { startProcess, type Running } from './process.js';
import { requireTool } from './tools.js';

const run = promisify(execFile);

/** A real single-member etcd on free loopback ports (client and peer) with a temporary data dir. */
export interface EtcdServer {
  /** `http://127.0.0.1:PORT` (`https://` with TLS), for --etcd and clients. */
  url: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  output(): string;
  /** Starts it (again, after stop(): same ports, same data). */
  start(): Promise<void>;
  /** Stops the process, keeping its data. */
  stop(): Promise<void>;
  /**
   * An etcd3 client of its own, closed by close(): the test writing to etcd as another program
   * would. It logs in as root when auth was enabled by enableAuth().
   */
  client(): Etcd3;
  /** Runs etcdctl (API v3) against this server; its stdout. */
  etcdctl(...args: string[]): Promise<string>;
  /** `etcdctl compaction` at the current revision; returns that revision. */
  compactToNow(): Promise<number>;
  /**
   * Puts `key` under a new lease of `ttlSeconds` kept alive by a separate `etcdctl lease
   * keep-alive` process, as a registering program does; stopping that process lets the lease expire.
   */
  putWithLease(key: string, value: string, ttlSeconds: number): Promise<Running>;
  /**
   * Turns on etcd auth with a root user and `user`, who may read (and watch) only keys under
   * `readPrefix`; etcdctl() and client() go on as root.
   */
  enableAuth(user: { name: string; password: string; readPrefix: string }): Promise<void>;
  /** Stops it, closes the clients from client() and removes the data dir. */
  close(): Promise<void>;
}

export interface EtcdOptions {
  /** Serve clients over TLS with these, and require a client certificate the CA signed. */
  tls?: TestCertificates;
  /** Serve the v2 API too (`--enable-v2=true`): python-etcd's keyspace, apart from v3's keys. */
  v2?: boolean;
}

const ROOT = { name: 'root', password: 'root-password' };

/** Starts etcd and waits until it serves clients. */
export async function startEtcd(options: EtcdOptions = {}): Promise<EtcdServer> {
  const server = await prepareEtcd(options);
  await server.start();
  return server;
}

/** Picks ports and a data dir without starting etcd: for a bridge started before it. */
export async function prepareEtcd(options: EtcdOptions = {}): Promise<EtcdServer> {
  const binary = requireTool('etcd', 'etcd-server');
  const etcdctlPath = requireTool('etcdctl', 'etcd-client');
  const clientPort = await freePort();
  const peerPort = await freePort();
  // tmpfs where there is one: etcd fsyncs every write, which is slow on CI disks.
  const dataDir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'dnsbridge-etcd-'));
  const { tls } = options;
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${clientPort}`;
  const args = [...serverArgs(url, `http://127.0.0.1:${peerPort}`, dataDir), ...(tls ? serverTlsArgs(tls) : []), ...(options.v2 ? ['--enable-v2=true'] : [])];
  const clients: Etcd3[] = [];
  const keepers: Running[] = [];
  let running: Running | undefined;
  let auth: IOptions['auth'];
  const connection = () => [
    '--endpoints', url,
    ...(tls ? ['--cacert', tls.ca, '--cert', tls.clientCert, '--key', tls.clientKey] : []),
    ...(auth ? ['--user', `${auth.username}:${auth.password}`] : []),
  ];
  const etcdctl = async (...command: string[]) => {
    const { stdout } = await run(etcdctlPath, [...connection(), ...command], { env: { ...process.env, ETCDCTL_API: '3' } });
    return stdout;
  };
  const stop = async () => {
    await running?.stop();
    running = undefined;
  };
  return {
    url,
    clientPort,
    peerPort,
    dataDir,
    output: () => running?.output() ?? '',
    async start() {
      running = await startProcess(binary, args, {
        // etcd accepts TCP before it has a leader; this line comes once it answers requests.
        ready: (output) => output.includes('ready to serve client requests'),
        name: 'etcd',
        env: process.arch === 'arm64' ? { ...process.env, ETCD_UNSUPPORTED_ARCH: 'arm64' } : process.env,
      });
    },
    stop,
    client() {
      const credentials = tls && { rootCertificate: readFileSync(tls.ca), certChain: readFileSync(tls.clientCert), privateKey: readFileSync(tls.clientKey) };
      const client = new Etcd3({ hosts: url, credentials, auth });
      clients.push(client);
      return client;
    },
    etcdctl,
    async compactToNow() {
      const status = JSON.parse(await etcdctl('endpoint', 'status', '-w', 'json')) as { Status: { header: { revision: number } } }[];
      const revision = status[0].Status.header.revision;
      await etcdctl('compaction', String(revision));
      return revision;
    },
    async putWithLease(key, value, ttlSeconds) {
      const granted = /lease ([0-9a-f]+) granted/.exec(await etcdctl('lease', 'grant', String(ttlSeconds)));
      if (!granted) throw new Error('etcdctl lease grant gave no lease id');
      await etcdctl('put', `--lease=${granted[1]}`, key, value);
      const keeper = await startProcess(etcdctlPath, [...connection(), 'lease', 'keep-alive', granted[1]], {
        env: { ...process.env, ETCDCTL_API: '3' },
        ready: (output) => output.includes('keepalived'),
        name: 'etcdctl lease keep-alive',
      });
      keepers.push(keeper);
      return keeper;
    },
    async enableAuth(user) {
      await etcdctl('user', 'add', ROOT.name, `--new-user-password=${ROOT.password}`, '--interactive=false');
      await etcdctl('role', 'add', 'readers');
      await etcdctl('role', 'grant-permission', '--prefix=true', 'readers', 'read', user.readPrefix);
      await etcdctl('user', 'add', user.name, `--new-user-password=${user.password}`, '--interactive=false');
      await etcdctl('user', 'grant-role', user.name, 'readers');
      await etcdctl('auth', 'enable');
      auth = { username: ROOT.name, password: ROOT.password };
    },
    async close() {
      for (const client of clients) client.close();
      await Promise.all(keepers.map((keeper) => keeper.stop()));
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function serverArgs(url: string, peer: string, dataDir: string): string[] {
  return [
    '--name', 'test',
    '--data-dir', dataDir,
    '--listen-client-urls', url,
    '--advertise-client-urls', url,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `test=${peer}`,
    '--initial-cluster-state', 'new',
  ];
}

function serverTlsArgs(tls: TestCertificates): string[] {
  return ['--cert-file', tls.serverCert, '--key-file', tls.serverKey, '--trusted-ca-file', tls.ca, '--client-cert-auth'];
}
