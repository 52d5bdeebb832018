/**
 * Writers for the long and wide CSV formats: a dataset written and read back (with the same
 * covariates and inputs options) gives the same subjects, values and doses. Numbers are
 * written with JavaScript's shortest round-trip form, so float64 values survive exactly.
 */
import type { Dataset, DatasetDose, DatasetSubject } from './dataset.js';

/** A CSV field, quoted when it holds a comma, a quote, a line break or outer spaces. */
function field(value: string): string {
  if (/[",\r\n]/.test(value) || value.trim() !== value) return `"${value.replaceAll('"', '""')}"`;
  return value;
}

const line = (fields: readonly string[]): string => `${fields.map(field).join(',')}\n`;

/** The dose columns amount, rate, duration, route of a dose. */
function doseFields(d: DatasetDose): string[] {
  return d.kind === 'bolus'
    ? [String(d.amount), '', '', d.target]
    : [String(d.rate * d.duration), String(d.rate), String(d.duration), d.target];
}

const hasDoses = (dataset: Dataset): boolean => dataset.subjects.some((s) => s.doses.length > 0);

const covariateFields = (dataset: Dataset, s: DatasetSubject): string[] =>
  dataset.covariateNames.map((c) => (Object.hasOwn(s.covariates, c) ? String(s.covariates[c]) : ''));

/**
 * The dataset as a long CSV: `id,time,observable,value`, then `amount,rate,duration,route`
 * when there are doses, then one column per covariate. Input points are rows whose
 * observable is the input's name (read them back with the `inputs` option); doses are rows
 * with an empty observable. Missing values are empty fields.
 *
 * @example
 * ```ts
 * const text = writeLongCsv(dataset);
 * const again = readLongCsv(text, 'copy.csv', { covariates: dataset.covariateNames });
 * ```
 */
export function writeLongCsv(dataset: Dataset): string {
  const doses = hasDoses(dataset);
  const header = ['id', 'time', 'observable', 'value'];
  if (doses) header.push('amount', 'rate', 'duration', 'route');
  header.push(...dataset.covariateNames);
  const parts = [line(header)];
  const noDose = doses ? ['', '', '', ''] : [];
  for (const s of dataset.subjects) {
    const cov = covariateFields(dataset, s);
    const rows: { time: number; fields: string[] }[] = [];
    for (const o of s.observations) {
      rows.push({
        time: o.time,
        fields: [s.id, String(o.time), o.observable, String(o.value), ...noDose, ...cov],
      });
    }
    for (const [name, series] of Object.entries(s.inputs)) {
      series.times.forEach((t, k) => {
        rows.push({ time: t, fields: [s.id, String(t), name, String(series.values[k]), ...noDose, ...cov] });
      });
    }
    for (const d of s.doses) {
      rows.push({ time: d.time, fields: [s.id, String(d.time), '', '', ...doseFields(d), ...cov] });
    }
    rows.sort((a, b) => a.time - b.time); // stable: observations, inputs, doses at equal times
    if (rows.length === 0 && cov.length > 0)
      rows.push({ time: 0, fields: [s.id, '0', '', '', ...noDose, ...cov] });
    for (const r of rows) parts.push(line(r.fields));
  }
  return parts.join('');
}

/**
 * The dataset as a wide CSV: `id,time`, one column per observable, one per input, then
 * `amount,rate,duration,route` when there are doses, then one column per covariate. One row
 * per subject and time with values (observations and input points); each dose on a row of
 * its own. Missing values are empty fields.
 *
 * @example
 * ```ts
 * const text = writeWideCsv(dataset);
 * const again = readWideCsv(text, 'copy.csv', { covariates: dataset.covariateNames });
 * ```
 */
export function writeWideCsv(dataset: Dataset): string {
  const doses = hasDoses(dataset);
  const header = ['id', 'time', ...dataset.observables, ...dataset.inputNames];
  if (doses) header.push('amount', 'rate', 'duration', 'route');
  header.push(...dataset.covariateNames);
  const parts = [line(header)];
  const obsIndex = new Map(dataset.observables.map((o, k) => [o, k]));
  const nValues = dataset.observables.length + dataset.inputNames.length;
  const noDose = doses ? ['', '', '', ''] : [];
  for (const s of dataset.subjects) {
    const cov = covariateFields(dataset, s);
    const byTime = new Map<number, string[]>();
    const cells = (t: number): string[] => {
      let c = byTime.get(t);
      if (c === undefined) {
        c = new Array<string>(nValues).fill('');
        byTime.set(t, c);
      }
      return c;
    };
    for (const o of s.observations) cells(o.time)[obsIndex.get(o.observable) ?? 0] = String(o.value);
    dataset.inputNames.forEach((name, k) => {
      const series = s.inputs[name];
      if (series === undefined) return;
      series.times.forEach((t, j) => {
        cells(t)[dataset.observables.length + k] = String(series.values[j]);
      });
    });
    const rows: { time: number; fields: string[] }[] = [...byTime]
      .sort(([a], [b]) => a - b)
      .map(([t, c]) => ({ time: t, fields: [s.id, String(t), ...c, ...noDose, ...cov] }));
    const empty = new Array<string>(nValues).fill('');
    for (const d of s.doses) {
      rows.push({ time: d.time, fields: [s.id, String(d.time), ...empty, ...doseFields(d), ...cov] });
    }
    rows.sort((a, b) => a.time - b.time);
    if (rows.length === 0 && cov.length > 0)
      rows.push({ time: 0, fields: [s.id, '0', ...empty, ...noDose, ...cov] });
    for (const r of rows) parts.push(line(r.fields));
  }
  return parts.join('');
}
