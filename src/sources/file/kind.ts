import { existsSync } from 'node:fs';
import { z } from 'zod';
import { defineKind } from '../kind.js';

/** A `sources:` entry of kind `file`, and the `--file` shorthand. */
export interface FileOptions {
  path: string;
}

export const fileKind = defineKind<FileOptions, FileOptions>({
  kind: 'file',
  main: 'path',
  options: {
    path: {
      schema: z
        .string()
        .min(1)
        .refine(existsSync, { error: (issue) => `${String(issue.input)} does not exist` }),
      flag: 'file',
      arg: 'PATH',
      help: 'YAML registry file, reloaded when it changes',
    },
  },
  restartOn: ['path'],
  settings: (options) => options,
  async create({ path }, { log }) {
    const { FileSource } = await import('./source.js');
    return new FileSource(path, log);
  },
});
