import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeCertificates } from '../../harness/certs.js';
import { startEtcd } from '../../harness/etcd.js';
import { addr, ask, startEtcdBridge, tracker, until } from './helpers.js';

const srv = (...ips: string[]) => ({ status: 'NOERROR', records: ips.map((ip) => `10 1 80 ${addr(ip)}`) });

describe('etcd source: credentials', { concurrency: true }, () => {
  it('logs in with the password by the secret rule (--etcd-password-file, then DNSBRIDGE_ETCD_PASSWORD_FILE, then DNSBRIDGE_ETCD_PASSWORD), and says so when it is wrong', async (t) => {
    const track = tracker(t);
    const etcd = await startEtcd();
    track({ stop: () => etcd.close() });
    await etcd.enableAuth({ name: 'dns', password: 'dns-secret', readPrefix: '/secure/' });
    await etcd.client().put('/secure/api/10.0.15.1:80').value('');
    const dir = await mkdtemp(join(tmpdir(), 'dnsbridge-'));
    track({ stop: () => rm(dir, { recursive: true, force: true }) });
    const passwordFile = join(dir, 'etcd-password');
    await writeFile(passwordFile, 'dns-secret\n', { mode: 0o600 });

    const args = ['--etcd', etcd.url, '--etcd-user', 'dns', '--etcd-prefix', '/secure/{service}/'];
    const wrongFile = join(dir, 'wrong-password');
    await writeFile(wrongFile, 'guess\n', { mode: 0o600 });
    const fromEnv = track(await startEtcdBridge(args, { env: { DNSBRIDGE_ETCD_PASSWORD: 'dns-secret' } }));
    const fromFileVariable = track(await startEtcdBridge(args, { env: { DNSBRIDGE_ETCD_PASSWORD_FILE: passwordFile, DNSBRIDGE_ETCD_PASSWORD: 'guess' } }));
    const fromFile = track(await startEtcdBridge([...args, '--etcd-password-file', passwordFile], { env: { DNSBRIDGE_ETCD_PASSWORD_FILE: wrongFile, DNSBRIDGE_ETCD_PASSWORD: 'guess' } }));
    const wrong = track(await startEtcdBridge(args, { env: { DNSBRIDGE_ETCD_PASSWORD: 'guess' } }));
    for (const right of [fromEnv, fromFileVariable, fromFile]) assert.deepEqual(await ask(right.address, 'api.service.local'), srv('10.0.15.1'));
    assert.equal((await ask(wrong.address, 'api.service.local')).status, 'SERVFAIL');
    await until(async () => /authentication failed/i.test((await wrong.etcdStatus()).detail ?? ''), 'the status naming the failed login');
    assert.ok(!wrong.output().includes('guess'), 'the password is not logged');
  });

  it('connects over TLS with the CA, client certificate and key files', async (t) => {
    const track = tracker(t);
    const certs = await makeCertificates();
    track({ stop: () => rm(certs.dir, { recursive: true, force: true }) });
    const etcd = await startEtcd({ tls: certs });
    track({ stop: () => etcd.close() });
    await etcd.client().put('/tls/providers/10.0.16.1:80').value('');
    const bridge = track(
      await startEtcdBridge(['--etcd', etcd.url, '--etcd-ca', certs.ca, '--etcd-cert', certs.clientCert, '--etcd-key', certs.clientKey]),
    );
    assert.deepEqual(await ask(bridge.address, 'tls.service.local'), srv('10.0.16.1'));
    assert.equal((await bridge.etcdStatus()).state, 'connected');
  });
});
