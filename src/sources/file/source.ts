import { watch, watchFile, unwatchFile, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { nowMs, type ChangeTiming } from '../../registry/lag.js';
import type { SourceProvider } from '../../registry/provider.js';
import type { EnsureResult, ProviderSink, Source, SourceStatus } from '../../registry/source.js';
import { decodeRegistry } from './decode.js';

/** Quiet time after a change event before the file is read. */
const SETTLE_MS = 30;

/**
 * The YAML registry file. Loaded whole and watched: fs.watch on its folder catches edits and
 * editors' rename-over saves at once; a 1 s stat poll backs it up where inotify is missing.
 */
export class FileSource implements Source {
  private readonly path: string;
  private sink?: ProviderSink;
  private current = new Map<string, readonly SourceProvider[]>();
  private watcher?: FSWatcher;
  private loaded = false;
  private lastText?: string;
  private decodeFailures = 0;
  private watchEvents = 0;
  /** When the first watch event not yet read arrived: the lag figures time the change from it. */
  private eventAt?: number;
  private lastSync?: number;
  private problem?: string;
  private reading = Promise.resolve();
  private firstLoad?: Promise<void>;
  private settle?: NodeJS.Timeout;
  private listed?: (services: readonly string[]) => void;

  constructor(
    path: string,
    private readonly log: Logger,
  ) {
    this.path = resolve(path);
  }

  start(sink: ProviderSink): void {
    this.sink = sink;
    this.firstLoad = this.reload();
    try {
      this.watcher = watch(dirname(this.path), (_event, name) => {
        if (name === null || name === basename(this.path)) this.changed();
      });
      this.watcher.on('error', (error) => this.log.warn({ err: error, file: this.path }, 'file watch failed; polling'));
    } catch (error) {
      this.log.warn({ err: error, file: this.path }, 'cannot watch the registry file; polling every second');
    }
    watchFile(this.path, { interval: 1000 }, () => this.changed());
  }

  /** Resolves once the file's first read is done; every service in it is then known. */
  async ensure(): Promise<EnsureResult> {
    await this.firstLoad;
    return this.loaded ? 'ready' : 'unavailable';
  }

  release(): void {}

  /** The file holds every service: listed after each read that changes it. */
  followServices(listed: (services: readonly string[]) => void): void {
    this.listed = listed;
    if (this.loaded) listed([...this.current.keys()]);
  }

  status(): SourceStatus {
    return {
      state: this.loaded ? 'connected' : 'disconnected',
      detail: this.problem,
      watchedServices: this.current.size,
      watchEvents: this.watchEvents,
      decodeFailures: this.decodeFailures,
      lastSync: this.lastSync,
      synced: this.loaded,
    };
  }

  async stop(): Promise<void> {
    clearTimeout(this.settle);
    this.watcher?.close();
    unwatchFile(this.path);
  }

  /**
   * Reads once the file has been quiet for a moment: a write in place truncates before it
   * writes, and reading in between would find an empty registry and drop every service.
   */
  private changed(): void {
    this.watchEvents++;
    this.eventAt ??= nowMs();
    clearTimeout(this.settle);
    this.settle = setTimeout(() => void this.reload(), SETTLE_MS);
    this.settle.unref();
  }

  /** Reads are chained so two quick edits are applied in order. */
  private reload(): Promise<void> {
    this.reading = this.reading.then(() => this.read());
    return this.reading;
  }

  private async read(): Promise<void> {
    const eventAt = this.eventAt;
    this.eventAt = undefined;
    let text: string;
    let writtenAt: number;
    try {
      // The file's mtime is when the change was written: write-to-answer lag.
      writtenAt = (await stat(this.path)).mtimeMs;
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      return this.keep(`cannot read ${this.path}: ${(error as Error).message}`);
    }
    if (text === this.lastText) return;
    // An empty file is what a write in place looks like between truncate and write; `{}` empties the registry.
    if (text.trim() === '' && this.loaded) return this.keep(`${this.path} is empty (write {} to remove every service)`);
    let data: unknown;
    try {
      data = parseYaml(text);
    } catch (error) {
      return this.keep(`${this.path} does not parse: ${(error as Error).message.split('\n')[0]}`);
    }
    const decoded = decodeRegistry(data, this.path);
    if (typeof decoded === 'string') return this.keep(decoded);
    this.lastText = text;
    for (const warning of decoded.warnings) this.log.warn({ file: this.path }, warning);
    this.decodeFailures += decoded.warnings.length;
    this.apply(decoded.services, eventAt === undefined ? undefined : { eventAt, writtenAt });
    this.loaded = true;
    this.problem = undefined;
    this.lastSync = Date.now();
    this.log.info({ file: this.path, services: decoded.services.size }, 'registry file loaded');
  }

  private keep(problem: string): void {
    this.problem = problem;
    this.log.warn({ file: this.path }, `${problem}; keeping the previous registry`);
  }

  private apply(next: Map<string, SourceProvider[]>, timing?: ChangeTiming): void {
    const previous = this.current;
    this.current = next;
    this.listed?.([...next.keys()]);
    for (const [service, providers] of next) this.sink?.replace(service, providers, timing);
    for (const service of previous.keys()) if (!next.has(service)) this.sink?.replace(service, [], timing);
  }
}
