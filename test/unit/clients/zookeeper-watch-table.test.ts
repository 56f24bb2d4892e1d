import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import zookeeper from 'node-zookeeper-client';
import { leanWatches, WatchTable } from '../../../src/clients/zookeeper-watch-table.js';

const { NODE_CREATED, NODE_DELETED, NODE_DATA_CHANGED, NODE_CHILDREN_CHANGED } = zookeeper.Event;

function recorder(): { watcher: (event: zookeeper.Event) => void; seen: string[] } {
  const seen: string[] = [];
  return { seen, watcher: (event) => seen.push(`${event.getName()} ${event.getPath()}`) };
}

describe('WatchTable: one-shot ZooKeeper watches as node-zookeeper-client fires them', () => {
  it('fires the data and existence watches of a changed node once, then forgets them', () => {
    const table = new WatchTable();
    const { watcher, seen } = recorder();
    table.registerDataWatcher('/a', watcher);
    table.registerExistenceWatcher('/a', watcher);
    table.registerChildWatcher('/a', watcher);
    table.emit({ type: NODE_DATA_CHANGED, state: 3, path: '/a' });
    assert.deepEqual(seen, ['NODE_DATA_CHANGED /a', 'NODE_DATA_CHANGED /a']);
    table.emit({ type: NODE_DATA_CHANGED, state: 3, path: '/a' });
    assert.equal(seen.length, 2, 'one-shot');
    assert.deepEqual(table.getChildWatcherPaths(), ['/a'], 'the child watch is still set');
  });

  it('a deletion fires data and child watches; a creation data and existence ones; children only child ones', () => {
    const table = new WatchTable();
    const { watcher, seen } = recorder();
    table.registerDataWatcher('/d', watcher);
    table.registerChildWatcher('/d', watcher);
    table.emit({ type: NODE_DELETED, state: 3, path: '/d' });
    table.registerExistenceWatcher('/c', watcher);
    table.emit({ type: NODE_CREATED, state: 3, path: '/c' });
    table.registerChildWatcher('/p', watcher);
    table.registerDataWatcher('/p', watcher);
    table.emit({ type: NODE_CHILDREN_CHANGED, state: 3, path: '/p' });
    assert.deepEqual(seen, ['NODE_DELETED /d', 'NODE_DELETED /d', 'NODE_CREATED /c', 'NODE_CHILDREN_CHANGED /p']);
    assert.deepEqual([table.getDataWatcherPaths(), table.getChildWatcherPaths(), table.getExistenceWatcherPaths()], [['/p'], [], []]);
  });

  it('keeps distinct watchers of one path, each once, and lists the paths to set again after a reconnect', () => {
    const table = new WatchTable();
    const first = recorder();
    const second = recorder();
    assert.ok(table.isEmpty());
    table.registerDataWatcher('/x', first.watcher);
    table.registerDataWatcher('/x', first.watcher);
    table.registerDataWatcher('/x', second.watcher);
    assert.equal(table.isEmpty(), false);
    assert.deepEqual(table.getDataWatcherPaths(), ['/x']);
    table.emit({ type: NODE_DATA_CHANGED, state: 3, path: '/x' });
    assert.deepEqual([first.seen.length, second.seen.length], [1, 1]);
    assert.ok(table.isEmpty());
  });

  it("replaces a new client's own watch manager", () => {
    const client = leanWatches(zookeeper.createClient('127.0.0.1:9'));
    assert.ok((client as unknown as { connectionManager: { watcherManager: unknown } }).connectionManager.watcherManager instanceof WatchTable);
  });
});
