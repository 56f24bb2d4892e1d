import assert from 'node:assert/strict';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { dig, rdata } from '../harness/dig.js';

describe('dnsbridge serve with a registry file', () => {
  let bridge: BridgeProcess;

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-'));
    const file = join(dir, 'services.yaml');
    await writeFile(file, 'api: ["10.0.0.1:8080", {host: 10.0.0.2, port: 8081, weight: 5, tags: [canary]}]\n');
    bridge = await startBridge(['--file', file]);
  });
  after(() => bridge?.stop());

  it('answers SRV with one record per provider and their addresses in the additional section', async () => {
    const reply = await dig(bridge.address, 'api.service.local', 'SRV');
    assert.equal(reply.status, 'NOERROR');
    assert.ok(reply.flags.includes('aa'));
    assert.deepEqual(rdata(reply.answer), ['10 1 8080 0a000001.addr.service.local.', '10 5 8081 0a000002.addr.service.local.']);
    assert.deepEqual(rdata(reply.additional), ['10.0.0.1', '10.0.0.2']);
  });
});
