import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../../src/config/errors.js';
import { consulToken } from '../../../../src/sources/consul/setup.js';

describe("consulToken: the ACL token found as Consul's tools find it", () => {
  it('reads --consul-token-file, trimmed, in preference to the environment', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'dnsbridge-token-')), 'token');
    await writeFile(file, 'from-file\n');
    assert.equal(consulToken(file, { CONSUL_HTTP_TOKEN: 'from-env' }), 'from-file');
  });

  it('reads CONSUL_HTTP_TOKEN_FILE, else CONSUL_HTTP_TOKEN, else none', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'dnsbridge-token-')), 'token');
    await writeFile(file, 'env-file');
    assert.equal(consulToken(undefined, { CONSUL_HTTP_TOKEN_FILE: file, CONSUL_HTTP_TOKEN: 'x' }), 'env-file');
    assert.equal(consulToken(undefined, { CONSUL_HTTP_TOKEN: 'from-env' }), 'from-env');
    assert.equal(consulToken(undefined, {}), undefined);
  });

  it('refuses to start with a token file it cannot read, naming the file', () => {
    assert.throws(() => consulToken('/nonexistent/consul-token', {}), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /--consul-token-file: cannot read the Consul ACL token from \/nonexistent\/consul-token/);
      return true;
    });
  });
});
