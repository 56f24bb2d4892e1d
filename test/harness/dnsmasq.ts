import { freePort } from './ports.js';
import { startProcess, type Running } from './process.js';
import { requireTool } from './tools.js';

export interface DnsmasqOptions {
  /** Lines of dnsmasq configuration, e.g. `host-record=web.example.test,192.0.2.10`. */
  config: string[];
  port?: number;
  /** A command that starts dnsmasq for us, e.g. `ip netns exec NS` to run it inside a network namespace. */
  launcher?: string[];
}

export interface Dnsmasq extends Running {
  port: number;
  address: string;
}

/** A real dnsmasq on a free loopback port answering only what `config` gives it: the upstream in tests. */
export async function startDnsmasq(options: DnsmasqOptions): Promise<Dnsmasq> {
  const binary = requireTool('dnsmasq', 'dnsmasq-base');
  const port = options.port ?? (await freePort());
  const args = [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--bind-interfaces',
    '--listen-address=127.0.0.1',
    `--port=${port}`,
    '--user=root',
    '--pid-file=',
    '--log-facility=-',
    ...options.config.map((line) => `--${line}`),
  ];
  const [command, ...launcherArgs] = [...(options.launcher ?? []), binary];
  const running = await startProcess(command, [...launcherArgs, ...args], {
    ready: (output) => output.includes('started') || output.includes('compile time options'),
    name: 'dnsmasq',
  });
  return { ...running, port, address: `127.0.0.1:${port}` };
}
