import type { Logger } from 'pino';
import { providerLabel } from '../ops/changes.js';
import type { Provider } from '../registry/provider.js';
import { specId, describeCheck, type CheckSpec } from './check.js';
import type { HealthSettings } from './options.js';
import { probe as realProbe, type Probe, type ProbeResult } from './probe.js';
import { CheckScheduler } from './scheduler.js';
import { ProviderHealth, type CheckStatus } from './state.js';

/** What the monitor needs of the registry (`Registry` in the process that runs the sources). */
export interface CheckedRegistry {
  providers(service: string): readonly Provider[];
  /** `service` got its first query (since start, or since it was released). */
  onWatch(listener: (service: string) => void): void;
  onRelease(listener: (service: string) => void): void;
  onChange(listener: (service: string) => void): void;
  /** Builds `service`'s providers again through the overlay and tells everyone, as for a registry change. */
  refresh(service: string): void;
  setOverlay(overlay: (service: string, providers: readonly Provider[]) => readonly Provider[]): void;
}

/** One checked address: shared by every service that lists it with the same check. */
interface Target {
  host: string;
  port: number;
  spec: CheckSpec;
  health: ProviderHealth;
  services: Set<string>;
}

export interface HealthFigures {
  checks: Record<ProbeResult['result'], number>;
  /** Providers out of answers now. */
  unhealthy: number;
  /** Services whose every provider fails, answered in full. */
  failOpen: string[];
  /** Providers being checked. */
  checked: number;
}

/** Checks at once at most; a probe holds a socket for up to its timeout. */
const MAX_IN_FLIGHT = 256;

/**
 * Active health checks, once per bridge (in the process that runs the sources): the providers of
 * queried services are probed on their service's schedule, and a provider whose check turns
 * failing or passing changes that service's providers in the registry, which drops its cached
 * answers and tells the workers. A failing provider is marked `unhealthy`; answers leave it out
 * (src/health/filter.ts).
 */
export class HealthMonitor {
  private readonly targets = new Map<string, Target>();
  /** Queried services -> keys of their targets. */
  private readonly watched = new Map<string, Set<string>>();
  private readonly failOpen = new Set<string>();
  private readonly checks: HealthFigures['checks'] = { pass: 0, fail: 0, timeout: 0 };
  private readonly scheduler = new CheckScheduler({ maxInFlight: MAX_IN_FLIGHT });
  private readonly now: () => number;
  private readonly probe: Probe;

  constructor(
    private readonly registry: CheckedRegistry,
    private settings: HealthSettings,
    private readonly log: Logger,
    options: { probe?: Probe; now?: () => number } = {},
  ) {
    this.probe = options.probe ?? realProbe;
    this.now = options.now ?? Date.now;
    registry.setOverlay((service, providers) => this.mark(service, providers));
    registry.onWatch((service) => {
      if (!this.watched.has(service)) this.watched.set(service, new Set());
      this.sync(service);
    });
    registry.onChange((service) => this.sync(service));
    registry.onRelease((service) => this.unwatch(service));
  }

  /** New settings (a reload): services whose check changed are checked the new way, their states start over. */
  configure(settings: HealthSettings): void {
    if (settings.sameAs(this.settings)) return;
    this.settings = settings;
    for (const service of this.watched.keys()) {
      this.sync(service);
      this.registry.refresh(service);
    }
  }

  stop(): void {
    this.scheduler.stop();
  }

  /** The check of one of `service`'s providers; undefined when it is not checked. */
  statusOf(service: string, provider: Provider): CheckStatus | undefined {
    const spec = this.settings.specFor(service);
    return spec && this.targets.get(targetKey(spec, provider))?.health.status();
  }

  figures(): HealthFigures {
    let unhealthy = 0;
    for (const target of this.targets.values()) if (target.health.failing) unhealthy++;
    return { checks: { ...this.checks }, unhealthy, failOpen: [...this.failOpen].sort(), checked: this.targets.size };
  }

