import { dig, rdata } from '../../harness/dig.js';

/** Bridge flags for a ZooKeeper at `address`: short sessions so outages show quickly. */
export function zkArgs(address: string, ...paths: string[]): string[] {
  return ['--zookeeper', address, '--zk-session-timeout', '4000', ...paths.flatMap((path) => ['--zk-path', path])];
}

/** `dig` status and sorted record data of the answer section. */
export async function ask(server: string, name: string, type = 'SRV'): Promise<{ status: string; records: string[] }> {
  const reply = await dig(server, name, type);
  return { status: reply.status, records: rdata(reply.answer) };
}

/**
 * Asks until the answer is `expected` (a watch takes a few milliseconds to reach the bridge),
 * giving up after `ms` with the last answer in the message.
 */
export async function answerBecomes(
  server: string,
  name: string,
  type: string,
  expected: { status: string; records: string[] },
  ms = 15_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  let last: { status: string; records: string[] } | undefined;
  for (;;) {
    last = await ask(server, name, type).catch((error: Error) => ({ status: error.message, records: [] }));
    if (last.status === expected.status && JSON.stringify(last.records) === JSON.stringify([...expected.records].sort())) return;
    if (Date.now() > deadline) throw new Error(`${name} ${type}: expected ${JSON.stringify(expected)}, still ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves once `output()` contains `text`, or fails after `ms`. */
export async function logShows(output: () => string, text: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`the log never showed "${text}":\n${output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The SRV target dnsbridge gives a bare IPv4 address. */
export function addr(ip: string, domain = 'service.local'): string {
  return `${Buffer.from(ip.split('.').map(Number)).toString('hex')}.addr.${domain}.`;
}
