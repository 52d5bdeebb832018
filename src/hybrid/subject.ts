/**
 * Subjects: the unit of data a hybrid model is trained on — one trajectory with its
 * observation times, observed values (NaN where missing), doses, inputs and covariates.
 * Readers of files (CSV, NONMEM-style, PEtab) produce these; the trainer batches them.
 */
import type { Model } from '../expr/model.js';
import type { InputSeries } from '../ode/modelField.js';

/** A dose given to a subject: a bolus amount or an infusion rate over a duration. */
export type SubjectDose =
  | {
      /** Time of the dose. */
      readonly time: number;
      /** The model's dose route (`dose NAME -> state`), or a state name. */
      readonly route: string;
      readonly amount: number;
    }
  | {
      readonly time: number;
      readonly route: string;
      readonly rate: number;
      readonly duration: number;
    };

/** One subject (one trajectory) of a dataset. */
export interface Subject {
  /** Identifier used in messages. */
  readonly id: string;
  /** Start time of the simulation (default 0). */
  readonly t0?: number;
  /** Observation times, increasing, ≥ t0. */
  readonly times: Float64Array;
  /**
   * Observed values [times · nObservables] row-major, in the model's observable order; NaN
   * marks a missing value (masked out of the loss).
   */
  readonly observations: Float64Array;
  /** Doses, in any order. */
  readonly doses?: readonly SubjectDose[];
  /** Covariate values by name (default: the model's defaults). */
  readonly covariates?: Readonly<Record<string, number>>;
  /** Time-varying inputs by name (required for every input the model declares). */
  readonly inputs?: Readonly<Record<string, InputSeries>>;
  /** Initial states overriding the model's initial expressions, [dim]. */
  readonly y0?: Float64Array;
}

/**
 * Checks subjects against a model: observation shapes, increasing times after t0, known dose
 * routes and covariates, finite dose amounts, every declared input present.
 *
 * @throws RangeError naming the subject, the field and what would fix it
 * @example
 * ```ts
 * checkSubjects(model, [{ id: 's1', times: Float64Array.of(1, 2), observations: Float64Array.of(0.5, 0.3) }]);
 * ```
 */
export function checkSubjects(model: Model, subjects: readonly Subject[]): void {
  const nObs = model.observables.length;
  if (nObs === 0) {
    throw new RangeError(
      `model ${model.name} has no observables; declare what is measured with obs NAME = EXPR ~ …`,
    );
  }
  const ids = new Set<string>();
  subjects.forEach((s, i) => {
    const where = `subject "${s.id}" (index ${i})`;
    if (ids.has(s.id)) throw new RangeError(`${where}: the id is used twice; subject ids must be unique`);
    ids.add(s.id);
    const t0 = s.t0 ?? 0;
    if (!Number.isFinite(t0)) throw new RangeError(`${where}: t0 = ${t0} is not finite`);
    if (s.times.length === 0) throw new RangeError(`${where}: no observation times`);
    if (s.observations.length !== s.times.length * nObs) {
      throw new RangeError(
        `${where}: ${s.observations.length} observed values for ${s.times.length} times × ${nObs} observables ` +
          `(${model.observables.map((o) => o.name).join(', ')}); write NaN for a missing value`,
      );
    }
    for (let k = 0; k < s.times.length; k++) {
      const t = s.times[k];
      if (!Number.isFinite(t) || t < t0 || (k > 0 && !(t > s.times[k - 1]))) {
        throw new RangeError(
          `${where}: observation time ${k} (${t}) must be finite, ≥ t0 = ${t0} and increasing`,
        );
      }
    }
    for (let j = 0; j < s.observations.length; j++) {
      const v = s.observations[j];
      if (!Number.isNaN(v) && !Number.isFinite(v)) {
        throw new RangeError(
          `${where}: observation ${model.observables[j % nObs].name} at t = ${s.times[Math.floor(j / nObs)]} is ${v}`,
        );
      }
    }
    (s.doses ?? []).forEach((d, k) => {
      const dw = `${where}, dose ${k}`;
      if (!Number.isFinite(d.time) || d.time < t0)
        throw new RangeError(`${dw}: time ${d.time} must be finite and ≥ t0`);
      doseTarget(model, d.route, dw);
      const decl = model.doses.find((r) => r.name === d.route);
      const kind = 'amount' in d ? 'bolus' : 'infusion';
      if (decl !== undefined && decl.kind !== kind) {
        throw new RangeError(
          `${dw}: route "${d.route}" is declared as ${decl.kind === 'bolus' ? 'a bolus (give an amount)' : 'an infusion (give a rate and a duration)'}, not ${kind === 'bolus' ? 'a bolus' : 'an infusion'}`,
        );
      }
      if ('amount' in d) {
        if (!Number.isFinite(d.amount)) throw new RangeError(`${dw}: amount ${d.amount} is not finite`);
      } else if (!Number.isFinite(d.rate) || !(d.duration > 0)) {
        throw new RangeError(`${dw}: an infusion needs a finite rate and a positive duration`);
      }
    });
    for (const name of Object.keys(s.covariates ?? {})) {
      if (!model.covariates.some((c) => c.name === name)) {
        throw new RangeError(
          `${where}: unknown covariate "${name}"; the model's covariates are ${model.covariates.map((c) => c.name).join(', ') || '(none)'}`,
        );
      }
    }
    for (const c of model.covariates) {
      const v = s.covariates?.[c.name] ?? c.defaultValue;
      if (v === null || !Number.isFinite(v)) {
        throw new RangeError(`${where}: covariate "${c.name}" has no value and the model gives no default`);
      }
    }
    for (const u of model.inputs) {
      if (s.inputs?.[u.name] === undefined) {
        throw new RangeError(`${where}: the model's input "${u.name}" needs a series (times and values)`);
      }
    }
    if (s.y0 !== undefined && s.y0.length !== model.states.length) {
      throw new RangeError(`${where}: y0 has ${s.y0.length} values for ${model.states.length} states`);
    }
  });
}

/** The state index a dose route (or a state name) targets. */
export function doseTarget(model: Model, route: string, where: string): number {
  const decl = model.doses.find((d) => d.name === route);
  if (decl !== undefined) return decl.target;
  const state = model.states.findIndex((s) => s.name === route);
  if (state >= 0) return state;
  const known = [...model.doses.map((d) => d.name), ...model.states.map((s) => s.name)];
  throw new RangeError(`${where}: unknown dose route "${route}"; use one of ${known.join(', ')}`);
}
