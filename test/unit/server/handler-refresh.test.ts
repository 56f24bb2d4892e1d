import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { AnswerCache } from '../../../src/cache/answer-cache.js';
import { Forwarder } from '../../../src/forward/forwarder.js';
import { DEFAULT_PRIORITY, DEFAULT_WEIGHT, type SourceProvider } from '../../../src/registry/provider.js';
import type { ProviderSink } from '../../../src/registry/source.js';
import { ClientAcl } from '../../../src/server/acl.js';
import { QueryHandler, type HandlerResult } from '../../../src/server/handler.js';
import { Router } from '../../../src/server/router.js';
import { HostAddresses } from '../../../src/zone/host-addresses.js';
import { ReverseIndex } from '../../../src/zone/reverse-index.js';
import { ServiceZone } from '../../../src/zone/service-zone.js';
import { writableRegistry } from '../../harness/registry.js';
import { query } from '../../harness/wire.js';

const provider = (host: string): SourceProvider => ({ host, port: 8080, priority: DEFAULT_PRIORITY, weight: DEFAULT_WEIGHT, tags: [], origin: 'test' });

/** A handler over a registry with one source the test writes through: `registry.replace` is a registry change. */
function setup(): { registry: ProviderSink; cache: AnswerCache; handler: QueryHandler } {
  const { registry, write } = writableRegistry();
  const cache = new AnswerCache({ max: 100 });
  const hosts = new HostAddresses(async () => Promise.reject(new Error('no lookups here')), { failureTtlMs: 1000, minTtlMs: 1000, maxTtlMs: 1000, idleMs: 1000 });
  const zone = new ServiceZone({ domain: 'service.local', ttl: 5, hostWaitMs: 100, maxAnswers: 0 }, registry, hosts, new ReverseIndex(registry));
  const handler = new QueryHandler(
    {
      cache,
      zone,
      registry,
      router: new Router('service.local', new Map(), []),
      forwarder: new Forwarder({ timeoutMs: 100, maxInFlight: 1 }),
      acl: new ClientAcl(['127.0.0.0/8']),
      observer: { answered() {}, malformed() {}, truncated() {} },
      recursionAvailable: false,
    },
    { zoneCacheMs: 60_000, maxForwardTtl: 60 },
  );
  registry.onChange((service) => handler.changed(service));
  return { registry: { replace: write }, cache, handler };
}

async function addresses(result: HandlerResult): Promise<string[]> {
  const reply = await result;
  assert.ok(reply);
  return dnsPacket.decode(reply).answers!.map((rr) => String((rr as dnsPacket.StringAnswer).data)).sort();
}

const ask = (handler: QueryHandler, type = 1) => handler.handle(query('api.service.local', type), '127.0.0.1', false);
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('QueryHandler: cached answers re-encoded after a registry change', () => {
  let registry: ProviderSink;
  let cache: AnswerCache;
  let handler: QueryHandler;
  beforeEach(async () => {
    ({ registry, cache, handler } = setup());
    registry.replace('api', [provider('10.0.0.1'), provider('10.0.0.2')]);
    assert.deepEqual(await addresses(ask(handler)), ['10.0.0.1', '10.0.0.2']);
    assert.ok(ask(handler) instanceof Buffer, 'the second query is a hit');
  });

  it('encodes the changed answer right after the change, so the next query is a hit showing it', async () => {
    registry.replace('api', [provider('10.0.0.2'), provider('10.0.0.3')]);
    await turn();
    const reply = ask(handler);
    assert.ok(reply instanceof Buffer, 'a hit, answered synchronously');
    assert.deepEqual(await addresses(reply), ['10.0.0.2', '10.0.0.3']);
    assert.equal(cache.refreshes, 1);
  });

  it('never answers from before the change: a query between the change and the re-encoding builds the new answer', async () => {
    const misses = cache.misses;
    registry.replace('api', [provider('10.0.0.3')]);
    const reply = ask(handler);
    assert.ok(reply instanceof Promise, 'not the old cached answer');
    assert.deepEqual(await addresses(reply), ['10.0.0.3']);
    assert.equal(cache.misses, misses + 1);
    await turn();
    assert.equal(cache.refreshes, 0, 'that query cached it already: nothing to encode again');
    assert.deepEqual(await addresses(ask(handler)), ['10.0.0.3']);
  });

  it('an answer being built when a change lands is built from the change', async () => {
    const pending = ask(handler, 28 /* AAAA: not cached yet */);
    registry.replace('api', [provider('fd00::1')]);
    assert.deepEqual(await addresses(pending), ['fd00::1']);
    const again = ask(handler, 28);
    assert.ok(again instanceof Buffer);
    assert.deepEqual(await addresses(again), ['fd00::1']);
  });

  it('a service whose last provider left answers NXDOMAIN from the cache at once', async () => {
    registry.replace('api', []);
    await turn();
    const reply = ask(handler);
    assert.ok(reply instanceof Buffer);
    assert.equal(reply[3] & 0xf, 3, "NXDOMAIN");
  });
});
