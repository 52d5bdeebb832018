/**
 * Adapts a compiled model to the solvers' {@link VectorField}: fills the time-varying input
 * values for each trajectory at each stage time, and passes the covariates.
 */
import type { CompiledModel } from '../expr/compile.js';
import type { VectorField } from './field.js';

type Arr = Float64Array;

/** Writes the values of trajectory b's inputs at time t into out[offset … offset + nInputs). */
export type InputFunction = (t: number, b: number, out: Float64Array, offset: number) => void;

/** Options of {@link modelField}. */
export interface ModelFieldOptions {
  /** Number of trajectories. */
  n: number;
  /** Covariates [n·nCovariates] (default: the model's defaults; an error if one has none). */
  covariates?: Float64Array;
  /** Values of the time-varying inputs (required when the model has inputs). */
  inputs?: InputFunction;
}

/**
 * A vector field over `n` trajectories of a compiled model.
 *
 * Input functions may be discontinuous (meals, infusions); give their jump times to `solve`
 * as save times or stops so that no step straddles a jump.
 *
 * @example
 * ```ts
 * const c = compileModel(pendulumModel());
 * const field = modelField(c, { n: 25 });
 * ```
 */
export function modelField(compiled: CompiledModel, options: ModelFieldOptions): VectorField {
  const { n } = options;
  const model = compiled.model;
  const C = compiled.nCovariates;
  const U = compiled.nInputs;
  let cov = options.covariates;
  if (cov === undefined) {
    cov = new Float64Array(n * C);
    model.covariates.forEach((cv, k) => {
      if (cv.defaultValue === null) {
        throw new RangeError(`modelField: covariate "${cv.name}" has no default; pass covariates`);
      }
      for (let b = 0; b < n; b++) cov![b * C + k] = cv.defaultValue;
    });
  }
  if (cov.length !== n * C)
    throw new RangeError(`modelField: covariates has ${cov.length} values; need ${n} × ${C}`);
  if (U > 0 && options.inputs === undefined) {
    throw new RangeError(
      `modelField: model ${model.name} has inputs (${model.inputs.map((u) => u.name).join(', ')}); pass an inputs function`,
    );
  }
  const u = new Float64Array(n * U);
  const inputs = options.inputs;
  const fill = (t: Arr, count: number, rows: Int32Array | null) => {
    if (inputs === undefined) return;
    for (let q = 0; q < count; q++) {
      const b = rows === null ? q : rows[q];
      inputs(t[b], b, u, b * U);
    }
  };
  const covariates = cov;
  const field: VectorField = {
    dim: compiled.dim,
    nParams: compiled.nParams,
    f(t, y, p, out, count, rows) {
      fill(t, count, rows);
      compiled.rhs(t, y, p, u, covariates, out, count, rows);
    },
    vjp(t, y, p, outBar, yBar, pBar, count, rows) {
      fill(t, count, rows);
      compiled.vjp(t, y, p, u, covariates, outBar, yBar, pBar, count, rows);
    },
    jvp(t, y, p, yDot, pDot, out, count, rows) {
      fill(t, count, rows);
      compiled.jvp(t, y, p, u, covariates, yDot, pDot, out, count, rows);
    },
    jac(t, y, p, J, count, rows) {
      fill(t, count, rows);
      compiled.jac(t, y, p, u, covariates, J, count, rows);
    },
  };
  return field;
}
