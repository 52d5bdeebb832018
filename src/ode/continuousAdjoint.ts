/**
 * The continuous adjoint ("optimise-then-discretise"): gradients of a loss on the saved values
 * by integrating the adjoint ODE backwards in time with an ordinary {@link solve}, rather than
 * by differentiating the solver's own steps (compare `discreteAdjoint`).
 *
 * Two variants, differing in where the backward pass gets the state y(t) from:
 * `'interpolated'` re-solves the forward problem interval by interval and interpolates it;
 * `'backsolve'` integrates y backwards together with the adjoint, from the final state.
 */
import type { AdjointGradients } from './adjoint.js';
import { type Controller, pid } from './controller.js';
import type { VectorField } from './field.js';
import { tsit5 } from './methods/tsit5.js';
import { rejectUnknown } from './options.js';
import {
  type Dose,
  type SaveAt,
  SOLVE_KEYS,
  type Solution,
  type SolveOptions,
  saveAt,
  solve,
} from './solve.js';

type Arr = Float64Array;

/**
 * Where the backward pass finds the forward state: `'interpolated'` (a forward re-solve with
 * cubic Hermite dense output) or `'backsolve'` (y integrated backwards with the adjoint).
 */
export type ContinuousAdjointVariant = 'backsolve' | 'interpolated';

/** Options of {@link continuousAdjoint}: the options given to `solve`, plus its initial state. */
export interface ContinuousAdjointOptions extends SolveOptions {
  /** The initial states given to `solve`, [N·dim]; required by `'interpolated'`. */
  y0?: Float64Array;
}

const OPTION_KEYS = [...SOLVE_KEYS, 'y0'];

/**
 * Gradients of a loss L(saved values) with respect to the initial states, the parameters and
 * the bolus amounts (infusion-rate entries are 0: not computed by this method), by the continuous adjoint. `savedBar[b]` holds ∂L/∂(saved values of
 * trajectory b), laid out like `solution.ys[b]`; `options` are the options the solution was
 * computed with (the backward solves use the same method, controller and maxSteps; the
 * controller's tolerances govern the gradient's accuracy).
 *
 * The adjoint λ(t) = ∂L/∂y(t) and the parameter gradient μ(t) solve, backwards from
 * λ(t₁) = 0, μ(t₁) = 0 (Pontryagin et al. 1962; Chen et al. 2018):
 *
 *   λ′ = −(∂f/∂y)ᵀλ,   μ′ = −(∂f/∂p)ᵀλ,
 *
 * between consecutive save, dose and infusion times, with jumps λ ← λ + ∂L/∂y(tⱼ) at each save
 * time; then ∂L/∂y₀ = λ(t₀), ∂L/∂p = μ(t₀). A bolus y⁺ = y⁻ + a·e_k leaves λ continuous and
 * gives ∂L/∂a = λ_k just after the dose; a save at a bolus time sees the state before the dose
 * (also with `saveAt.final()` and `saveAt.steps()`). Infusion rates r enter only the
 * state equation y′ = f + r, never λ's. Each interval is integrated by `solve` in reversed time
 * s = −t on the augmented system (y,) λ, μ.
 *
 * Variants:
 * - `'interpolated'`: y(t) comes from re-solving each interval forward (from y₀, with the same
 *   doses) and saving every step; between steps it is the cubic Hermite interpolant of the
 *   step values and slopes, whose error O(h⁴) is of the order of the solve's tolerance. Memory:
 *   2·dim + 1 numbers per forward step and trajectory.
 * - `'backsolve'` (Chen et al. 2018): y is integrated backwards from the final state together
 *   with λ and μ, in O(1) memory. **Not recommended**: the backward problem is unstable when
 *   the forward one is dissipative or stiff (decaying modes grow backwards, so the
 *   reconstructed y(t) and with it the gradient can be wrong by orders of magnitude; Kidger,
 *   "On Neural Differential Equations", thesis, 2021). Use it only for problems that are
 *   well-conditioned in both directions (conservative, oscillatory).
 *
 * Both are gradients of the exact solution, not of the computed one: they agree with the
 * discrete adjoint and with finite differences to about the solve's tolerance, not to
 * rounding. Explicit methods only (the augmented system has no Jacobian).
 *
 * @throws TypeError for a stiff method, `saveAt.steps()`, or `'interpolated'` without `y0`.
 * @throws Error when a trajectory of the solution failed or a backward solve fails.
 * @example
 * ```ts
 * const opts = { method: tsit5(), t1: 3, params, controller: pid({ rtol: 1e-10, atol: 1e-10 }), saveat: saveAt.times(ts) };
 * const sol = solve(field, y0, opts);
 * const bar = sol.ys.map((ys) => ys.map((v) => 2 * v)); // L = Σ ys²
 * const g = continuousAdjoint(field, sol, { ...opts, y0 }, bar, 'interpolated');
 * g.params; // ∂L/∂p
 * ```
 */
