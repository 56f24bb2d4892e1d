import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/errors.js';
import { loadConfig, type Config, type ConfigSources } from '../../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbridge-config-'));
const resolvConf = write('resolv.conf', 'search example.test\nnameserver 192.0.2.53\nnameserver fe80::1%eth0\n');

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function load(sources: Partial<ConfigSources>): Config {
  return loadConfig({ flags: {}, env: {}, resolvConf, ...sources });
}

/** The problems a configuration is refused with, as `key: message` lines. */
function problems(sources: Partial<ConfigSources>): string[] {
  try {
    load(sources);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems.map((p) => `${p.key}: ${p.message}`);
  }
  assert.fail('the configuration was accepted');
}

describe('loadConfig: defaults', () => {
  const config = load({});
  it('listens on 127.0.0.1:1053 for service.local with TTL 5', () => {
    assert.deepEqual(config.listen, { host: '127.0.0.1', port: 1053 });
    assert.equal(config.domain, 'service.local');
    assert.equal(config.ttl, 5);
  });
  it('forwards to the nameservers of resolv.conf, on port 53', () => {
    assert.deepEqual(config.upstreams, [
      { host: '192.0.2.53', port: 53 },
      { host: 'fe80::1', port: 53 },
    ]);
  });
  it('routes the consul zone to 127.0.0.1:8600 and allows loopback clients only', () => {
    assert.deepEqual([...config.zone], [['consul', [{ host: '127.0.0.1', port: 8600 }]]]);
    assert.deepEqual(config.allow, ['127.0.0.0/8', '::1/128']);
  });
  it('falls back to 127.0.0.1:53 when resolv.conf has no nameserver (as glibc does)', () => {
    assert.deepEqual(load({ resolvConf: write('empty-resolv.conf', 'search x\n') }).upstreams, [{ host: '127.0.0.1', port: 53 }]);
  });
});

describe('loadConfig: precedence flag > environment > file > default', () => {
  const file = write('precedence.yaml', 'ttl: 10\ndomain: from-file.internal\nlisten: 127.0.0.1:2001\n');
  const env = { DNSBRIDGE_TTL: '20', DNSBRIDGE_DOMAIN: 'from-env.internal' };
  const cases: { title: string; sources: Partial<ConfigSources>; ttl: number; domain: string }[] = [
    { title: 'a flag wins over all', sources: { file, env, flags: { ttl: '30' } }, ttl: 30, domain: 'from-env.internal' },
    { title: 'the environment wins over the file', sources: { file, env }, ttl: 20, domain: 'from-env.internal' },
    { title: 'the file wins over the default', sources: { file }, ttl: 10, domain: 'from-file.internal' },
    { title: 'the default when nobody sets it', sources: {}, ttl: 5, domain: 'service.local' },
    { title: 'an empty environment variable counts as unset', sources: { file, env: { DNSBRIDGE_TTL: '' } }, ttl: 10, domain: 'from-file.internal' },
  ];
  for (const { title, sources, ttl, domain } of cases) {
    it(title, () => {
      const config = load(sources);
      assert.equal(config.ttl, ttl);
      assert.equal(config.domain, domain);
    });
  }
  it('options the winner does not set still come from below it', () => {
    assert.deepEqual(load({ file, env, flags: { ttl: '30' } }).listen, { host: '127.0.0.1', port: 2001 });
  });
});

describe('loadConfig: value forms', () => {
  it('lists as YAML sequences or comma-separated text; zones as a map or NAME=HOST:PORT', () => {
    const file = write('forms.yaml', 'upstream: ["192.0.2.1", "[2001:db8::1]:5353"]\nzone: {corp: "10.0.0.53:53", consul: [127.0.0.1:8600]}\nallow: [10.0.0.0/8]\n');
    const config = load({ file });
    assert.deepEqual(config.upstreams, [
      { host: '192.0.2.1', port: 53 },
      { host: '2001:db8::1', port: 5353 },
    ]);
    assert.deepEqual([...config.zone.keys()].sort(), ['consul', 'corp']);
    assert.deepEqual(config.allow, ['10.0.0.0/8']);
    const flags = load({ flags: { zone: ['Consul.=127.0.0.1:18600', 'corp=10.0.0.53'], upstream: '192.0.2.1:53,192.0.2.2' } });
    assert.deepEqual([...flags.zone], [
      ['consul', [{ host: '127.0.0.1', port: 18600 }]],
      ['corp', [{ host: '10.0.0.53', port: 53 }]],
    ]);
    assert.equal(flags.upstreams.length, 2);
  });

  it('listens on an IPv6 address written [::1]:PORT, and lowercases the domain', () => {
    const config = load({ flags: { listen: '[::1]:1053', domain: 'Service.Internal.' } });
    assert.deepEqual(config.listen, { host: '::1', port: 1053 });
    assert.equal(config.domain, 'service.internal');
  });
});

