/**
 * Reading data files from disk (Node only): the file is read as UTF-8 and handed to the
 * isomorphic readers of `src/data/`, with its path for messages.
 */
import { readFileSync } from 'node:fs';
import type { Dataset } from '../data/dataset.js';
import { type ReadDatasetOptions, readDataset } from '../data/read.js';

/**
 * Reads a dataset from a file: long CSV, wide CSV or NONMEM-style (the format from the
 * options or the header, the delimiter from the options or the file name: .tsv and .tab
 * are tab-separated).
 *
 * @param path - the file path; messages name it as given.
 * @throws DataError listing every problem with its line and column; a Node error (ENOENT …) when the file cannot be read
 * @example
 * ```ts
 * const ds = readDatasetFile('data/theophylline.csv', { format: 'nonmem', model: pkOneCompartmentModel() });
 * ```
 */
export function readDatasetFile(path: string, options: ReadDatasetOptions = {}): Dataset {
  return readDataset(readFileSync(path, 'utf8'), path, options);
}
