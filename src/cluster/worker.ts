import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from '../config/load.js';
import { createDnsPath, type DnsPath } from '../dns-path.js';
import { isPrimaryMessage, type PrimaryMessage } from './messages.js';
import { ReplicaView } from './replica.js';

/** How often a worker tells the primary its query counts (the status page samples once a second). */
const FIGURES_EVERY_MS = 1000;

/** A DNS worker: the DNS path over sockets shared through the primary, fed by a registry replica. */
export async function startWorker(config: Config, log: Logger): Promise<DnsPath> {
  const send = (message: unknown) => process.send?.(message);
  const view = new ReplicaView({
    send,
    onMessage: (listener) => process.on('message', (message) => isPrimaryMessage(message) && listener(message as PrimaryMessage)),
  });
  const dns = createDnsPath(config, view, log);
  view.warmWith((service) => dns.warm(service));
  // The primary's /metrics sums every worker's registry. Constructing an AggregatorRegistry is
  // what makes prom-client answer the primary's requests in a worker; setRegistries alone does not.
  AggregatorRegistry.setRegistries([dns.metrics.registry]);
  new AggregatorRegistry();
  process.on('message', (message) => {
    if (!isPrimaryMessage(message) || message.kind !== 'dnsbridge:explain') return;
    const { id, question } = message;
    dns.explain(question).then(
      (explanation) => send({ kind: 'dnsbridge:explained', id, pid: process.pid, explanation }),
      (error: Error) => log.warn({ err: error, name: question.name }, 'explain failed'),
    );
  });
  await dns.listen(false);
  send({ kind: 'dnsbridge:listening' });
  const figures = setInterval(() => process.connected && send({ kind: 'dnsbridge:figures', figures: dns.metrics.queryFigures() }), FIGURES_EVERY_MS);
  figures.unref();
  return dns;
}