describe('loadConfig: every bad value is named by the key it came from', () => {
  const cases: { title: string; sources: Partial<ConfigSources>; expected: RegExp }[] = [
    { title: 'a TTL that is not a number', sources: { flags: { ttl: 'abc' } }, expected: /^--ttl: "abc" is not a whole number from 0 to 86400$/ },
    { title: 'an empty TTL (not 0)', sources: { flags: { ttl: '' } }, expected: /^--ttl: "" is not a whole number/ },
    { title: 'a negative TTL from the environment', sources: { env: { DNSBRIDGE_TTL: '-1' } }, expected: /^DNSBRIDGE_TTL: "-1" is not a whole number/ },
    { title: 'a listen address without a port', sources: { flags: { listen: 'localhost' } }, expected: /^--listen: "localhost" has no port/ },
    { title: 'a listen port out of range', sources: { flags: { listen: '127.0.0.1:70000' } }, expected: /^--listen: .*70000.*not 1-65535/ },
    { title: 'an invalid domain', sources: { flags: { domain: 'a..b' } }, expected: /^--domain: "a\.\.b" is not a valid domain name/ },
    { title: 'a bad CIDR', sources: { flags: { allow: '10.0.0.0/33' } }, expected: /^--allow: "10\.0\.0\.0\/33" has prefix length/ },
    { title: 'a CIDR that is no address', sources: { flags: { allow: 'everyone' } }, expected: /^--allow: "everyone" is not an address or CIDR/ },
    { title: 'a zone without servers', sources: { flags: { zone: ['consul'] } }, expected: /^--zone: "consul" is not NAME=HOST:PORT/ },
    { title: 'an upstream with a bad port', sources: { flags: { upstream: '192.0.2.1:0' } }, expected: /^--upstream: .*not 1-65535/ },
    { title: 'an upstream given by name', sources: { flags: { upstream: 'dns.example.test:53' } }, expected: /^--upstream: "dns\.example\.test:53" is not an IP address/ },
    { title: 'a zone server given by name', sources: { flags: { zone: ['corp=ns1.corp.test'] } }, expected: /^--zone: zone corp: "ns1\.corp\.test" is not an IP address/ },
    { title: 'an upstream timeout below 100 ms', sources: { flags: { 'upstream-timeout': '5' } }, expected: /^--upstream-timeout: "5" is not a whole number from 100/ },
    { title: 'an unknown log level', sources: { env: { DNSBRIDGE_LOG_LEVEL: 'loud' } }, expected: /^DNSBRIDGE_LOG_LEVEL: .*\(got "loud"\)$/ },
  ];
  for (const { title, sources, expected } of cases) {
    it(title, () => {
      const found = problems(sources);
      assert.equal(found.length, 1, found.join('\n'));
      assert.match(found[0], expected);
    });
  }

  it('lists every problem of a config file at once, naming the file and the key', () => {
    const file = write('bad.yaml', `ttl: abc\nlisten: nope\ndomain: "a..b"\ncolour: blue\nfile: ${join(dir, 'gone.yaml')}\n`);
    const found = problems({ file });
    assert.equal(found.length, 5, found.join('\n'));
    for (const key of ['ttl', 'listen', 'domain', 'colour', 'file']) {
      assert.ok(found.some((line) => line.startsWith(`"${key}" in ${file}: `)), `no problem for ${key} in:\n${found.join('\n')}`);
    }
    assert.ok(found.includes(`"colour" in ${file}: unknown option`));
  });

  const unusableFiles: [string, string, RegExp][] = [
    ['missing', join(dir, 'no-such.yaml'), /cannot read .*no-such\.yaml/],
    ['not YAML', write('broken.yaml', 'ttl: [1\n'), /broken\.yaml is not valid YAML/],
    ['a list, not a map', write('list.yaml', '- ttl\n'), /list\.yaml must be a YAML map/],
  ];
  for (const [title, file, expected] of unusableFiles) {
    it(`a config file that is ${title} is refused under --config`, () => {
      const [problem] = problems({ file });
      assert.match(problem, /^--config: /);
      assert.match(problem, expected);
    });
  }
});

