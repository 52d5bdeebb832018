/**
 * From a Dataset (what a file says) to the {@link Subject}s a model is trained on: observable
 * columns in the model's order, dose targets resolved to the model's routes and states,
 * covariates and inputs checked against the model's declarations.
 */
import type { Model } from '../expr/model.js';
import { closestName } from '../expr/suggest.js';
import { checkSubjects, type Subject, type SubjectDose } from '../hybrid/subject.js';
import type { Dataset, DatasetDose, DatasetSubject } from './dataset.js';
import { ProblemList } from './problems.js';

/** Options of {@link toSubjects}. */
export interface ToSubjectsOptions {
  /**
   * What to do with observables, covariates and inputs of the data that the model does not
   * declare: 'error' (default) reports each as a located problem; 'note' leaves them out and
   * says so in the result's notes.
   */
  readonly unusedData?: 'error' | 'note';
}

/** The subjects for a model, with what the mapping had to tell. */
export interface ToSubjectsResult {
  readonly subjects: Subject[];
  /** Observables of the model with no value in the data (their columns are all NaN). */
  readonly absentObservables: string[];
  /** Things a user should know: absent observables, data left out, interpolations replaced. */
  readonly notes: string[];
}

/** The name in `names` equal to `name`, or else the only one equal ignoring case. */
function match(name: string, names: readonly string[]): number {
  const exact = names.indexOf(name);
  if (exact >= 0) return exact;
  const lower = name.toLowerCase();
  const folded = names.flatMap((n, k) => (n.toLowerCase() === lower ? [k] : []));
  return folded.length === 1 ? folded[0] : -1;
}

const suggestion = (name: string, names: readonly string[]): string => {
  const guess = closestName(name, names);
  return guess === undefined ? '' : `; did you mean "${guess}"?`;
};

/**
 * Maps a dataset onto a model's {@link Subject}s. Observation times are the distinct times
 * at which the subject has a value; `observations` is [times · nObservables] in the model's
 * observable order, NaN where nothing was measured. Names match exactly, or else ignoring
 * case when that is unambiguous; NONMEM data read without a model has the observable DV,
 * which is the model's observable when it has only one (DV1, DV2, … by DVID are its first,
 * second, …).
 *
 * A dose target may be a dose route (its kind, bolus or infusion, must match the dose's), a
 * state, or a 1-based compartment number (the model's state of that index); a dose into a
 * state goes through the model's one route into that state of the dose's kind, if there is
 * one, else straight into the state.
 *
 * Problems — an observable, compartment, covariate or input unknown to the model (see
 * {@link ToSubjectsOptions.unusedData}), a covariate or input the model needs that the data
 * lacks, a dose of the wrong kind for its route, a subject with no observation — are all
 * collected and thrown as one {@link DataError}, located by file line and subject.
 *
 * @throws DataError listing every problem
 * @example
 * ```ts
 * const ds = readNonmem(text, 'theo.csv');
 * const { subjects, notes } = toSubjects(ds, pkOneCompartmentModel());
 * ```
 */
