import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isError } from '../../../src/registry/fields.js';
import { decodeEntry } from '../../../src/sources/etcd/decode.js';
import { prefixOf } from '../../../src/sources/etcd/prefixes.js';

/** The fields that matter to answers, as `host port priority weight [ttl] [tags]`. */
function summary(key: string, value: string): string {
  const decoded = decodeEntry(key, value);
  if (!decoded) return 'not serving';
  if (isError(decoded)) return `error: ${decoded.error}`;
  const ttl = decoded.ttl === undefined ? '' : ` ttl=${decoded.ttl}`;
  const tags = decoded.tags.length ? ` tags=${decoded.tags.join(',')}` : '';
  return `${decoded.host} ${decoded.port} ${decoded.priority} ${decoded.weight}${ttl}${tags}`;
}

describe('etcd entry decoding', () => {
  const cases: [string, string, string, string][] = [
    ['SkyDNS message', '/skydns/local/service/api/x1', '{"host":"10.0.1.125","port":8080,"priority":10,"weight":100,"ttl":30,"text":"v1"}', '10.0.1.125 8080 10 100 ttl=30'],
    ['SkyDNS priority 0 is kept', '/skydns/local/service/api/x2', '{"host":"10.0.1.126","port":8080,"priority":0,"weight":5}', '10.0.1.126 8080 0 5'],
    ['SkyDNS without priority', '/skydns/local/service/api/x3', '{"host":"API.example.com.","port":53,"targetstrip":1,"group":"g"}', 'api.example.com 53 10 1'],
    ['SkyDNS without port (A records only)', '/skydns/local/service/api/x4', '{"host":"10.0.1.127","ttl":60}', '10.0.1.127 0 10 1 ttl=60'],
    ['SkyDNS ttl 0 means none', '/skydns/local/service/api/x5', '{"host":"10.0.1.128","port":80,"ttl":0}', '10.0.1.128 80 10 1'],
    [
      "Curator's ServiceInstance",
      '/services/waiter/53565860',
      '{"name":"waiter","id":"53565860","address":"10.20.14.30","port":52930,"sslPort":null,"payload":null,"registrationTimeUTC":1628750040704,"serviceType":"DYNAMIC","uriSpec":null,"enabled":true}',
      '10.20.14.30 52930 10 1',
    ],
    ['Curator with sslPort only', '/services/secure/1', '{"name":"secure","id":"1","address":"10.20.14.31","port":null,"sslPort":8443,"enabled":true}', '10.20.14.31 8443 10 1'],
    ['Curator disabled', '/services/waiter/2', '{"name":"waiter","id":"2","address":"10.20.14.32","port":80,"enabled":false}', 'not serving'],
    ['JSON with tags', '/api/providers/a', '{"host":"10.0.0.1","port":"8080","weight":3,"tags":["Canary"]}', '10.0.0.1 8080 10 3 tags=canary'],
    ['text host:port', '/ep2016/providers/anything', 'yazd:5000', 'yazd 5000 10 1'],
    ['text [v6]:port', '/api/providers/v6', '[2001:db8::1]:443\n', '2001:db8::1 443 10 1'],
    ['key segment when the value is other JSON', '/ep2016/providers/yazd:5000', '{"pid": 1234}', 'yazd 5000 10 1'],
    ['key segment when the value is empty', '/api/providers/nested/deep/10.0.0.9:81', '', '10.0.0.9 81 10 1'],
    ['key segment when the JSON is broken', '/api/providers/10.0.0.7:82', '{"host": ', '10.0.0.7 82 10 1'],
  ];
  for (const [name, key, value, expected] of cases) {
    it(name, () => assert.equal(summary(key, value), expected));
  }

  const failures: [string, string, string, RegExp][] = [
    ['neither value nor key', '/api/providers/x', 'garbage', /"garbage" is not host:port.*last segment "x" is not host:port/],
    ['JSON with a bad port', '/api/providers/x', '{"host":"10.0.0.1","port":"http"}', /port "http" is not 1-65535.*last segment "x"/],
    ['JSON with a bad host', '/api/providers/x', '{"address":"not a host!","port":80}', /host "not a host!"/],
    ['JSON with a bad ttl', '/api/providers/x', '{"host":"10.0.0.1","port":80,"ttl":"long"}', /ttl "long"/],
    ['JSON without host', '/api/providers/x', '{"pid":1}', /JSON without "host" or "address"/],
    ['port out of range', '/api/providers/10.0.0.1:70000', '10.0.0.1:0', /is not host:port/],
  ];
  for (const [name, key, value, expected] of failures) {
    it(`skips ${name}, saying why`, () => assert.match(summary(key, value), expected));
  }

  it('names the key as the origin', () => {
    const decoded = decodeEntry('/api/providers/a', '10.0.0.1:80');
    assert.ok(decoded && !isError(decoded));
    assert.equal(decoded.origin, 'etcd:/api/providers/a');
  });
});

describe('etcd prefix templates', () => {
  it('puts the service in and ends with a slash', () => {
    assert.equal(prefixOf('/{service}/providers/', 'api'), '/api/providers/');
    assert.equal(prefixOf('/skydns/local/service/{service}', 'api'), '/skydns/local/service/api/');
    assert.equal(prefixOf('/svc/{service}/{service}-v1/', 'db'), '/svc/db/db-v1/');
  });
});
