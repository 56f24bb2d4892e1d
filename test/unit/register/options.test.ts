import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/config/errors.js';
import { parseRegisterOptions } from '../../../src/register/options.js';

const base = { service: 'api', port: '5000', zookeeper: '127.0.0.1:2181' };

function problems(flags: Record<string, unknown>, operands: string[] = [], address = () => '10.0.0.7' as string | undefined): string[] {
  try {
    parseRegisterOptions(flags, operands, address);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems.map((p) => `${p.key}: ${p.message}`);
  }
  return [];
}

describe('register options', () => {
  it('defaults to the layouts serve reads, the primary address, a 5 s TTL and a 2 s interval', () => {
    const settings = parseRegisterOptions({ ...base, etcd: 'http://127.0.0.1:2379' }, [], () => '10.0.0.7');
    assert.equal(settings.address, '10.0.0.7');
    assert.equal(settings.zookeeper?.path, '/{service}/providers');
    assert.equal(settings.etcd?.prefix, '/{service}/providers/');
    assert.equal(settings.format, 'hostport');
    assert.equal(settings.ttlSeconds, 5);
    assert.equal(settings.intervalMs, 2000);
    assert.equal(settings.timeoutMs, 2000, 'a check times out after one interval unless told');
    assert.equal(settings.check, undefined);
  });

  it('reads checks, durations, tags and the program after --', () => {
    const settings = parseRegisterOptions(
      { ...base, 'check-tcp': '127.0.0.1:5000', interval: '500ms', 'check-timeout': '200ms', tags: 'a, b', exec: true, address: 'API-1.example.com' },
      ['./server', '--port', '5000'],
    );
    assert.deepEqual(settings.check, { kind: 'tcp', host: '127.0.0.1', port: 5000 });
    assert.equal(settings.intervalMs, 500);
    assert.equal(settings.timeoutMs, 200);
    assert.deepEqual(settings.tags, ['a', 'b']);
    assert.deepEqual(settings.exec, ['./server', '--port', '5000']);
    assert.equal(settings.address, 'api-1.example.com');
  });

  const bad: [string, Record<string, unknown>, string[], string][] = [
    ['no registry', { service: 'api', port: '5000' }, [], '--zookeeper, --etcd, --etcd2, --consul: give at least one registry'],
    ['a service name that is not a DNS label', { ...base, service: 'my api' }, [], '--service: must be one DNS label'],
    ['a port out of range', { ...base, port: '70000' }, [], '--port:'],
    ['two checks', { ...base, 'check-http': 'http://127.0.0.1/health', 'check-cmd': 'true' }, [], '--check-cmd: only one check at a time'],
    ['a duration without unit', { ...base, interval: '2' }, [], '--interval: "2" is not a duration'],
    ['a timeout longer than the interval', { ...base, interval: '1s', 'check-timeout': '2s' }, [], '--check-timeout: must not exceed --interval'],
    ['a Consul TTL check renewed less often than its TTL', { ...base, consul: 'http://127.0.0.1:8500', interval: '5s', ttl: '5' }, [], '--interval: must be shorter than --ttl'],
    ['a template without {service}', { ...base, 'zk-path': '/services' }, [], '--zk-path: must contain {service}'],
    ['an unknown format', { ...base, format: 'xml' }, [], '--format:'],
    ['an etcd endpoint that is not a URL', { service: 'api', port: '1', etcd: '127.0.0.1:2379' }, [], '--etcd:'],
    ['--exec without a program', { ...base, exec: true }, [], '--exec: give the program after --'],
    ['a program without --exec', { ...base }, ['./server'], '--exec: "./server" given without --exec'],
    ['an address that is neither IP nor hostname', { ...base, address: 'not an address!' }, [], '--address: "not an address!" is not'],
    ['a client certificate without a CA', { service: 'api', port: '1', etcd: 'https://127.0.0.1:2379', 'etcd-cert': '/c.pem' }, [], '--etcd-cert: needs --etcd-ca'],
    ['a Consul CA without --consul', { ...base, 'consul-ca': '/ca.pem' }, [], '--consul-ca: needs --consul'],
  ];
  for (const [what, flags, operands, expected] of bad) {
    it(`refuses ${what}, naming the flag`, () => {
      const found = problems(flags, operands);
      assert.ok(
        found.some((p) => p.startsWith(expected)),
        `expected a problem starting "${expected}", got:\n${found.join('\n')}`,
      );
    });
  }

  it('--consul without an address leaves it to Consul\'s own default (CONSUL_HTTP_ADDR, else 127.0.0.1:8500); with one, keeps it', () => {
    assert.equal(parseRegisterOptions({ ...base, consul: true }, [], () => '10.0.0.7').consul?.address, undefined);
    assert.equal(parseRegisterOptions({ ...base, consul: 'unix:///run/consul.sock' }, [], () => '10.0.0.7').consul?.address, 'unix:///run/consul.sock');
    assert.equal(parseRegisterOptions(base, [], () => '10.0.0.7').consul, undefined, 'no Consul unless --consul is given');
  });

  it('asks for --address on a host with only loopback', () => {
    assert.deepEqual(problems(base, [], () => undefined), ['--address: this host has no non-loopback IPv4 address: give --address']);
  });
});
