import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binderServicePort, decodeNode } from '../../../src/sources/zookeeper/decode.js';

const ORIGIN = 'zookeeper:/api/providers/node';

/** Providers as `host port` (`endpoint name` when set), for short table rows. */
function decoded(name: string, data?: string, servicePort?: number): string[] | string {
  const result = decodeNode(name, data === undefined ? undefined : Buffer.from(data), ORIGIN, servicePort);
  if (!Array.isArray(result)) return `error: ${result.error}`;
  return result.map((p) => [p.endpoint, p.host, p.port, p.priority, p.weight, p.tags.join('+')].filter((v) => v !== undefined && v !== '').join(' '));
}

const curator = (fields: Record<string, unknown>) =>
  JSON.stringify({
    name: 'waiter',
    id: '53565860-2f4c-4d7e-9c7e-1c6a1b0d1f00',
    address: '10.20.14.30',
    port: 52930,
    sslPort: null,
    payload: null,
    registrationTimeUTC: 1628750040704,
    serviceType: 'DYNAMIC',
    uriSpec: null,
    enabled: true,
    ...fields,
  });

const serverSet = (fields: Record<string, unknown>) =>
  JSON.stringify({ serviceEndpoint: { host: '10.0.0.3', port: 80 }, additionalEndpoints: { http: { host: '10.0.0.3', port: 8080 } }, status: 'ALIVE', shard: 0, ...fields });

describe('ZooKeeper node decoding', () => {
  const cases: [string, string, string | undefined, string[] | string][] = [
    ['ep2016: node name host:port, data {"pid"}', 'yazd:5000', '{"pid": 1234}', ['yazd 5000 10 1']],
    ['node name host:port, no data', '10.0.0.1:80', undefined, ['10.0.0.1 80 10 1']],
    ['node name [v6]:port', '[2001:db8::1]:443', '', ['2001:db8::1 443 10 1']],
    ['Curator ServiceInstance', '53565860-2f4c-4d7e-9c7e-1c6a1b0d1f00', curator({}), ['10.20.14.30 52930 10 1']],
    ['Curator instance with only an SSL port', 'id1', curator({ port: null, sslPort: 8443 }), ['10.20.14.30 8443 10 1']],
    ['Curator instance enabled: false is left out', 'id1', curator({ enabled: false }), []],
    ['Curator instance without a port', 'id1', curator({ port: null }), 'error: Curator instance: port null is not 1-65535'],
    ['ServerSet member with an additional endpoint', 'member_0000000001', serverSet({}), ['10.0.0.3 80 10 1', 'http 10.0.0.3 8080 10 1']],
    ['ServerSet member not ALIVE is left out', 'member_0000000002', serverSet({ status: 'STOPPING' }), []],
    ['ServerSet member without additional endpoints', 'member_0000000003', serverSet({ additionalEndpoints: undefined }), ['10.0.0.3 80 10 1']],
    ['ServerSet member with a bad endpoint', 'member_0000000004', serverSet({ serviceEndpoint: { host: '10.0.0.3' } }), 'error: ServerSet serviceEndpoint: port undefined is not 1-65535'],
    ['ServerSet endpoint name that is no DNS label', 'member_0000000005', serverSet({ additionalEndpoints: { 'a b': { host: 'x', port: 1 } } }), 'error: ServerSet additional endpoint "a b" is not a DNS label'],
    ['JSON host, port, priority, weight, tags', 'n1', '{"host":"API-1.Example.com","port":"8080","priority":5,"weight":20,"tags":["Canary"]}', ['api-1.example.com 8080 5 20 canary']],
    ['JSON address instead of host', 'n2', '{"address":"10.1.1.1","port":81}', ['10.1.1.1 81 10 1']],
    ['text host:port', 'n3', 'db-1:5432\n', ['db-1 5432 10 1']],
    ['data beats the node name', '10.9.9.9:1', '10.0.0.2:2', ['10.0.0.2 2 10 1']],
    ['bad JSON fields fall back to a host:port node name', '10.0.0.4:4', '{"host":"10.0.0.4","port":0}', ['10.0.0.4 4 10 1']],
    ['bad JSON fields and no host:port name', 'n4', '{"host":"10.0.0.4","port":0}', 'error: port 0 is not 1-65535'],
    ['nothing matches', 'lock-0001', 'hello', 'error: neither the data "hello" nor the node name "lock-0001" is host:port'],
    ['empty data, name no host:port', 'n5', '', 'error: neither the data (empty) nor the node name "n5" is host:port'],
    ['JSON without host, name no host:port', 'n6', '{"pid": 1}', 'error: neither the data "{\\"pid\\": 1}" nor the node name "n6" is host:port'],
  ];
  for (const [title, name, data, expected] of cases) {
    it(title, () => assert.deepEqual(decoded(name, data), expected));
  }

  const loadBalancer = JSON.stringify({ type: 'load_balancer', load_balancer: { address: '10.0.0.1', ports: [8080, 8443] } });
  const host = JSON.stringify({ type: 'host', host: { address: '10.0.0.2' } });
  const binderCases: [string, string, number | undefined, string[] | string][] = [
    ['binder load_balancer: one provider per port', loadBalancer, 9000, ['10.0.0.1 8080 10 1', '10.0.0.1 8443 10 1']],
    ['binder host: the service node\'s port', host, 9000, ['10.0.0.2 9000 10 1']],
    ['binder host with no port anywhere', host, undefined, 'error: binder host instance has no port, and its service node gives none'],
    ['binder instance with a bad address', JSON.stringify({ type: 'host', host: { address: 'not an address!' } }), 9000, 'error: binder host instance: host "not an address!" is not an address or hostname'],
  ];
  for (const [title, data, servicePort, expected] of binderCases) {
    it(title, () => assert.deepEqual(decoded('a0b1c2', data, servicePort), expected));
  }

  it("reads the port of binder's service node, and nothing from other data", () => {
    assert.equal(binderServicePort(Buffer.from('{"type":"service","service":{"srvce":"_api","proto":"_tcp","port":8080}}')), 8080);
    assert.equal(binderServicePort(Buffer.from('{"type":"service","service":{"srvce":"_api","proto":"_tcp"}}')), undefined);
    assert.equal(binderServicePort(Buffer.from('{"pid":1}')), undefined);
    assert.equal(binderServicePort(undefined), undefined);
  });

  it('keeps where each provider came from', () => {
    const result = decodeNode('10.0.0.1:80', undefined, ORIGIN);
    assert.ok(Array.isArray(result));
    assert.equal(result[0].origin, ORIGIN);
  });
});