export function toSubjects(
  dataset: Dataset,
  model: Model,
  options: ToSubjectsOptions = {},
): ToSubjectsResult {
  const problems = new ProblemList(dataset.source.file);
  const notes: string[] = [];
  const unusedAsNote = options.unusedData === 'note';
  const modelObs = model.observables.map((o) => o.name);
  const nObs = modelObs.length;
  if (nObs === 0) {
    throw new RangeError(
      `model ${model.name} has no observables; declare what is measured with obs NAME = EXPR ~ …`,
    );
  }

  /**
   * The model column of a data observable: by name; for NONMEM data read without a model,
   * DV is the model's only observable and DVk its k-th.
   */
  function observableIndex(name: string): number {
    const k = match(name, modelObs);
    if (k >= 0 || dataset.source.format !== 'nonmem') return k;
    const dv = /^DV(\d*)$/.exec(name);
    if (dv === null) return -1;
    const index = dv[1] === '' ? (nObs === 1 ? 0 : -1) : Number(dv[1]) - 1;
    if (index < 0 || index >= nObs) return -1;
    notes.push(
      `${name} of ${dataset.source.file} is read as observable ${modelObs[index]} of model ${model.name}`,
    );
    return index;
  }

  // Observables: dataset name → model column (-1: left out).
  const firstLine = new Map<string, { line: number; subject: string }>();
  for (const s of dataset.subjects) {
    for (const o of s.observations) {
      if (!firstLine.has(o.observable)) firstLine.set(o.observable, { line: o.line, subject: s.id });
    }
  }
  const obsColumn = new Map<string, number>();
  const columnOwner = new Map<number, string>();
  for (const name of dataset.observables) {
    const k = observableIndex(name);
    const owner = columnOwner.get(k);
    const first = firstLine.get(name);
    if (k >= 0 && owner !== undefined) {
      obsColumn.set(name, -1);
      problems.add(
        'unknownObservable',
        first?.line ?? 0,
        `observables "${owner}" and "${name}" of the data both match ${modelObs[k]} of model ${model.name}; rename one`,
        first === undefined ? {} : { subject: first.subject },
      );
      continue;
    }
    obsColumn.set(name, k);
    if (k >= 0) {
      columnOwner.set(k, name);
      continue;
    }
    if (first === undefined) {
      notes.push(`observable ${name} of the data has no values and is not in model ${model.name}; left out`);
    } else if (unusedAsNote) {
      notes.push(`observable ${name} of the data is not in model ${model.name}; left out`);
    } else {
      problems.add(
        'unknownObservable',
        first.line,
        `observable "${name}" is not in model ${model.name} (its observables: ${modelObs.join(', ')})${suggestion(name, modelObs)}` +
          ' — rename it in the data, or pass unusedData: "note" to leave it out',
        { subject: first.subject },
      );
    }
  }
  const seen = new Set<number>();
  for (const [name, k] of obsColumn) if (k >= 0 && firstLine.has(name)) seen.add(k);
  const absentObservables = modelObs.filter((_, k) => !seen.has(k));
  for (const name of absentObservables) {
    notes.push(
      `observable ${name} of model ${model.name} has no values in ${dataset.source.file}; its column is all NaN`,
    );
  }

  // Covariates and inputs: dataset name → model name.
  const covNames = model.covariates.map((c) => c.name);
  const covMap = namesFor(dataset.covariateNames, covNames, 'covariate', 'unknownCovariate');
  const inputNames = model.inputs.map((u) => u.name);
  const inputMap = namesFor(dataset.inputNames, inputNames, 'input', 'unknownInput');

  function namesFor(
    names: readonly string[],
    declared: readonly string[],
    what: 'covariate' | 'input',
    kind: 'unknownCovariate' | 'unknownInput',
  ): Map<string, string> {
    const out = new Map<string, string>();
    for (const name of names) {
      const k = match(name, declared);
      if (k >= 0) {
        out.set(name, declared[k]);
        continue;
      }
      if (unusedAsNote) {
        notes.push(`${what} ${name} of the data is not in model ${model.name}; left out`);
        continue;
      }
      const holder = dataset.subjects.find((s) =>
        what === 'covariate' ? Object.hasOwn(s.covariates, name) : Object.hasOwn(s.inputs, name),
      );
      problems.add(
        kind,
        holder?.line ?? 0,
        `${what} "${name}" is not in model ${model.name} (its ${what}s: ${declared.join(', ') || 'none'})` +
          `${suggestion(name, declared)} — rename it in the data, or pass unusedData: "note" to leave it out`,
        { column: name },
      );
    }
    return out;
  }

  for (const c of model.covariates) {
    if (c.defaultValue !== null) continue;
    if (![...covMap.values()].includes(c.name)) {
      problems.add(
        'unknownCovariate',
        0,
        `model ${model.name} needs covariate ${c.name} (it has no default) but the data has no such column`,
        { column: c.name },
      );
    }
  }
  for (const u of model.inputs) {
    if (![...inputMap.values()].includes(u.name)) {
      problems.add(
        'unknownInput',
        0,
        `model ${model.name} needs the time-varying input ${u.name} but the data has none`,
        { column: u.name },
      );
    }
  }
  const interpolationNoted = new Set<string>();

  const subjects: Subject[] = [];
  for (const s of dataset.subjects) {
    const subject = convert(s);
    if (subject !== undefined) subjects.push(subject);
  }

  function convert(s: DatasetSubject): Subject | undefined {
    const times = [
      ...new Set(s.observations.filter((o) => (obsColumn.get(o.observable) ?? -1) >= 0).map((o) => o.time)),
    ];
    times.sort((a, b) => a - b);
    if (times.length === 0) {
      problems.add(
        'noObservations',
        s.line,
        `no observation of model ${model.name}'s observables (${modelObs.join(', ')}); a subject needs at least one to be fitted — add its measurements or remove it`,
        { subject: s.id },
      );
      return undefined;
    }
    const row = new Map(times.map((t, k) => [t, k]));
    const observations = new Float64Array(times.length * nObs).fill(Number.NaN);
    for (const o of s.observations) {
      const k = obsColumn.get(o.observable) ?? -1;
      if (k >= 0) observations[(row.get(o.time) ?? 0) * nObs + k] = o.value;
    }
    const doses: SubjectDose[] = [];
    for (const d of s.doses) {
      const route = routeFor(model, d, s.id, problems);
      if (route === undefined) continue;
      doses.push(
        d.kind === 'bolus'
          ? { time: d.time, route, amount: d.amount }
          : { time: d.time, route, rate: d.rate, duration: d.duration },
      );
    }
    const covariates: Record<string, number> = {};
    for (const [name, value] of Object.entries(s.covariates)) {
      const target = covMap.get(name);
      if (target !== undefined) covariates[target] = value;
    }
    for (const c of model.covariates) {
      if (
        c.defaultValue === null &&
        covariates[c.name] === undefined &&
        [...covMap.values()].includes(c.name)
      ) {
        problems.add(
          'unknownCovariate',
          s.line,
          `covariate ${c.name} has no value for this subject and model ${model.name} gives no default; fill it in`,
          { subject: s.id, column: c.name },
        );
      }
    }
    const inputs: Record<string, { times: number[]; values: number[]; interpolation: 'step' | 'linear' }> =
      {};
    for (const [name, series] of Object.entries(s.inputs)) {
      const target = inputMap.get(name);
      if (target === undefined) continue;
      const decl = model.inputs.find((u) => u.name === target);
      const interpolation = decl?.interpolation ?? series.interpolation;
      if (interpolation !== series.interpolation && !interpolationNoted.has(name)) {
        interpolationNoted.add(name);
        notes.push(
          `input ${name} is read as ${series.interpolation} but model ${model.name} declares it ${interpolation}; the model's interpolation is used`,
        );
      }
      inputs[target] = { times: [...series.times], values: [...series.values], interpolation };
    }
    for (const u of model.inputs) {
      if (inputs[u.name] === undefined && [...inputMap.values()].includes(u.name)) {
        problems.add(
          'unknownInput',
          s.line,
          `the time-varying input ${u.name} has no value for this subject; give at least one`,
          { subject: s.id, column: u.name },
        );
      }
    }
    return {
      id: s.id,
      times: Float64Array.from(times),
      observations,
      doses,
      covariates,
      inputs,
    };
  }

  problems.throwIfAny();
  checkSubjects(model, subjects);
  return { subjects, absentObservables, notes };
}

