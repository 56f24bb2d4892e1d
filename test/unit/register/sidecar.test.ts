import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { CheckResult } from '../../../src/register/check.js';
import { Keeper } from '../../../src/register/keeper.js';
import { Sidecar } from '../../../src/register/sidecar.js';
import { FakeBackend } from './fake-backend.js';

const log = pino({ level: 'silent' });
const quickRetries = { initialMs: 1, maxMs: 5 };

/** A check whose next results the test decides; `runs` counts how often it ran. */
class ScriptedCheck {
  ok = true;
  runs = 0;
  readonly run = async (): Promise<CheckResult> => {
    this.runs++;
    return { ok: this.ok, detail: this.ok ? 'HTTP 200' : 'HTTP 503' };
  };
}

function sidecarWith(backends: FakeBackend[], check: ScriptedCheck): Sidecar {
  const keepers = backends.map((backend) => new Keeper(backend, log, quickRetries));
  return new Sidecar(keepers, check.run, 5, log);
}

describe('health gating', () => {
  it('registers while the check passes, withdraws when it fails, registers again when it passes', async () => {
    const backend = new FakeBackend();
    const check = new ScriptedCheck();
    const sidecar = sidecarWith([backend], check);
    sidecar.start();
    await backend.becomes(true);
    check.ok = false;
    await backend.becomes(false);
    assert.equal(backend.notes.at(-1), 'HTTP 503', 'the failing result is passed on');
    check.ok = true;
    await backend.becomes(true);
    await sidecar.stop();
    assert.equal(backend.visible, false);
    assert.equal(backend.closed, true);
  });

  it('withdraws at the first failing check, before the next one runs', async () => {
    const backend = new FakeBackend();
    const check = new ScriptedCheck();
    const sidecar = sidecarWith([backend], check);
    sidecar.start();
    await backend.becomes(true);
    check.ok = false;
    const runsBefore = check.runs;
    await backend.becomes(false);
    assert.ok(check.runs <= runsBefore + 1, `withdrawn after ${check.runs - runsBefore} failing checks`);
    await sidecar.stop();
  });

  it('keeps retrying a registry that is down, and registers once it is back; the others are not held up', async () => {
    const down = new FakeBackend();
    const up = new FakeBackend();
    down.down = true;
    const sidecar = sidecarWith([down, up], new ScriptedCheck());
    sidecar.start();
    await up.becomes(true);
    while (down.failedCalls < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(down.visible, false);
    down.down = false;
    await down.becomes(true);
    await sidecar.stop();
  });

  it('restores a registration the registry dropped by itself', async () => {
    const backend = new FakeBackend();
    const sidecar = sidecarWith([backend], new ScriptedCheck());
    sidecar.start();
    await backend.becomes(true);
    backend.lose();
    assert.equal(backend.visible, false);
    await backend.becomes(true);
    await sidecar.stop();
  });

  it('stop withdraws from every registry even while a check is in progress', async () => {
    const backends = [new FakeBackend(), new FakeBackend()];
    let release = () => {};
    let calls = 0;
    const slowCheck = async (): Promise<CheckResult> => {
      if (calls++ > 0) await new Promise<void>((resolve) => (release = resolve));
      return { ok: true, detail: 'ok' };
    };
    const sidecar = new Sidecar(
      backends.map((b) => new Keeper(b, log, quickRetries)),
      slowCheck,
      5,
      log,
    );
    sidecar.start();
    await Promise.all(backends.map((b) => b.becomes(true)));
    while (calls < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await sidecar.stop();
    assert.deepEqual(
      backends.map((b) => [b.visible, b.closed]),
      [
        [false, true],
        [false, true],
      ],
    );
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(backends[0].visible, false, 'a check finishing after stop registers nothing');
  });
});
