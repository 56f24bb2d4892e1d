import zookeeper from 'node-zookeeper-client';

type Watcher = (event: zookeeper.Event) => void;
type Kind = 'data' | 'child' | 'existence';

/** The server's notification as the connection hands it to the watch manager. */
interface Notification {
  type: number;
  state: number;
  path: string;
}

/**
 * The one-shot watches of a node-zookeeper-client connection, in plain Maps. The library's own
 * manager keeps an EventEmitter and a `once` wrapper per watched path: about 1.2 KiB a watch,
 * 130 MiB for 10,000 services of 10 providers (`npm run bench -- scale`). This keeps the path
 * and the watcher (one function per client in our use). It has the library's interface: set as
 * `connectionManager.watcherManager` right after `createClient` (see `leanWatches`).
 */
export class WatchTable {
  private readonly tables: Record<Kind, Map<string, Watcher | Watcher[]>> = { data: new Map(), child: new Map(), existence: new Map() };

  registerDataWatcher(path: string, watcher: Watcher): void {
    this.register('data', path, watcher);
  }

  registerChildWatcher(path: string, watcher: Watcher): void {
    this.register('child', path, watcher);
  }

  registerExistenceWatcher(path: string, watcher: Watcher): void {
    this.register('existence', path, watcher);
  }

  getDataWatcherPaths(): string[] {
    return [...this.tables.data.keys()];
  }

  getChildWatcherPaths(): string[] {
    return [...this.tables.child.keys()];
  }

  getExistenceWatcherPaths(): string[] {
    return [...this.tables.existence.keys()];
  }

  isEmpty(): boolean {
    return this.tables.data.size + this.tables.child.size + this.tables.existence.size === 0;
  }

  /** Fires, and forgets, the watches a notification triggers (ZooKeeper's one-shot semantics). */
  emit(notification: Notification): void {
    const fired: (Watcher | Watcher[])[] = [];
    const take = (kind: Kind) => {
      const watchers = this.tables[kind].get(notification.path);
      if (watchers === undefined) return;
      this.tables[kind].delete(notification.path);
      fired.push(watchers);
    };
    switch (notification.type) {
      case zookeeper.Event.NODE_DATA_CHANGED:
      case zookeeper.Event.NODE_CREATED:
        take('data');
        take('existence');
        break;
      case zookeeper.Event.NODE_CHILDREN_CHANGED:
        take('child');
        break;
      case zookeeper.Event.NODE_DELETED:
        take('data');
        take('child');
        break;
      default:
        throw new Error(`Unknown event type: ${notification.type}`);
    }
    if (!fired.length) return;
    const event = (zookeeper.Event as unknown as { create(n: Notification): zookeeper.Event }).create(notification);
    for (const watchers of fired) {
      if (Array.isArray(watchers)) for (const watcher of watchers) watcher(event);
      else watchers(event);
    }
  }

  private register(kind: Kind, path: string, watcher: Watcher): void {
    if (typeof watcher !== 'function') throw new Error('watcher must be a valid function.');
    const table = this.tables[kind];
    const known = table.get(path);
    if (known === undefined) table.set(path, watcher);
    else if (Array.isArray(known)) {
      if (!known.includes(watcher)) known.push(watcher);
    } else if (known !== watcher) table.set(path, [known, watcher]);
  }
}

/** Gives a new client the lean watch table (before `connect`, so no watch was set yet). */
export function leanWatches(client: zookeeper.Client): zookeeper.Client {
  const internals = client as unknown as { connectionManager?: { watcherManager?: unknown } };
  if (!internals.connectionManager?.watcherManager) throw new Error('node-zookeeper-client changed: no connectionManager.watcherManager to replace');
  internals.connectionManager.watcherManager = new WatchTable();
  return client;
}