describe('loadConfig: refuses to forward to itself (a loop)', () => {
  const loops: { title: string; sources: Partial<ConfigSources>; expected: RegExp }[] = [
    { title: '--upstream is the listen address', sources: { flags: { listen: '127.0.0.1:1053', upstream: '127.0.0.1:1053' } }, expected: /^--upstream: 127\.0\.0\.1:1053 is this server itself/ },
    { title: '--upstream is localhost at our port', sources: { flags: { listen: '127.0.0.1:1053', upstream: '192.0.2.1,localhost:1053' } }, expected: /^--upstream: localhost:1053 is this server itself/ },
    { title: 'a --zone points at us', sources: { flags: { listen: '127.0.0.1:1053', upstream: '192.0.2.1', zone: ['consul=127.0.0.1:1053'] } }, expected: /^--zone consul: 127\.0\.0\.1:1053 is this server itself/ },
    { title: 'a wildcard listener and a 127/8 upstream', sources: { flags: { listen: '0.0.0.0:53', upstream: '127.0.0.53' } }, expected: /^--upstream: 127\.0\.0\.53:53 is this server itself/ },
    { title: 'the IPv6 listen address', sources: { flags: { listen: '[::1]:53', upstream: '[::1]:53' } }, expected: /^--upstream: \[::1\]:53 is this server itself/ },
    {
      title: 'resolv.conf names us when listening on port 53',
      sources: { flags: { listen: '127.0.0.1:53' }, resolvConf: write('self-resolv.conf', 'nameserver 127.0.0.1\n') },
      expected: /^nameserver in .*self-resolv\.conf: 127\.0\.0\.1:53 is this server itself/,
    },
  ];
  for (const { title, sources, expected } of loops) {
    it(title, () => {
      const found = problems(sources);
      assert.equal(found.length, 1, found.join('\n'));
      assert.match(found[0], expected);
    });
  }

  it('is reported together with a registry file that does not exist', () => {
    const missing = join(dir, 'no-services.yaml');
    assert.deepEqual(problems({ flags: { listen: '127.0.0.1:1053', upstream: '127.0.0.1:1053', file: missing } }), [
      `--file: ${missing} does not exist`,
      '--upstream: 127.0.0.1:1053 is this server itself (listening on 127.0.0.1:1053): forwarding there would loop back to us',
    ]);
  });

  it('accepts the same host at another port, and another loopback address', () => {
    assert.doesNotThrow(() => load({ flags: { listen: '127.0.0.1:1053', upstream: '127.0.0.1:53' } }));
    assert.doesNotThrow(() => load({ flags: { listen: '127.0.0.1:53', upstream: '127.0.0.2:53' } }));
  });
});

describe('loadConfig: zone transfers', () => {
  it('allows nobody to transfer by default', () => {
    const config = load({});
    assert.deepEqual(config['transfer-allow'], []);
    assert.deepEqual(config.notify, []);
  });
  it('refuses secondaries to notify without --transfer-allow, and several workers with it', () => {
    assert.deepEqual(problems({ flags: { notify: '127.0.0.1:5300' } }), ['--notify: secondaries to notify need --transfer-allow to transfer the zone']);
    assert.deepEqual(problems({ flags: { 'transfer-allow': '127.0.0.1', workers: '2' } }), [
      '--workers: zone transfers (--transfer-allow) are answered by one process: --workers 2 must be 1 (or 0)',
    ]);
  });
});

describe('loadConfig: datacenters', () => {
  it('reads --datacenter, --failover, --srv-failover-priority and --client-datacenter, lowercased', () => {
    const config = load({ flags: { datacenter: 'East', failover: 'west,South', 'srv-failover-priority': '100', 'client-datacenter': ['127.0.0.2=west', '10.0.0.0/8=east'] } });
    assert.equal(config.datacenter, 'east');
    assert.deepEqual(config.failover, ['west', 'south']);
    assert.equal(config['srv-failover-priority'], 100);
    assert.deepEqual(config['client-datacenter'], [
      { address: '127.0.0.2', prefix: 32, family: 'ipv4', datacenter: 'west' },
      { address: '10.0.0.0', prefix: 8, family: 'ipv4', datacenter: 'east' },
    ]);
  });
  it('takes them as top-level YAML keys, client-datacenter as a list', () => {
    const file = write('datacenters.yaml', 'datacenter: east\nfailover: [west]\nclient-datacenter: ["127.0.0.3/32=west"]\n');
    const config = load({ file });
    assert.deepEqual([config.datacenter, config.failover, config['client-datacenter'].map((c) => c.datacenter)], ['east', ['west'], ['west']]);
  });
  it('refuses what does not fit, naming the key', () => {
    assert.deepEqual(problems({ flags: { failover: 'west', 'client-datacenter': ['127.0.0.2=west'] } }), [
      '--failover: needs --datacenter, the datacenter this bridge is in',
      '--client-datacenter: needs --datacenter, the datacenter this bridge is in',
    ]);
    assert.deepEqual(problems({ flags: { datacenter: 'east', failover: 'west,east,west', 'srv-failover-priority': '5' } }), [
      '--failover: "east" is --datacenter itself: list the other datacenters',
      '--failover: "west" is listed twice',
    ]);
    assert.deepEqual(problems({ flags: { datacenter: 'east', 'srv-failover-priority': '5' } }), [
      '--srv-failover-priority: needs --failover: the datacenters whose providers SRV answers add',
    ]);
    assert.deepEqual(problems({ flags: { datacenter: 'east', 'client-datacenter': ['127.0.0.2=sotuh'] } }), [
      '--client-datacenter: "127.0.0.2/32=sotuh": sotuh is not a configured datacenter (east)',
    ]);
    assert.deepEqual(problems({ flags: { datacenter: 'ea st', 'client-datacenter': ['127.0.0.2'] } }), [
      '--datacenter: must be letters, digits, - and _ (one DNS label) (got "ea st")',
      '--client-datacenter: "127.0.0.2" is not CIDR=NAME',
    ]);
  });
});
