/**
 * The wide CSV format: one row per subject and time, with columns id, time and one column
 * per observable — plus optional dose columns (amount, rate, duration, route), input and
 * covariate columns.
 */
import { DatasetBuilder } from './builder.js';
import type { Dataset } from './dataset.js';
import { ProblemList } from './problems.js';
import {
  type DoseColumnNames,
  findDoseColumns,
  namedColumns,
  readCovariates,
  readDose,
  readId,
  readTime,
  type SubjectTableOptions,
} from './rowFields.js';
import { Table } from './table.js';

/** Header names of the wide format's fixed columns (compared ignoring case). */
export interface WideColumnNames extends DoseColumnNames {
  /** Subject id. Default 'id'. */
  readonly id?: string;
  /** Time. Default 'time'. */
  readonly time?: string;
}

/** Options of {@link readWideCsv}. */
export interface WideCsvOptions extends SubjectTableOptions {
  readonly columns?: WideColumnNames;
  /**
   * The observable columns. Default: every column that is not the id, the time, a dose,
   * covariate or input column. When given, other columns are left out (a note says which).
   */
  readonly observables?: readonly string[];
}

/**
 * Reads a wide CSV: `id, time, OBS1, OBS2, …`, one row per subject and time, a missing
 * value where an observable was not measured. Input columns (named in `inputs`) give the
 * points of time-varying inputs; covariate columns (named in `covariates`) must be constant
 * within a subject; a row with an amount (when an amount column exists) also gives a dose.
 * Rows need not be in time order (they are sorted, and a note says so). Rows with no value
 * at all are counted as ignored.
 *
 * @param text - the file content.
 * @param file - the file name, for messages.
 * @throws DataError listing every problem with its line and column
 * @example
 * ```ts
 * const ds = readWideCsv('id,time,prey,predator\nA,0,10,5\nA,1,12,.\n', 'lv.csv');
 * ds.observables; // ['prey', 'predator']
 * ds.subjects[0].observations.length; // 3
 * ```
 */
export function readWideCsv(text: string, file: string, options: WideCsvOptions = {}): Dataset {
  const problems = new ProblemList(file);
  const builder = new DatasetBuilder(problems, 'wide');
  const table = Table.read(text, options, problems);
  if (table === undefined) return problems.fail();
  const names = options.columns ?? {};
  const id = table.require(names.id ?? 'id', 'the subject id', 'columns.id');
  const time = table.require(names.time ?? 'time', 'the time', 'columns.time');
  const doseCols = findDoseColumns(table, names);
  const covCols = namedColumns(table, options.covariates ?? [], 'a covariate', 'covariates');
  const inputs = options.inputs ?? {};
  const inputCols = namedColumns(table, Object.keys(inputs), 'an input', 'inputs');
  if (id === undefined || time === undefined) return problems.fail();
  const fixed = new Set([id, time, ...covCols, ...inputCols]);
  if (doseCols !== undefined) {
    for (const c of [doseCols.amount, doseCols.rate, doseCols.duration, doseCols.route]) {
      if (c !== undefined) fixed.add(c);
    }
  }
  let obsCols: number[];
  if (options.observables === undefined) {
    obsCols = table.header.map((_, k) => k).filter((k) => !fixed.has(k));
  } else {
    obsCols = namedColumns(table, options.observables, 'an observable', 'observables');
    const chosen = new Set([...fixed, ...obsCols]);
    const unused = table.header.filter((_, k) => !chosen.has(k));
    if (unused.length > 0)
      builder.note(`column${unused.length === 1 ? '' : 's'} ${unused.join(', ')} not used`);
  }
  if (obsCols.length === 0 && inputCols.length === 0 && doseCols === undefined) {
    problems.add(
      'missingColumn',
      table.headerLine,
      'no observable columns: the wide format is id, time, then one column per observable',
    );
  }
  for (const c of obsCols) builder.declareObservable(table.header[c]);
  for (const c of covCols) builder.declareCovariate(table.header[c]);
  for (const c of inputCols) {
    const name = table.header[c];
    const key = Object.keys(inputs).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
    builder.declareInput(name, inputs[key]);
  }
  builder.ignore('comment', table.comments);

  for (const row of table.rows) {
    const sid = readId(table, row, id);
    const t = readTime(table, row, time);
    if (sid === undefined || t === undefined) continue;
    const draft = builder.subject(sid, row.line);
    let used = readCovariates(table, builder, draft, row, covCols);
    const dose = doseCols === undefined ? null : readDose(table, row, doseCols, t, options.defaultRoute);
    if (dose) builder.dose(draft, dose);
    if (dose !== null) used = true;
    for (const c of inputCols) {
      const v = table.number(row, c);
      if (v === null) continue;
      used = true;
      if (v !== undefined) builder.input(draft, table.header[c], t, v, row.line);
    }
    for (const c of obsCols) {
      const v = table.number(row, c);
      if (v === null) continue;
      used = true;
      if (v !== undefined) builder.observation(draft, t, table.header[c], v, row.line);
    }
    if (!used) builder.ignore('no values');
  }
  const dataset = builder.build(file, table.recordCount + table.comments);
  problems.throwIfAny();
  return dataset;
}
