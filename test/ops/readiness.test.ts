import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { eventually } from '../harness/eventually.js';
import { get, replaceFile, tempDir, writeTemp } from './helpers.js';

describe('/readyz', () => {
  let bridge: BridgeProcess;
  let registry: string;

  before(async () => {
    registry = await writeTemp(await tempDir(), 'services.yaml', 'api: [10.0.0.1:80\n');
    bridge = await startBridge(['--file', registry]);
  });
  after(() => bridge?.stop());

  it('is 503 while a source never synced, naming it and why, though /healthz is 200', async () => {
    const ready = await get(bridge.http, '/readyz');
    assert.equal(ready.status, 503);
    const [verdict, line] = ready.body.split('\n');
    assert.equal(verdict, 'not ready');
    assert.match(line, /^file: never synced \(disconnected\): .*services\.yaml does not parse/);
    assert.equal((await get(bridge.http, '/healthz')).status, 200);
  });

  it('turns 200 once the source has read its registry', async () => {
    await replaceFile(registry, 'api: ["10.0.0.1:80"]\n');
    const ready = await eventually(async () => {
      const answer = await get(bridge.http, '/readyz');
      assert.equal(answer.status, 200, answer.body);
      return answer;
    });
    assert.match(ready.body, /^ready\nfile: synced \(last sync \d{4}-/);
  });
});
