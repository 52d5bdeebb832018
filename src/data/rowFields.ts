/**
 * Fields that the long and the wide formats share: subject id, time, dose columns
 * (amount, rate, duration, route), static covariates and time-varying inputs.
 */
import type { Interpolation } from '../expr/model.js';
import type { DatasetBuilder, SubjectDraft } from './builder.js';
import type { DatasetDose } from './dataset.js';
import type { DelimitedRow } from './delimited.js';
import type { Table, TableOptions } from './table.js';

/** Header names of the dose columns (compared ignoring case). */
export interface DoseColumnNames {
  /** Dose amount; a row with an amount > 0 is a dose. Default 'amount'. */
  readonly amount?: string;
  /** Infusion rate (amount per unit time); > 0 makes the dose an infusion. Default 'rate'. */
  readonly rate?: string;
  /** Infusion duration; > 0 makes the dose an infusion. Default 'duration'. */
  readonly duration?: string;
  /** The dose route or state (or a 1-based compartment number). Default 'route'. */
  readonly route?: string;
}

/** Options the long and wide readers share. */
export interface SubjectTableOptions extends TableOptions {
  /** Columns that hold static covariates (constant within a subject). */
  readonly covariates?: readonly string[];
  /** Columns (wide) or observable names (long) that are time-varying inputs, with their interpolation. */
  readonly inputs?: Readonly<Record<string, Interpolation>>;
  /** The route of doses whose route field is missing (or of all doses, when there is no route column). */
  readonly defaultRoute?: string;
}

/** Indices of the dose columns present in a table. */
export interface DoseColumns {
  readonly amount: number;
  readonly rate?: number;
  readonly duration?: number;
  readonly route?: number;
}

/** Indices of the columns every long or wide row has. */
export interface SubjectColumns {
  readonly id: number;
  readonly time: number;
}

/** The dose columns of a table: none unless its amount column exists. */
export function findDoseColumns(table: Table, names: DoseColumnNames = {}): DoseColumns | undefined {
  const amount = table.find(names.amount ?? 'amount');
  if (amount === undefined) {
    for (const [key, fallback] of [
      ['rate', 'rate'],
      ['duration', 'duration'],
      ['route', 'route'],
    ] as const) {
      const name = names[key] ?? fallback;
      if (names[key] !== undefined && table.find(name) !== undefined) {
        table.problems.add(
          'missingColumn',
          table.headerLine,
          `a ${key} column (${name}) but no amount column (${names.amount ?? 'amount'}); doses need an amount`,
          { column: names.amount ?? 'amount' },
        );
      }
    }
    return undefined;
  }
  return {
    amount,
    rate: table.find(names.rate ?? 'rate'),
    duration: table.find(names.duration ?? 'duration'),
    route: table.find(names.route ?? 'route'),
  };
}

/** The subject id of a row, or undefined (reported) when it is empty. */
export function readId(table: Table, row: DelimitedRow, col: number): string | undefined {
  const id = table.text(row, col);
  if (table.isMissing(row, col)) {
    table.problems.add('missingValue', row.line, 'the subject id is missing; every row needs one', {
      column: table.header[col],
    });
    return undefined;
  }
  return id;
}

/** The time of a row, or undefined (reported) when it is missing, not a number or negative. */
export function readTime(table: Table, row: DelimitedRow, col: number): number | undefined {
  const t = table.number(row, col);
  const column = table.header[col];
  if (t === null) {
    table.problems.add('missingValue', row.line, 'the time is missing; every row needs one', { column });
    return undefined;
  }
  if (t !== undefined && t < 0) {
    table.problems.add(
      'negativeTime',
      row.line,
      `time ${t} is negative; times count from 0 (shift them so that the first record is at 0 or later)`,
      { column },
    );
    return undefined;
  }
  return t;
}

/**
 * The dose of a row: null when the amount is missing or 0, undefined when a field is bad
 * (reported). A rate > 0 or a duration > 0 makes it an infusion (duration = amount / rate,
 * or rate = amount / duration; with both, amount must equal rate · duration).
 */
