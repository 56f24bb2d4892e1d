import { isIP } from 'node:net';
import type { ProviderView } from '../registry/view.js';
import { addressToHex, reverseAddress } from './names.js';

/**
 * Which services each provider address belongs to, for PTR answers, followed through registry
 * changes. A change that gives an address to a service or takes it away is told to listeners as
 * `reverseDependency(address)`: cached answers of that reverse name, ours or forwarded, carry it.
 */
export class ReverseIndex {
  private readonly addressesByService = new Map<string, ReadonlySet<string>>();
  private readonly servicesByAddress = new Map<string, Set<string>>();
  private readonly listeners: ((dependency: string) => void)[] = [];

  constructor(private readonly view: ProviderView) {
    view.onChange((service) => this.update(service));
  }

  /** The services with a provider at `address` (hex, as `reverseAddress` gives it), sorted. */
  servicesAt(address: string): string[] {
    return [...(this.servicesByAddress.get(address) ?? [])].sort();
  }

  /** True when `name` is the reverse name of a provider's address: we answer it instead of the upstreams. */
  answers(name: string): boolean {
    const address = name.endsWith('.arpa') ? reverseAddress(name) : undefined;
    return address !== undefined && this.servicesByAddress.has(address);
  }

  onChange(listener: (dependency: string) => void): void {
    this.listeners.push(listener);
  }

  private update(service: string): void {
    const before = this.addressesByService.get(service) ?? new Set<string>();
    const after = new Set(this.view.providers(service).flatMap((p) => [p.host, p.otherFamilyAddress ?? ''].filter((a) => isIP(a)).map(addressToHex)));
    if (after.size) this.addressesByService.set(service, after);
    else this.addressesByService.delete(service);
    for (const address of before) if (!after.has(address)) this.unlink(address, service);
    for (const address of after) if (!before.has(address)) this.link(address, service);
  }

  private link(address: string, service: string): void {
    let services = this.servicesByAddress.get(address);
    if (!services) this.servicesByAddress.set(address, (services = new Set()));
    services.add(service);
    this.notify(address);
  }

  private unlink(address: string, service: string): void {
    const services = this.servicesByAddress.get(address);
    services?.delete(service);
    if (services?.size === 0) this.servicesByAddress.delete(address);
    this.notify(address);
  }

  private notify(address: string): void {
    for (const listener of this.listeners) listener(reverseDependency(address));
  }
}

/**
 * What a cached answer of the reverse name of `address` (hex) depends on, beside services: a
 * change of the services at that address drops it. Never a service name: a query's name writes ':' as \\058.
 */
export function reverseDependency(address: string): string {
  return `reverse:${address}`;
}

/** What the cached answer of `name` depends on when it is a reverse name (forwarded or ours). */
export function reverseDependencies(name: string): string[] {
  const address = name.endsWith('.arpa') ? reverseAddress(name) : undefined;
  return address === undefined ? [] : [reverseDependency(address)];
}