export function continuousAdjoint(
  field: VectorField,
  solution: Solution,
  options: ContinuousAdjointOptions,
  savedBar: readonly Float64Array[],
  variant: ContinuousAdjointVariant,
): AdjointGradients {
  const where = `continuousAdjoint (${variant})`;
  if (field.discontinuities !== undefined) {
    throw new TypeError(
      'continuousAdjoint: fields with jumps (piecewise-constant inputs) are not supported yet; use discreteAdjoint',
    );
  }
  if (options.events !== undefined && options.events.length > 0) {
    throw new TypeError('continuousAdjoint: gradients through state-dependent events are not supported yet');
  }
  rejectUnknown('continuousAdjoint', options, OPTION_KEYS);
  if (variant !== 'backsolve' && variant !== 'interpolated') {
    throw new TypeError(`continuousAdjoint: variant "${variant}"; use 'interpolated' or 'backsolve'`);
  }
  const method = options.method ?? tsit5();
  if (method.stiff) {
    throw new TypeError(
      `${where}: ${method.name} needs a Jacobian, which the adjoint system lacks; use an explicit method (tsit5(), vern7()) or discreteAdjoint`,
    );
  }
  const saveat: SaveAt = options.saveat ?? saveAt.final();
  if (saveat.kind === 'steps' || saveat.kind === 'dense') {
    throw new TypeError(
      `${where}: saveAt.steps() and saveAt.dense() are not supported; save at saveAt.times(…)`,
    );
  }
  const N = solution.n;
  const D = field.dim;
  const P = field.nParams;
  const params = options.params ?? new Float64Array(0);
  if (params.length !== N * P) {
    throw new RangeError(`${where}: params has ${params.length} values; need ${N} × ${P}`);
  }
  if (savedBar.length !== N)
    throw new RangeError(`${where}: ${savedBar.length} cotangent lists for ${N} trajectories`);
  for (let b = 0; b < N; b++) {
    if (solution.status[b] !== 'success') {
      throw new Error(
        `${where}: trajectory ${b} failed (${solution.status[b]}); there is nothing to differentiate`,
      );
    }
    if (savedBar[b].length !== solution.ys[b].length) {
      throw new RangeError(
        `${where}: trajectory ${b} has ${solution.ys[b].length} saved values, cotangent ${savedBar[b].length}`,
      );
    }
  }
  const y0 = options.y0;
  if (variant === 'interpolated' && (y0 === undefined || y0.length !== N * D)) {
    throw new TypeError(`${where}: pass the solve's initial states as options.y0 (${N * D} values)`);
  }
  const perRow = (v: number | Float64Array) => (typeof v === 'number' ? new Float64Array(N).fill(v) : v);
  const t0 = perRow(options.t0 ?? 0);
  const t1 = perRow(options.t1);
  const doses = options.doses ?? [];
  const timelines = Array.from(
    { length: N },
    (_, b) => new Timeline(b, t0[b], t1[b], solution.ts[b], doses, D),
  );
  const nIntervals = Math.max(0, ...timelines.map((tl) => tl.stops.length - 1));

  // Forward pass (interpolated): the dense state on every interval.
  const dense =
    variant === 'interpolated' && y0 !== undefined
      ? forwardPass(field, y0, options, timelines, nIntervals)
      : null;

  const backsolve = variant === 'backsolve';
  const adjoint = new AdjointSystem(field, N, backsolve);
  const offL = backsolve ? D : 0;
  const offM = offL + D;
  const A = adjoint.dim;
  const z = new Float64Array(N * A);
  const doseBar = new Float64Array(doses.length);
  if (backsolve)
    for (let b = 0; b < N; b++) for (let i = 0; i < D; i++) z[b * A + i] = solution.yFinal[b * D + i];
  /** Backwards through what happened at stop k of row b: saves and boluses. */
  const atStop = (b: number, k: number) => {
    const tl = timelines[b];
    const addSaves = () => {
      for (const j of tl.saves[k]) for (let i = 0; i < D; i++) z[b * A + offL + i] += savedBar[b][j * D + i];
    };
    for (const i of tl.boluses[k]) {
      const d = doses[i];
      if (d.kind !== 'bolus') continue;
      // y⁺ = y⁻ + a·e_k: ∂L/∂a = λ⁺_k, and λ⁻ = λ⁺.
      doseBar[i] += z[b * A + offL + d.state];
      if (backsolve) z[b * A + d.state] -= d.amount;
    }
    addSaves();
  };
  for (let b = 0; b < N; b++) atStop(b, timelines[b].stops.length - 1);

  const controller = augmentedController(options.controller ?? pid(), D, A, offL);
  const s0 = new Float64Array(N);
  const s1 = new Float64Array(N);
  for (let back = 0; back < nIntervals; back++) {
    for (let b = 0; b < N; b++) {
      const tl = timelines[b];
      const k = tl.stops.length - 2 - back; // the interval [stops[k], stops[k + 1]]
      if (k < 0) {
        s0[b] = s1[b] = -t0[b];
        continue;
      }
      s0[b] = -tl.stops[k + 1];
      s1[b] = -tl.stops[k];
      if (backsolve) adjoint.rates.set(tl.rates[k], b * D);
      if (dense !== null) adjoint.dense[b] = dense[k][b];
    }
    const sol = solve(adjoint, z, {
      method,
      t0: s0,
      t1: s1,
      params,
      controller,
      ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
    });
    if (sol.failures.length > 0) {
      const f = sol.failures[0];
      const hint = backsolve ? "; backsolve is unstable for dissipative problems, use 'interpolated'" : '';
      throw new Error(
        `${where}: the backward solve of trajectory ${f.trajectory} failed at t = ${-f.time}: ${f.message}${hint}`,
      );
    }
    z.set(sol.yFinal);
    for (let b = 0; b < N; b++) {
      const k = timelines[b].stops.length - 2 - back;
      if (k >= 0) atStop(b, k);
    }
  }
  const gy0 = new Float64Array(N * D);
  const gp = new Float64Array(N * P);
  for (let b = 0; b < N; b++) {
    for (let i = 0; i < D; i++) gy0[b * D + i] = z[b * A + offL + i];
    for (let i = 0; i < P; i++) gp[b * P + i] = z[b * A + offM + i];
  }
  return { y0: gy0, params: gp, doses: doseBar };
}