/**
 * The route of a dose for a model (see {@link toSubjects}), or undefined after reporting why
 * there is none.
 */
function routeFor(model: Model, d: DatasetDose, subject: string, problems: ProblemList): string | undefined {
  const routes = model.doses.map((r) => r.name);
  const states = model.states.map((x) => x.name);
  const describeKind = (k: 'bolus' | 'infusion'): string => (k === 'bolus' ? 'a bolus' : 'an infusion');
  const r = match(d.target, routes);
  if (r >= 0) {
    const decl = model.doses[r];
    if (decl.kind === d.kind) return decl.name;
    const alternative = model.doses.find((x) => x.target === decl.target && x.kind === d.kind);
    problems.add(
      'doseKindMismatch',
      d.line,
      `route ${decl.name} of model ${model.name} takes ${describeKind(decl.kind)} but the data gives ${describeKind(d.kind)}` +
        `; use ${alternative !== undefined ? `route ${alternative.name}` : `the state ${states[decl.target]}`} instead`,
      { subject },
    );
    return undefined;
  }
  let state = match(d.target, states);
  if (state < 0 && /^\d+$/.test(d.target)) {
    const k = Number(d.target);
    if (k >= 1 && k <= states.length) state = k - 1;
    else {
      problems.add(
        'unknownCompartment',
        d.line,
        `compartment ${k}: model ${model.name} has ${states.length} compartments (${states.map((x, i) => `${i + 1} ${x}`).join(', ')})`,
        { subject },
      );
      return undefined;
    }
  }
  if (state < 0) {
    const known = [...routes, ...states];
    problems.add(
      'unknownCompartment',
      d.line,
      `dose target "${d.target}" is neither a dose route nor a state of model ${model.name} ` +
        `(routes: ${routes.join(', ') || 'none'}; states: ${states.join(', ')})${suggestion(d.target, known)}`,
      { subject },
    );
    return undefined;
  }
  const through = model.doses.filter((x) => x.target === state && x.kind === d.kind);
  return through.length === 1 ? through[0].name : states[state];
}
