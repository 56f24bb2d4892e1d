import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidName, labelsUnder, nameLabels, readName, readQuestionName } from '../../../src/dns/names.js';
import { header, wireName } from '../../harness/wire.js';

/** A message whose bytes from offset 12 are `body`, so pointers can be written by hand. */
function message(...body: (Buffer | number[])[]): Buffer {
  return Buffer.concat([header(), ...body.map((part) => Buffer.from(part))]);
}

describe('readName: compressed names (RFC 1035 4.1.4)', () => {
  it('follows a pointer back to an earlier name and reports where the name ended', () => {
    // 12: api.service.local  31: "x" + pointer to 16 (service.local)
    const msg = message(wireName('api', 'service', 'local'), [1, 0x78, 0xc0, 16]);
    assert.deepEqual(readName(msg, 12), { name: 'api.service.local', end: 31 });
    assert.deepEqual(readName(msg, 31), { name: 'x.service.local', end: 35 });
  });

  it('follows a chain of backward pointers, each lower than the last', () => {
    // 12: local  19: "service" -> 12  29: "api" -> 19
    const msg = message(wireName('local'), [7, ...Buffer.from('service'), 0xc0, 12], [3, ...Buffer.from('api'), 0xc0, 19]);
    assert.deepEqual(readName(msg, 29), { name: 'api.service.local', end: 35 });
  });

  it('lowercases and escapes the labels it reads', () => {
    const msg = message(wireName('API', Buffer.from([0x20, 0x41]), 'Local'));
    assert.equal((readName(msg, 12) as { name: string }).name, 'api.\\032a.local');
  });

  const refused: { title: string; msg: Buffer; offset: number; reason: RegExp }[] = [
    { title: 'a pointer to itself', msg: message([0xc0, 12]), offset: 12, reason: /loop|forward/ },
    { title: 'two pointers pointing at each other', msg: message([1, 0x61, 0xc0, 16, 1, 0x62, 0xc0, 12]), offset: 16, reason: /loop|forward/ },
    { title: 'a label then a pointer back to that label', msg: message([1, 0x61, 0xc0, 12]), offset: 12, reason: /loop|forward/ },
    { title: 'a forward pointer', msg: message([0xc0, 14, 0]), offset: 12, reason: /loop|forward/ },
    { title: 'a pointer past the end of the message', msg: message([0xc0, 200]), offset: 12, reason: /loop|forward/ },
    { title: 'a pointer cut in half', msg: message([1, 0x61, 0xc0]), offset: 12, reason: /pointer cut short/ },
    { title: 'label type 0x40 (extended labels, RFC 6891)', msg: message([0x41, 0]), offset: 12, reason: /reserved/ },
    { title: 'label type 0x80 (reserved)', msg: message([0x81, 0]), offset: 12, reason: /reserved/ },
    { title: 'a label running past the end', msg: message([5, 0x61]), offset: 12, reason: /label cut short/ },
    { title: 'a name without its terminating zero', msg: message([1, 0x61]), offset: 12, reason: /name cut short/ },
    { title: 'an offset past the end', msg: message([0]), offset: 40, reason: /name cut short/ },
  ];
  for (const { title, msg, offset, reason } of refused) {
    it(`refuses ${title}`, () => {
      const result = readName(msg, offset);
      assert.equal(typeof result, 'string', `expected an error, got ${JSON.stringify(result)}`);
      assert.match(result as string, reason);
    });
  }

  it('refuses a name longer than 255 bytes built out of pointers', () => {
    // Four 63-byte labels spread over pointers: 4 * 64 + 1 = 257 bytes once followed.
    const label = [63, ...Buffer.alloc(63, 0x61)];
    // 12: label + root  77: label -> 12  143: label -> 77  209: label -> 143
    const msg = message([...label, 0], [...label, 0xc0, 12], [...label, 0xc0, 77], [...label, 0xc0, 143]);
    assert.equal(readName(msg, 209), 'name longer than 255 bytes');
  });
});

describe('readQuestionName', () => {
  it('reads an uncompressed name', () => {
    assert.deepEqual(readQuestionName(message(wireName('a', 'b')), 12), { name: 'a.b', end: 17 });
  });
  it('refuses any pointer, there being nothing earlier to point at', () => {
    assert.match(readQuestionName(message([1, 0x61, 0xc0, 12]), 12) as string, /pointer/);
  });
  it('accepts a name of exactly 255 bytes and refuses 256', () => {
    const labels = (last: number) => [...Array.from({ length: 3 }, () => 'x'.repeat(63)), 'x'.repeat(last)];
    assert.equal(typeof readQuestionName(message(wireName(...labels(61))), 12), 'object');
    assert.equal(readQuestionName(message(wireName(...labels(62))), 12), 'name longer than 255 bytes');
  });
});

describe('name text forms', () => {
  it('nameLabels undoes the \\DDD escapes readName writes', () => {
    assert.deepEqual(nameLabels('a\\046b.local.'), [Buffer.from('a.b'), Buffer.from('local')]);
    assert.deepEqual(nameLabels(''), []);
    assert.deepEqual(nameLabels('.'), []);
  });

  const validity: [string, boolean][] = [
    ['api.service.local', true],
    ['api.service.local.', true],
    [`${'a'.repeat(63)}.local`, true],
    [`${'a'.repeat(64)}.local`, false],
    ['a..local', false],
    [Array.from({ length: 4 }, () => 'x'.repeat(63)).join('.'), false],
  ];
  for (const [name, valid] of validity) {
    it(`isValidName(${name.length > 40 ? `${name.length} chars` : JSON.stringify(name)}) is ${valid}`, () => {
      assert.equal(isValidName(name), valid);
    });
  }

  it('labelsUnder gives the labels below a zone, [] at the apex, undefined outside', () => {
    assert.deepEqual(labelsUnder('canary.api.service.local', 'service.local'), ['canary', 'api']);
    assert.deepEqual(labelsUnder('service.local', 'service.local'), []);
    assert.equal(labelsUnder('myservice.local', 'service.local'), undefined);
    assert.equal(labelsUnder('example.com', 'service.local'), undefined);
  });
});
