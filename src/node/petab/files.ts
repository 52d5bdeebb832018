/** Node file access for PEtab problems and test cases. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FileSource } from '../../petab/mlCase.js';

/**
 * A {@link FileSource} reading paths relative to `dir` from the file system.
 *
 * @example
 * ```ts
 * const files = nodeFileSource('problems/lv');
 * const yaml = await files.text('problem.yaml');
 * ```
 */
export function nodeFileSource(dir: string): FileSource {
  return {
    bytes: async (p) => new Uint8Array(await readFile(resolve(dir, p))),
    text: async (p) => readFile(resolve(dir, p), 'utf8'),
  };
}
