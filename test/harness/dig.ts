import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { requireTool } from './tools.js';

const run = promisify(execFile);

/** dig's answer, read from its +yaml output. */
export interface DigAnswer {
  status: string;
  flags: string[];
  answer: string[];
  authority: string[];
  additional: string[];
  /** EDNS UDP size the server advertised, when it sent OPT. */
  ednsUdp?: number;
  /** Extended DNS Errors (RFC 8914) as dig read them: `18 (Prohibited)` and the EXTRA-TEXT. */
  ede: { code: string; text?: string }[];
  size: number;
}

/** Asks with dig (BIND's client, independent of our code). `extra` are dig options such as +tcp. */
export async function dig(server: string, name: string, type = 'A', extra: string[] = []): Promise<DigAnswer> {
  const digPath = requireTool('dig', 'bind9-dnsutils');
  const [host, port] = splitServer(server);
  const { stdout } = await run(digPath, [`@${host}`, '-p', port, name, type, '+yaml', '+tries=1', '+time=3', ...extra]);
  // dig's own remarks (`; Transfer failed.`) are not YAML.
  const docs = parse(stdout.replace(/!!timestamp /g, '').replace(/^;.*$/gm, ''));
  const message = docs?.[0]?.message;
  const data = message?.response_message_data;
  if (!data) throw new Error(`dig gave no answer for ${name} ${type}:\n${stdout}`);
  return {
    status: data.status,
    flags: String(data.flags).split(' '),
    answer: data.ANSWER_SECTION ?? [],
    authority: data.AUTHORITY_SECTION ?? [],
    additional: data.ADDITIONAL_SECTION ?? [],
    ednsUdp: data.OPT_PSEUDOSECTION?.EDNS?.udp,
    ede: [data.OPT_PSEUDOSECTION?.EDNS?.EDE ?? []].flat().map((e: Record<string, unknown>) => ({ code: String(e['INFO-CODE']), text: e['EXTRA-TEXT'] as string | undefined })),
    size: Number(String(message.message_size).replace(/b$/, '')),
  };
}

function splitServer(server: string): [string, string] {
  const bracketed = /^\[(.+)\]:(\d+)$/.exec(server);
  if (bracketed) return [bracketed[1], bracketed[2]];
  const colon = server.lastIndexOf(':');
  return [server.slice(0, colon), server.slice(colon + 1)];
}

/** The record data of answer lines: 'api.service.local. 5 IN A 10.0.0.1' -> '10.0.0.1'. */
export function rdata(lines: readonly string[]): string[] {
  return lines.map((line) => line.split(/\s+/).slice(4).join(' ')).sort();
}
