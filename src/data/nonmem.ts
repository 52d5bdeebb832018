/**
 * The NONMEM-style data layout used across pharmacometrics (NONMEM, nlmixr2, Monolix,
 * Pumas): one row per event with ID, TIME, DV, AMT, EVID, CMT, RATE, MDV, ADDL, II, SS,
 * DVID and covariate columns.
 */
import type { Interpolation, Model } from '../expr/model.js';
import { DatasetBuilder } from './builder.js';
import type { Dataset, DatasetDose } from './dataset.js';
import type { DelimitedRow } from './delimited.js';
import { ProblemList } from './problems.js';
import { namedColumns, readCovariates, readId, readTime } from './rowFields.js';
import { Table, type TableOptions } from './table.js';

/** Options of {@link readNonmem}. */
export interface NonmemOptions extends TableOptions {
  /**
   * The model the data is for. Without a map, it gives CMT its meaning: on a dose row CMT k
   * is the model's k-th state (NONMEM numbers compartments in state order); on an
   * observation row, a model with one observable takes every DV, and one with several takes
   * DVID (or else CMT) k as its k-th observable.
   */
  readonly model?: Model;
  /** CMT number → dose route or state name, for dose rows (overrides the model). */
  readonly compartmentMap?: Readonly<Record<number, string>>;
  /** DVID (or, without a DVID column, CMT) number → observable name, for observation rows. */
  readonly observableMap?: Readonly<Record<number, string>>;
  /** The covariate columns. Default: every column that is not a NONMEM data item or an input. */
  readonly covariates?: readonly string[];
  /** Columns that are time-varying inputs (read on every row, EVID 2 included), with their interpolation. */
  readonly inputs?: Readonly<Record<string, Interpolation>>;
}

/** The data items the reader interprets; every other column is a covariate or an input. */
const ITEMS = ['ID', 'TIME', 'DV', 'AMT', 'EVID', 'CMT', 'RATE', 'MDV', 'ADDL', 'II', 'SS', 'DVID'] as const;
type Item = (typeof ITEMS)[number];

/**
 * Reads a NONMEM-style data file. Rows by EVID: 0 an observation of DV (unless MDV = 1:
 * then the row is ignored and counted), 1 a dose of AMT into compartment CMT — an infusion
 * at RATE for AMT/RATE when RATE > 0, repeated ADDL more times every II — 2 another event
 * (its covariates and inputs are read; otherwise it is ignored and counted), 3 and 4
 * (resets) are reported as unsupported, as are modelled rates (RATE −1, −2), steady state
 * (SS ≠ 0) and negative CMT. Without an EVID column a row with AMT > 0 is a dose, one with
 * MDV = 1 is ignored, and the rest are observations. Rows must be in time order within a
 * subject and a subject's rows together, as NONMEM requires. Covariate columns must be
 * constant within a subject. Lines starting with '#' are comments (option `comment`).
 *
 * Dose targets and observables come from `compartmentMap` and `observableMap`, else from
 * `model` (see {@link NonmemOptions.model}); without either, a dose keeps its CMT number as
 * its target (which {@link toSubjects} maps to the model's state of that index) and DV is
 * the observable 'DV' (or 'DV1', 'DV2', … by DVID).
 *
 * @param text - the file content.
 * @param file - the file name, for messages.
 * @throws DataError listing every problem with its line and column
 * @example
 * ```ts
 * const text = 'ID,TIME,DV,AMT,EVID,CMT,WT\n1,0,.,100,1,1,70\n1,1,3.2,.,0,2,70\n';
 * const ds = readNonmem(text, 'theo.csv', { model: pkOneCompartmentModel() });
 * ds.subjects[0].doses[0]; // { kind: 'bolus', time: 0, target: 'depot', amount: 100, line: 2 }
 * ds.subjects[0].observations[0].observable; // 'concentration'
 * ds.subjects[0].covariates; // { WT: 70 }
 * ```
 */
export function readNonmem(text: string, file: string, options: NonmemOptions = {}): Dataset {
  const problems = new ProblemList(file);
  const table = Table.read(text, { comment: '#', ...options }, problems);
  if (table === undefined) return problems.fail();
  const reader = new NonmemReader(table, problems, options);
  return reader.read(file);
}

