import dgram from 'node:dgram';
import { RcodeName } from '../../src/dns/constants.js';
import { query } from './wire.js';

/** Answers counted per response code ('TIMEOUT' when none came within the timeout). */
export type RcodeCounts = Record<string, number>;

export interface LoadGenerator {
  /** Counts since start (or the last `reset`), per query group. */
  counts(): Record<string, RcodeCounts>;
  /** Starts a new window for `counts`; `stop` still reports the whole run. */
  reset(): void;
  /** Stops sending, waits for the last answers, and returns the counts of the whole run. */
  stop(): Promise<Record<string, RcodeCounts>>;
}

/**
 * Queries a server continuously over UDP at about `perSecond`, cycling through `questions`
 * (grouped, e.g. 'known services' and 'forwarded'), and counts the answers' response codes.
 * Bounded: it stops by itself after `maxSeconds`.
 */
export async function startLoad(
  server: { host: string; port: number },
  questions: { group: string; name: string; type: number }[],
  options: { perSecond: number; timeoutMs: number; maxSeconds: number },
): Promise<LoadGenerator> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  let counts: Record<string, RcodeCounts> = {};
  const total: Record<string, RcodeCounts> = {};
  const pending = new Map<number, { group: string; timer: NodeJS.Timeout }>();
  const count = (group: string, code: string) => {
    for (const tally of [counts, total]) {
      const groupCounts = (tally[group] ??= {});
      groupCounts[code] = (groupCounts[code] ?? 0) + 1;
    }
  };
  socket.on('message', (reply) => {
    if (reply.length < 12) return;
    const entry = pending.get(reply.readUInt16BE(0));
    if (!entry) return;
    clearTimeout(entry.timer);
    pending.delete(reply.readUInt16BE(0));
    count(entry.group, RcodeName[reply[3] & 0xf] ?? String(reply[3] & 0xf));
  });
  let nextId = 0;
  let index = 0;
  const tick = setInterval(() => {
    const batch = Math.max(1, Math.round(options.perSecond / 100));
    for (let i = 0; i < batch; i++) {
      const question = questions[index++ % questions.length];
      const id = nextId++ & 0xffff;
      if (pending.has(id)) continue;
      const timer = setTimeout(() => {
        pending.delete(id);
        count(question.group, 'TIMEOUT');
      }, options.timeoutMs);
      pending.set(id, { group: question.group, timer });
      socket.send(query(question.name, question.type, { id }), server.port, server.host);
    }
  }, 10);
  const stopAt = setTimeout(() => clearInterval(tick), options.maxSeconds * 1000);
  return {
    counts: () => counts,
    reset: () => {
      counts = {};
    },
    async stop() {
      clearInterval(tick);
      clearTimeout(stopAt);
      await new Promise((resolve) => setTimeout(resolve, options.timeoutMs + 100));
      socket.close();
      return total;
    },
  };
}