  /** The overlay: copies of `service`'s failing providers carry why they fail. */
  private mark(service: string, providers: readonly Provider[]): readonly Provider[] {
    const keys = this.watched.get(service);
    if (!keys?.size) return providers;
    const spec = this.settings.specFor(service);
    if (!spec) return providers;
    let marked: Provider[] | undefined;
    providers.forEach((provider, i) => {
      const health = this.targets.get(targetKey(spec, provider))?.health;
      if (!health?.failing) return;
      marked ??= [...providers];
      marked[i] = { ...provider, unhealthy: health.reason };
    });
    return marked ?? providers;
  }

  /** Makes `service`'s targets match its providers and its check. */
  private sync(service: string): void {
    const keys = this.watched.get(service);
    if (!keys) return;
    const spec = this.settings.specFor(service);
    const wanted = new Map<string, Provider>();
    if (spec) for (const provider of this.registry.providers(service)) wanted.set(targetKey(spec, provider), provider);
    for (const key of keys) if (!wanted.has(key)) this.leave(service, key);
    let joinedFailing = false;
    for (const [key, provider] of wanted) {
      if (keys.has(key)) continue;
      keys.add(key);
      joinedFailing = this.join(service, key, provider, spec!).health.failing || joinedFailing;
    }
    this.updateFailOpen(service);
    // A provider another service already found failing: mark it here too.
    if (joinedFailing) this.registry.refresh(service);
  }

  /** Its checks stop; a provider that was marked failing is answered unmarked again. */
  private unwatch(service: string): void {
    const keys = [...(this.watched.get(service) ?? [])];
    const marked = keys.some((key) => this.targets.get(key)?.health.failing);
    for (const key of keys) this.leave(service, key);
    this.watched.delete(service);
    this.updateFailOpen(service);
    if (marked) this.registry.refresh(service);
  }

  private join(service: string, key: string, provider: Provider, spec: CheckSpec): Target {
    let target = this.targets.get(key);
    if (!target) {
      target = { host: provider.host, port: provider.port, spec, health: new ProviderHealth(describeCheck(spec.check), spec.rise, spec.fall), services: new Set() };
      this.targets.set(key, target);
      const checked = target;
      this.scheduler.add(key, spec.intervalMs, () => this.run(key, checked));
    }
    target.services.add(service);
    return target;
  }

  private leave(service: string, key: string): void {
    this.watched.get(service)?.delete(key);
    const target = this.targets.get(key);
    if (!target) return;
    target.services.delete(service);
    if (target.services.size) return;
    this.targets.delete(key);
    this.scheduler.remove(key);
  }

  private async run(key: string, target: Target): Promise<void> {
    const outcome = await this.probe(target, target.spec.check, target.spec.timeoutMs);
    this.checks[outcome.result]++;
    if (this.targets.get(key) !== target || !target.health.record(outcome, this.now())) return;
    const provider = providerLabel(target);
    if (target.health.failing) this.log.warn({ provider, services: [...target.services], detail: outcome.detail }, `${provider} leaves the answers: ${target.health.reason}`);
    else this.log.info({ provider, services: [...target.services] }, `${provider} is back in the answers: its ${describeCheck(target.spec.check)} check passed ${target.spec.rise} times in a row`);
    for (const service of target.services) this.registry.refresh(service);
  }

  /** Fail open: a service whose every checked provider fails is answered in full, and says so once. */
  private updateFailOpen(service: string): void {
    const keys = this.watched.get(service);
    const all = keys !== undefined && keys.size > 0 && [...keys].every((key) => this.targets.get(key)?.health.failing);
    if (all === this.failOpen.has(service)) return;
    if (all) {
      this.failOpen.add(service);
      this.log.warn({ service }, `every provider of ${service} fails its health check: answering all of them (fail open)`);
    } else {
      this.failOpen.delete(service);
      this.log.info({ service }, `${service} has a provider passing its health check again: fail open ends`);
    }
  }
}

function targetKey(spec: CheckSpec, provider: { host: string; port: number }): string {
  return `${specId(spec)}|${provider.host}|${provider.port}`;
}