export function readDose(
  table: Table,
  row: DelimitedRow,
  cols: DoseColumns,
  time: number,
  defaultRoute: string | undefined,
): DatasetDose | null | undefined {
  const amount = table.number(row, cols.amount);
  const optional = (col: number | undefined): number | null | undefined =>
    col === undefined ? null : table.number(row, col);
  const rate = optional(cols.rate);
  const duration = optional(cols.duration);
  if (amount === undefined || rate === undefined || duration === undefined) return undefined;
  if (amount === null || amount === 0) {
    if ((rate !== null && rate !== 0) || (duration !== null && duration !== 0)) {
      table.problems.add(
        'invalidValue',
        row.line,
        'an infusion rate or duration without a dose amount; give the amount',
        { column: table.header[cols.amount] },
      );
      return undefined;
    }
    return null;
  }
  let bad = false;
  const positive = (v: number | null, col: number | undefined, what: string): void => {
    if (v !== null && v < 0 && col !== undefined) {
      table.problems.add('invalidValue', row.line, `${what} ${v} is negative`, { column: table.header[col] });
      bad = true;
    }
  };
  positive(amount, cols.amount, 'the dose amount');
  positive(rate, cols.rate, 'the infusion rate');
  positive(duration, cols.duration, 'the infusion duration');
  let target = defaultRoute;
  if (cols.route !== undefined && !table.isMissing(row, cols.route)) target = table.text(row, cols.route);
  if (target === undefined) {
    table.problems.add(
      'doseWithoutTarget',
      row.line,
      `a dose of ${amount} with no route; name the dose route or state in the ${cols.route !== undefined ? `${table.header[cols.route]} column` : 'route column'}, or set the defaultRoute option`,
      cols.route !== undefined ? { column: table.header[cols.route] } : {},
    );
    bad = true;
  }
  if (bad || target === undefined) return undefined;
  const r = rate ?? 0;
  const dur = duration ?? 0;
  if (r > 0 && dur > 0) {
    if (Math.abs(r * dur - amount) > 1e-9 * Math.max(Math.abs(amount), Math.abs(r * dur))) {
      table.problems.add(
        'invalidValue',
        row.line,
        `amount ${amount} ≠ rate ${r} × duration ${dur}; give the amount with either the rate or the duration`,
        { column: table.header[cols.amount] },
      );
      return undefined;
    }
    return { kind: 'infusion', time, target, rate: r, duration: dur, line: row.line };
  }
  if (r > 0) return { kind: 'infusion', time, target, rate: r, duration: amount / r, line: row.line };
  if (dur > 0) return { kind: 'infusion', time, target, rate: amount / dur, duration: dur, line: row.line };
  return { kind: 'bolus', time, target, amount, line: row.line };
}

/**
 * The columns of named covariates or inputs; a name not in the header is reported
 * ('missingColumn', with a suggestion).
 */
export function namedColumns(table: Table, names: readonly string[], what: string, option: string): number[] {
  const cols: number[] = [];
  for (const name of names) {
    const k = table.require(name, what, option);
    if (k !== undefined) cols.push(k);
  }
  return cols;
}

/**
 * Reads the covariate fields of a row into the subject; returns whether any held a value.
 *
 * @param hint - appended to the message of a non-numeric covariate.
 */
export function readCovariates(
  table: Table,
  builder: DatasetBuilder,
  draft: SubjectDraft,
  row: DelimitedRow,
  cols: readonly number[],
  hint = '',
): boolean {
  let any = false;
  for (const col of cols) {
    const v = table.number(row, col, hint);
    if (v === null || v === undefined) continue;
    any = true;
    const name = table.header[col];
    builder.covariate(
      draft,
      name,
      v,
      row.line,
      name,
      `if it changes over time, read it as an input (inputs: { ${name}: 'step' })`,
    );
  }
  return any;
}
