import type { Logger } from 'pino';
import type { Registry as PromRegistry } from 'prom-client';
import type { Config } from '../config/load.js';
import type { Registry } from '../registry/registry.js';
import { registerHealthMetrics } from './metrics.js';
import { HealthMonitor } from './monitor.js';
import { HealthSettings } from './options.js';

/** The bridge's health checks over `registry`, with their metrics in `prom`: in the process that runs the sources, once. */
export function startHealthChecks(registry: Registry, config: Config, log: Logger, prom: PromRegistry): HealthMonitor {
  const monitor = new HealthMonitor(registry, new HealthSettings(config), log.child({ module: 'health' }));
  registerHealthMetrics(prom, monitor);
  return monitor;
}
