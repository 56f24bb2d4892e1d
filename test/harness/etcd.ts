import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Etcd3 } from 'etcd3';
import { freePort } from './ports.js';
import { startProcess, type Running } from './process.js';
import { requireTool } from './tools.js';

const run = promisify(execFile);

/** A real single-member etcd on free loopback ports (client and peer) with a temporary data dir. */
export interface EtcdServer {
  /** `http://127.0.0.1:PORT`, for --etcd and clients. */
  url: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  output(): string;
  /** Starts it (again, after stop(): same ports, same data). */
  start(): Promise<void>;
  /** Stops the process, keeping its data. */
  stop(): Promise<void>;
  /** An etcd3 client of its own, closed by close(): the test writing to etcd as another program would. */
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
  /** Stops it, closes the clients from client() and removes the data dir. */
  close(): Promise<void>;
}

/** Starts etcd and waits until it serves clients. */
export async function startEtcd(): Promise<EtcdServer> {
  const server = await prepareEtcd();
  await server.start();
  return server;
}

/** Picks ports and a data dir without starting etcd: for a bridge started before it. */
export async function prepareEtcd(): Promise<EtcdServer> {
  const binary = requireTool('etcd', 'etcd-server');
  const etcdctlPath = requireTool('etcdctl', 'etcd-client');
  const clientPort = await freePort();
  const peerPort = await freePort();
  // tmpfs where there is one: etcd fsyncs every write, which is slow on CI disks.
  const dataDir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'dnsbridge-etcd-'));
  const url = `http://127.0.0.1:${clientPort}`;
  const args = serverArgs(url, `http://127.0.0.1:${peerPort}`, dataDir);
  const clients: Etcd3[] = [];
  const keepers: Running[] = [];
  let running: Running | undefined;
  const etcdctl = async (...command: string[]) => {
    const { stdout } = await run(etcdctlPath, ['--endpoints', url, ...command], { env: { ...process.env, ETCDCTL_API: '3' } });
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
      const client = new Etcd3({ hosts: url });
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
      const keeper = await startProcess(etcdctlPath, ['--endpoints', url, 'lease', 'keep-alive', granted[1]], {
        env: { ...process.env, ETCDCTL_API: '3' },
        ready: (output) => output.includes('keepalived'),
        name: 'etcdctl lease keep-alive',
      });
      keepers.push(keeper);
      return keeper;
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
