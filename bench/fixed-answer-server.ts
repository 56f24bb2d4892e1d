// The Node ceiling for a UDP DNS server: a bare `dgram` socket answering every datagram with one
// fixed answer (A 10.0.0.1), only the ID copied in. `node dist/bench/fixed-answer-server.js PORT`.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

const port = Number(process.argv[2]);
const answer = dnsPacket.encode({
  type: 'response',
  flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED,
  questions: [{ name: 'api.service.local', type: 'A', class: 'IN' }],
  answers: [{ name: 'api.service.local', type: 'A', class: 'IN', ttl: 5, data: '10.0.0.1' }],
});
const socket = dgram.createSocket('udp4');
socket.on('message', (msg, rinfo) => {
  const out = Buffer.from(answer);
  out[0] = msg[0];
  out[1] = msg[1];
  socket.send(out, rinfo.port, rinfo.address);
});
socket.bind(port, '127.0.0.1', () => console.log('listening'));
