import dgram from 'node:dgram';
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Running } from '../harness/process.js';
import { eventually } from '../harness/eventually.js';
import { freePort } from '../harness/ports.js';

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'dnsbridge-ops-'));
}

export async function writeTemp(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** Replaces a file whole (write aside, rename over), as editors and config tools do: a watcher never sees it half written. */
export async function replaceFile(path: string, text: string): Promise<void> {
  await writeFile(`${path}.new`, text);
  await rename(`${path}.new`, path);
}

export async function get(http: string, path: string): Promise<{ status: number; body: string; type: string }> {
  const response = await fetch(`http://${http}${path}`);
  return { status: response.status, body: await response.text(), type: response.headers.get('content-type') ?? '' };
}

export async function getJson<T = any>(http: string, path: string): Promise<{ status: number; body: T }> {
  const { status, body } = await get(http, path);
  return { status, body: JSON.parse(body) as T };
}

/** The samples of a Prometheus text exposition: `name{label="value",...}` -> value. */
export function samples(text: string): Map<string, number> {
  const result = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    result.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return result;
}

/** Sum of the samples of `name` whose labels include every `labels` pair. */
export function total(metrics: Map<string, number>, name: string, labels: Record<string, string> = {}): number | undefined {
  let sum: number | undefined;
  for (const [key, value] of metrics) {
    const brace = key.indexOf('{');
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue;
    if (!Object.entries(labels).every(([label, wanted]) => key.includes(`${label}="${wanted}"`))) continue;
    sum = (sum ?? 0) + value;
  }
  return sum;
}

export async function scrape(http: string): Promise<Map<string, number>> {
  return samples((await get(http, '/metrics')).body);
}

/** Waits until the process has logged `text` at least `times` times. */
export async function loggedTimes(process: Running, text: string, times: number): Promise<void> {
  await eventually(() => {
    const seen = process.output().split(text).length - 1;
    if (seen < times) throw new Error(`"${text}" logged ${seen} times, waiting for ${times}:\n${process.output().slice(-2000)}`);
  }, { attempts: 400 });
}

export interface HeldUpstream {
  address: string;
  /** Resolves when a question has arrived and is being held. */
  holding: Promise<void>;
  /** Passes the held questions on to the real upstream and their answers back. */
  release(): void;
  close(): void;
}

/**
 * An upstream that holds every question until the test releases it, then relays it to `target`:
 * a forwarded query stays in flight exactly as long as the test needs, with no clock involved.
 */
export async function startHeldUpstream(target: { host: string; port: number }): Promise<HeldUpstream> {
  const port = await freePort();
  const front = dgram.createSocket('udp4');
  const back = dgram.createSocket('udp4');
  const held: { msg: Buffer; port: number; address: string }[] = [];
  const waiting = new Map<number, { port: number; address: string }>();
  let released = false;
  let onHold: () => void = () => {};
  const holding = new Promise<void>((resolve) => (onHold = resolve));
  const relay = (item: { msg: Buffer; port: number; address: string }) => {
    waiting.set(item.msg.readUInt16BE(0), item);
    back.send(item.msg, target.port, target.host);
  };
  front.on('message', (msg, rinfo) => {
    const item = { msg, port: rinfo.port, address: rinfo.address };
    if (released) relay(item);
    else {
      held.push(item);
      onHold();
    }
  });
  back.on('message', (reply) => {
    const client = waiting.get(reply.readUInt16BE(0));
    if (client) front.send(reply, client.port, client.address);
  });
  await new Promise<void>((resolve) => front.bind(port, '127.0.0.1', () => resolve()));
  await new Promise<void>((resolve) => back.bind(0, '127.0.0.1', () => resolve()));
  return {
    address: `127.0.0.1:${port}`,
    holding,
    release() {
      released = true;
      for (const item of held.splice(0)) relay(item);
    },
    close() {
      front.close();
      back.close();
    },
  };
}
