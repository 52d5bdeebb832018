/**
 * One entry point for every format: reads a data file's content, telling the format from
 * its header and the delimiter from its name when they are not given.
 */
import type { DataFormat, Dataset } from './dataset.js';
import { parseDelimited } from './delimited.js';
import { type LongCsvOptions, readLongCsv } from './long.js';
import { type NonmemOptions, readNonmem } from './nonmem.js';
import { ProblemList } from './problems.js';
import { readWideCsv, type WideCsvOptions } from './wide.js';

/** Options of {@link readDataset}: the format (else detected) and that format's options. */
export type ReadDatasetOptions = {
  /** The layout; default: detected from the header (see {@link detectFormat}). */
  readonly format?: DataFormat;
} & LongCsvOptions &
  WideCsvOptions &
  NonmemOptions;

/**
 * The delimiter to use for a file: the option if given; a tab for names ending in .tsv or
 * .tab; else by the first line: a comma if it has one, else a tab if it has one, else
 * 'whitespace' (runs of spaces, as in many NONMEM files) if it has spaces, else a comma.
 */
export function guessDelimiter(text: string, file: string, delimiter?: string): string {
  if (delimiter !== undefined) return delimiter;
  if (/\.(tsv|tab)$/i.test(file)) return '\t';
  const first = (text.slice(0, 4096).split(/\r\n|\n|\r/, 1)[0] ?? '').replace(/^\uFEFF/, '').trim();
  if (first.includes(',')) return ',';
  if (first.includes('\t')) return '\t';
  return first.includes(' ') ? 'whitespace' : ',';
}

/**
 * The format a header suggests: 'nonmem' when it has DV and one of EVID, AMT, MDV or CMT;
 * 'long' when it has the observable and value columns (by default 'observable' and
 * 'value'); else 'wide'. Names are compared ignoring case.
 *
 * @example
 * ```ts
 * detectFormat('ID,TIME,DV,AMT\n1,0,.,100\n', ','); // 'nonmem'
 * detectFormat('id,time,observable,value\n', ',');  // 'long'
 * detectFormat('id,time,prey,predator\n', ',');     // 'wide'
 * ```
 */
export function detectFormat(
  text: string,
  delimiter: string,
  columns: { readonly observable?: string; readonly value?: string } = {},
): DataFormat {
  const firstLines = text.slice(0, 65536);
  const header =
    parseDelimited(firstLines, { delimiter, comment: '#' }, new ProblemList('')).rows[0]?.fields ?? [];
  const names = new Set(header.map((h) => h.trim().toLowerCase()));
  if (names.has('dv') && ['evid', 'amt', 'mdv', 'cmt'].some((n) => names.has(n))) return 'nonmem';
  const observable = (columns.observable ?? 'observable').toLowerCase();
  const value = (columns.value ?? 'value').toLowerCase();
  if (names.has(observable) && names.has(value)) return 'long';
  return 'wide';
}

/**
 * Reads a data file's content in any of the formats: long CSV ({@link readLongCsv}), wide
 * CSV ({@link readWideCsv}) or NONMEM-style ({@link readNonmem}); the format comes from
 * `options.format` or the header, the delimiter from `options.delimiter` or the file name.
 *
 * @param text - the file content.
 * @param file - the file name, for messages and the delimiter guess.
 * @throws DataError listing every problem with its line and column
 * @example
 * ```ts
 * const ds = readDataset('ID\tTIME\tDV\tAMT\n1\t0\t.\t100\n1\t1\t3.2\t.\n', 'pk.tsv');
 * ds.source.format; // 'nonmem'
 * ```
 */
export function readDataset(text: string, file: string, options: ReadDatasetOptions = {}): Dataset {
  const delimiter = guessDelimiter(text, file, options.delimiter);
  const format = options.format ?? detectFormat(text, delimiter, options.columns);
  const withDelimiter = { ...options, delimiter };
  switch (format) {
    case 'long':
      return readLongCsv(text, file, withDelimiter);
    case 'wide':
      return readWideCsv(text, file, withDelimiter);
    case 'nonmem':
      return readNonmem(text, file, withDelimiter);
    default:
      throw new RangeError(`readDataset: format must be 'long', 'wide' or 'nonmem'; got ${String(format)}`);
  }
}
