import cluster from 'node:cluster';
import { Option, type Command } from 'commander';
import type { Logger } from 'pino';
import { ConfigError, EXIT_CONFIG, exitForConfig } from './config/errors.js';
import { loadConfig, type Config } from './config/load.js';
import { allFlags } from './config/schema.js';
import { reloadOnSignal, type Reloadable } from './lifecycle/reload-signal.js';
import { prepareInstances } from './sources/index.js';
import { workerCount } from './cluster/count.js';

/** `dnsbridge serve`: every configuration option, then the bridge. */
export function serveCommand(command: Command): void {
  addServeOptions(command).action((_, self: Command) => serve(self));
}

/** `dnsbridge check`: the configuration options, validated; nothing is started. */
export function checkCommand(command: Command): void {
  addServeOptions(command).action((_, self: Command) => check(self));
}

/** `dnsbridge doctor`: the configuration options and the doctor's own. */
export async function doctorCommand(command: Command): Promise<void> {
  const { addDoctorOptions, doctor } = await import('./ops/cli/doctor.js');
  addDoctorOptions(addServeOptions(command)).action(async (_, self: Command) => void (process.exitCode = await doctor(configOf(self), self.opts())));
}

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
  // pino, like the serving code, is loaded only to serve: `check` starts without it.
  const log = (await import('./log.js')).createLogger(config['log-level']);
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

/** The serving code (and the libraries it needs) is loaded only to serve: `check` and `doctor` start faster. */
async function startServing(config: Config, log: Logger, workers: number): Promise<Reloadable & { close(): Promise<void> }> {
  if (workers <= 1) return (await import('./serve.js')).startBridge(config, log);
  if (cluster.isPrimary) return (await import('./cluster/primary.js')).startPrimary(config, log, workers);
  return (await import('./cluster/worker.js')).startWorker(config, log);
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
