import { Counter, Gauge, type Registry as PromRegistry } from 'prom-client';
import type { NotifyObserver, NotifyResult } from './notifier.js';
import type { TransferObserver, TransferRecord } from './responder.js';

/** Transfer and NOTIFY figures: Prometheus metrics, and each secondary's last transfer for the status page. */
export class TransferMetrics implements TransferObserver, NotifyObserver {
  private readonly transfers: Counter<'type' | 'result'>;
  private readonly notifies: Counter<'secondary' | 'result'>;
  private readonly lastBySecondary = new Map<string, TransferRecord>();
  private readonly lastNotify = new Map<string, { result: NotifyResult; at: number }>();

  constructor(registry: PromRegistry, serial: () => number) {
    const registers = [registry];
    this.transfers = new Counter({
      name: 'dnsbridge_transfers_total',
      help: 'Zone transfer requests by type (axfr, ixfr, ixfr-axfr: an IXFR answered with the whole zone) and result (ok, refused, notauth)',
      labelNames: ['type', 'result'],
      registers,
    });
    this.notifies = new Counter({
      name: 'dnsbridge_notifies_total',
      help: 'NOTIFYs sent, by secondary and result (acknowledged, timeout, error, badsig)',
      labelNames: ['secondary', 'result'],
      registers,
    });
    new Gauge({
      name: 'dnsbridge_zone_serial',
      help: 'SOA serial of the zone as secondaries transfer it',
      registers,
      collect() {
        this.set(serial());
      },
    });
  }

  transferred(record: TransferRecord): void {
    this.transfers.inc({ type: record.type, result: record.result });
    this.lastBySecondary.set(record.client, record);
  }

  notified(secondary: string, result: NotifyResult): void {
    this.notifies.inc({ secondary, result });
    this.lastNotify.set(secondary, { result, at: Date.now() });
  }

  /** Each secondary's last transfer request, newest first. */
  lastTransfers(): TransferRecord[] {
    return [...this.lastBySecondary.values()].sort((a, b) => b.at - a.at);
  }

  /** Each --notify secondary's last NOTIFY outcome. */
  lastNotifies(): { secondary: string; result: NotifyResult; at: number }[] {
    return [...this.lastNotify].map(([secondary, last]) => ({ secondary, ...last }));
  }
}
