/**
 * Assembles a {@link Dataset} from the records a reader finds, row by row: groups them by
 * subject, checks that covariates stay constant within a subject, sorts by time, finds
 * duplicated values, and keeps the counts of ignored rows and the notes.
 */
import type { Interpolation } from '../expr/model.js';
import type {
  DataFormat,
  Dataset,
  DatasetDose,
  DatasetInput,
  DatasetObservation,
  DatasetSubject,
} from './dataset.js';
import type { ProblemList } from './problems.js';

interface Point {
  readonly time: number;
  readonly value: number;
  readonly line: number;
}

/** A subject while its rows are being read. */
export class SubjectDraft {
  readonly observations: DatasetObservation[] = [];
  readonly doses: DatasetDose[] = [];
  readonly inputs = new Map<string, Point[]>();
  readonly covariates = new Map<string, Point>();
  /** Covariates already reported as inconsistent (one message per subject and covariate). */
  readonly inconsistent = new Set<string>();

  constructor(
    readonly id: string,
    readonly line: number,
  ) {}
}

/** Collects records into subjects; {@link DatasetBuilder.build} makes the dataset. */
export class DatasetBuilder {
  private readonly drafts = new Map<string, SubjectDraft>();
  private readonly observableSet: Set<string>;
  private readonly covariateSet = new Set<string>();
  private readonly inputKinds = new Map<string, Interpolation>();
  private readonly ignoredReasons = new Map<string, number>();
  private readonly notes: string[] = [];

  constructor(
    private readonly problems: ProblemList,
    private readonly format: DataFormat,
    observables: readonly string[] = [],
  ) {
    this.observableSet = new Set(observables);
  }

  /** The subject with this id, created at `line` when it is new. */
  subject(id: string, line: number): SubjectDraft {
    let d = this.drafts.get(id);
    if (d === undefined) {
      d = new SubjectDraft(id, line);
      this.drafts.set(id, d);
    }
    return d;
  }

  /** Whether a subject with this id has been seen. */
  has(id: string): boolean {
    return this.drafts.has(id);
  }

  /** Declares an observable name (in order), also when no value of it is read. */
  declareObservable(name: string): void {
    this.observableSet.add(name);
  }

  /** Declares a covariate name (in order). */
  declareCovariate(name: string): void {
    this.covariateSet.add(name);
  }

  /** Declares a time-varying input and its interpolation. */
  declareInput(name: string, interpolation: Interpolation): void {
    this.inputKinds.set(name, interpolation);
  }

  observation(d: SubjectDraft, time: number, observable: string, value: number, line: number): void {
    this.observableSet.add(observable);
    d.observations.push({ time, observable, value, line });
  }

  dose(d: SubjectDraft, dose: DatasetDose): void {
    d.doses.push(dose);
  }

  input(d: SubjectDraft, name: string, time: number, value: number, line: number): void {
    let list = d.inputs.get(name);
    if (list === undefined) {
      list = [];
      d.inputs.set(name, list);
    }
    list.push({ time, value, line });
  }

  /**
   * A covariate value of a subject; a value that differs from an earlier one of the same
   * subject is reported ('inconsistentCovariate', once per subject and covariate).
   *
   * @param column - the column name, for the message.
   * @param hint - what to do when the covariate really varies over time.
   */
  covariate(d: SubjectDraft, name: string, value: number, line: number, column: string, hint: string): void {
    this.covariateSet.add(name);
    const first = d.covariates.get(name);
    if (first === undefined) {
      d.covariates.set(name, { time: 0, value, line });
    } else if (first.value !== value && !d.inconsistent.has(name)) {
      d.inconsistent.add(name);
      this.problems.add(
        'inconsistentCovariate',
        line,
        `covariate ${name} is ${value} here but ${first.value} at line ${first.line}; ` +
          `a covariate is constant within a subject — ${hint}`,
        { column, subject: d.id },
      );
    }
  }

  /** Counts rows (default one) that carry nothing to use. */
  ignore(reason: string, rows = 1): void {
    if (rows > 0) this.ignoredReasons.set(reason, (this.ignoredReasons.get(reason) ?? 0) + rows);
  }

  /** Adds a note for the user (a default taken, a column not used). */
  note(text: string): void {
    this.notes.push(text);
  }

  /**
   * Sorts each subject's records by time (noting subjects whose rows were out of order),
   * reports duplicated observations and inputs, and returns the dataset. Call
   * `problems.throwIfAny()` afterwards.
   *
   * @param file - the file name.
   * @param rows - the number of data records in the file.
   */
  build(file: string, rows: number): Dataset {
    const observables = [...this.observableSet];
    const order = new Map(observables.map((o, k) => [o, k]));
    const unsorted: string[] = [];
    const subjects: DatasetSubject[] = [];
    for (const d of this.drafts.values()) {
      const inOrder = (list: readonly { time: number }[]): boolean =>
        list.every((r, k) => k === 0 || r.time >= list[k - 1].time);
      // NONMEM rows are checked for order as they are read (ADDL doses interleave with later rows).
      if (this.format !== 'nonmem' && (!inOrder(d.observations) || !inOrder(d.doses))) unsorted.push(d.id);
      const observations = [...d.observations].sort(
        (a, b) => a.time - b.time || (order.get(a.observable) ?? 0) - (order.get(b.observable) ?? 0),
      );
      for (let k = 1; k < observations.length; k++) {
        const [a, b] = [observations[k - 1], observations[k]];
        if (a.time === b.time && a.observable === b.observable) {
          this.problems.add(
            'duplicateRow',
            Math.max(a.line, b.line),
            `a second value of ${b.observable} at time ${b.time} (the other is at line ${Math.min(a.line, b.line)}); ` +
              'keep one row per subject, time and observable',
            { subject: d.id },
          );
        }
      }
      const doses = [...d.doses].sort((a, b) => a.time - b.time);
      const inputs: Record<string, DatasetInput> = {};
      for (const [name, points] of d.inputs) {
        const sorted = [...points].sort((a, b) => a.time - b.time);
        const times: number[] = [];
        const values: number[] = [];
        sorted.forEach((p, k) => {
          const prev = sorted[k - 1];
          if (k > 0 && prev.time === p.time) {
            if (prev.value !== p.value) {
              this.problems.add(
                'duplicateRow',
                Math.max(prev.line, p.line),
                `input ${name} is ${p.value} at time ${p.time} but ${prev.value} at line ${Math.min(prev.line, p.line)}; ` +
                  'give one value per time',
                { subject: d.id },
              );
            }
            return;
          }
          times.push(p.time);
          values.push(p.value);
        });
        inputs[name] = { times, values, interpolation: this.inputKinds.get(name) ?? 'step' };
      }
      const covariates: Record<string, number> = {};
      for (const [name, p] of d.covariates) covariates[name] = p.value;
      subjects.push({ id: d.id, observations, doses, inputs, covariates, line: d.line });
    }
    if (unsorted.length > 0) {
      const shown = unsorted.slice(0, 5).join(', ') + (unsorted.length > 5 ? `, … (${unsorted.length})` : '');
      this.notes.push(
        `rows of subject${unsorted.length === 1 ? '' : 's'} ${shown} were not in time order; sorted`,
      );
    }
    const reasons = Object.fromEntries(this.ignoredReasons);
    let count = 0;
    for (const k of this.ignoredReasons.values()) count += k;
    return {
      observables,
      subjects,
      covariateNames: [...this.covariateSet],
      inputNames: [...this.inputKinds.keys()],
      source: { file, format: this.format, rows, ignored: { count, reasons }, notes: this.notes },
    };
  }
}