/**
 * One trajectory's stops — t₀, t₁, save times, bolus times, infusion starts and ends, sorted
 * and distinct — with what happens at each and the infusion rates on each interval.
 */
class Timeline {
  readonly stops: number[];
  /** Per stop: indices into the trajectory's saved values. */
  readonly saves: number[][];
  /** Per stop: indices into `doses` of the boluses given there. */
  readonly boluses: number[][];
  /** Per interval [stops[k], stops[k+1]]: the summed infusion rates, dim values. */
  readonly rates: Float64Array[];

  constructor(b: number, t0: number, t1: number, ts: Arr, doses: readonly Dose[], D: number) {
    const times = [t0, t1, ...ts];
    const mine = doses.map((d, i) => ({ d, i })).filter(({ d }) => d.trajectory === b);
    for (const { d } of mine) {
      times.push(d.time);
      if (d.kind === 'infusion' && d.time + d.duration < t1) times.push(d.time + d.duration);
    }
    times.sort((x, y) => x - y);
    this.stops = times.filter((t, i) => i === 0 || t !== times[i - 1]);
    const index = (t: number) => this.stops.indexOf(t);
    this.saves = this.stops.map(() => []);
    this.boluses = this.stops.map(() => []);
    for (let j = 0; j < ts.length; j++) this.saves[index(ts[j])].push(j);
    for (const { d, i } of mine) if (d.kind === 'bolus') this.boluses[index(d.time)].push(i);
    this.rates = this.stops.slice(1).map((_, k) => {
      const r = new Float64Array(D);
      const start = this.stops[k];
      for (const { d } of mine) {
        if (d.kind === 'infusion' && d.time <= start && d.time + d.duration > start) r[d.state] += d.rate;
      }
      return r;
    });
  }
}

