import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

/** A UDP client that keeps one socket: cheap enough to poll for a change every few milliseconds. */
export class DnsClient {
  private readonly socket = dgram.createSocket('udp4');
  private readonly waiting = new Map<number, (reply: dnsPacket.Packet) => void>();
  private nextId = 1;

  constructor(private readonly server: { host: string; port: number }) {
    this.socket.on('message', (msg) => {
      const reply = dnsPacket.decode(msg);
      const resolve = this.waiting.get(reply.id ?? -1);
      if (resolve) {
        this.waiting.delete(reply.id!);
        resolve(reply);
      }
    });
    this.socket.unref();
  }

  /** The answer's rcode and its records' data as text, sorted. */
  ask(name: string, type: dnsPacket.RecordType, timeoutMs = 3000): Promise<{ rcode: string; records: string[] }> {
    const id = this.nextId++ & 0xffff;
    const query = dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name, type, class: 'IN' }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no answer for ${name} ${type}`));
      }, timeoutMs);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        const records = (reply.answers ?? []).map((record) => JSON.stringify('data' in record ? record.data : null)).sort();
        resolve({ rcode: (reply as { rcode?: string }).rcode ?? 'NOERROR', records });
      });
      this.socket.send(query, this.server.port, this.server.host);
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** Polls `name` until `done(answer)` holds; resolves with the milliseconds that took. */
export async function waitForAnswer(
  client: DnsClient,
  name: string,
  type: dnsPacket.RecordType,
  done: (answer: { rcode: string; records: string[] }) => boolean,
  startedAt: number,
  limitMs = 10_000,
): Promise<number> {
  for (;;) {
    const answer = await client.ask(name, type).catch(() => undefined);
    if (answer && done(answer)) return performance.now() - startedAt;
    if (performance.now() - startedAt > limitMs) throw new Error(`${name} ${type} did not change within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
