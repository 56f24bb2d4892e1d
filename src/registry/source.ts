import type { ChangeTiming, SourceLag } from './lag.js';
import type { PreloadStatus } from './preload.js';
import type { SourceProvider } from './provider.js';

/**
 * Receives what a source knows about one service. The registry gives each source instance a
 * sink of its own, which stamps the instance's name and datacenter on the providers and drops
 * a write that changes nothing: a source just writes what it read.
 */
export interface ProviderSink {
  /**
   * Replaces everything this source knows about `service`; an empty list means none. `timing`:
   * when the watch event behind it arrived (and the registry's own write time, if it has one),
   * for the lag figures.
   */
  replace(service: string, providers: readonly SourceProvider[], timing?: ChangeTiming): void;
}

/** `ready`: the source has delivered the service's providers; `unavailable`: it cannot tell now. */
export type EnsureResult = 'ready' | 'unavailable';

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

export interface SourceStatus {
  state: ConnectionState;
  /** Why it is not connected, naming the host and what happened. */
  detail?: string;
  watchedServices: number;
  watchEvents: number;
  decodeFailures: number;
  /** Epoch ms of the last complete read. */
  lastSync?: number;
  /** True once every watched service has been read at least once. */
  synced: boolean;
  /** Set by the registry when the source preloads (`--preload`). */
  preload?: PreloadStatus;
  /** Set by the registry once the source reported a change's timing: how long until its answers were ready. */
  lag?: SourceLag;
}

/** A source instance's status, as the registry reports it: the instance's name, kind and datacenter with it. */
export interface InstanceStatus extends SourceStatus {
  name: string;
  kind: string;
  datacenter?: string;
}

/**
 * A registry. Registry changes flow out of it through the sink; the registry asks it to load
 * and watch a service at its first query (`ensure`) and to let go of idle ones (`release`).
 */
export interface Source {
  /** Starts connecting in the background; never throws because the backend is down. */
  start(sink: ProviderSink): void;
  /** Loads and watches `service`, resolving once its providers were delivered or the source cannot say. */
  ensure(service: string): Promise<EnsureResult>;
  /** Stops watching `service`; a source that stops watching it withdraws its providers through the sink. */
  release(service: string): void;
  status(): SourceStatus;
  stop(): Promise<void>;
  /**
   * Optional: follows the names of every service the source holds, so they can be loaded before
   * anyone asks (`--preload`) and a zone transfer carries them all. Called once, after `start`;
   * `listed` gets the whole list each time: first once the first complete listing is read, then
   * whenever a service appears or goes. A source that loses its registry keeps quiet until it has
   * a complete listing again; `stop` ends it. Implement it when the registry can list cheaply
   * (ZooKeeper: the children of the parent of `{service}`; etcd: a keys-only range; Consul: the
   * catalog's service list). Names are lowercased service names; loading them stays `ensure`'s job.
   */
  followServices?(listed: (services: readonly string[]) => void): void;
}
