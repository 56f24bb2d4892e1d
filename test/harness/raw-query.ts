import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

/** A plain query (RD set, no EDNS) encoded by dns-packet, a codec independent of ours. */
export function encodePlainQuery(name: string, type: dnsPacket.RecordType, id: number): Buffer {
  return dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] });
}

/** Sends `query` over UDP to `host:port` and resolves with the first reply's bytes. */
export function udpExchange(address: string, query: Buffer, timeoutMs = 5000): Promise<Buffer> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no UDP reply from ${address} in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('message', (reply) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    });
    socket.send(query, port, host);
  });
}

/** The reply with its ID zeroed, to compare two servers' answers byte for byte. */
export function withoutId(reply: Buffer): Buffer {
  const copy = Buffer.from(reply);
  copy.writeUInt16BE(0, 0);
  return copy;
}

/** True once something answers a UDP query at host:port (a server that just started). */
export async function udpAnswers(host: string, port: number): Promise<boolean> {
  return udpExchange(`${host}:${port}`, encodePlainQuery('.', 'SOA', 1), 500).then(
    () => true,
    () => false,
  );
}
