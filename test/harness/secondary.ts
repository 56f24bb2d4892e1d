import type { Running } from './process.js';

/** A standard DNS secondary (NSD, Knot) a test runs against the bridge as its primary. */
export interface Secondary extends Running {
  /** `nsd` or `knot`, for messages. */
  name: string;
  port: number;
  /** `127.0.0.1:PORT`, for dig. */
  address: string;
  /** The configuration it was started with, for the README and failure messages. */
  config: string;
}

export interface SecondaryOptions {
  zone: string;
  /** The bridge's DNS port: where the secondary transfers the zone from, and where NOTIFYs come from. */
  primaryPort: number;
  /** The TSIG key, as `tsig-keygen` names it and its base64 secret. */
  key: { name: string; secret: string };
  /** A port picked beforehand (the bridge's --notify must name it before the secondary starts). */
  port: number;
}
