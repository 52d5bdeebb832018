/**
 * A delimited file as a table with a header: case-insensitive column lookup with "did you
 * mean" suggestions, numbers read strictly with configurable missing-value markers, ragged
 * rows reported. Shared by the long, wide and NONMEM readers.
 */
import { closestName } from '../expr/suggest.js';
import { type DelimitedRow, parseDelimited } from './delimited.js';
import type { ProblemList } from './problems.js';

/** Options every reader takes: how the text is split and what marks a missing value. */
export interface TableOptions {
  /** Field separator: one character, or 'whitespace' for runs of spaces and tabs. Default ','. */
  readonly delimiter?: string;
  /** Field values that mean "missing" (compared after trimming). Default `['', '.', 'NA']`. */
  readonly missing?: readonly string[];
  /** Lines starting with this prefix are comments: skipped and counted as ignored. */
  readonly comment?: string;
}

/** The default missing-value markers. */
export const DEFAULT_MISSING: readonly string[] = ['', '.', 'NA'];

/** A strict decimal number: optional sign, digits with an optional point, optional exponent. */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** Spellings of non-finite numbers that are reported as such rather than as non-numeric text. */
const NON_FINITE = /^[+-]?(inf|infinity|nan)$/i;

/** The header and the well-formed rows of a delimited file. */
export class Table {
  /** Column names as written (trimmed). */
  readonly header: readonly string[];
  /** Rows with as many fields as the header has columns. */
  readonly rows: readonly DelimitedRow[];
  /** All data records, ragged ones included. */
  readonly recordCount: number;
  /** Comment lines skipped. */
  readonly comments: number;
  private readonly missing: ReadonlySet<string>;
  private readonly lowerIndex: Map<string, number>;

  private constructor(
    readonly problems: ProblemList,
    /** The line of the header (the first record). */
    readonly headerLine: number,
    header: readonly string[],
    rows: readonly DelimitedRow[],
    recordCount: number,
    comments: number,
    missing: readonly string[],
  ) {
    this.header = header;
    this.rows = rows;
    this.recordCount = recordCount;
    this.comments = comments;
    this.missing = new Set(missing);
    this.lowerIndex = new Map();
    header.forEach((name, k) => {
      if (!this.lowerIndex.has(name.toLowerCase())) this.lowerIndex.set(name.toLowerCase(), k);
    });
  }

  /**
   * Splits `text`, takes the first record as the header and reports an empty file, damaged
   * header names (empty or repeated) and ragged rows to `problems`. Returns undefined when
   * there is no header at all.
   */
  static read(text: string, options: TableOptions, problems: ProblemList): Table | undefined {
    const { rows, comments } = parseDelimited(
      text,
      { delimiter: options.delimiter ?? ',', comment: options.comment },
      problems,
    );
    if (rows.length === 0) {
      problems.add(
        'emptyFile',
        0,
        'the file is empty; it needs a header row (column names) and at least one data row',
      );
      return undefined;
    }
    const [head, ...data] = rows;
    const header = head.fields.map((f) => f.trim());
    const seen = new Map<string, number>();
    header.forEach((name, k) => {
      if (name === '') {
        problems.add(
          'badHeader',
          head.line,
          `column ${k + 1} of the header has no name; name it or remove the extra delimiter`,
        );
        return;
      }
      const first = seen.get(name.toLowerCase());
      if (first !== undefined) {
        problems.add(
          'badHeader',
          head.line,
          `column ${k + 1} repeats the name "${name}" of column ${first + 1} (names are compared ignoring case); rename one of them`,
          { column: name },
        );
      } else {
        seen.set(name.toLowerCase(), k);
      }
    });
    if (data.length === 0) {
      problems.add('emptyFile', head.line, 'the file has a header but no data rows');
    }
    const good: DelimitedRow[] = [];
    for (const row of data) {
      if (row.fields.length === header.length) {
        good.push(row);
        continue;
      }
      const hint =
        row.fields.length > header.length
          ? 'a value holding the delimiter must be quoted ("1,5"), and a trailing delimiter adds an empty field'
          : 'write a missing value as an empty field or . but keep its delimiter';
      problems.add(
        'raggedRow',
        row.line,
        `the row has ${row.fields.length} fields but the header has ${header.length} columns; ${hint}`,
      );
    }
    return new Table(
      problems,
      head.line,
      header,
      good,
      data.length,
      comments,
      options.missing ?? DEFAULT_MISSING,
    );
  }

  /** The index of a column (names compared ignoring case), or undefined. */
  find(name: string): number | undefined {
    return this.lowerIndex.get(name.toLowerCase());
  }

  /**
   * The index of a required column; when it is absent, reports 'missingColumn' with the
   * closest header name as a suggestion and returns undefined.
   *
   * @param role - what the column is for, e.g. 'the subject id' (for the message).
   * @param option - the option that renames it, e.g. 'columns.id' (for the message).
   */
  require(name: string, role: string, option: string): number | undefined {
    const k = this.find(name);
    if (k !== undefined) return k;
    const guess = closestName(name, this.header);
    const fix =
      guess !== undefined
        ? `did you mean "${guess}"? (or set ${option}: '${guess}')`
        : `the header has ${this.header.map((h) => `"${h}"`).join(', ')}; name the column or set ${option}`;
    this.problems.add('missingColumn', this.headerLine, `no column "${name}" (${role}); ${fix}`, {
      column: name,
    });
    return undefined;
  }

  /** The trimmed field of a row. */
  text(row: DelimitedRow, col: number): string {
    return row.fields[col].trim();
  }

  /** Whether a field holds a missing-value marker. */
  isMissing(row: DelimitedRow, col: number): boolean {
    return this.missing.has(this.text(row, col));
  }

  /**
   * The number in a field: null when it holds a missing-value marker, undefined (after
   * reporting 'nonNumeric' or 'nonFinite') when it is not a finite decimal number.
   *
   * @param hint - appended to the message of a non-numeric field (say what else to do).
   */
  number(row: DelimitedRow, col: number, hint = ''): number | null | undefined {
    const s = this.text(row, col);
    if (this.missing.has(s)) return null;
    const column = this.header[col];
    if (NUMBER.test(s)) {
      const v = Number(s);
      if (Number.isFinite(v)) return v;
      this.problems.add('nonFinite', row.line, `${s} overflows a float64 number`, { column });
      return undefined;
    }
    if (NON_FINITE.test(s)) {
      const markers = [...this.missing].map((m) => (m === '' ? 'an empty field' : m)).join(', ');
      this.problems.add(
        'nonFinite',
        row.line,
        `"${s}" is not a finite number; write a missing value as ${markers} (or list "${s}" in the missing option)`,
        { column },
      );
      return undefined;
    }
    const comma = /^[+-]?\d+,\d+$/.test(s) ? ' (write the decimal mark as a point)' : '';
    this.problems.add('nonNumeric', row.line, `"${s}" is not a number${comma}${hint}`, { column });
    return undefined;
  }
}
