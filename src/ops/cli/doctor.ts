import { Option, type Command } from 'commander';
import type { Config } from '../../config/load.js';
import { createLogger } from '../../log.js';
import { formatCheck, type Check } from '../doctor/check.js';
import { checkNsswitch } from '../doctor/nsswitch.js';
import { checkListenPort } from '../doctor/port.js';
import { checkSources, checkUpstreams } from '../doctor/reachable.js';
import { checkResolvConf } from '../doctor/resolv.js';

export interface DoctorOptions {
  resolvConf: string;
  nsswitch: string;
  /** How long each source may take to connect, ms. */
  wait: number;
}

/** `doctor` takes the serve options (to check the configuration it would run) and these. */
export function addDoctorOptions(command: Command): Command {
  return command
    .addOption(new Option('--resolv-conf <PATH>', 'resolver configuration to check').default('/etc/resolv.conf'))
    .addOption(new Option('--nsswitch <PATH>', 'name service switch configuration to check').default('/etc/nsswitch.conf'))
    .addOption(new Option('--wait <MS>', 'how long each source may take to connect').default(5000).argParser(Number));
}

/** Checks the host for what would keep programs from reaching the bridge; prints each finding. Exit code 1 if one failed. */
export async function doctor(config: Config, options: DoctorOptions): Promise<number> {
  const log = createLogger('silent');
  const checks: Check[] = [
    await checkListenPort(config.listen, config.domain),
    checkResolvConf(config.listen, options.resolvConf),
    checkNsswitch(config.domain, options.nsswitch),
    ...(await checkUpstreams(config)),
    ...(await checkSources(config, log, options.wait)),
  ];
  for (const check of checks) process.stdout.write(formatCheck(check));
  const failed = checks.filter((c) => c.status === 'fail').length;
  process.stdout.write(failed ? `${failed} problem${failed > 1 ? 's' : ''} to fix\n` : 'nothing to fix\n');
  return failed ? 1 : 0;
}
