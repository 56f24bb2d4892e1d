import type { Logger } from 'pino';
import type { Registry as PromRegistry } from 'prom-client';
import type { Config } from '../config/load.js';
import type { TransferStatus } from '../ops/api.js';
import type { ProviderView } from '../registry/view.js';
import { ClientAcl } from '../server/acl.js';
import { datacenterOptions } from '../zone/datacenters.js';
import type { HostAddresses } from '../zone/host-addresses.js';
import { readTsigKeyFile } from './key-file.js';
import { TransferMetrics } from './metrics.js';
import { Notifier } from './notifier.js';
import { TransferResponder } from './responder.js';
import type { TsigKey } from './tsig.js';
import { ZoneVersions } from './zone-versions.js';

/** Zone transfers as a configuration asks for them: the zone's versions, the responder, NOTIFYs. */
export interface Transfers {
  versions: ZoneVersions;
  responder: TransferResponder;
  metrics: TransferMetrics;
  /** The serial and each secondary's last transfer and NOTIFY, for the status page and /api/status. */
  status(): TransferStatus;
  stop(): void;
}

/** Registry changes within this long make one version and one NOTIFY per secondary. */
const COALESCE_MS = 100;

/** The TSIG key of `--tsig-key-file`, read before anything starts (a bad file is a configuration error). */
export function transferKey(config: Config): TsigKey | undefined {
  return config['tsig-key-file'] ? readTsigKeyFile(config['tsig-key-file']) : undefined;
}

/** Starts what `--transfer-allow`, `--notify` and `--tsig-key-file` ask for; undefined when nobody may transfer. */
export function startTransfers(
  config: Config,
  key: TsigKey | undefined,
  deps: { view: ProviderView & { serviceNames(): string[] }; hosts: HostAddresses; metrics: PromRegistry },
  log: Logger,
): Transfers | undefined {
  if (config['transfer-allow'].length === 0) return undefined;
  const versions = new ZoneVersions(
    { domain: config.domain, ttl: config.ttl, datacenters: datacenterOptions(config), coalesceMs: COALESCE_MS, journal: { maxDiffs: 1000, maxRecords: 200_000 } },
    deps.view,
    deps.hosts,
  );
  const metrics = new TransferMetrics(deps.metrics, () => versions.serial);
  const responder = new TransferResponder(versions, new ClientAcl(config['transfer-allow']), key, metrics, log.child({ part: 'transfer' }));
  const notifier = new Notifier(config.domain, config.notify, (serial) => versions.soa(serial), key, metrics, log.child({ part: 'notify' }));
  versions.onVersion((serial) => notifier.announce(serial));
  // A restarted bridge has a higher serial: the secondaries hear of it at once.
  notifier.announce(versions.serial);
  log.info(
    { transferAllow: config['transfer-allow'], notify: config.notify.map((e) => `${e.host}:${e.port}`), tsigKey: key?.name, serial: versions.serial },
    `zone transfers of ${config.domain} allowed${key ? ` with TSIG key "${key.name}"` : ''}`,
  );
  return {
    versions,
    responder,
    metrics,
    status: () => ({ serial: versions.serial, journalFrom: versions.oldestJournalSerial, secondaries: metrics.lastTransfers(), notifies: metrics.lastNotifies() }),
    stop() {
      versions.stop();
      notifier.stop();
    },
  };
}
