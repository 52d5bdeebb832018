/**
 * The Dataset: what a data file says, independent of any model — subjects with timed
 * observations of several observables, doses, time-varying inputs and static covariates —
 * and where it came from (file, format, rows, rows ignored and why). {@link toSubjects} maps
 * a dataset onto a model's {@link Subject}s.
 */
import type { Interpolation } from '../expr/model.js';

/** One observed value: observable `observable` of a subject at `time`. */
export interface DatasetObservation {
  readonly time: number;
  readonly observable: string;
  readonly value: number;
  /** The line of the file the value was read from (0 when it was not read from a file). */
  readonly line: number;
}

/**
 * A dose. `target` names where it goes: a dose route or a state of the model, or a 1-based
 * compartment number (NONMEM's CMT) that {@link toSubjects} maps to the model's state of
 * that index.
 */
export type DatasetDose =
  | {
      readonly kind: 'bolus';
      readonly time: number;
      readonly target: string;
      readonly amount: number;
      readonly line: number;
    }
  | {
      readonly kind: 'infusion';
      readonly time: number;
      readonly target: string;
      /** Amount per unit time. */
      readonly rate: number;
      /** How long the infusion runs; the amount is rate · duration. */
      readonly duration: number;
      readonly line: number;
    };

/** A time-varying input of one subject: values at increasing times. */
export interface DatasetInput {
  readonly times: readonly number[];
  readonly values: readonly number[];
  /** 'step': each value holds until the next time; 'linear': interpolated between them. */
  readonly interpolation: Interpolation;
}

/** One subject (one trajectory) of a dataset. */
export interface DatasetSubject {
  readonly id: string;
  /** Observed values, sorted by time and then by the dataset's observable order. */
  readonly observations: readonly DatasetObservation[];
  /** Doses, sorted by time. */
  readonly doses: readonly DatasetDose[];
  /** Time-varying inputs by name. */
  readonly inputs: Readonly<Record<string, DatasetInput>>;
  /** Static covariates by name (a covariate missing on every row of the subject is absent). */
  readonly covariates: Readonly<Record<string, number>>;
  /** The first line of the file that belongs to the subject. */
  readonly line: number;
}

/** The file formats the readers understand. */
export type DataFormat = 'long' | 'wide' | 'nonmem';

/** Where a dataset came from and what the reader did with each row. */
export interface DataSource {
  /** The file name as given to the reader. */
  readonly file: string;
  readonly format: DataFormat;
  /** Records read after the header, comment lines included (blank lines are not records). */
  readonly rows: number;
  /** Records that carried nothing to use, counted by reason (e.g. 'EVID 2 (other event)'). */
  readonly ignored: { readonly count: number; readonly reasons: Readonly<Record<string, number>> };
  /** What the reader decided that a user should know (rows sorted, columns not used, defaults taken). */
  readonly notes: readonly string[];
}

/** A dataset: subjects plus the names of what they carry. */
export interface Dataset {
  /** Observable names, in the order of the file (columns or first appearance). */
  readonly observables: readonly string[];
  readonly subjects: readonly DatasetSubject[];
  readonly covariateNames: readonly string[];
  readonly inputNames: readonly string[];
  readonly source: DataSource;
}

/**
 * A dataset with only the subjects at the given indices (in that order), the same names and
 * source; the source's row counts still describe the whole file.
 *
 * @example
 * ```ts
 * const firstTwo = subsetDataset(dataset, [0, 1]);
 * ```
 */
export function subsetDataset(dataset: Dataset, indices: readonly number[]): Dataset {
  const n = dataset.subjects.length;
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new RangeError(`subsetDataset: index ${i} is not a subject index in [0, ${n})`);
    }
  }
  return { ...dataset, subjects: indices.map((i) => dataset.subjects[i]) };
}

/**
 * A few lines describing a dataset: subjects, values per observable, doses, covariates,
 * inputs and the rows that were ignored, with the reasons.
 *
 * @example
 * ```ts
 * describeDataset(readLongCsv('id,time,observable,value\n1,0,y,2\n', 'a.csv'));
 * // 'a.csv (long): 1 subject, 1 row\n  y: 1 value'
 * ```
 */
export function describeDataset(dataset: Dataset): string {
  const { source } = dataset;
  const plural = (k: number, word: string): string => `${k} ${word}${k === 1 ? '' : 's'}`;
  const lines = [
    `${source.file} (${source.format}): ${plural(dataset.subjects.length, 'subject')}, ${plural(source.rows, 'row')}`,
  ];
  const counts = new Map(dataset.observables.map((o) => [o, 0]));
  let doses = 0;
  for (const s of dataset.subjects) {
    for (const o of s.observations) counts.set(o.observable, (counts.get(o.observable) ?? 0) + 1);
    doses += s.doses.length;
  }
  for (const [name, k] of counts) lines.push(`  ${name}: ${plural(k, 'value')}`);
  if (doses > 0) lines.push(`  ${plural(doses, 'dose')}`);
  if (dataset.covariateNames.length > 0) lines.push(`  covariates: ${dataset.covariateNames.join(', ')}`);
  if (dataset.inputNames.length > 0) lines.push(`  inputs: ${dataset.inputNames.join(', ')}`);
  if (source.ignored.count > 0) {
    const why = Object.entries(source.ignored.reasons).map(([reason, k]) => `${reason}: ${k}`);
    lines.push(`  ignored ${plural(source.ignored.count, 'row')} (${why.join('; ')})`);
  }
  for (const note of source.notes) lines.push(`  note: ${note}`);
  return lines.join('\n');
}
