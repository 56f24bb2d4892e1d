#!/usr/bin/env node
import cluster from 'node:cluster';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from './config/errors.js';
import { loadConfig, type Config } from './config/load.js';
import { allFlags } from './config/schema.js';
import { reloadOnSignal, type Reloadable } from './lifecycle/reload-signal.js';
import { createLogger } from './log.js';
import { addDoctorOptions, doctor } from './ops/cli/doctor.js';
import { lookupCommand } from './ops/cli/lookup.js';
import { lsCommand } from './ops/cli/ls.js';
import { addRegisterCommand } from './register/command.js';
import type { Logger } from 'pino';
import { prepareInstances } from './sources/index.js';
import { workerCount } from './cluster/count.js';

/** Bad usage or configuration: nothing was started. */
const EXIT_CONFIG = 2;

function addServeOptions(command: Command): Command {
  command.option('--config <FILE>', 'YAML file with any of the options below');
  for (const [name, spec] of allFlags) {
    const option = new Option(spec.arg ? `--${name} <${spec.arg}>` : `--${name}`, spec.help);
    if (spec.repeatable) option.argParser((value: string, previous?: string[]) => [...(previous ?? []), value]);
    command.addOption(option);
  }
  return command;
}

/** Commander's camelCased option values back to our option names. */
function flagsOf(command: Command): Record<string, unknown> {
  const values = command.opts();
  const flags: Record<string, unknown> = {};
  for (const name of allFlags.keys()) {
    const camel = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (values[camel] !== undefined) flags[name] = values[camel];
  }
  return flags;
}

function configOf(command: Command): Config {
  return loadConfig({ flags: flagsOf(command), env: process.env, file: command.opts().config });
}

async function serve(command: Command): Promise<void> {
  const config = configOf(command);
  const log = createLogger(config['log-level']);
  const workers = workerCount(config.workers, config['transfer-allow'].length > 0);
  const starting = startServing(config, log, workers).catch((error: NodeJS.ErrnoException) => {
    if (error instanceof ConfigError) exitForConfig(error);
    log.fatal({ err: error }, `cannot start: ${error.message}`);
    process.exit(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? EXIT_CONFIG : 1);
  });
  // From the first moment: a SIGHUP during start-up is applied once started, not fatal.
  reloadOnSignal(starting, () => configOf(command), log);
  const running = await starting;
  const stop = async (signal: string) => {
    log.info({ signal }, 'stopping');
    await running.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  // A worker leaves Ctrl-C to its primary, which stops the workers itself.
  if (cluster.isWorker) process.on('SIGINT', () => {});
  else process.once('SIGINT', () => void stop('SIGINT'));
}

/** The serving code (and the libraries it needs) is loaded only to serve: `--help`, `check`, `ls` start faster. */
async function startServing(config: Config, log: Logger, workers: number): Promise<Reloadable & { close(): Promise<void> }> {
  if (workers <= 1) return (await import('./serve.js')).startBridge(config, log);
  if (cluster.isPrimary) return (await import('./cluster/primary.js')).startPrimary(config, log, workers);
  return (await import('./cluster/worker.js')).startWorker(config, log);
}

/** Prints every configuration problem, naming its key, and exits 2: nothing was started. */
function exitForConfig(error: ConfigError): never {
  process.stderr.write(`dnsbridge: invalid configuration:\n${error.problems.map((p) => `  ${p.key}: ${p.message}`).join('\n')}\n`);
  process.exit(EXIT_CONFIG);
}

async function check(command: Command): Promise<void> {
  const config = configOf(command);
  // Each source kind checks its own settings (secret and TLS files); no source is made.
  prepareInstances(config.sources);
  const sources = config.sources.map(({ name, kind, datacenter }) => (name === kind ? name : `${name} (${kind})`) + (datacenter ? ` in ${datacenter}` : ''));
  process.stdout.write(
    `configuration is valid: listening on ${config.listen.host}:${config.listen.port}, domain ${config.domain}, sources: ${sources.join(', ') || 'none'}\n`,
  );
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('dnsbridge')
    .description('DNS for services registered in ZooKeeper, etcd and Consul')
    .exitOverride()
    .showHelpAfterError();
  addServeOptions(program.command('serve').description('answer DNS queries')).action((_, command: Command) => serve(command));
  addServeOptions(program.command('check').description('validate a configuration: exit 0, or list every problem and exit 2')).action(
    (_, command: Command) => check(command),
  );
  addRegisterCommand(program);
  for (const command of [lsCommand(), lookupCommand()]) program.addCommand(command.copyInheritedSettings(program));
  addDoctorOptions(addServeOptions(program.command('doctor').description('check this host for what keeps programs from reaching the bridge'))).action(
    async (_, command: Command) => void (process.exitCode = await doctor(configOf(command), command.opts())),
  );
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError) exitForConfig(error);
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : EXIT_CONFIG);
    throw error;
  }
}

await main(process.argv);