/** Knots of one row's forward solution on one interval: times, states and slopes (with rates). */
interface DenseInterval {
  readonly t: Arr;
  readonly y: Arr;
  readonly f: Arr;
}

/**
 * Re-solves every interval forward from y₀ (boluses applied at the stops, infusions as a
 * constant rate over each interval), saving every step; returns the knots per interval and row.
 */
function forwardPass(
  field: VectorField,
  y0: Arr,
  options: ContinuousAdjointOptions,
  timelines: readonly Timeline[],
  nIntervals: number,
): DenseInterval[][] {
  const N = timelines.length;
  const D = field.dim;
  const params = options.params ?? new Float64Array(0);
  const y = Float64Array.from(y0);
  const ta = new Float64Array(N);
  const tb = new Float64Array(N);
  const out: DenseInterval[][] = [];
  const tt = new Float64Array(N);
  const yy = new Float64Array(N * D);
  const ff = new Float64Array(N * D);
  const row = new Int32Array(1);
  for (let k = 0; k < nIntervals; k++) {
    const infusions: Dose[] = [];
    for (let b = 0; b < N; b++) {
      const tl = timelines[b];
      if (k >= tl.stops.length - 1) {
        ta[b] = tb[b] = tl.stops[tl.stops.length - 1];
        continue;
      }
      ta[b] = tl.stops[k];
      tb[b] = tl.stops[k + 1];
      for (const i of tl.boluses[k]) {
        const d = options.doses?.[i];
        if (d?.kind === 'bolus') y[b * D + d.state] += d.amount;
      }
      // The interval's rates as infusions ending well beyond it (so they add no stop).
      tl.rates[k].forEach((rate, state) => {
        if (rate !== 0) {
          infusions.push({
            kind: 'infusion',
            trajectory: b,
            time: ta[b],
            state,
            rate,
            duration: 2 * (tb[b] - ta[b]) + 1,
          });
        }
      });
    }
    const sol = solve(field, y, {
      method: options.method,
      t0: ta,
      t1: tb,
      params,
      controller: options.controller ?? pid(),
      saveat: saveAt.steps(),
      doses: infusions,
      ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
    });
    if (sol.failures.length > 0)
      throw new Error(
        `continuousAdjoint (interpolated): forward re-solve failed: ${sol.failures[0].message}`,
      );
    y.set(sol.yFinal);
    out.push(
      sol.ts.map((t, b) => {
        const f = new Float64Array(sol.ys[b].length);
        const rates = k < timelines[b].rates.length ? timelines[b].rates[k] : new Float64Array(D);
        row[0] = b;
        for (let j = 0; j < t.length; j++) {
          tt[b] = t[j];
          for (let i = 0; i < D; i++) yy[b * D + i] = sol.ys[b][j * D + i];
          field.f(tt, yy, params, ff, 1, row);
          for (let i = 0; i < D; i++) f[j * D + i] = ff[b * D + i] + rates[i];
        }
        return { t, y: sol.ys[b], f };
      }),
    );
  }
  return out;
}

/**
 * The backward system in reversed time s = −t, state (y,) λ, μ per row:
 * dy/ds = −(f + r), dλ/ds = (∂f/∂y)ᵀλ, dμ/ds = (∂f/∂p)ᵀλ, with y either part of the state
 * (backsolve) or read from the dense forward solution (interpolated).
 */
class AdjointSystem implements VectorField {
  readonly dim: number;
  readonly nParams: number;
  /** Backsolve: each row's infusion rates on the current interval. */
  readonly rates: Float64Array;
  /** Interpolated: each row's forward knots on the current interval. */
  readonly dense: DenseInterval[];
  private readonly D: number;
  private readonly t: Arr;
  private readonly y: Arr;
  private readonly lambda: Arr;
  private readonly yBar: Arr;
  private readonly pBar: Arr;
  private readonly fy: Arr;