class NonmemReader {
  private readonly builder: DatasetBuilder;
  private readonly cols: Partial<Record<Item, number>> = {};
  private readonly covCols: number[];
  private readonly inputCols: number[];
  private readonly covariateHint: string;
  /** Subjects reported as split, so that each is reported once. */
  private readonly split = new Set<string>();

  constructor(
    private readonly table: Table,
    private readonly problems: ProblemList,
    private readonly options: NonmemOptions,
  ) {
    this.builder = new DatasetBuilder(problems, 'nonmem', observableOrder(options));
    for (const item of ITEMS) {
      const k = table.find(item);
      if (k !== undefined) this.cols[item] = k;
    }
    for (const item of ['ID', 'TIME', 'DV'] as const) {
      if (this.cols[item] === undefined) table.require(item, `the NONMEM ${item} item`, 'a header name');
    }
    const inputs = options.inputs ?? {};
    this.inputCols = namedColumns(table, Object.keys(inputs), 'an input', 'inputs');
    for (const c of this.inputCols) {
      const name = table.header[c];
      const key = Object.keys(inputs).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
      this.builder.declareInput(name, inputs[key]);
    }
    const items = new Set(Object.values(this.cols));
    if (options.covariates === undefined) {
      this.covCols = table.header
        .map((_, k) => k)
        .filter((k) => !items.has(k) && !this.inputCols.includes(k));
      this.covariateHint =
        '; every column that is not a NONMEM item is read as a covariate — list the ones to use in the covariates option';
    } else {
      this.covCols = namedColumns(table, options.covariates, 'a covariate', 'covariates');
      const chosen = new Set([...items, ...this.inputCols, ...this.covCols]);
      const unused = table.header.filter((_, k) => !chosen.has(k));
      if (unused.length > 0) {
        this.builder.note(`column${unused.length === 1 ? '' : 's'} ${unused.join(', ')} not used`);
      }
      this.covariateHint = '';
    }
    for (const c of this.covCols) this.builder.declareCovariate(table.header[c]);
  }

  read(file: string): Dataset {
    const { table, builder, cols } = this;
    if (cols.ID === undefined || cols.TIME === undefined || cols.DV === undefined)
      return this.problems.fail();
    builder.ignore('comment', table.comments);
    if (cols.CMT === undefined && cols.AMT !== undefined) {
      builder.note('no CMT column: doses go to compartment 1, as in NONMEM');
    }
    let previous: string | undefined;
    let lastTime = Number.NEGATIVE_INFINITY;
    let lastLine = 0;
    for (const row of table.rows) {
      const id = readId(table, row, cols.ID);
      if (id === undefined) continue;
      if (id !== previous) {
        if (builder.has(id) && !this.split.has(id)) {
          this.split.add(id);
          this.problems.add(
            'splitSubject',
            row.line,
            `the rows of ID ${id} continue here after other subjects' rows; NONMEM would read a new ` +
              'individual — keep the rows of one subject together (or give the second block its own ID)',
            { column: table.header[cols.ID], subject: id },
          );
        }
        previous = id;
        lastTime = Number.NEGATIVE_INFINITY;
      }
      const t = readTime(table, row, cols.TIME);
      if (t === undefined) continue;
      if (t < lastTime) {
        this.problems.add(
          'decreasingTime',
          row.line,
          `TIME ${t} is before the TIME ${lastTime} at line ${lastLine}; NONMEM data must be in time order within a subject — sort the rows by ID and TIME`,
          { column: table.header[cols.TIME], subject: id },
        );
      } else {
        lastTime = t;
        lastLine = row.line;
      }
      this.row(row, id, t);
    }
    const dataset = builder.build(file, table.recordCount + table.comments);
    this.problems.throwIfAny();
    return dataset;
  }

  /** A field of an optional item: null when the column is absent or the field is missing. */
  private item(row: DelimitedRow, item: Item): number | null | undefined {
    const col = this.cols[item];
    return col === undefined ? null : this.table.number(row, col);
  }

  private bad(row: DelimitedRow, item: Item, kind: 'invalidValue' | 'unsupported', message: string): void {
    const col = this.cols[item];
    this.problems.add(kind, row.line, message, { column: col === undefined ? item : this.table.header[col] });
  }

