import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { decodeRegistry, type DecodedFile } from '../../../../src/sources/file/decode.js';

const path = '/etc/dnsbridge/services.yaml';

function decode(yaml: string): DecodedFile {
  const result = decodeRegistry(parse(yaml), path);
  assert.equal(typeof result, 'object', `refused: ${String(result)}`);
  return result as DecodedFile;
}

function summary(file: DecodedFile): Record<string, string[]> {
  return Object.fromEntries(
    [...file.services].map(([service, providers]) => [
      service,
      providers.map((p) => `${p.host} ${p.port} ${p.priority} ${p.weight}${p.tags.length ? ` [${p.tags.join(',')}]` : ''}`),
    ]),
  );
}

describe('registry file: good entries', () => {
  it('reads the issue example: "host:port" strings and {host, port, priority?, weight?, tags?} maps', () => {
    const file = decode('api: ["10.0.0.1:8080", {host: 10.0.0.2, port: 8081, weight: 5, tags: [canary]}]\n');
    assert.deepEqual(summary(file), { api: ['10.0.0.1 8080 10 1', '10.0.0.2 8081 10 5 [canary]'] });
    assert.deepEqual(file.warnings, []);
  });

  it('reads IPv6 addresses, hostnames, "address" instead of "host", and port strings', () => {
    const file = decode(
      [
        'Web:',
        '  - "[fd00::3]:8082"',
        '  - {host: "fd00::4", port: 80, priority: 1}',
        '  - Yazd.Example.Test.:5000',
        '  - {address: 10.0.0.9, port: "9090", tags: [Blue]}',
      ].join('\n'),
    );
    assert.deepEqual(summary(file), {
      web: ['fd00::3 8082 10 1', 'fd00::4 80 1 1', 'yazd.example.test 5000 10 1', '10.0.0.9 9090 10 1 [blue]'],
    });
  });

  it('records where each provider came from', () => {
    const file = decode('api: ["10.0.0.1:8080"]\n');
    assert.equal(file.services.get('api')![0].origin, `file:${path}#api[0]`);
  });

  it('an empty file is an empty registry', () => {
    assert.deepEqual(summary(decode('')), {});
    assert.deepEqual(summary(decode('# nothing yet\n')), {});
  });
});

describe('registry file: malformed entries are skipped with a warning naming file and entry', () => {
  const cases: { title: string; entry: string; reason: RegExp }[] = [
    { title: 'no port', entry: '"10.0.0.1"', reason: /is not host:port/ },
    { title: 'a port out of range', entry: '"10.0.0.1:70000"', reason: /is not host:port/ },
    { title: 'a bare IPv6 address with a port', entry: '"fd00::3:80"', reason: /is not host:port/ },
    { title: 'a host with spaces', entry: '"bad host:80"', reason: /is not host:port/ },
    { title: 'a map without host', entry: '{port: 80}', reason: /no "host" or "address"/ },
    { title: 'a map without port', entry: '{host: 10.0.0.1}', reason: /port undefined is not 1-65535/ },
    { title: 'port 0', entry: '{host: 10.0.0.1, port: 0}', reason: /port 0 is not 1-65535/ },
    { title: 'a host that is no name', entry: '{host: "exa mple", port: 80}', reason: /host "exa mple" is not an address or hostname/ },
    { title: 'a negative weight', entry: '{host: 10.0.0.1, port: 80, weight: -1}', reason: /weight -1 is not 0-65535/ },
    { title: 'a priority over 65535', entry: '{host: 10.0.0.1, port: 80, priority: 70000}', reason: /priority 70000 is not 0-65535/ },
    { title: 'tags that are not a list', entry: '{host: 10.0.0.1, port: 80, tags: canary}', reason: /"tags" is not a list of strings/ },
    { title: 'a number', entry: '42', reason: /expected "host:port" or \{host, port/ },
    { title: 'a nested list', entry: '["10.0.0.1:80"]', reason: /expected "host:port" or \{host, port/ },
    { title: 'null', entry: 'null', reason: /expected "host:port" or \{host, port/ },
  ];
  for (const { title, entry, reason } of cases) {
    it(title, () => {
      const file = decode(`api: ["10.0.0.1:8080", ${entry}, "10.0.0.2:8080"]\n`);
      assert.deepEqual(summary(file), { api: ['10.0.0.1 8080 10 1', '10.0.0.2 8080 10 1'] }, 'the rest is served');
      assert.equal(file.warnings.length, 1);
      const [warning] = file.warnings;
      assert.ok(warning.startsWith(`${path}: api[1] `), warning);
      assert.match(warning, reason);
    });
  }

  it('a service whose value is not a list, or whose name is not a DNS label, is skipped', () => {
    const file = decode('api: "10.0.0.1:80"\n"bad name": ["10.0.0.1:80"]\n_x: ["10.0.0.1:80"]\nok: ["10.0.0.3:80"]\n');
    assert.deepEqual(summary(file), { ok: ['10.0.0.3 80 10 1'] });
    assert.deepEqual(file.warnings, [
      `${path}: service "api" skipped: expected a list of providers`,
      `${path}: service "bad name" skipped: not a DNS label`,
      `${path}: service "_x" skipped: not a DNS label`,
    ]);
  });

  it('a file that is not a map is refused whole (the caller keeps the previous registry)', () => {
    assert.equal(decodeRegistry(parse('- 10.0.0.1:80\n'), path), `${path}: expected a map of service name to providers`);
    assert.equal(decodeRegistry('just text', path), `${path}: expected a map of service name to providers`);
  });
});
