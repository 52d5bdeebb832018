/**
 * Adapts a compiled model to the solvers' {@link VectorField}: fills the time-varying input
 * values for each trajectory at each stage time, and passes the covariates.
 */
import type { CompiledModel } from '../expr/compile.js';
import type { VectorField } from './field.js';

type Arr = Float64Array;

/**
 * Writes the values of trajectory b's inputs at time t into out[offset … offset + nInputs).
 * `side` says which limit to take if t is one of the jump times: `'left'` at the end of a step
 * that lands on a jump, `'right'` otherwise (the usual right-continuous value).
 */
export type InputFunction = (
  t: number,
  b: number,
  out: Float64Array,
  offset: number,
  side: 'left' | 'right',
) => void;

/** Options of {@link modelField}. */
export interface ModelFieldOptions {
  /** Number of trajectories. */
  n: number;
  /** Covariates [n·nCovariates] (default: the model's defaults; an error if one has none). */
  covariates?: Float64Array;
  /** Values of the time-varying inputs (required when the model has inputs). */
  inputs?: InputFunction;
  /**
   * The times at which the inputs jump, per trajectory (one list for all, or one per
   * trajectory). Solvers land on them and restart there, and take one-sided values at them.
   */
  jumps?: readonly number[] | readonly (readonly number[])[];
}

/**
 * A vector field over `n` trajectories of a compiled model.
 *
 * Input functions may be discontinuous (meals, insulin boluses given as rates): pass their
 * jump times as `jumps` (see {@link inputSeries}), and solvers land on them, restart there and
 * take the value from the left at the end of a step that lands on a jump.
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
  const jumpLists: readonly (readonly number[])[] =
    options.jumps === undefined
      ? []
      : options.jumps.length > 0 && typeof options.jumps[0] !== 'number'
        ? (options.jumps as readonly (readonly number[])[])
        : Array.from({ length: n }, () => options.jumps as readonly number[]);
  if (jumpLists.length > 0 && jumpLists.length !== n) {
    throw new RangeError(`modelField: ${jumpLists.length} jump lists for ${n} trajectories`);
  }
  // The current step of each row, so that a stage at a step's end takes the left limit.
  const stepStart = new Float64Array(n).fill(Number.NaN);
  const stepEnd = new Float64Array(n).fill(Number.NaN);
  const fill = (t: Arr, count: number, rows: Int32Array | null) => {
    if (inputs === undefined) return;
    for (let q = 0; q < count; q++) {
      const b = rows === null ? q : rows[q];
      const e = stepEnd[b];
      const atEnd =
        t[b] > stepStart[b] && Math.abs(t[b] - e) <= 4 * Number.EPSILON * Math.max(Math.abs(e), 1);
      if (atEnd) inputs(e, b, u, b * U, 'left');
      else inputs(t[b], b, u, b * U, 'right');
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
  // The step bounds matter only for the one-sided values of inputs.
  if (inputs !== undefined) {
    field.beginStep = (tStart, tEnd, count, rows) => {
      for (let q = 0; q < count; q++) {
        const b = rows === null ? q : rows[q];
        stepStart[b] = tStart[b];
        stepEnd[b] = tEnd[b];
      }
    };
  }
  if (jumpLists.length > 0) field.discontinuities = (b) => jumpLists[b];
  return field;
}

/** A piecewise-constant or piecewise-linear signal: values at the given (increasing) times. */
export interface InputSeries {
  readonly times: readonly number[];
  readonly values: readonly number[];
  /** 'step': the value holds until the next time (right-continuous); 'linear': interpolated. */
  readonly interpolation: 'step' | 'linear';
}

/**
 * Input values from data: one {@link InputSeries} per input for each trajectory. Before the
 * first time the first value holds, after the last the last. Returns the `inputs` function and
 * the `jumps` (the times of step inputs) to give to {@link modelField}.
 *
 * @example
 * ```ts
 * // One input (a meal rate) for one trajectory: 50 from t = 10 to 25, else 0.
 * const { inputs, jumps } = inputSeries([[{ times: [0, 10, 25], values: [0, 50, 0], interpolation: 'step' }]]);
 * const field = modelField(compiled, { n: 1, inputs, jumps });
 * ```
 */
export function inputSeries(series: readonly (readonly InputSeries[])[]): {
  inputs: InputFunction;
  jumps: number[][];
} {
  series.forEach((list, b) => {
    list.forEach((s, k) => {
      if (s.times.length === 0 || s.times.length !== s.values.length) {
        throw new RangeError(
          `inputSeries: trajectory ${b}, input ${k}: need equally many (≥ 1) times and values`,
        );
      }
      for (let i = 1; i < s.times.length; i++) {
        if (!(s.times[i] > s.times[i - 1])) {
          throw new RangeError(`inputSeries: trajectory ${b}, input ${k}: times must increase (index ${i})`);
        }
      }
    });
  });
  const jumps = series.map((list) => {
    const set = new Set<number>();
    for (const s of list) if (s.interpolation === 'step') for (const t of s.times.slice(1)) set.add(t);
    return [...set].sort((a, b) => a - b);
  });
  const inputs: InputFunction = (t, b, out, offset, side) => {
    const list = series[b];
    for (let k = 0; k < list.length; k++) {
      const { times, values, interpolation } = list[k];
      // Index of the last time ≤ t (or < t for a left limit).
      let lo = 0;
      let hi = times.length - 1;
      if (side === 'left' ? t <= times[0] : t < times[0]) {
        out[offset + k] = values[0];
        continue;
      }
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (side === 'left' ? times[mid] < t : times[mid] <= t) lo = mid;
        else hi = mid - 1;
      }
      if (interpolation === 'step' || lo === times.length - 1) out[offset + k] = values[lo];
      else {
        const w = (t - times[lo]) / (times[lo + 1] - times[lo]);
        out[offset + k] = values[lo] + w * (values[lo + 1] - values[lo]);
      }
    }
  };
  return { inputs, jumps };
}
