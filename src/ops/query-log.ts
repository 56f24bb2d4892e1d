import type { Logger } from 'pino';
import { RcodeName, typeName } from '../dns/constants.js';
import type { QueryObserver } from '../server/handler.js';

/** `--query-log`: every answer is also one info line (client, name, type and rcode by name, cached, seconds). */
export class QueryLog implements QueryObserver {
  private readonly log: Logger;

  constructor(
    private readonly inner: QueryObserver,
    log: Logger,
  ) {
    this.log = log.child({ log: 'query' });
  }

  answered(event: Parameters<QueryObserver['answered']>[0]): void {
    this.inner.answered(event);
    this.log.info({ ...event, type: typeName(event.type), rcode: RcodeName[event.rcode] ?? event.rcode, service: undefined }, 'query');
  }

  malformed(reason: string): void {
    this.inner.malformed(reason);
    this.log.info({ reason }, 'malformed query');
  }

  truncated(): void {
    this.inner.truncated();
  }
}
