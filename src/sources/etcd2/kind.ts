import { z } from 'zod';
import { list, templates } from '../../config/values.js';
import { defineKind } from '../kind.js';

/** A `sources:` entry of kind `etcd2`, and the `--etcd2`, `--etcd2-*` shorthand. */
export interface Etcd2Options {
  endpoints: string[];
  prefixes: string[];
}

/** What the etcd v2 source needs from the configuration. */
export interface Etcd2Settings {
  endpoints: string[];
  /** Directory templates with `{service}`: `/{service}/providers`. */
  templates: string[];
}

export const etcd2Kind = defineKind<Etcd2Options, Etcd2Settings>({
  kind: 'etcd2',
  main: 'endpoints',
  options: {
    endpoints: { schema: list.pipe(z.array(z.url()).min(1)), flag: 'etcd2', arg: 'URL,...', help: 'etcd endpoints serving the v2 API (--enable-v2)' },
    prefixes: { schema: templates.default(['/{service}/providers']), flag: 'etcd2-prefix', arg: 'TEMPLATE', help: 'etcd v2 directory (repeatable)', repeatable: true },
  },
  restartOn: ['endpoints', 'prefixes'],
  settings: (options) => ({ endpoints: options.endpoints, templates: [...new Set(options.prefixes)] }),
  async create(settings, { log }) {
    const { Etcd2Source } = await import('./source.js');
    return new Etcd2Source(settings, log);
  },
});
