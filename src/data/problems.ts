/**
 * Located problems in data files. Readers collect every problem they find (not just the
 * first), each with the file, the 1-based line, the column name and the subject where they
 * apply, and throw one {@link DataError} carrying the whole list.
 */

/** What kind of damage a {@link DataProblem} reports. */
export type DataProblemKind =
  /** The file has no header or no data rows. */
  | 'emptyFile'
  /** The header is damaged: an empty or a repeated column name. */
  | 'badHeader'
  /** A required column (or one named in the options) is not in the header. */
  | 'missingColumn'
  /** A row has more or fewer fields than the header has columns. */
  | 'raggedRow'
  /** A quoted field that is never closed, or text after a closing quote. */
  | 'badQuote'
  /** A field that should be a number is not one. */
  | 'nonNumeric'
  /** A number that is infinite or NaN. */
  | 'nonFinite'
  /** A required field (id, time, observable name) is empty or missing. */
  | 'missingValue'
  /** A field holds a value outside what the format allows (EVID 7, a negative amount, …). */
  | 'invalidValue'
  /** Something the format allows but greybox does not simulate (NONMEM resets, steady state, modelled rates). */
  | 'unsupported'
  /** A time below 0. */
  | 'negativeTime'
  /** Time goes backwards within a subject in a format that requires order (NONMEM). */
  | 'decreasingTime'
  /** A subject's rows are split into blocks by other subjects' rows, in a format that forbids it (NONMEM). */
  | 'splitSubject'
  /** Two rows give a value for the same subject, time and observable (or input). */
  | 'duplicateRow'
  /** An observable that is not among the expected ones (the options' or the model's). */
  | 'unknownObservable'
  /** A dose compartment or route that the model (or the compartment map) does not have. */
  | 'unknownCompartment'
  /** A dose whose route is not of the dose's kind (an infusion into a bolus route). */
  | 'doseKindMismatch'
  /** A dose row that names no compartment or route. */
  | 'doseWithoutTarget'
  /** A static covariate that takes different values within one subject. */
  | 'inconsistentCovariate'
  /** A covariate the model does not declare, or one it needs that the data lacks. */
  | 'unknownCovariate'
  /** A time-varying input the model does not declare, or one it needs that the data lacks. */
  | 'unknownInput'
  /** A subject with no observation at all (nothing to fit). */
  | 'noObservations';

/** One located problem in a data file. */
export interface DataProblem {
  /** The file name as given to the reader. */
  readonly file: string;
  /** 1-based line where the row starts; 0 when the problem concerns the whole file. */
  readonly line: number;
  /** The column name, where one column is at fault. */
  readonly column?: string;
  /** The subject id, where the problem concerns one subject. */
  readonly subject?: string;
  /** What is wrong and what would fix it. */
  readonly message: string;
  readonly kind: DataProblemKind;
}

/**
 * One problem as a line of text: `FILE line L, column C, subject S: MESSAGE` (parts that do
 * not apply are left out).
 *
 * @example
 * ```ts
 * formatProblem({ file: 'data.csv', line: 3, column: 'value', kind: 'nonNumeric', message: '"abc" is not a number' });
 * // 'data.csv line 3, column value: "abc" is not a number'
 * ```
 */
export function formatProblem(p: DataProblem): string {
  const where = [p.line > 0 ? `${p.file} line ${p.line}` : p.file];
  if (p.column !== undefined) where.push(`column ${p.column}`);
  if (p.subject !== undefined) where.push(`subject ${p.subject}`);
  return `${where.join(', ')}: ${p.message}`;
}

/** How many problems a {@link DataError}'s message lists before "… and N more". */
const LISTED = 20;

/**
 * Thrown by the readers and by {@link toSubjects} when the data has problems; `problems`
 * holds every one of them, in file order.
 *
 * @example
 * ```ts
 * try {
 *   readLongCsv('id,time,observable,value\n1,abc,y,2\n', 'data.csv');
 * } catch (e) {
 *   if (e instanceof DataError) e.problems.map((p) => p.kind); // ['nonNumeric']
 * }
 * ```
 */
export class DataError extends Error {
  readonly problems: readonly DataProblem[];

  constructor(problems: readonly DataProblem[]) {
    const listed = problems.slice(0, LISTED).map(formatProblem);
    if (problems.length > LISTED) listed.push(`… and ${problems.length - LISTED} more problems`);
    const head =
      problems.length === 1 ? '' : `${problems.length} problems in ${problems[0]?.file ?? 'the data'}:\n`;
    super(head + listed.join('\n'));
    this.name = 'DataError';
    this.problems = problems;
  }
}

/** Collects the problems of one file; {@link ProblemList.throwIfAny} ends a reading stage. */
export class ProblemList {
  readonly items: DataProblem[] = [];

  constructor(readonly file: string) {}

  add(
    kind: DataProblemKind,
    line: number,
    message: string,
    where: { column?: string; subject?: string } = {},
  ): void {
    this.items.push({ file: this.file, line, kind, message, ...where });
  }

  get size(): number {
    return this.items.length;
  }

  /** Throws a {@link DataError} with the problems in line order, if there are any. */
  throwIfAny(): void {
    if (this.items.length > 0) this.fail();
  }

  /** Throws a {@link DataError} with the problems in line order (there must be some). */
  fail(): never {
    if (this.items.length === 0) throw new Error(`internal error: no problem recorded for ${this.file}`);
    const sorted = this.items.map((p, i) => ({ p, i })).sort((a, b) => a.p.line - b.p.line || a.i - b.i);
    throw new DataError(sorted.map((e) => e.p));
  }
}
