// Multi-tag names under a datacenter sub-zone, read from the right: `v2.canary.api.west.<domain>`
// is service api, tags v2 and canary, datacenter west. Two registry files stand for two
// datacenters' registries; explain names the datacenter step that left the other one out.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig, rdata } from '../harness/dig.js';
import { getJson, tempDir, writeTemp } from '../ops/helpers.js';

describe('multi-tag names with a datacenter sub-zone (two registry files as datacenters east and west)', () => {
  let bridge: BridgeProcess;

  before(async () => {
    const dir = await tempDir();
    const east = await writeTemp(dir, 'east.yaml', 'api: [{host: 10.1.0.1, port: 80, tags: [canary, v2]}, {host: 10.1.0.2, port: 80, tags: [canary]}]\n');
    const west = await writeTemp(dir, 'west.yaml', 'api: [{host: 10.2.0.1, port: 80, tags: [v2, canary, eu]}, {host: 10.2.0.2, port: 80, tags: [v2]}]\n');
    const config = await writeTemp(
      dir,
      'dnsbridge.yaml',
      [
        'datacenter: east',
        'sources:',
        `  - { kind: file, name: file-east, datacenter: east, path: ${east} }`,
        `  - { kind: file, name: file-west, datacenter: west, path: ${west} }`,
      ].join('\n'),
    );
    bridge = await startBridge(['--config', config]);
  });
  after(() => bridge?.stop());

  const answer = async (name: string) => {
    const reply = await dig(bridge.address, name, 'A');
    return { status: reply.status, records: rdata(reply.answer) };
  };

  it('every tag, in any order, within the sub-zone; the own datacenter without one', async () => {
    assert.deepEqual(await answer('v2.canary.api.west.service.local'), { status: 'NOERROR', records: ['10.2.0.1'] });
    assert.deepEqual(await answer('canary.v2.api.west.service.local'), { status: 'NOERROR', records: ['10.2.0.1'] });
    assert.deepEqual(await answer('eu.canary.v2.api.west.service.local'), { status: 'NOERROR', records: ['10.2.0.1'] });
    assert.deepEqual(await answer('v2.canary.api.east.service.local'), { status: 'NOERROR', records: ['10.1.0.1'] });
    assert.deepEqual(await answer('v2.canary.api.service.local'), { status: 'NOERROR', records: ['10.1.0.1'] });
    assert.deepEqual(await answer('v2.api.west.service.local'), { status: 'NOERROR', records: ['10.2.0.1', '10.2.0.2'] });
  });

  it('NXDOMAIN when no provider of that datacenter carries them all, though another one does', async () => {
    assert.equal((await answer('eu.canary.api.east.service.local')).status, 'NXDOMAIN');
    assert.equal((await answer('eu.canary.api.west.service.local')).status, 'NOERROR');
  });

  it('explain names the providers the tag and datacenter steps left out, and why', async () => {
    const { body } = await getJson(bridge.http, '/api/explain?name=v2.canary.api.west.service.local');
    const removed = (step: string) =>
      body.steps
        .find((s: { step: string }) => s.step === step)
        .removed.map((r: { provider: string; source: string; why: string }) => [r.provider, r.source, r.why])
        .sort();
    assert.deepEqual(removed('tag'), [['10.1.0.2:80', 'file-east', 'does not carry the tag v2'], ['10.2.0.2:80', 'file-west', 'does not carry the tag canary']]);
    const datacenter = removed('datacenter');
    assert.deepEqual(datacenter.map((r: string[]) => r.slice(0, 2)), [['10.1.0.1:80', 'file-east']]);
    assert.match(datacenter[0][2], /in datacenter east, not one this name is answered from \(west\)/);
    assert.deepEqual(body.answer, ['v2.canary.api.west.service.local. 5 IN A 10.2.0.1']);
  });
});

describe('explain and --client-datacenter', () => {
  it('a placed client: its datacenter answers, and explain reports the cached form for that datacenter only', async (t) => {
    const dir = await tempDir();
    const east = await writeTemp(dir, 'east.yaml', 'api: [{host: 10.1.0.1, port: 80, tags: [v2]}]\n');
    const west = await writeTemp(dir, 'west.yaml', 'api: [{host: 10.2.0.1, port: 80, tags: [v2]}]\n');
    const config = await writeTemp(
      dir,
      'dnsbridge.yaml',
      ['datacenter: east', 'client-datacenter: ["127.0.0.2/32=west"]', 'sources:', `  - { kind: file, name: file-east, datacenter: east, path: ${east} }`, `  - { kind: file, name: file-west, datacenter: west, path: ${west} }`].join('\n'),
    );
    const bridge = await startBridge(['--config', config]);
    t.after(() => bridge.stop());
    assert.deepEqual(rdata((await dig(bridge.address, 'v2.api.service.local', 'A', ['-b', '127.0.0.2'])).answer), ['10.2.0.1']);
    const westClient = (await getJson(bridge.http, '/api/explain?name=v2.api.service.local&client=127.0.0.2')).body;
    assert.deepEqual(westClient.answer, ['v2.api.service.local. 5 IN A 10.2.0.1']);
    assert.equal(westClient.cache.cached, true);
    assert.match(westClient.cache.forms[0].form, /, datacenter west$/);
    const eastClient = (await getJson(bridge.http, '/api/explain?name=v2.api.service.local&client=127.0.0.1')).body;
    assert.deepEqual(eastClient.answer, ['v2.api.service.local. 5 IN A 10.1.0.1']);
    assert.equal(eastClient.cache.cached, false, "west's cached answer is not this client's");
  });
});
