import type { Logger } from 'pino';
import type { ProviderView } from '../registry/view.js';
import type { DatacenterOptions } from './datacenters.js';

/**
 * Warns once per service whose name is a configured datacenter's: `<name>.<domain>` is then that
 * datacenter's sub-zone, and the service is reached as `<name>.<dc>.<domain>`. In the process
 * that runs the sources (its first load, by a query under a sub-zone or by `--preload`).
 */
export function warnServicesNamedLikeDatacenters(view: ProviderView, settings: () => { domain: string; datacenters: DatacenterOptions }, log: Logger): void {
  const warned = new Set<string>();
  view.onChange((service) => {
    const { domain, datacenters } = settings();
    if (warned.has(service) || !datacenters.names.includes(service) || !view.providers(service).length) return;
    warned.add(service);
    const example = `${service}.${datacenters.local ?? datacenters.names[0]}.${domain}`;
    log.warn({ service }, `service ${service} has the name of a datacenter: ${service}.${domain} is that datacenter's sub-zone, so ask for the service under a datacenter (${example})`);
  });
}
