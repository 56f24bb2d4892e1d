#!/usr/bin/env node
import { Command, CommanderError, Help } from 'commander';
import { ConfigError, EXIT_CONFIG, exitForConfig } from './config/errors.js';

/**
 * The commands, each built by its own module, imported only when that command runs: `--help`
 * loads none, `ls` and `lookup` only the HTTP client, and no command but `serve`, `register` and
 * `doctor` loads a registry library. `usage` is how the command list shows it.
 */
const commands: { name: string; usage: string; description: string; build(command: Command): Promise<void> }[] = [
  {
    name: 'serve',
    usage: 'serve [options]',
    description: 'answer DNS queries',
    build: async (command) => (await import('./serve-command.js')).serveCommand(command),
  },
  {
    name: 'check',
    usage: 'check [options]',
    description: 'validate a configuration: exit 0, or list every problem and exit 2',
    build: async (command) => (await import('./serve-command.js')).checkCommand(command),
  },
  {
    name: 'register',
    usage: 'register [options] [program...]',
    description: 'register a program in ZooKeeper, etcd or Consul while its health check passes',
    build: async (command) => (await import('./register/command.js')).registerCommand(command),
  },
  {
    name: 'ls',
    usage: 'ls [options]',
    description: 'list the services a running bridge sees, and its sources (through its HTTP API)',
    build: async (command) => (await import('./ops/cli/ls.js')).lsCommand(command),
  },
  {
    name: 'lookup',
    usage: 'lookup [options] <service>',
    description: "show a service's providers and where each comes from, or with --explain how a name is answered and why (through a running bridge's HTTP API)",
    build: async (command) => (await import('./ops/cli/lookup.js')).lookupCommand(command),
  },
  {
    name: 'doctor',
    usage: 'doctor [options]',
    description: 'check this host for what keeps programs from reaching the bridge',
    build: async (command) => (await import('./serve-command.js')).doctorCommand(command),
  },
];

export async function main(argv: string[]): Promise<void> {
  const program = new Command('dnsbridge')
    .description('DNS for services registered in ZooKeeper, etcd and Consul')
    .exitOverride()
    .showHelpAfterError();
  // Only the command that runs (or whose help is asked for: `help serve`) gets its options.
  const wanted = argv[2] === 'help' ? argv[3] : argv[2];
  for (const spec of commands) {
    const command = program.command(spec.name).description(spec.description);
    if (spec.name === wanted) await spec.build(command);
  }
  const usage = new Map(commands.map((spec) => [spec.name, spec.usage]));
  program.configureHelp({ subcommandTerm: (command) => usage.get(command.name()) ?? new Help().subcommandTerm(command) });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError) exitForConfig(error);
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : EXIT_CONFIG);
    throw error;
  }
}

await main(process.argv);
