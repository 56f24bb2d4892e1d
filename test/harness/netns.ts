import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { requireTool } from './tools.js';

const run = promisify(execFile);

/**
 * A network namespace of its own: a loopback interface nobody else uses (so port 53 is free),
 * carrying also one documentation address per family (getaddrinfo's AI_ADDRCONFIG asks for a
 * family only when an address other than 127.0.0.1 / ::1 is configured, as on a real host; no
 * kernel module needed), and its own /etc/resolv.conf and /etc/nsswitch.conf, which
 * `ip netns exec` mounts over the host's from /etc/netns/NAME. Needs root.
 */
export interface Netns {
  name: string;
  /** Prefix that runs a command inside the namespace: `[ip, netns, exec, NAME]`. */
  launcher: string[];
  /** Runs a command inside the namespace to completion; rejects when it exits non-zero. */
  exec(command: string, args: string[]): Promise<string>;
  remove(): Promise<void>;
}

export interface NetnsFiles {
  /** Contents of the namespace's /etc/resolv.conf. */
  resolvConf: string;
  /** Contents of its /etc/nsswitch.conf; the host's own (maybe with nss-mdns) when absent. */
  nsswitch?: string;
}

export async function createNetns(files: NetnsFiles): Promise<Netns> {
  const ip = requireTool('ip', 'iproute2');
  const name = `dnsbridge-test-${randomBytes(4).toString('hex')}`;
  const etc = `/etc/netns/${name}`;
  await run(ip, ['netns', 'add', name]);
  const netns: Netns = {
    name,
    launcher: [ip, 'netns', 'exec', name],
    async exec(command, args) {
      const { stdout } = await run(ip, ['netns', 'exec', name, command, ...args], { timeout: 30_000 });
      return stdout;
    },
    async remove() {
      await run(ip, ['netns', 'delete', name]).catch(() => undefined);
      await rm(etc, { recursive: true, force: true });
    },
  };
  try {
    await netns.exec('ip', ['link', 'set', 'lo', 'up']);
    await netns.exec('ip', ['address', 'add', '192.0.2.1/32', 'dev', 'lo']);
    await netns.exec('ip', ['address', 'add', '2001:db8::1/128', 'dev', 'lo', 'nodad']);
    await mkdir(etc, { recursive: true });
    await writeFile(`${etc}/resolv.conf`, files.resolvConf);
    if (files.nsswitch !== undefined) await writeFile(`${etc}/nsswitch.conf`, files.nsswitch);
  } catch (error) {
    await netns.remove();
    throw error;
  }
  return netns;
}
