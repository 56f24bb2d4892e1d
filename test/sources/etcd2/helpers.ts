import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { InstanceStatus } from '../../../src/registry/source.js';
import type { BridgeProcess } from '../../harness/bridge.js';
import { startProcess, type Running } from '../../harness/process.js';

/** Writes a key of etcd's v2 keyspace as python-etcd does (`PUT /v2/keys/KEY` with a form body). */
export async function v2put(url: string, key: string, value: string, params: Record<string, string> = {}): Promise<void> {
  const response = await fetch(`${url}/v2/keys${key}`, { method: 'PUT', body: new URLSearchParams({ value, ...params }) });
  if (!response.ok) throw new Error(`PUT ${key}: HTTP ${response.status} ${await response.text()}`);
  await response.body?.cancel();
}

/** Deletes a v2 key, or a directory with everything below it. */
export async function v2delete(url: string, key: string, recursive = false): Promise<void> {
  const response = await fetch(`${url}/v2/keys${key}${recursive ? '?recursive=true' : ''}`, { method: 'DELETE' });
  if (!response.ok) throw new Error(`DELETE ${key}: HTTP ${response.status} ${await response.text()}`);
  await response.body?.cancel();
}

/** A source's entry in the bridge's /api/status. */
export async function sourceStatus(bridge: BridgeProcess, name = 'etcd2'): Promise<InstanceStatus> {
  const status = (await (await fetch(`http://${bridge.http}/api/status`)).json()) as { sources: InstanceStatus[] };
  const source = status.sources.find((s) => s.name === name);
  if (!source) throw new Error(`no ${name} source in /api/status: ${JSON.stringify(status)}`);
  return source;
}

/** Debian's python3 with Debian's python3-etcd (pyenv's or a virtualenv's python would not have it). */
const PYTHON = '/usr/bin/python3';
const TALK_CLIENT = fileURLToPath(new URL('../../../../test/fixtures/ep2016/etcd_client.py', import.meta.url));

function requirePythonEtcd(): string {
  try {
    execFileSync(PYTHON, ['-c', 'import etcd']);
    return PYTHON;
  } catch {
    throw new Error(`${PYTHON} cannot import etcd: install the Debian package python3-etcd (scripts/test.sh does it when run as root)`);
  }
}

/**
 * Runs the talk's etcd registration (test/fixtures/ep2016/etcd_client.py) against etcd's v2 API:
 * `/ep2016/providers/HOST:PORT` with a 5 s TTL, written again every 4 s. Resolves after its first write.
 */
export function startTalkClient(etcdPort: number, host: string, port: number): Promise<Running> {
  return startProcess(requirePythonEtcd(), [TALK_CLIENT, '127.0.0.1', String(etcdPort), host, String(port)], {
    ready: (output) => output.includes(`registered ${host}:${port}`),
    name: 'the ep2016 talk client',
  });
}
