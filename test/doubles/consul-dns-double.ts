// TEST DOUBLE of Consul's DNS interface: NOT Consul. Consul cannot be installed on this machine,
// and the real DNS servers here (dnsmasq) set TC on a large UDP answer, which Consul does not.
// It follows Consul 1.18-1.20's agent/dns.go and agent/config/default.go:
// - `dns_config.enable_truncate` is off by default, so a UDP answer is trimmed without TC
//   (`trimUDPResponse`): to `udp_answer_limit` records (default 3) and to the client's EDNS
//   size (512 without EDNS);
// - over TCP the whole answer is sent.
// It answers A queries for the names it is given, each with its list of addresses, TTL 0, AA.
import dgram from 'node:dgram';
import net, { type AddressInfo } from 'node:net';
import dnsPacket from 'dns-packet';

/** agent/config/default.go: `udp_answer_limit = 3`. */
export const CONSUL_UDP_ANSWER_LIMIT = 3;

export class ConsulDnsDouble {
  private constructor(
    private readonly udp: dgram.Socket,
    private readonly tcp: net.Server,
    private readonly names: Map<string, string[]>,
  ) {}

  /** Listens on one free loopback port, UDP and TCP. */
  static async start(names: Record<string, string[]>): Promise<ConsulDnsDouble> {
    const tcp = net.createServer();
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind((tcp.address() as AddressInfo).port, '127.0.0.1', resolve));
    const double = new ConsulDnsDouble(udp, tcp, new Map(Object.entries(names)));
    udp.on('message', (message, peer) => {
      const reply = double.answer(message, 'udp');
      if (reply) udp.send(reply, peer.port, peer.address);
    });
    tcp.on('connection', (socket) => double.serveTcp(socket));
    return double;
  }

  get address(): string {
    return `127.0.0.1:${(this.tcp.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.udp.close();
    await new Promise((resolve) => this.tcp.close(resolve));
  }

  private serveTcp(socket: net.Socket): void {
    let received = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        const message = received.subarray(2, 2 + received.readUInt16BE(0));
        received = received.subarray(2 + message.length);
        const reply = this.answer(message, 'tcp');
        if (reply) socket.write(Buffer.concat([Buffer.from([reply.length >> 8, reply.length & 0xff]), reply]));
      }
    });
  }

  private answer(message: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined;
    }
    const question = query.questions?.[0];
    if (!question) return undefined;
    const addresses = this.names.get(question.name.toLowerCase());
    const all = question.type === 'A' ? (addresses ?? []) : [];
    // agent/dns.go trimUDPResponse: udp_answer_limit records, and no TC since enable_truncate is off.
    const kept = transport === 'udp' ? all.slice(0, CONSUL_UDP_ANSWER_LIMIT) : all;
    return dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED),
      rcode: addresses ? 'NOERROR' : 'NXDOMAIN',
      questions: [question],
      answers: kept.map((address) => ({ type: 'A', name: question.name, ttl: 0, data: address })),
    } as dnsPacket.Packet);
  }
}
