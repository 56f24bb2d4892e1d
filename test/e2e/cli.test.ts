// `dnsbridge check` and `dnsbridge serve` refusing bad configurations: exit 2, one clear line per
// problem naming the key, and nothing started.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { runCli } from '../harness/bridge.js';
import { freePort } from '../harness/ports.js';

let dir: string;
let registry: string;

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** The problem lines the CLI printed (`  key: message`). */
function problemLines(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('  '))
    .map((line) => line.trim());
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dnsbridge-cli-'));
  registry = await write('services.yaml', 'api: ["10.0.0.1:8080"]\n');
});

describe('dnsbridge check --config', { concurrency: true }, () => {
  it('exits 0 for a valid configuration and says what it would do', async () => {
    const config = await write(
      'good.yaml',
      [`listen: "127.0.0.1:1053"`, 'domain: service.internal', `file: ${registry}`, 'upstream: [192.0.2.53]', 'zone: {consul: "127.0.0.1:8600"}', 'ttl: 10', 'allow: [127.0.0.0/8, 10.0.0.0/8]', ''].join('\n'),
    );
    const { code, output } = await runCli(['check', '--config', config]);
    assert.equal(code, 0, output);
    assert.match(output, /configuration is valid: listening on 127\.0\.0\.1:1053, domain service\.internal/);
  });

  it('exits 2 listing every problem, each naming its key in the file', async () => {
    const config = await write('bad.yaml', ['listen: "127.0.0.1"', 'ttl: soon', 'domain: "bad..name"', 'allow: [10.0.0.0/99]', 'colour: blue', ''].join('\n'));
    const { code, output } = await runCli(['check', '--config', config]);
    assert.equal(code, 2, output);
    const lines = problemLines(output);
    assert.equal(lines.length, 5, output);
    for (const key of ['listen', 'ttl', 'domain', 'allow', 'colour']) {
      assert.ok(lines.some((line) => line.startsWith(`"${key}" in ${config}: `)), `no line for ${key}:\n${output}`);
    }
  });

  it('exits 2 when the config file cannot be read', async () => {
    const { code, output } = await runCli(['check', '--config', join(dir, 'absent.yaml')]);
    assert.equal(code, 2);
    assert.match(output, /--config: cannot read .*absent\.yaml/);
  });
});

describe('dnsbridge serve with bad options', { concurrency: true }, () => {
  const refusals: { title: string; args: (port: number) => string[]; env?: NodeJS.ProcessEnv; expected: RegExp }[] = [
    { title: 'a TTL that is no number', args: () => ['--ttl', 'soon'], expected: /--ttl: "soon" is not a whole number/ },
    { title: 'a listen address without port', args: () => ['--listen', '127.0.0.1'], expected: /--listen: "127\.0\.0\.1" has no port/ },
    { title: 'a bad value from the environment', args: () => [], env: { DNSBRIDGE_ALLOW: 'everyone' }, expected: /DNSBRIDGE_ALLOW: "everyone" is not an address or CIDR/ },
    { title: 'an unknown flag', args: () => ['--colour', 'blue'], expected: /unknown option '--colour'/ },
    { title: 'a registry file that does not exist', args: () => ['--file', join(dir, 'absent.yaml')], expected: /--file: .*absent\.yaml does not exist/ },
    { title: 'an upstream that is itself (a loop)', args: (port) => ['--upstream', `127.0.0.1:${port}`], expected: /--upstream: 127\.0\.0\.1:\d+ is this server itself .*loop/ },
    { title: 'a zone forwarded to itself (a loop)', args: (port) => ['--upstream', '192.0.2.53', '--zone', `consul=localhost:${port}`], expected: /--zone consul: localhost:\d+ is this server itself/ },
  ];
  for (const { title, args, env, expected } of refusals) {
    it(`exits 2 without binding anything: ${title}`, async () => {
      const port = await freePort();
      const { code, output } = await runCli(['serve', '--listen', `127.0.0.1:${port}`, '--workers', '1', ...args(port)], env);
      assert.equal(code, 2, output);
      assert.match(output, expected);
      assert.doesNotMatch(output, /dnsbridge listening/, 'no socket was bound');
    });
  }
});
