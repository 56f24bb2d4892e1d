import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/errors.js';
import { loadConfig } from '../../../src/config/load.js';
import { HealthSettings } from '../../../src/health/options.js';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const load = (flags: Record<string, unknown>, yaml?: string) => {
  let file: string | undefined;
  if (yaml) writeFileSync((file = join(mkdtempSync(join(tmpdir(), 'dnsbridge-health-')), 'dnsbridge.yaml')), yaml);
  return loadConfig({ flags: { upstream: '127.0.0.1:9', ...flags }, env: {}, file });
};

describe('health check options', () => {
  it('are off by default: no service is checked', () => {
    const settings = new HealthSettings(load({}));
    assert.equal(settings.enabled, false);
    assert.equal(settings.specFor('api'), undefined);
  });

  it('flags give the default check and its timing', () => {
    const settings = new HealthSettings(load({ 'health-check': 'http:/health', 'health-interval': '2000', 'health-timeout': '300', 'health-rise': '1', 'health-fall': '4' }));
    assert.deepEqual(settings.specFor('api'), { check: { kind: 'http', path: '/health' }, intervalMs: 2000, timeoutMs: 300, rise: 1, fall: 4 });
  });

  it('YAML gives one check per service over the default, and can turn a service off', () => {
    const config = load(
      {},
      ['health-check: tcp', 'health-interval: 3000', 'health-service:', '  api: { check: "http:/ready", interval: 1000, fall: 2 }', '  batch: "off"', '  web: { rise: 5 }'].join('\n'),
    );
    const settings = new HealthSettings(config);
    assert.deepEqual(settings.specFor('api'), { check: { kind: 'http', path: '/ready' }, intervalMs: 1000, timeoutMs: 1000, rise: 2, fall: 2 });
    assert.equal(settings.specFor('batch'), undefined);
    assert.deepEqual(settings.specFor('web'), { check: { kind: 'tcp' }, intervalMs: 3000, timeoutMs: 1000, rise: 5, fall: 3 });
    assert.deepEqual(settings.specFor('other')?.check, { kind: 'tcp' });
  });

  it('--health-service SERVICE=CHECK checks one service while the default is off', () => {
    const settings = new HealthSettings(load({ 'health-service': ['api=tcp', 'web=http:/'] }));
    assert.equal(settings.enabled, true);
    assert.deepEqual(settings.specFor('api')?.check, { kind: 'tcp' });
    assert.deepEqual(settings.specFor('web')?.check, { kind: 'http', path: '/' });
    assert.equal(settings.specFor('other'), undefined);
  });

  it('refuses a bad check naming the key and the value', () => {
    const problems = (flags: Record<string, unknown>) => {
      try {
        load(flags);
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.problems.map((p) => `${p.key}: ${p.message}`);
      }
      assert.fail('accepted');
    };
    assert.deepEqual(problems({ 'health-check': 'ping' }), ['--health-check: "ping" is not tcp, http:/PATH or off']);
    assert.deepEqual(problems({ 'health-service': ['api'] }), ['--health-service: "api" is not SERVICE=CHECK with a service name']);
    assert.match(problems({ 'health-fall': '0' })[0], /^--health-fall: "0" is not a whole number from 1 to 100/);
  });
});
