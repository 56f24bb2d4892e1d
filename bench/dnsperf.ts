import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireTool } from '../test/harness/tools.js';

const run = promisify(execFile);

export interface DnsperfResult {
  qps: number;
  avgLatencyMs: number;
  lost: number;
  completed: number;
}

/**
 * Runs dnsperf (-c 4 -q 200, as in the design notes) against a server for `seconds`; `edns` adds
 * EDNS0 (-e) for answers over 512 bytes; `cpu` pins dnsperf to that core (taskset).
 */
export async function dnsperf(
  server: { host: string; port: number },
  queries: string[],
  seconds: number,
  options: { edns?: boolean; cpu?: number } = {},
): Promise<DnsperfResult> {
  const binary = requireTool('dnsperf', 'dnsperf');
  const file = join(tmpdir(), `dnsperf-${process.pid}-${Date.now()}.txt`);
  await writeFile(file, `${queries.join('\n')}\n`);
  const args = ['-s', server.host, '-p', String(server.port), '-d', file, '-c', '4', '-q', '200', '-l', String(seconds), ...(options.edns ? ['-e'] : [])];
  const [command, commandArgs] = options.cpu === undefined ? [binary, args] : [requireTool('taskset', 'util-linux'), ['-c', String(options.cpu), binary, ...args]];
  const { stdout } = await run(command, commandArgs, { maxBuffer: 16 << 20 });
  const number = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1] ?? NaN);
  return {
    qps: number(/Queries per second:\s+([\d.]+)/),
    avgLatencyMs: number(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    lost: number(/Queries lost:\s+(\d+)/),
    completed: number(/Queries completed:\s+(\d+)/),
  };
}
