import type { IncomingMessage, ServerResponse } from 'node:http';

/** A client that has this much unsent is dropped; its EventSource reconnects and gets a fresh snapshot. */
const MAX_BACKLOG = 1 << 20;
/** A comment line now and then keeps proxies and idle timers from closing the stream. */
const HEARTBEAT_MS = 15_000;

/** Server-sent events (`text/event-stream`) to every open status page. */
export class EventStream {
  private readonly clients = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor() {
    this.heartbeat = setInterval(() => this.write(': keepalive\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Opens the stream; `first` are the events a new client starts from, in order. */
  attach(req: IncomingMessage, res: ServerResponse, first: [event: string, data: unknown][]): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    for (const [event, data] of first) res.write(frame(event, data));
    this.clients.add(res);
    req.once('close', () => this.clients.delete(res));
  }

  send(event: string, data: unknown): void {
    if (this.clients.size) this.write(frame(event, data));
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  private write(text: string): void {
    for (const client of this.clients) {
      if (client.writableLength > MAX_BACKLOG) {
        client.destroy();
        this.clients.delete(client);
      } else client.write(text);
    }
  }
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
