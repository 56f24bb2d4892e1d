import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/errors.js';
import { loadConfig, type Config, type ConfigSources } from '../../../src/config/load.js';
import { prepareInstances } from '../../../src/sources/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbridge-sources-'));
const registry = write('services.yaml', 'api: ["10.0.0.1:80"]\n');

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function load(sources: Partial<ConfigSources>): Config {
  return loadConfig({ flags: { upstream: '127.0.0.1:9' }, env: {}, ...sources, ...(sources.flags ? { flags: { upstream: '127.0.0.1:9', ...sources.flags } } : {}) });
}

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems.map((p) => `${p.key}: ${p.message}`);
  }
  assert.fail('the configuration was accepted');
}

describe('sources: instances from the flag shorthands and the sources: list', () => {
  it('makes one instance per kind from the flags, named after the kind, with the defaults filled in', () => {
    const config = load({ flags: { file: registry, zookeeper: '127.0.0.1:2181', etcd: 'http://127.0.0.1:2379', 'etcd-prefix': ['/a/{service}/'], consul: 'http://127.0.0.1:8500' } });
    assert.deepEqual(
      config.sources.map((s) => [s.kind, s.name, s.datacenter, s.options]),
      [
        ['file', 'file', undefined, { path: registry }],
        ['zookeeper', 'zookeeper', undefined, { servers: '127.0.0.1:2181', paths: ['/{service}/providers'], 'session-timeout': 10_000 }],
        ['etcd', 'etcd', undefined, { endpoints: ['http://127.0.0.1:2379'], prefixes: ['/a/{service}/'] }],
        ['consul', 'consul', undefined, { url: 'http://127.0.0.1:8500', 'only-passing': false, 'query-pace': 15_000 }],
      ],
    );
  });

  it('takes the shorthands from the environment and top-level YAML keys too, as before', () => {
    const file = write('flat.yaml', 'zookeeper: "127.0.0.1:2181"\nzk-path: ["/services/{service}"]\n');
    const config = load({ file, env: { DNSBRIDGE_ZK_SESSION_TIMEOUT: '4000' } });
    assert.deepEqual(config.sources[0].options, { servers: '127.0.0.1:2181', paths: ['/services/{service}'], 'session-timeout': 4000 });
  });

  it('reads a sources: list with names, datacenters and each kind\'s own keys, after the flags\' instance', () => {
    const file = write(
      'two-dc.yaml',
      [
        'sources:',
        '  - { kind: zookeeper, name: zk-east, datacenter: east, servers: "127.0.0.1:2181,127.0.0.1:2182/chroot", paths: ["/{service}/providers"] }',
        '  - { kind: zookeeper, name: zk-west, datacenter: west, servers: "127.0.0.1:2183", session-timeout: 4000 }',
        '  - { kind: etcd, endpoints: ["http://127.0.0.1:2379"], prefixes: ["/{service}/providers/"] }',
        '  - { kind: consul, url: "http://127.0.0.1:8500", datacenter: east }',
        `  - { kind: file, name: static, path: ${registry} }`,
      ].join('\n'),
    );
    const config = load({ file, flags: { file: registry } });
    assert.deepEqual(
      config.sources.map((s) => [s.kind, s.name, s.datacenter ?? '-']),
      [
        ['file', 'file', '-'],
        ['zookeeper', 'zk-east', 'east'],
        ['zookeeper', 'zk-west', 'west'],
        ['etcd', 'etcd', '-'],
        ['consul', 'consul', 'east'],
        ['file', 'static', '-'],
      ],
    );
    assert.deepEqual(config.sources[2].options, { servers: '127.0.0.1:2183', paths: ['/{service}/providers'], 'session-timeout': 4000 });
  });

  it('names every problem of the list by its key, all at once', () => {
    const file = write(
      'bad-sources.yaml',
      [
        'sources:',
        '  - { kind: zookeeper, servers: "bad host:1", paths: ["{service}"] }',
        '  - { kind: etcd, name: "no spaces", prefixes: ["/x/"] }',
        '  - { kind: redis, url: "redis://x" }',
        '  - { kind: consul, url: "http://127.0.0.1:8500", colour: blue }',
        '  - just-text',
      ].join('\n'),
    );
    assert.deepEqual(problems(() => load({ file })), [
      `"sources[0].servers" in ${file}: "bad host:1" is not HOST or HOST:PORT`,
      `"sources[0].paths" in ${file}: "{service}" is not a ZooKeeper path like /{service}/providers`,
      `"sources[1].name" in ${file}: must be letters, digits, - and _ (one DNS label) (got "no spaces")`,
      `"sources[1].endpoints" in ${file}: missing: every etcd source needs it`,
      `"sources[1].prefixes" in ${file}: must contain {service} (got ["/x/"])`,
      `"sources[2].kind" in ${file}: must be one of file, zookeeper, etcd, etcd2, consul (got "redis")`,
      `"sources[3].colour" in ${file}: unknown option of a consul source`,
      `"sources[4]" in ${file}: must be a map with a kind and its options`,
    ]);
  });

  it('refuses a name given twice, a flag instance included', () => {
    const file = write('twice.yaml', 'sources:\n  - { kind: etcd, endpoints: "http://127.0.0.1:2379" }\n  - { kind: etcd, name: zookeeper, endpoints: "http://127.0.0.1:2380" }\n');
    assert.deepEqual(problems(() => load({ file, flags: { etcd: 'http://127.0.0.1:2381', zookeeper: '127.0.0.1:2181' } })), [
      `"sources[0].name" in ${file}: "etcd" is already the name of the source given by --etcd: give each source its own name`,
      `"sources[1].name" in ${file}: "zookeeper" is already the name of the source given by --zookeeper: give each source its own name`,
    ]);
  });

  it('refuses sources: that is not a list', () => {
    const file = write('map.yaml', 'sources: { kind: file }\n');
    assert.deepEqual(problems(() => load({ file })), [`"sources" in ${file}: must be a list of sources, each with a kind`]);
  });

  it("names an instance's unreadable secret file by its key when the instances are checked", () => {
    const file = write('secret.yaml', 'sources:\n  - { kind: etcd, name: etcd-b, endpoints: "http://127.0.0.1:2379", user: dns, password-file: /nonexistent/pw }\n');
    const config = load({ file });
    assert.deepEqual(problems(() => prepareInstances(config.sources, {})), [
      `"sources[0].password-file" in ${file}: cannot read the etcd password from /nonexistent/pw: ENOENT: no such file or directory, open '/nonexistent/pw'`,
    ]);
  });
});
