/**
 * A small RFC 4180 reader for delimited text (CSV, TSV, whitespace-separated NONMEM files)
 * that knows the physical line where every record starts — which the located messages of
 * the data readers need, also when a quoted field spans several lines.
 *
 * Why not a library: the well-kept npm parsers (csv-parse, papaparse) ship type declarations
 * with `/// <reference types="node" />`, which would bring Node's globals into the
 * isomorphic core's typecheck (the check that keeps `Buffer` and `process` out of it);
 * csv-parse's plain sync entry also needs Node's `Buffer` at run time, and papaparse gives
 * record indices rather than line numbers. The format itself is a short state machine.
 */
import type { ProblemList } from './problems.js';

/** One record of a delimited file: the line it starts on and its fields. */
export interface DelimitedRow {
  /** 1-based physical line where the record starts. */
  readonly line: number;
  readonly fields: readonly string[];
}

/** How to split a delimited file. */
export interface DelimitedOptions {
  /** The field separator, one character, or 'whitespace' for runs of spaces and tabs. */
  readonly delimiter: string;
  /** Records whose first character is this prefix are comments (skipped and counted). */
  readonly comment?: string;
}

/** The records of a delimited file, with the number of comment lines skipped. */
export interface DelimitedText {
  readonly rows: DelimitedRow[];
  readonly comments: number;
}

const QUOTE = 34; // "
const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;

/**
 * Splits delimited text into records and fields. RFC 4180 quoting: a field that starts with
 * `"` runs to the next lone `"`, may hold delimiters and line breaks, and writes a quote as
 * `""`. Beyond the RFC: a UTF-8 byte-order mark is dropped; CRLF, LF and CR all end a line;
 * spaces and tabs around a field are dropped (unless the tab is the delimiter); blank lines
 * (and lines of empty fields only) are skipped. An unclosed quote or text after a closing
 * quote is reported to `problems` (kind 'badQuote') and the field is kept as read.
 *
 * @example
 * ```ts
 * const problems = new ProblemList('a.csv');
 * parseDelimited('\uFEFFid,note\r\n1,"a, ""b""\nc"\r\n', { delimiter: ',' }, problems).rows;
 * // [{ line: 1, fields: ['id', 'note'] }, { line: 2, fields: ['1', 'a, "b"\nc'] }]
 * ```
 */
export function parseDelimited(
  text: string,
  options: DelimitedOptions,
  problems: ProblemList,
): DelimitedText {
  const whitespace = options.delimiter === 'whitespace';
  if (!whitespace && options.delimiter.length !== 1) {
    throw new RangeError(
      `parseDelimited: the delimiter must be one character or 'whitespace'; got "${options.delimiter}"`,
    );
  }
  const delim = whitespace ? -1 : options.delimiter.charCodeAt(0);
  const isDelimiter = (c: number): boolean => (whitespace ? c === SPACE || c === TAB : c === delim);
  const isPad = (c: number): boolean => (c === SPACE || c === TAB) && !isDelimiter(c);
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const rows: DelimitedRow[] = [];
  let comments = 0;

  /** Consumes one line break at i (CRLF, LF or CR), if there is one. */
  const lineBreak = (): boolean => {
    const c = text.charCodeAt(i);
    if (c === CR) {
      i += text.charCodeAt(i + 1) === LF ? 2 : 1;
    } else if (c === LF) {
      i += 1;
    } else {
      return false;
    }
    line++;
    return true;
  };
  const atLineEnd = (): boolean => i >= n || text.charCodeAt(i) === LF || text.charCodeAt(i) === CR;
  const skipToLineEnd = (): void => {
    while (!atLineEnd()) i++;
  };

  while (i < n) {
    const rowLine = line;
    if (options.comment !== undefined && options.comment !== '' && text.startsWith(options.comment, i)) {
      skipToLineEnd();
      lineBreak();
      comments++;
      continue;
    }
    const fields: string[] = [];
    let anyQuoted = false;
    if (whitespace) while (i < n && isDelimiter(text.charCodeAt(i))) i++;
    for (;;) {
      while (i < n && isPad(text.charCodeAt(i))) i++;
      let value: string;
      if (text.charCodeAt(i) === QUOTE) {
        anyQuoted = true;
        const openLine = line;
        i++;
        const parts: string[] = [];
        let start = i;
        let closed = false;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === QUOTE) {
            parts.push(text.slice(start, i));
            if (text.charCodeAt(i + 1) === QUOTE) {
              parts.push('"');
              i += 2;
              start = i;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === CR) {
            if (text.charCodeAt(i + 1) === LF) i++;
            line++;
          } else if (c === LF) {
            line++;
          }
          i++;
        }
        if (!closed) {
          parts.push(text.slice(start, i));
          problems.add(
            'badQuote',
            openLine,
            `field ${fields.length + 1} opens a quote (") that is never closed; close it, or write a quote inside a quoted field as ""`,
          );
        }
        value = parts.join('');
        while (i < n && isPad(text.charCodeAt(i))) i++;
        if (!atLineEnd() && !isDelimiter(text.charCodeAt(i))) {
          const from = i;
          while (!atLineEnd() && !isDelimiter(text.charCodeAt(i))) i++;
          problems.add(
            'badQuote',
            line,
            `field ${fields.length + 1} has text (${text.slice(from, i)}) after its closing quote; ` +
              'put the whole field in quotes and write an inner quote as ""',
          );
          value += text.slice(from, i);
        }
      } else {
        const start = i;
        while (!atLineEnd() && !isDelimiter(text.charCodeAt(i))) i++;
        let end = i;
        while (end > start && isPad(text.charCodeAt(end - 1))) end--;
        value = text.slice(start, end);
      }
      fields.push(value);
      if (whitespace) {
        while (i < n && isDelimiter(text.charCodeAt(i))) i++;
        if (atLineEnd()) break;
      } else {
        if (atLineEnd()) break;
        i++; // the delimiter
      }
    }
    lineBreak();
    if (!anyQuoted && fields.every((f) => f === '')) continue;
    rows.push({ line: rowLine, fields });
  }
  return { rows, comments };
}
