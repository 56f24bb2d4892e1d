/**
 * Bounds the reads in flight on the one ZooKeeper connection. ZooKeeper answers a session's
 * requests in order, so a read sent behind 100,000 others waits for all of them: with this
 * queue, reads that no answer waits for (`background`) go out a few at a time, and a read a
 * query waits for passes every background read not yet sent.
 */
export class ReadQueue {
  private inFlight = 0;
  private readonly urgent = new Fifo<() => void>();
  private readonly background = new Fifo<() => void>();

  constructor(private readonly maxInFlight: number) {}

  run<T>(read: () => Promise<T>, background: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.inFlight++;
        read()
          .then(resolve, reject)
          .finally(() => {
            this.inFlight--;
            this.next();
          });
      };
      (background ? this.background : this.urgent).push(start);
      this.next();
    });
  }

  /** Reads sent and not answered, or waiting to be sent. */
  get pending(): number {
    return this.inFlight + this.urgent.length + this.background.length;
  }

  private next(): void {
    while (this.inFlight < this.maxInFlight) {
      const start = this.urgent.shift() ?? this.background.shift();
      if (!start) return;
      start();
    }
  }
}

/** A queue whose shift stays cheap with 100,000 items waiting. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