  private row(row: DelimitedRow, id: string, t: number): void {
    const { table, builder } = this;
    const draft = builder.subject(id, row.line);
    readCovariates(table, builder, draft, row, this.covCols, this.covariateHint);
    let inputRead = false;
    for (const c of this.inputCols) {
      const v = table.number(row, c);
      if (v === null || v === undefined) continue;
      inputRead = true;
      builder.input(draft, table.header[c], t, v, row.line);
    }
    const evidField = this.item(row, 'EVID');
    const mdv = this.item(row, 'MDV');
    const amt = this.item(row, 'AMT');
    if (evidField === undefined || mdv === undefined || amt === undefined) return;
    const evid = evidField ?? (amt !== null && amt > 0 ? 1 : 0);
    switch (evid) {
      case 0:
        if (mdv === 1) {
          builder.ignore('MDV 1 without a dose');
          return;
        }
        if (amt !== null && amt !== 0) {
          this.bad(
            row,
            'AMT',
            'invalidValue',
            `an observation row (EVID 0) with AMT ${amt}; a dose needs EVID 1`,
          );
          return;
        }
        this.observation(row, draft.id, t);
        return;
      case 1:
        this.dose(row, draft.id, t, amt);
        return;
      case 2:
        if (!inputRead) builder.ignore('EVID 2 (other event)');
        return;
      case 3:
      case 4:
        this.bad(
          row,
          'EVID',
          'unsupported',
          `EVID ${evid} (${evid === 3 ? 'reset' : 'reset and dose'}) is not supported: greybox simulates a subject ` +
            `from one start; give the rows from here on a new ID${evid === 4 ? ' (with this dose as EVID 1)' : ''}`,
        );
        return;
      default:
        this.bad(
          row,
          'EVID',
          'invalidValue',
          `EVID ${evid} is not an event id; use 0 (observation), 1 (dose) or 2 (other)`,
        );
    }
  }

  private observation(row: DelimitedRow, id: string, t: number): void {
    const dv = this.item(row, 'DV');
    if (dv === undefined) return;
    if (dv === null) {
      this.builder.ignore('DV missing');
      return;
    }
    const name = this.observableName(row);
    if (name === undefined) return;
    this.builder.observation(this.builder.subject(id, row.line), t, name, dv, row.line);
  }

  /** The observable of an observation row (reported and undefined when it cannot be told). */
  private observableName(row: DelimitedRow): string | undefined {
    const { observableMap, model } = this.options;
    const keyItem: Item | undefined =
      this.cols.DVID !== undefined ? 'DVID' : this.cols.CMT !== undefined ? 'CMT' : undefined;
    const key = keyItem === undefined ? null : this.item(row, keyItem);
    if (key === undefined) return undefined;
    if (observableMap !== undefined) {
      const name = key === null ? undefined : observableMap[key];
      if (name === undefined) {
        const known = Object.entries(observableMap)
          .map(([k, v]) => `${k} → ${v}`)
          .join(', ');
        this.problems.add(
          'unknownObservable',
          row.line,
          key === null
            ? `an observation with no ${keyItem ?? 'DVID or CMT'} to look up in the observableMap (${known})`
            : `${keyItem} ${key} is not in the observableMap (${known}); add it`,
          { column: keyItem === undefined ? 'DV' : this.table.header[this.cols[keyItem] ?? 0] },
        );
      }
      return name;
    }
    if (model !== undefined) {
      const obs = model.observables.map((o) => o.name);
      if (obs.length === 1) return obs[0];
      if (key !== null && Number.isInteger(key) && key >= 1 && key <= obs.length) return obs[key - 1];
      const listed = obs.map((o, k) => `${k + 1} ${o}`).join(', ');
      this.problems.add(
        'unknownObservable',
        row.line,
        key === null
          ? `model ${model.name} has ${obs.length} observables (${listed}); say which one DV is with a DVID or CMT column, or an observableMap`
          : `${keyItem} ${key} is not an observable index of model ${model.name} (${listed}); map it with the observableMap option`,
        { column: keyItem === undefined ? 'DV' : this.table.header[this.cols[keyItem] ?? 0] },
      );
      return undefined;
    }
    return this.cols.DVID !== undefined && key !== null ? `DV${key}` : 'DV';
  }

