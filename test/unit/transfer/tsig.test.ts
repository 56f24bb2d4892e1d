import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { parseTsigKey } from '../../../src/transfer/key-file.js';
import { findTsig, lastMac, signMessages, TsigError, verifyRequest, verifyResponse, type TsigKey } from '../../../src/transfer/tsig.js';

const KEY_FILE = 'key "transfer-key" {\n\talgorithm hmac-sha256;\n\tsecret "Xc4t5NlrsHVHkj3fcOo94gHfxUJytVRGZECeZ8kdzv8=";\n};\n';
const key = parseTsigKey(KEY_FILE) as TsigKey;
const NOW = 1_800_000_000;

function axfrQuery(id = 7): Buffer {
  return dnsPacket.encode({ type: 'query', id, questions: [{ name: 'service.local', type: 'AXFR', class: 'IN' }] });
}

describe('TSIG (RFC 8945)', () => {
  it('reads a key as tsig-keygen writes it, and refuses other algorithms and missing secrets', () => {
    assert.equal(key.name, 'transfer-key');
    assert.equal(key.secret.length, 32);
    assert.match(String(parseTsigKey(KEY_FILE.replace('hmac-sha256', 'hmac-md5'))), /algorithm hmac-md5 is not supported/);
    assert.match(String(parseTsigKey('key "k" { algorithm hmac-sha256; };')), /no base64 secret/);
    assert.match(String(parseTsigKey('nothing here')), /no `key "NAME"/);
    const slashes = parseTsigKey('# made by tsig-keygen\nkey "k" { algorithm hmac-sha256; secret "ab//cd+/ab//cd+/ab//cd+/ab//cd+/ab//cd+/ab//=="; };') as TsigKey;
    assert.equal(slashes.secret.toString('base64'), 'ab//cd+/ab//cd+/ab//cd+/ab//cd+/ab//cd+/ab//', "a secret holding '//' is read whole");
  });

  it('a request we sign verifies; with another secret it is BADSIG, another key name BADKEY, an old one BADTIME', () => {
    const [signed] = signMessages([axfrQuery()], key, Buffer.alloc(0), NOW);
    const decoded = dnsPacket.decode(signed);
    assert.equal(decoded.additionals?.[0].type, 'TSIG' as never, 'dns-packet reads our TSIG record');
    assert.equal((verifyRequest(signed, key, NOW + 10) as { kind: string }).kind, 'valid');
    const otherSecret = { ...key, secret: Buffer.alloc(32, 1) };
    assert.equal((verifyRequest(signed, otherSecret, NOW) as { error: number }).error, TsigError.BADSIG);
    assert.equal((verifyRequest(signed, { ...key, name: 'other-key' }, NOW) as { error: number }).error, TsigError.BADKEY);
    assert.equal((verifyRequest(signed, key, NOW + 301) as { error: number }).error, TsigError.BADTIME);
    assert.deepEqual(verifyRequest(axfrQuery(), key, NOW), { kind: 'unsigned' });
  });

  it('a changed byte breaks the signature', () => {
    const [signed] = signMessages([axfrQuery()], key, Buffer.alloc(0), NOW);
    signed[2] ^= 0x01;
    assert.equal((verifyRequest(signed, key, NOW) as { error: number }).error, TsigError.BADSIG);
  });

  it('chains the messages of one answer: each MAC covers the one before, so none can be left out', () => {
    const [request] = signMessages([axfrQuery()], key, Buffer.alloc(0), NOW);
    const requestMac = lastMac(request);
    const answers = signMessages([axfrQuery(1), axfrQuery(2), axfrQuery(3)], key, requestMac, NOW);
    assert.ok(verifyResponse(answers[0], key, requestMac), 'the first answer verifies against the request MAC');
    const first = findTsig(answers[0]);
    const second = findTsig(answers[1]);
    assert.ok(first && typeof first !== 'string' && second && typeof second !== 'string');
    assert.notDeepEqual(first.mac, second.mac);
    assert.ok(!verifyResponse(answers[1], key, requestMac), 'a later message does not verify as a first one');
  });
});
