import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commandCheck, httpCheck, tcpCheck } from '../../../src/register/check.js';

describe('health checks', () => {
  let server: http.Server;
  let base: string;
  let status = 200;
  let hang = false;

  before(async () => {
    server = http.createServer((_, response) => {
      if (hang) return;
      response.writeHead(status).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('HTTP: passes on 2xx, fails on another status, on a refused connection and on no answer in time', async () => {
    status = 204;
    assert.deepEqual(await httpCheck(`${base}/health`, 2000)(), { ok: true, detail: `GET ${base}/health: HTTP 204` });
    status = 503;
    assert.deepEqual(await httpCheck(`${base}/health`, 2000)(), { ok: false, detail: `GET ${base}/health: HTTP 503` });
    hang = true;
    assert.deepEqual(await httpCheck(`${base}/health`, 100)(), { ok: false, detail: `GET ${base}/health: no answer in 100 ms` });
    hang = false;
    const closed = await closedPort();
    const refused = await httpCheck(`http://127.0.0.1:${closed}/`, 2000)();
    assert.deepEqual(refused, { ok: false, detail: `GET http://127.0.0.1:${closed}/: ECONNREFUSED` });
  });

  it('TCP: passes while something listens, fails when nothing does', async () => {
    const port = Number(new URL(base).port);
    assert.equal((await tcpCheck('127.0.0.1', port, 1000)()).ok, true);
    const closed = await closedPort();
    assert.deepEqual(await tcpCheck('127.0.0.1', closed, 1000)(), { ok: false, detail: `connect 127.0.0.1:${closed}: ECONNREFUSED` });
  });

  it('command: passes on exit 0, fails with the exit code and stderr, and is killed on timeout', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-check-'));
    assert.equal((await commandCheck('true', 1000)()).ok, true);
    assert.deepEqual(await commandCheck('echo not ready >&2; exit 3', 1000)(), { ok: false, detail: 'echo not ready >&2; exit 3: exit 3: not ready' });
    assert.deepEqual(await commandCheck('sleep 5', 100)(), { ok: false, detail: 'sleep 5: no result in 100 ms (killed)' });
    await writeFile(join(dir, 'x'), '');
    assert.equal((await commandCheck(`test -e ${join(dir, 'x')}`, 1000)()).ok, true);
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
