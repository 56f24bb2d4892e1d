import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeData } from '../../../src/clients/zookeeper.js';
import { PathMirror, type MirrorListener, type WatchingReader } from '../../../src/sources/zookeeper/path-mirror.js';
import { ReadQueue } from '../../../src/sources/zookeeper/read-queue.js';

/** A reader whose data replies the test releases by hand, so it can order replies and watch firings. */
class HeldReader implements WatchingReader {
  children_: string[] = [];
  private readonly held = new Map<string, ((data: NodeData | undefined) => void)[]>();
  readonly background: string[] = [];

  async children(): Promise<string[]> {
    return [...this.children_];
  }

  data(path: string, background: boolean): Promise<NodeData | undefined> {
    if (background) this.background.push(path);
    return new Promise((resolve) => this.held.set(path, [...(this.held.get(path) ?? []), resolve]));
  }

  async exists(): Promise<boolean> {
    return true;
  }

  /** Answers the oldest read of `path` with `data` (undefined: the node is gone), written at `mtime`. */
  release(path: string, data?: string, mtime?: number): void {
    const [first, ...rest] = this.held.get(path) ?? [];
    assert.ok(first, `a read of ${path} is waiting`);
    this.held.set(path, rest);
    first(data === undefined ? undefined : { bytes: Buffer.from(data), mtime });
  }
}

const listener = (): MirrorListener & { changes: number; skippedPaths: string[] } => ({
  changes: 0,
  skippedPaths: [],
  changed() {
    this.changes++;
  },
  skipped(path: string) {
    this.skippedPaths.push(path);
  },
  failed(_mirror, error) {
    throw error;
  },
  synced() {},
});

const hosts = (mirror: PathMirror) => mirror.providers().map((p) => `${p.host}:${p.port}`).sort();
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('PathMirror', () => {
  it('answers host:port children from their names before their data is read, and lets data in another format win', async () => {
    const reader = new HeldReader();
    reader.children_ = ['10.0.0.1:80', '10.0.0.2:80'];
    const mirror = new PathMirror('/api/providers', reader, listener());
    assert.equal(await mirror.whenLoaded(), true);
    assert.deepEqual(hosts(mirror), ['10.0.0.1:80', '10.0.0.2:80']);
    assert.deepEqual(reader.background, ['/api/providers/10.0.0.1:80', '/api/providers/10.0.0.2:80']);
    reader.release('/api/providers/10.0.0.1:80', '{"pid": 1}');
    reader.release('/api/providers/10.0.0.2:80', '10.0.0.9:90');
    await settle();
    assert.deepEqual(hosts(mirror), ['10.0.0.1:80', '10.0.0.9:90']);
  });

  it('waits for the data of children whose names say nothing (Curator ids)', async () => {
    const reader = new HeldReader();
    reader.children_ = ['6f1c'];
    const mirror = new PathMirror('/services/api', reader, listener());
    let loaded = false;
    const loading = mirror.whenLoaded().then((ok) => (loaded = ok));
    await settle();
    assert.equal(loaded, false);
    reader.release('/services/api/6f1c', JSON.stringify({ name: 'api', id: '6f1c', address: '10.0.0.3', port: 81, registrationTimeUTC: 1, serviceType: 'DYNAMIC' }));
    await loading;
    assert.deepEqual(hosts(mirror), ['10.0.0.3:81']);
    assert.deepEqual(reader.background, []);
  });

  it('times a change from the watch event behind it, with the mtime of the node read for it, and forgets an event that changed nothing', async () => {
    const reader = new HeldReader();
    const timings: unknown[] = [];
    const mirror = new PathMirror('/services/api', reader, { ...listener(), changed: (m) => timings.push(m.takeTiming()) });
    await mirror.whenLoaded();
    mirror.eventArrived(1000);
    mirror.eventArrived(1005);
    reader.children_ = ['6f1c'];
    mirror.childrenChanged();
    await settle();
    reader.release('/services/api/6f1c', JSON.stringify({ name: 'api', id: '6f1c', address: '10.0.0.3', port: 81 }), 990);
    await mirror.sync();
    assert.deepEqual(timings, [{ eventAt: 1000, writtenAt: 990 }], 'the first event, and the write it read');
    mirror.eventArrived(2000);
    mirror.childDataChanged('6f1c');
    await settle();
    reader.release('/services/api/6f1c', JSON.stringify({ name: 'api', id: '6f1c', address: '10.0.0.3', port: 81 }), 1990);
    await mirror.sync();
    assert.equal(timings.length, 1, 'the same data again: no change');
    mirror.childDeleted('6f1c');
    assert.equal(timings.length, 2);
    assert.equal(timings[1], undefined, 'a deletion with no event pending carries no timing');
  });

  it('does not bring back a child deleted while its background read was on its way', async () => {
    const reader = new HeldReader();
    reader.children_ = ['10.0.0.1:80'];
    const mirror = new PathMirror('/api/providers', reader, listener());
    await mirror.whenLoaded();
    reader.children_ = [];
    mirror.childDeleted('10.0.0.1:80');
    reader.release('/api/providers/10.0.0.1:80', '{"pid": 1}');
    await mirror.sync();
    assert.deepEqual(hosts(mirror), []);
  });

  it('reads a re-registered child again, ignoring the reply meant for its previous life', async () => {
    const reader = new HeldReader();
    reader.children_ = ['10.0.0.1:80'];
    const mirror = new PathMirror('/api/providers', reader, listener());
    await mirror.whenLoaded();
    mirror.childDeleted('10.0.0.1:80');
    await mirror.sync();
    assert.deepEqual(hosts(mirror), ['10.0.0.1:80'], 'listed again: it was re-created at once');
    reader.release('/api/providers/10.0.0.1:80', '10.0.0.7:70'); // the old node's data
    reader.release('/api/providers/10.0.0.1:80', '{"pid": 2}');
    await settle();
    assert.deepEqual(hosts(mirror), ['10.0.0.1:80']);
  });

  it('skips a child that is no provider and counts it, serving its siblings', async () => {
    const reader = new HeldReader();
    reader.children_ = ['lock-1', '10.0.0.1:80'];
    const events = listener();
    const mirror = new PathMirror('/api/providers', reader, events);
    const loading = mirror.whenLoaded();
    await settle();
    reader.release('/api/providers/lock-1', 'hello');
    await loading;
    assert.deepEqual(hosts(mirror), ['10.0.0.1:80']);
    assert.deepEqual(events.skippedPaths, ['/api/providers/lock-1']);
  });
});

describe('ReadQueue', () => {
  it('keeps at most N reads in flight and sends urgent reads before waiting background ones', async () => {
    const queue = new ReadQueue(2);
    const started: string[] = [];
    const finishers: (() => void)[] = [];
    const read = (name: string, background: boolean) =>
      queue.run(() => {
        started.push(name);
        return new Promise<void>((resolve) => finishers.push(resolve));
      }, background);
    const all = [read('b1', true), read('b2', true), read('b3', true), read('u1', false)];
    assert.deepEqual(started, ['b1', 'b2']);
    finishers.shift()!();
    await settle();
    assert.deepEqual(started, ['b1', 'b2', 'u1']);
    while (finishers.length) {
      finishers.shift()!();
      await settle();
    }
    await Promise.all(all);
    assert.deepEqual(started, ['b1', 'b2', 'u1', 'b3']);
  });
});
