import type { InstanceConfig } from '../sources/index.js';
import type { ConfigProblem } from './errors.js';
import type { ServeSettings } from './schema.js';

/**
 * The datacenter options agree with each other and with the sources: failover, client networks
 * and SRV failover need `--datacenter`; a client network names a configured datacenter.
 */
export function datacenterProblems(settings: ServeSettings, instances: readonly InstanceConfig[], keyOf: (option: string) => string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const local = settings.datacenter;
  const failover = settings.failover;
  const clients = settings['client-datacenter'];
  const srvStep = settings['srv-failover-priority'];
  if (local === undefined) {
    const needing = [failover.length > 0 && 'failover', clients.length > 0 && 'client-datacenter', srvStep > 0 && 'srv-failover-priority'];
    for (const option of needing) if (option) problems.push({ key: keyOf(option), message: 'needs --datacenter, the datacenter this bridge is in' });
    return problems;
  }
  if (failover.includes(local)) problems.push({ key: keyOf('failover'), message: `"${local}" is --datacenter itself: list the other datacenters` });
  const repeated = failover.find((dc, i) => failover.indexOf(dc) !== i);
  if (repeated) problems.push({ key: keyOf('failover'), message: `"${repeated}" is listed twice` });
  if (srvStep > 0 && !failover.length) problems.push({ key: keyOf('srv-failover-priority'), message: 'needs --failover: the datacenters whose providers SRV answers add' });
  const known = new Set([local, ...failover, ...instances.flatMap((i) => (i.datacenter === undefined ? [] : [i.datacenter.toLowerCase()]))]);
  for (const client of clients) {
    if (known.has(client.datacenter)) continue;
    problems.push({
      key: keyOf('client-datacenter'),
      message: `"${client.address}/${client.prefix}=${client.datacenter}": ${client.datacenter} is not a configured datacenter (${[...known].sort().join(', ')})`,
    });
  }
  return problems;
}
