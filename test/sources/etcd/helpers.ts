import type { TestContext } from 'node:test';
import type { InstanceStatus } from '../../../src/registry/source.js';
import { startBridge, type BridgeProcess } from '../../harness/bridge.js';
import { dig, rdata } from '../../harness/dig.js';
import { freePort } from '../../harness/ports.js';

export interface EtcdBridge extends BridgeProcess {
  /** The etcd source as the bridge's /api/status reports it. */
  etcdStatus(): Promise<InstanceStatus>;
}

/** The bridge with its status page on a free port, so bridges of parallel suites do not collide. */
export async function startEtcdBridge(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<EtcdBridge> {
  const http = `127.0.0.1:${await freePort()}`;
  const bridge = await startBridge([...args, '--http', http], options);
  return {
    ...bridge,
    async etcdStatus() {
      const status = (await (await fetch(`http://${http}/api/status`)).json()) as { sources: InstanceStatus[] };
      const etcd = status.sources.find((source) => source.name === 'etcd');
      if (!etcd) throw new Error(`no etcd source in /api/status: ${JSON.stringify(status)}`);
      return etcd;
    },
  };
}

export interface Answer {
  status: string;
  records: string[];
}

/** `dig` status and sorted record data of the answer section. */
export async function ask(server: string, name: string, type = 'SRV'): Promise<Answer> {
  const reply = await dig(server, name, type);
  return { status: reply.status, records: rdata(reply.answer) };
}

/**
 * Asks until the answer is `expected` (a watch event takes milliseconds to reach the bridge, a
 * reconnect a few seconds), giving up after `ms` with the last answer in the message.
 */
export async function answerBecomes(server: string, name: string, type: string, expected: Answer, ms = 30_000): Promise<void> {
  const want = JSON.stringify({ status: expected.status, records: [...expected.records].sort() });
  await until(async () => JSON.stringify(await ask(server, name, type).catch((error: Error) => ({ status: error.message, records: [] }))) === want, `${name} ${type} becoming ${want}`, ms);
}

/** Polls `condition` every 100 ms until it holds, failing after `ms`. */
export async function until(condition: () => Promise<boolean> | boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The SRV target dnsbridge gives a bare IPv4 address. */
export function addr(ip: string): string {
  return `${Buffer.from(ip.split('.').map(Number)).toString('hex')}.addr.service.local.`;
}

/** Stops what a test started when it ends, last started first. */
export function tracker(t: TestContext): <T extends { stop(): Promise<unknown> }>(thing: T) => T {
  const started: { stop(): Promise<unknown> }[] = [];
  t.after(async () => {
    while (started.length) await started.pop()!.stop();
  });
  return (thing) => {
    started.push(thing);
    return thing;
  };
}

/** The `msg` of every JSON log line the bridge wrote. */
export function logMessages(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => String((JSON.parse(line) as { msg?: unknown }).msg ?? ''));
}
