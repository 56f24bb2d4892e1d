import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { InstanceStatus } from '../../src/registry/source.js';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig, rdata } from '../harness/dig.js';
import { startEtcd, type EtcdServer } from '../harness/etcd.js';
import { eventually } from '../harness/eventually.js';
import { getJson, loggedTimes, tempDir, writeTemp } from '../ops/helpers.js';

/** Two etcd instances on one real etcd, each reading its own prefix; `westDatacenter` labels the second. */
function sourcesYaml(url: string, westDatacenter: string): string {
  return [
    'sources:',
    `  - { kind: etcd, name: etcd-a, datacenter: east, endpoints: ["${url}"], prefixes: ["/a/{service}/providers/"] }`,
    `  - { kind: etcd, name: etcd-b, datacenter: ${westDatacenter}, endpoints: ["${url}"], prefixes: ["/b/{service}/providers/"] }`,
    '',
  ].join('\n');
}

describe('source instances across a reload: two etcd instances, one changed', () => {
  let etcd: EtcdServer;
  let bridge: BridgeProcess;
  let config: string;

  const status = async (name: string): Promise<InstanceStatus> => {
    const { body } = await getJson<{ sources: InstanceStatus[] }>(bridge.http, '/api/status');
    const found = body.sources.find((source) => source.name === name);
    assert.ok(found, `no ${name} in /api/status: ${JSON.stringify(body.sources)}`);
    return found;
  };
  const answer = async () => rdata((await dig(bridge.address, 'api.service.local')).answer).sort();

  before(async () => {
    etcd = await startEtcd();
    const writer = etcd.client();
    await writer.put('/a/api/providers/10.0.31.1:80').value('');
    await writer.put('/b/api/providers/10.0.32.1:80').value('');
    config = await writeTemp(await tempDir(), 'dnsbridge.yaml', sourcesYaml(etcd.url, 'west'));
    bridge = await startBridge(['--config', config]);
  });
  after(async () => {
    await bridge?.stop();
    await etcd?.close();
  });

  it('answers the union of both instances, each provider with its instance and datacenter', async () => {
    assert.deepEqual(await answer(), ['10.0.31.1', '10.0.32.1']);
    const { body } = await getJson(bridge.http, '/api/services/api');
    assert.deepEqual(
      body.providers.map((p: { host: string; source: string; datacenter: string }) => [p.host, p.source, p.datacenter]).sort(),
      [
        ['10.0.31.1', 'etcd-a', 'east'],
        ['10.0.32.1', 'etcd-b', 'west'],
      ],
    );
  });

  it('restarts only the changed instance; the other keeps its watch without reading again, and changes in both are answered', async () => {
    const writer = etcd.client();
    await writer.put('/a/api/providers/10.0.31.2:80').value('');
    await eventually(async () => assert.deepEqual(await answer(), ['10.0.31.1', '10.0.31.2', '10.0.32.1']));
    const keptBefore = await status('etcd-a');
    const changedBefore = await status('etcd-b');
    assert.equal(keptBefore.watchEvents, 1, 'etcd-a saw the put through its watch');

    await writeFile(config, sourcesYaml(etcd.url, 'north'));
    bridge.child.kill('SIGHUP');
    await loggedTimes(bridge, '"trigger":"SIGHUP"', 1);
    const reloaded = bridge.output().split('\n').find((line) => line.includes('"trigger":"SIGHUP"'))!;
    assert.deepEqual(JSON.parse(reloaded).restarted, ['etcd-b'], reloaded);

    // The changed instance is a new one: its figures start again, and it read its prefix anew.
    const changedAfter = await status('etcd-b');
    assert.equal(changedAfter.datacenter, 'north');
    assert.equal(changedAfter.watchEvents, 0);
    await eventually(async () => {
      const { body } = await getJson(bridge.http, '/api/services/api');
      const west = body.providers.find((p: { source: string }) => p.source === 'etcd-b');
      assert.equal(west?.datacenter, 'north');
    });
    assert.ok(((await status('etcd-b')).lastSync ?? 0) > (changedBefore.lastSync ?? 0), 'etcd-b read its prefix again');

    // The kept instance did not read again and its watch goes on.
    const keptAfter = await status('etcd-a');
    assert.equal(keptAfter.lastSync, keptBefore.lastSync, 'etcd-a did not read its prefix again');
    assert.equal(keptAfter.watchedServices, 1);
    await writer.put('/a/api/providers/10.0.31.3:80').value('');
    await writer.put('/b/api/providers/10.0.32.2:80').value('');
    await eventually(async () => assert.deepEqual(await answer(), ['10.0.31.1', '10.0.31.2', '10.0.31.3', '10.0.32.1', '10.0.32.2']));
    const keptLast = await status('etcd-a');
    assert.equal(keptLast.watchEvents, keptBefore.watchEvents + 1, "etcd-a's watch, attached before the reload, delivered the put");
    assert.equal(keptLast.lastSync, keptBefore.lastSync, 'and it still read nothing again');
  });
});