  private dose(row: DelimitedRow, id: string, t: number, amt: number | null): void {
    const rate = this.item(row, 'RATE');
    const ss = this.item(row, 'SS');
    const addl = this.item(row, 'ADDL');
    const ii = this.item(row, 'II');
    if (rate === undefined || ss === undefined || addl === undefined || ii === undefined) return;
    let ok = true;
    if (amt === null || amt <= 0) {
      this.bad(row, 'AMT', 'invalidValue', `a dose row (EVID 1) needs AMT > 0; got ${amt ?? 'none'}`);
      ok = false;
    }
    if (rate !== null && (rate === -1 || rate === -2)) {
      this.bad(
        row,
        'RATE',
        'unsupported',
        `RATE ${rate} (infusion ${rate === -1 ? 'rate' : 'duration'} estimated by the model) is not supported; ` +
          'give the rate (RATE > 0) or a bolus (RATE 0)',
      );
      ok = false;
    } else if (rate !== null && rate < 0) {
      this.bad(
        row,
        'RATE',
        'invalidValue',
        `RATE ${rate} is negative; an infusion rate is > 0 (0 for a bolus)`,
      );
      ok = false;
    }
    if (ss !== null && ss !== 0) {
      this.bad(
        row,
        'SS',
        'unsupported',
        `SS ${ss} (steady-state dosing) is not supported; give the doses that lead up to it`,
      );
      ok = false;
    }
    const repeats = addl ?? 0;
    if (!Number.isInteger(repeats) || repeats < 0) {
      this.bad(row, 'ADDL', 'invalidValue', `ADDL ${repeats} must be a whole number ≥ 0 (additional doses)`);
      ok = false;
    } else if (repeats > 0 && !(ii !== null && ii > 0)) {
      this.bad(
        row,
        'II',
        'invalidValue',
        `ADDL ${repeats} needs an interdose interval II > 0; got ${ii ?? 'none'}`,
      );
      ok = false;
    }
    const target = this.doseTarget(row);
    if (!ok || target === undefined || amt === null) return;
    const draft = this.builder.subject(id, row.line);
    for (let k = 0; k <= repeats; k++) {
      const time = t + k * (ii ?? 0);
      const dose: DatasetDose =
        rate !== null && rate > 0
          ? { kind: 'infusion', time, target, rate, duration: amt / rate, line: row.line }
          : { kind: 'bolus', time, target, amount: amt, line: row.line };
      this.builder.dose(draft, dose);
    }
  }

  /** The target of a dose row (reported and undefined when it cannot be told). */
  private doseTarget(row: DelimitedRow): string | undefined {
    const { compartmentMap, model } = this.options;
    const cmt = this.cols.CMT === undefined ? 1 : this.item(row, 'CMT');
    if (cmt === undefined) return undefined;
    if (cmt === null || cmt === 0) {
      this.problems.add(
        'doseWithoutTarget',
        row.line,
        'a dose with no compartment; give CMT (the number of the compartment that receives the dose)',
        { column: this.table.header[this.cols.CMT ?? 0] },
      );
      return undefined;
    }
    if (cmt < 0) {
      this.bad(row, 'CMT', 'unsupported', `CMT ${cmt} (switching a compartment off) is not supported`);
      return undefined;
    }
    if (!Number.isInteger(cmt)) {
      this.bad(row, 'CMT', 'invalidValue', `CMT ${cmt} is not a compartment number (a whole number ≥ 1)`);
      return undefined;
    }
    const unknown = (message: string): undefined => {
      this.problems.add('unknownCompartment', row.line, message, {
        column: this.cols.CMT === undefined ? 'CMT' : this.table.header[this.cols.CMT],
      });
      return undefined;
    };
    if (compartmentMap !== undefined) {
      const name = compartmentMap[cmt];
      if (name !== undefined) return name;
      const known = Object.entries(compartmentMap)
        .map(([k, v]) => `${k} → ${v}`)
        .join(', ');
      return unknown(`CMT ${cmt} is not in the compartmentMap (${known}); add it`);
    }
    if (model !== undefined) {
      if (cmt <= model.states.length) return model.states[cmt - 1].name;
      const listed = model.states.map((s, k) => `${k + 1} ${s.name}`).join(', ');
      return unknown(
        `CMT ${cmt}: model ${model.name} has ${model.states.length} compartments (${listed}); map others with the compartmentMap option`,
      );
    }
    return String(cmt);
  }
}

/** The observable order that an observableMap fixes (by key); else the order of first appearance. */
function observableOrder(options: NonmemOptions): string[] {
  return Object.entries(options.observableMap ?? {})
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, v]) => v);
}
