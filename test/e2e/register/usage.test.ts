import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../../harness/bridge.js';

describe('dnsbridge register: bad usage', () => {
  it('exits 2 and lists every problem by its flag, having registered nothing', async () => {
    const { code, output } = await runCli(['register', '--service', 'my api', '--port', '5000', '--check-tcp', '127.0.0.1']);
    assert.equal(code, 2);
    assert.match(output, /--service: must be one DNS label/);
    assert.match(output, /--check-tcp: "127.0.0.1" has no port/);
  });

  it('has no flag for a secret: a token on the command line is refused', async () => {
    const { code, output } = await runCli(['register', '--service', 'api', '--port', '5000', '--consul', 'http://127.0.0.1:8500', '--consul-token', 'secret']);
    assert.equal(code, 2);
    assert.match(output, /unknown option '--consul-token'/);
  });
});
