// The registry file as an operator edits it: changes show in the next answer, bad entries are
// skipped with a warning naming them, a file that does not parse keeps the previous registry.
import assert from 'node:assert/strict';
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type BridgeProcess } from '../harness/bridge.js';
import { caresError, caresResolver } from '../harness/cares.js';
import { dig, rdata } from '../harness/dig.js';
import { eventually } from '../harness/eventually.js';

describe('registry file', () => {
  let dir: string;
  let file: string;
  let bridge: BridgeProcess;

  const addresses = async (name: string) => rdata((await dig(bridge.address, name, 'A')).answer);

  /** Waits until the bridge logged `text` (the watch fired and the file was read). */
  const logged = (text: string) =>
    eventually(() => assert.ok(bridge.output().includes(text), `not logged yet: ${text}`), { attempts: 200 });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dnsbridge-registry-'));
    file = join(dir, 'services.yaml');
    await writeFile(file, ['api: ["10.0.0.1:8080", "no-port-here", {host: 10.0.0.2, port: 8081}]', 'web: ["10.0.1.1:80"]', ''].join('\n'));
    bridge = await startBridge(['--file', file]);
  });
  after(() => bridge?.stop());

  it('skips a malformed entry with a warning naming the file and the entry, and serves the rest', async () => {
    assert.deepEqual(await addresses('api.service.local'), ['10.0.0.1', '10.0.0.2']);
    const warning = bridge.output().split('\n').find((line) => line.includes('api[1]'));
    assert.ok(warning, `no warning about api[1] in:\n${bridge.output()}`);
    assert.ok(warning.includes(file), warning);
    assert.ok(warning.includes('no-port-here'), warning);
  });

  it('an edit in place shows in the next answer once the watch fired', async () => {
    await addresses('web.service.local'); // cached now
    await writeFile(file, 'api: ["10.0.0.1:8080"]\nweb: ["10.0.1.2:80", "10.0.1.3:80"]\n');
    const after = await eventually(async () => {
      const answer = await addresses('web.service.local');
      assert.notDeepEqual(answer, ['10.0.1.1']);
      return answer;
    });
    assert.deepEqual(after, ['10.0.1.2', '10.0.1.3'], 'the first changed answer is the whole new provider list');
    assert.deepEqual(await addresses('api.service.local'), ['10.0.0.1']);
  });

  it("an editor's save by rename shows too; a new service replaces its cached NXDOMAIN", async () => {
    assert.equal((await dig(bridge.address, 'db.service.local', 'A')).status, 'NXDOMAIN');
    const temporary = join(dir, '.services.yaml.swp');
    await writeFile(temporary, 'api: ["10.0.0.1:8080"]\nweb: ["10.0.1.2:80", "10.0.1.3:80"]\ndb: ["10.0.2.1:5432"]\n');
    await rename(temporary, file);
    await eventually(async () => assert.deepEqual(await addresses('db.service.local'), ['10.0.2.1']));
  });

  it('a removed service becomes NXDOMAIN', async () => {
    await writeFile(file, 'api: ["10.0.0.1:8080"]\ndb: ["10.0.2.1:5432"]\n');
    await eventually(async () => assert.equal((await dig(bridge.address, 'web.service.local', 'A')).status, 'NXDOMAIN'));
    assert.equal(await caresError(caresResolver(bridge.address).resolve4('web.service.local')), 'ENOTFOUND');
  });

  it('a file that does not parse keeps the previous registry', async () => {
    await writeFile(file, 'api: ["10.0.0.9:8080"\n');
    await logged('keeping the previous registry');
    assert.deepEqual(await addresses('api.service.local'), ['10.0.0.1']);
    assert.deepEqual(await addresses('db.service.local'), ['10.0.2.1']);
  });

  it('an empty file (a write in place caught between truncate and write) keeps the previous registry', async () => {
    await writeFile(file, '');
    await logged('is empty');
    assert.deepEqual(await addresses('api.service.local'), ['10.0.0.1']);
    assert.deepEqual(await addresses('db.service.local'), ['10.0.2.1']);
  });
});