  constructor(
    private readonly field: VectorField,
    N: number,
    private readonly backsolve: boolean,
  ) {
    const D = field.dim;
    this.D = D;
    this.nParams = field.nParams;
    this.dim = (backsolve ? D : 0) + D + field.nParams;
    this.rates = new Float64Array(N * D);
    const empty = new Float64Array(0);
    this.dense = Array.from({ length: N }, () => ({ t: empty, y: empty, f: empty }));
    this.t = new Float64Array(N);
    this.y = new Float64Array(N * D);
    this.lambda = new Float64Array(N * D);
    this.yBar = new Float64Array(N * D);
    this.pBar = new Float64Array(N * field.nParams);
    this.fy = new Float64Array(N * D);
  }

  f(s: Arr, z: Arr, p: Arr, out: Arr, n: number, rows: Int32Array | null): void {
    const { D, dim: A } = this;
    const P = this.nParams;
    const offL = this.backsolve ? D : 0;
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      this.t[b] = -s[b];
      if (this.backsolve) for (let i = 0; i < D; i++) this.y[b * D + i] = z[b * A + i];
      else hermite(this.dense[b], this.t[b], this.y, b * D, D);
      for (let i = 0; i < D; i++) this.lambda[b * D + i] = z[b * A + offL + i];
      this.pBar.fill(0, b * P, (b + 1) * P); // vjp adds into pBar
    }
    this.field.vjp(this.t, this.y, p, this.lambda, this.yBar, this.pBar, n, rows);
    if (this.backsolve) this.field.f(this.t, this.y, p, this.fy, n, rows);
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      if (this.backsolve)
        for (let i = 0; i < D; i++) out[b * A + i] = -(this.fy[b * D + i] + this.rates[b * D + i]);
      for (let i = 0; i < D; i++) out[b * A + offL + i] = this.yBar[b * D + i];
      for (let i = 0; i < P; i++) out[b * A + offL + D + i] = this.pBar[b * P + i];
    }
  }

  vjp(): void {
    throw new TypeError('continuousAdjoint: the adjoint system is not itself differentiable');
  }
}

/**
 * Cubic Hermite interpolation of the knots at time t: on [tⱼ, tⱼ₊₁], h = tⱼ₊₁ − tⱼ,
 * θ = (t − tⱼ)/h, y = (2θ³−3θ²+1)yⱼ + (θ³−2θ²+θ)h·fⱼ + (3θ²−2θ³)yⱼ₊₁ + (θ³−θ²)h·fⱼ₊₁.
 */
function hermite(knots: DenseInterval, t: number, out: Arr, offset: number, D: number): void {
  const ts = knots.t;
  const m = ts.length;
  if (m === 1) {
    for (let i = 0; i < D; i++) out[offset + i] = knots.y[i];
    return;
  }
  // The last knot j with ts[j] ≤ t, kept within [0, m − 2].
  let lo = 0;
  let hi = m - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (ts[mid] <= t) lo = mid;
    else hi = mid;
  }
  const h = ts[lo + 1] - ts[lo];
  const th = (t - ts[lo]) / h;
  const th2 = th * th;
  const th3 = th2 * th;
  const h00 = 2 * th3 - 3 * th2 + 1;
  const h10 = (th3 - 2 * th2 + th) * h;
  const h01 = 3 * th2 - 2 * th3;
  const h11 = (th3 - th2) * h;
  const a = lo * D;
  const c = (lo + 1) * D;
  for (let i = 0; i < D; i++) {
    out[offset + i] =
      h00 * knots.y[a + i] + h10 * knots.f[a + i] + h01 * knots.y[c + i] + h11 * knots.f[c + i];
  }
}

/** The controller for the augmented state: per-state atol extended to λ and μ by its minimum. */
function augmentedController(c: Controller, D: number, A: number, offL: number): Controller {
  if (c.kind === 'constant' || typeof c.atol === 'number') return c;
  const atol = new Float64Array(A).fill(Math.min(...c.atol));
  if (offL > 0) atol.set(c.atol.subarray(0, D));
  return pid({
    rtol: c.rtol,
    atol,
    pcoeff: c.pcoeff,
    icoeff: c.icoeff,
    dcoeff: c.dcoeff,
    safety: c.safety,
    factorMin: c.factorMin,
    factorMax: c.factorMax,
    h0: c.h0,
    hMin: c.hMin,
    hMax: c.hMax,
  });
}
