/**
 * One registry the registration is kept in. `publish` and `withdraw` are idempotent and may
 * be retried at any time; they throw a RegisterError when the registry cannot be reached.
 */
export interface Backend {
  /** The registry and where it is, for logs: `zookeeper 127.0.0.1:2181`. */
  readonly name: string;
  /** Where the registration lives in it: a path, a key, a service id. */
  readonly location: string;
  /** Makes the registration visible to lookups. `note` says why (the check's result). */
  publish(note: string): Promise<void>;
  /** Makes it invisible to lookups. */
  withdraw(note: string): Promise<void>;
  /** Confirms a published registration still holds, after each passing check (Consul's TTL check wants this). */
  refresh?(note: string): Promise<void>;
  /** Called when the registry dropped the registration by itself: a session expired, a lease was lost. */
  onLost?(listener: (reason: string) => void): void;
  /** Removes the registration for good and lets go of the connection; bounded in time. */
  close(): Promise<void>;
}
