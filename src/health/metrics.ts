import { Counter, Gauge, type Registry as PromRegistry } from 'prom-client';
import type { HealthMonitor } from './monitor.js';

/** Health check figures, read at scrape time. No `service` label: the services queried are unbounded. */
export function registerHealthMetrics(prom: PromRegistry, monitor: HealthMonitor): void {
  const registers = [prom];
  new Counter({
    name: 'dnsbridge_health_checks_total',
    help: "The bridge's health checks of providers, by result: pass, fail, timeout",
    labelNames: ['result'],
    registers,
    collect() {
      this.reset();
      for (const [result, count] of Object.entries(monitor.figures().checks)) this.inc({ result }, count);
    },
  });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name: `dnsbridge_${name}`, help, registers, collect() { this.set(read()); } });
  gauge('providers_unhealthy', 'Providers left out of answers because they fail their health check', () => monitor.figures().unhealthy);
  gauge('health_checked_providers', 'Providers the bridge checks (those of queried services)', () => monitor.figures().checked);
  gauge('health_fail_open_services', 'Services whose every provider fails its health check, answered in full', () => monitor.figures().failOpen.length);
}
