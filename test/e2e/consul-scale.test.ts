// 500 watched Consul services against an agent that allows 200 connections per client, as
// Consul's http_max_conns_per_client does. Consul cannot be installed here: the bridge talks to
// a TEST DOUBLE of Consul's HTTP API (test/doubles/consul-http-double.ts), not a real agent.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig, rdata } from '../harness/dig.js';
import { eventually } from '../harness/eventually.js';
import { encodePlainQuery, udpExchange } from '../harness/raw-query.js';
import { CONSUL_MAX_CONNS_PER_CLIENT, ConsulHttpDouble, type DoubleInstance } from '../doubles/consul-http-double.js';

const SERVICES = 500;
const names = Array.from({ length: SERVICES }, (_, i) => `svc${i}`);
const instance = (i: number, port: number): DoubleInstance => ({ node: `n${i % 20}`, nodeAddress: `10.0.${i % 20}.1`, port });
const target = (i: number) => `0a00${(i % 20).toString(16).padStart(2, '0')}01.addr.service.local.`;

/** Runs `task` over `items`, `width` at a time. */
async function inBatches<T>(items: T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += width) await Promise.all(items.slice(start, start + width).map(task));
}

describe(`${SERVICES} watched Consul services, ${CONSUL_MAX_CONNS_PER_CLIENT} connections allowed (against a Consul HTTP API TEST DOUBLE)`, () => {
  let double: ConsulHttpDouble;
  let bridge: BridgeProcess;

  before(async () => {
    double = await ConsulHttpDouble.start();
    names.forEach((name, i) => double.setInstances(name, [instance(i, 1000 + i)]));
    bridge = await startBridge(['--consul', double.url, '--consul-query-pace', '50']);
  });
  after(async () => {
    await bridge?.stop();
    await double?.stop();
  });

  /** SRV answers as dig prints them, asked in-process: 500 dig processes are slow on a busy machine. */
  const srv = async (i: number) => {
    const reply = dnsPacket.decode(await udpExchange(bridge.address, encodePlainQuery(`${names[i]}.service.local`, 'SRV', i)));
    return (reply.answers ?? []).map((answer) => {
      const data = (answer as { data: dnsPacket.SrvData }).data;
      return `${data.priority} ${data.weight} ${data.port} ${data.target}.`;
    });
  };

  it('answers every service, sees every change, stays connected and is never refused with 429 (double)', async () => {
    // A first query may SERVFAIL while the source is still loading on a busy machine: wait for each.
    await inBatches([...names.keys()], 16, (i) => eventually(async () => assert.deepEqual(await srv(i), [`10 1 ${1000 + i} ${target(i)}`]), { attempts: 300 }));
    const moved = [...names.keys()].filter((i) => i % 10 === 0);
    const failing = [...names.keys()].filter((i) => i % 10 === 1);
    for (const i of moved) double.setInstances(names[i], [instance(i, 2000 + i)]);
    for (const i of failing) double.markCritical(names[i], `n${i % 20}`);
    await inBatches(moved, 16, (i) => eventually(async () => assert.deepEqual(await srv(i), [`10 1 ${2000 + i} ${target(i)}`]), { attempts: 300 }));
    assert.deepEqual(rdata((await dig(bridge.address, 'svc10.service.local', 'SRV')).answer), [`10 1 2010 ${target(10)}`]);
    await inBatches(failing, 16, (i) => eventually(async () => assert.deepEqual(await srv(i), []), { attempts: 300 }));
    assert.equal(double.connections.refused, 0, 'no request was refused with 429');
    assert.ok(double.connections.peak <= 64, `at most 64 connections open at once, saw ${double.connections.peak}`);
    const status = (await (await fetch(`http://${bridge.http}/api/status`)).json()) as { sources: { name: string; state: string; watchedServices: number }[] };
    const consul = status.sources.find((s) => s.name === 'consul');
    assert.deepEqual([consul?.state, consul?.watchedServices], ['connected', SERVICES]);
  });

  it('answers a name Consul does not have at once, without holding a connection for it (double)', async () => {
    const before = double.requests.length;
    assert.deepEqual((await dig(bridge.address, 'nosuch.service.local', 'SRV')).status, 'NXDOMAIN');
    assert.ok(double.requests.slice(before).every((r) => r.path !== '/v1/health/service/nosuch'), 'no query for a name the listing lacks');
  });
});
