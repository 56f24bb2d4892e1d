import { Option, type Command } from 'commander';
import { createLogger } from '../log.js';
import { parseRegisterOptions, registerOptions } from './options.js';

/**
 * Gives `dnsbridge register` its arguments, options and action. Bad options throw a ConfigError
 * naming the flag, which the CLI turns into exit code 2.
 */
export function registerCommand(command: Command): void {
  command.argument('[program...]', 'with --exec: the program and its arguments, after --');
  for (const [name, spec] of Object.entries(registerOptions)) {
    // `[ARG]`: the value may be left out (`--consul` alone takes Consul's own default address).
    const value = spec.arg.startsWith('[') ? ` ${spec.arg}` : spec.arg ? ` <${spec.arg}>` : '';
    command.addOption(new Option(`--${name}${value}`, spec.help));
  }
  command.action(async (operands: string[], _options: unknown, self: Command) => {
    const settings = parseRegisterOptions(flagsOf(self), operands);
    // Loaded here, not at start: it brings every registry library.
    const { runRegister } = await import('./run.js');
    const code = await runRegister(settings, createLogger(settings.logLevel));
    process.exit(code);
  });
}

/** Commander's camelCased values back to our option names. */
function flagsOf(command: Command): Record<string, unknown> {
  const values = command.opts();
  const flags: Record<string, unknown> = {};
  for (const name of Object.keys(registerOptions)) {
    const camel = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (values[camel] !== undefined) flags[name] = values[camel];
  }
  return flags;
}
