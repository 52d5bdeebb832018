/**
 * The long (tidy) CSV format: one row per measured value, with columns id, time,
 * observable, value — plus optional dose columns (amount, rate, duration, route) and
 * covariate columns.
 */
import { closestName } from '../expr/suggest.js';
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

/** Header names of the long format's columns (compared ignoring case). */
export interface LongColumnNames extends DoseColumnNames {
  /** Subject id. Default 'id'. */
  readonly id?: string;
  /** Time. Default 'time'. */
  readonly time?: string;
  /** The observable's name. Default 'observable'. */
  readonly observable?: string;
  /** The measured value. Default 'value'. */
  readonly value?: string;
}

/** Options of {@link readLongCsv}. */
export interface LongCsvOptions extends SubjectTableOptions {
  readonly columns?: LongColumnNames;
  /** The observable names to expect (in this order); any other name is reported. Default: every name found. */
  readonly observables?: readonly string[];
}

/**
 * Reads a long CSV: one row per value (`id, time, observable, value`). A row whose
 * observable is listed in `inputs` gives a point of that time-varying input instead. A row
 * with an amount (when an amount column exists) is a dose; it may leave observable and value
 * empty. Covariate columns (named in `covariates`) must be constant within a subject.
 * Rows need not be in time order (they are sorted, and a note says so). Rows whose value is
 * missing are counted as ignored.
 *
 * @param text - the file content.
 * @param file - the file name, for messages.
 * @throws DataError listing every problem with its line and column
 * @example
 * ```ts
 * const ds = readLongCsv('id,time,observable,value\n1,0,conc,0\n1,1,conc,4.2\n', 'pk.csv');
 * ds.subjects[0].observations.length; // 2
 * ```
 */
export function readLongCsv(text: string, file: string, options: LongCsvOptions = {}): Dataset {
  const problems = new ProblemList(file);
  const builder = new DatasetBuilder(problems, 'long', options.observables);
  const table = Table.read(text, options, problems);
  if (table === undefined) return problems.fail();
  const names = options.columns ?? {};
  const id = table.require(names.id ?? 'id', 'the subject id', 'columns.id');
  const time = table.require(names.time ?? 'time', 'the time', 'columns.time');
  const observable = table.require(
    names.observable ?? 'observable',
    'the observable name',
    'columns.observable',
  );
  const value = table.require(names.value ?? 'value', 'the measured value', 'columns.value');
  const doseCols = findDoseColumns(table, names);
  const covCols = namedColumns(table, options.covariates ?? [], 'a covariate', 'covariates');
  const inputs = options.inputs ?? {};
  for (const [name, kind] of Object.entries(inputs)) builder.declareInput(name, kind);
  for (const c of covCols) builder.declareCovariate(table.header[c]);
  if (id === undefined || time === undefined || observable === undefined || value === undefined) {
    return problems.fail();
  }
  const used = new Set([id, time, observable, value, ...covCols]);
  if (doseCols !== undefined) {
    for (const c of [doseCols.amount, doseCols.rate, doseCols.duration, doseCols.route]) {
      if (c !== undefined) used.add(c);
    }
  }
  const unused = table.header.filter((_, k) => !used.has(k));
  if (unused.length > 0)
    builder.note(`column${unused.length === 1 ? '' : 's'} ${unused.join(', ')} not used`);
  const expected = options.observables === undefined ? undefined : new Set(options.observables);
  builder.ignore('comment', table.comments);

  for (const row of table.rows) {
    const sid = readId(table, row, id);
    const t = readTime(table, row, time);
    if (sid === undefined || t === undefined) continue;
    const draft = builder.subject(sid, row.line);
    const hasCovariate = readCovariates(table, builder, draft, row, covCols);
    const dose = doseCols === undefined ? null : readDose(table, row, doseCols, t, options.defaultRoute);
    if (dose) builder.dose(draft, dose);
    const name = table.isMissing(row, observable) ? undefined : table.text(row, observable);
    if (name === undefined) {
      if (dose === null && table.isMissing(row, value)) {
        if (!hasCovariate) {
          problems.add(
            'missingValue',
            row.line,
            'the row has no observable, value, dose or covariate; fill it in or delete it',
            { column: table.header[observable] },
          );
        }
      } else if (dose === null) {
        problems.add('missingValue', row.line, 'a value without an observable name; name the observable', {
          column: table.header[observable],
        });
      }
      continue;
    }
    const isInput = Object.hasOwn(inputs, name);
    if (!isInput && expected !== undefined && !expected.has(name)) {
      const guess = closestName(name, [...expected, ...Object.keys(inputs)]);
      problems.add(
        'unknownObservable',
        row.line,
        `unknown observable "${name}"${guess !== undefined ? `; did you mean "${guess}"?` : ''} ` +
          `(expected ${[...expected].join(', ')}; add it to the observables option if it is new)`,
        { column: table.header[observable] },
      );
      continue;
    }
    const v = table.number(row, value);
    if (v === undefined) continue;
    if (v === null) {
      if (dose === null) builder.ignore('missing value');
      continue;
    }
    if (isInput) builder.input(draft, name, t, v, row.line);
    else builder.observation(draft, t, name, v, row.line);
  }
  const dataset = builder.build(file, table.recordCount + table.comments);
  problems.throwIfAny();
  return dataset;
}
