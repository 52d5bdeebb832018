/**
 * Solver-in-the-loop correctors (Um et al., NeurIPS 2020, "Solver-in-the-loop: learning from
 * differentiable physics to interact with iterative PDE-solvers"): a coarse fixed-step
 * Runge–Kutta solver of the mechanistic equations, with a network correcting the state after
 * every step, trained through the unrolled rollout:
 *
 *   y_{n+1} = Φ_h(t_n, y_n; p) + c(t_n, y_n),      t_n = t0 + n·h,
 *
 * Φ_h one step of an explicit tableau (RK4 by default) of the model's equations, c the
 * correction: per state, a `let` of the model or a network output, declared in the same model
 * text as the physics —
 *
 *   net C(x, v) -> (dx, dv) : mlp(32, tanh)
 *   d/dt x = v
 *   d/dt v = -w0^2*sin(x)
 *   …
 *   new SolverInTheLoop(model, { dt: 0.2, correct: { x: 'C.dx', v: 'C.dv' } })
 *
 * The gradient is the exact reverse-mode derivative of the unrolled computation (backprop
 * through every stage of every step, the corrector's VJP and the initial values), so the net
 * learns to correct the coarse solver's error as it accumulates over the rollout — which a
 * net trained on single steps does not see.
 */
import { Tensor } from '../autodiff/tensor.js';
import { type Tree, treeLeaves, treeUnflatten } from '../autodiff/tree.js';
import { type CompiledModel, compileModel } from '../expr/compile.js';
import type { Expr } from '../expr/ir.js';
import { Model, ModelError } from '../expr/model.js';
import { rk4Tableau } from '../ode/methods/rk4.js';
import { inputSeries } from '../ode/modelField.js';
import type { ButcherTableau } from '../ode/tableau.js';
import { NDArray } from '../tensor/ndarray.js';
import { type RngKey, rngKey } from '../tensor/random.js';
import { HybridModel, type HybridParams, type Prediction } from './hybridModel.js';
import { type DataLoss, dataLossTerms, type LossTerms } from './loss.js';
import { estimationScaleDerivative, fromEstimationScale } from './scales.js';
import { checkSubjects, type Subject } from './subject.js';
import type { Optimizer } from './trainer.js';

/** Options of {@link SolverInTheLoop}. */
export interface SolverInTheLoopOptions {
  /**
   * The correction added to each state after every step: the name of a `let` of the model,
   * or a network output `NET.OUT` (the network on its declared inputs). States not listed are
   * not corrected.
   */
  readonly correct: Readonly<Record<string, string>>;
  /** The fixed step h (> 0); observation times must lie on the grid t0 + n·h. */
  readonly dt: number;
  /** An explicit Butcher tableau (default RK4; e.g. `eulerTableau`). */
  readonly tableau?: ButcherTableau;
}

/** The result of {@link SolverInTheLoop.evaluate}. */
export interface UnrolledEvaluation {
  /** Mean data-fit loss per observed value. */
  readonly value: number;
  readonly count: number;
  /** ∂value/∂params (null without `gradient` or on failure). */
  readonly gradient: HybridParams | null;
  /** Why the value is not finite, or null. */
  readonly failure: string | null;
}

/** One subject on the step grid. */
interface GridSubject {
  readonly subject: Subject;
  readonly t0: number;
  /** Step index of each observation time. */
  readonly obsStep: Int32Array;
  /** Number of steps to take (the last observation's index). */
  readonly steps: number;
}

/**
 * A coarse fixed-step solver of a model with a learned per-step correction, trained through
 * the unrolled steps. Parameters are those of the model (`init`, same tree as
 * {@link HybridModel}); the corrector's networks are declared in the model.
 *
 * @example
 * ```ts
 * const model = parseModel(`
 *   param w0 = 2
 *   state x = 1
 *   state v = 0
 *   net C(x, v) -> (dx, dv) : mlp(16, tanh)
 *   d/dt x = v
 *   d/dt v = -w0^2*x
 *   obs pos = x ~ normal(0.01)
 * `);
 * const sitl = new SolverInTheLoop(model, { dt: 0.25, tableau: eulerTableau, correct: { x: 'C.dx', v: 'C.dv' } });
 * const fit = trainUnrolled(sitl, sitl.init(rngKey(0)), subjects, { optimizer: adam(1e-2), epochs: 300 });
 * sitl.predict(fit.params, subjects);
 * ```
 */
export class SolverInTheLoop {
  /** The model as a hybrid model (parameters, networks, bounds). */
  readonly hybrid: HybridModel;
  readonly dt: number;
  readonly tableau: ButcherTableau;
  /** The compiled corrections c(t, y) (the model with its equations replaced by them). */
  readonly correction: CompiledModel;
  private readonly physics: CompiledModel;

  constructor(model: Model, options: SolverInTheLoopOptions) {
    const known = ['correct', 'dt', 'tableau'];
    for (const k of Object.keys(options)) {
      if (!known.includes(k))
        throw new TypeError(`SolverInTheLoop: unknown option "${k}"; the options are ${known.join(', ')}`);
    }
    if (!(Number.isFinite(options.dt) && options.dt > 0))
      throw new RangeError(`SolverInTheLoop: dt must be a finite number > 0, got ${options.dt}`);
    this.dt = options.dt;
    this.tableau = options.tableau ?? rk4Tableau;
    if (this.tableau.a.some((row, i) => row.slice(i).some((v) => v !== 0))) {
      throw new RangeError(`SolverInTheLoop: tableau ${this.tableau.name} is not explicit`);
    }
    if (model.doses.length > 0) {
      throw new ModelError(
        `SolverInTheLoop: model ${model.name} declares doses; the unrolled solver does not apply doses yet — give the dose as an initial value or an input`,
      );
    }
    this.hybrid = new HybridModel(model);
    this.physics = this.hybrid.compiled;
    const corrections = model.states.map(() => model.factory.constant(0));
    const entries = Object.entries(options.correct);
    if (entries.length === 0) throw new RangeError('SolverInTheLoop: correct names no state');
    for (const [state, what] of entries) {
      const i = model.stateIndex(state);
      if (i < 0) {
        throw new ModelError(
          `SolverInTheLoop: correct names "${state}", which is not a state; the states are ${model.states.map((s) => s.name).join(', ')}`,
        );
      }
      corrections[i] = resolveCorrection(model, state, what);
    }
    const corrector = new Model({ ...model, equations: corrections });
    this.correction = compileModel(corrector, { nets: this.hybrid.nets });
  }

  /** Initial parameters (as {@link HybridModel.init}). */
  init(key: RngKey = rngKey(0)): HybridParams {
    return this.hybrid.init(key);
  }

  /** The subjects on the step grid; throws for off-grid times, doses or bad data. */
  private grid(subjects: readonly Subject[]): GridSubject[] {
    checkSubjects(this.hybrid.model, subjects);
    return subjects.map((s) => {
      if ((s.doses ?? []).length > 0) {
        throw new RangeError(
          `SolverInTheLoop: subject "${s.id}" has doses; the unrolled solver does not apply doses yet`,
        );
      }
      const t0 = s.t0 ?? 0;
      const obsStep = Int32Array.from(s.times, (t, k) => {
        const n = Math.round((t - t0) / this.dt);
        if (Math.abs(t0 + n * this.dt - t) > 1e-9 * Math.max(1, Math.abs(t))) {
          throw new RangeError(
            `SolverInTheLoop: subject "${s.id}", observation time ${k} (${t}) is not on the grid t0 + n·${this.dt}; choose dt dividing the observation times`,
          );
        }
        return n;
      });
      return { subject: s, t0, obsStep, steps: obsStep[obsStep.length - 1] };
    });
  }

  /** Natural-scale parameters, one row per subject. */
  private rows(params: HybridParams, B: number): Float64Array {
    const hm = this.hybrid;
    const z = params.mech.data;
    if (z.length !== hm.estimated.length) {
      throw new RangeError(
        `SolverInTheLoop: params.mech has ${z.length} values for ${hm.estimated.length} estimated parameters`,
      );
    }
    const one = hm.model.defaultParams();
    hm.estimated.forEach((i, k) => {
      one[i] = fromEstimationScale(hm.model.params[i].scale, z[k]);
    });
    const P = one.length;
    const p = new Float64Array(B * P);
    for (let b = 0; b < B; b++) p.set(one, b * P);
    return p;
  }

  /**
   * The forward rollout of all subjects: states at every step, the stage states of every
   * step (for the reverse pass), parameters, covariates and an input evaluator.
   */
  private rollout(params: HybridParams, grid: readonly GridSubject[]) {
    const hm = this.hybrid;
    hm.nets.setWeights(params.nets);
    const m = hm.model;
    const B = grid.length;
    const D = m.dim;
    const C = m.covariates.length;
    const U = m.inputs.length;
    const S = this.tableau.stages;
    const h = this.dt;
    const { a, b: weights, c: nodes } = this.tableau;
    const p = this.rows(params, B);
    const cov = new Float64Array(B * C);
    grid.forEach((g, b) => {
      m.covariates.forEach((cv, k) => {
        cov[b * C + k] = g.subject.covariates?.[cv.name] ?? (cv.defaultValue as number);
      });
    });
    const series =
      U > 0 ? inputSeries(grid.map((g) => m.inputs.map((u) => g.subject.inputs![u.name]))) : null;
    const inputsAt = (t: Float64Array, rows: Int32Array, out: Float64Array) => {
      if (series === null) return;
      for (const b of rows) series.inputs(t[b], b, out, b * U, 'right');
    };
    const N = grid.reduce((n, g) => Math.max(n, g.steps), 0);
    const ys: Float64Array[] = [new Float64Array(B * D)];
    this.physics.initial(p, cov, ys[0], B);
    grid.forEach((g, b) => {
      if (g.subject.y0 !== undefined) ys[0].set(g.subject.y0, b * D);
    });
    const stages: Float64Array[][] = [];
    const active: Int32Array[] = [];
    const t = new Float64Array(B);
    const u = new Float64Array(B * U);
    const k = Array.from({ length: S }, () => new Float64Array(B * D));
    for (let n = 0; n < N; n++) {
      const rows = Int32Array.from(
        grid.flatMap((g, b) => (n < g.steps ? [b] : [])),
        (x) => x,
      );
      active.push(rows);
      const y = ys[n];
      const next = y.slice();
      const stageY: Float64Array[] = [];
      for (let i = 0; i < S; i++) {
        const Y = y.slice();
        for (const r of rows) {
          t[r] = grid[r].t0 + n * h + nodes[i] * h;
          for (let j = 0; j < i; j++) {
            const aij = a[i][j];
            if (aij === 0) continue;
            for (let d = 0; d < D; d++) Y[r * D + d] += h * aij * k[j][r * D + d];
          }
        }
        inputsAt(t, rows, u);
        this.physics.rhs(t, Y, p, u, cov, k[i], rows.length, rows);
        stageY.push(Y);
      }
      for (const r of rows) {
        for (let i = 0; i < S; i++) {
          const bi = weights[i];
          if (bi === 0) continue;
          for (let d = 0; d < D; d++) next[r * D + d] += h * bi * k[i][r * D + d];
        }
        t[r] = grid[r].t0 + n * h;
      }
      inputsAt(t, rows, u);
      const corr = new Float64Array(B * D);
      if (rows.length > 0) this.correction.rhs(t, y, p, u, cov, corr, rows.length, rows);
      for (const r of rows) for (let d = 0; d < D; d++) next[r * D + d] += corr[r * D + d];
      stages.push(stageY);
      ys.push(next);
    }
    return { ys, stages, active, p, cov, inputsAt, N };
  }

  /** Observables and states at each subject's observation times, from the unrolled solver. */
  predict(params: HybridParams, subjects: readonly Subject[]): Prediction[] {
    const grid = this.grid(subjects);
    const { ys, p, cov } = this.rollout(params, grid);
    return grid.map((g, b) => this.observe(g, b, ys, p, cov).pred);
  }

  /** The observables of subject b at its observation steps. */
  private observe(
    g: GridSubject,
    b: number,
    ys: readonly Float64Array[],
    p: Float64Array,
    cov: Float64Array,
  ) {
    const c = this.physics;
    const D = c.dim;
    const P = c.nParams;
    const C = c.nCovariates;
    const U = c.nInputs;
    const K = c.nObservables;
    const T = g.obsStep.length;
    const t = g.subject.times;
    const y = new Float64Array(T * D);
    g.obsStep.forEach((n, i) => {
      y.set(ys[n].subarray(b * D, b * D + D), i * D);
    });
    const pr = new Float64Array(T * P);
    const cr = new Float64Array(T * C);
    for (let i = 0; i < T; i++) {
      pr.set(p.subarray(b * P, b * P + P), i * P);
      cr.set(cov.subarray(b * C, b * C + C), i * C);
    }
    const u = new Float64Array(T * U);
    if (U > 0) {
      const { inputs } = inputSeries([this.hybrid.model.inputs.map((x) => g.subject.inputs![x.name])]);
      for (let i = 0; i < T; i++) inputs(t[i], 0, u, i * U, 'right');
    }
    const out = new Float64Array(T * K);
    c.observe(t, y, pr, u, cr, out, T);
    return { pred: { id: g.subject.id, times: t, observables: out, states: y }, y, pr, cr, u, T };
  }

  /**
   * The mean data-fit loss of the unrolled predictions and (by default) its exact gradient
   * by reverse-mode differentiation through every step, stage and correction.
   */
  evaluate(
    params: HybridParams,
    subjects: readonly Subject[],
    options: { readonly loss?: DataLoss; readonly gradient?: boolean } = {},
  ): UnrolledEvaluation {
    const loss = options.loss ?? 'mse';
    const wantGrad = options.gradient ?? true;
    const grid = this.grid(subjects);
    const { ys, stages, active, p, cov, inputsAt, N } = this.rollout(params, grid);
    const c = this.physics;
    const m = this.hybrid.model;
    const B = grid.length;
    const D = c.dim;
    const P = c.nParams;
    const U = c.nInputs;
    const K = c.nObservables;
    const kinds = m.observables.map((o) => o.noise.kind);
    const terms: LossTerms = { sum: 0, count: 0 };
    const yBar = ys.map(() => new Float64Array(B * D));
    const pBar = new Float64Array(B * P);
    if (wantGrad) this.hybrid.nets.zeroGradients();
    const perSubject = grid.map((g, b) => this.observe(g, b, ys, p, cov));
    let count = 0;
    for (const s of subjects) for (const v of s.observations) if (!Number.isNaN(v)) count++;
    if (count === 0) return { value: Number.NaN, count, gradient: null, failure: 'no observed values' };
    grid.forEach((g, b) => {
      const o = perSubject[b];
      const sigma = loss === 'nll' ? new Float64Array(o.T * K) : null;
      if (sigma !== null) c.noise(g.subject.times, o.y, o.pr, o.u, o.cr, sigma, o.T);
      const predBar = new Float64Array(o.T * K);
      const sigmaBar = sigma === null ? null : new Float64Array(o.T * K);
      dataLossTerms(
        loss,
        kinds,
        g.subject.observations,
        o.pred.observables,
        sigma,
        o.T,
        terms,
        wantGrad ? { predBar, sigmaBar, scale: 1 / count } : undefined,
      );
      if (!wantGrad) return;
      const yb = new Float64Array(o.T * D);
      const prb = new Float64Array(o.T * P);
      c.observeVjp(g.subject.times, o.y, o.pr, o.u, o.cr, predBar, yb, prb, o.T);
      const add = (src: Float64Array) => {
        g.obsStep.forEach((n, i) => {
          for (let d = 0; d < D; d++) yBar[n][b * D + d] += src[i * D + d];
        });
      };
      add(yb);
      if (sigma !== null) {
        c.noiseVjp(g.subject.times, o.y, o.pr, o.u, o.cr, sigmaBar!, yb, prb, o.T);
        add(yb);
      }
      for (let i = 0; i < o.T; i++) for (let k = 0; k < P; k++) pBar[b * P + k] += prb[i * P + k];
    });
    const value = terms.sum / count;
    if (!Number.isFinite(value)) {
      return {
        value,
        count,
        gradient: null,
        failure: 'the loss is not finite (the rollout diverged, or σ ≤ 0)',
      };
    }
    if (!wantGrad) return { value, count, gradient: null, failure: null };

    // Reverse pass through the steps.
    const { a, b: weights } = this.tableau;
    const S = this.tableau.stages;
    const h = this.dt;
    const t = new Float64Array(B);
    const u = new Float64Array(B * U);
    const kBar = Array.from({ length: S }, () => new Float64Array(B * D));
    const stageBar = new Float64Array(B * D);
    for (let n = N - 1; n >= 0; n--) {
      const rows = active[n];
      if (rows.length === 0) continue;
      const next = yBar[n + 1];
      const cur = yBar[n];
      // Correction c(t_n, y_n).
      for (const r of rows) t[r] = grid[r].t0 + n * h;
      inputsAt(t, rows, u);
      this.correction.vjp(t, ys[n], p, u, cov, next, stageBar, pBar, rows.length, rows);
      for (const r of rows) {
        for (let d = 0; d < D; d++) cur[r * D + d] += next[r * D + d] + stageBar[r * D + d];
        for (let i = 0; i < S; i++)
          for (let d = 0; d < D; d++) kBar[i][r * D + d] = h * weights[i] * next[r * D + d];
      }
      // Stages, last to first: Y_i = y_n + h Σ_{j<i} a_ij k_j, k_i = f(t_n + c_i h, Y_i).
      for (let i = S - 1; i >= 0; i--) {
        for (const r of rows) t[r] = grid[r].t0 + n * h + this.tableau.c[i] * h;
        inputsAt(t, rows, u);
        this.physics.vjp(t, stages[n][i], p, u, cov, kBar[i], stageBar, pBar, rows.length, rows);
        for (const r of rows) {
          for (let d = 0; d < D; d++) cur[r * D + d] += stageBar[r * D + d];
          for (let j = 0; j < i; j++) {
            const aij = a[i][j];
            if (aij === 0) continue;
            for (let d = 0; d < D; d++) kBar[j][r * D + d] += h * aij * stageBar[r * D + d];
          }
        }
      }
    }
    const fromInitial = Int32Array.from(
      grid.flatMap((g, b) => (g.subject.y0 === undefined ? [b] : [])),
      (x) => x,
    );
    if (fromInitial.length > 0)
      this.physics.initialVjp(p, cov, yBar[0], pBar, fromInitial.length, fromInitial);
    const hm = this.hybrid;
    const z = params.mech.data;
    const mech = new Float64Array(hm.estimated.length);
    hm.estimated.forEach((i, k) => {
      let s = 0;
      for (let b = 0; b < B; b++) s += pBar[b * P + i];
      mech[k] = s * estimationScaleDerivative(m.params[i].scale, z[k]);
    });
    const gradient: HybridParams = {
      mech: new Tensor(new NDArray(mech, [mech.length])),
      nets: hm.nets.gradients(),
      shooting: {},
    };
    return { value, count, gradient, failure: null };
  }
}

/** The expression of a correction: a `let` name or `NET.OUT`. */
function resolveCorrection(model: Model, state: string, what: string): Expr {
  const derived = model.derived.find((d) => d.name === what);
  if (derived !== undefined) return derived.expr;
  const dot = /^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(what);
  if (dot !== null) {
    const n = model.nets.findIndex((x) => x.name === dot[1]);
    if (n >= 0) {
      const k = model.nets[n].outputs.indexOf(dot[2]);
      if (k >= 0) return model.factory.netOut(n, k);
      throw new ModelError(
        `SolverInTheLoop: the correction of "${state}" names output "${dot[2]}" of network "${dot[1]}", which has outputs ${model.nets[n].outputs.join(', ')}`,
      );
    }
  }
  throw new ModelError(
    `SolverInTheLoop: the correction of "${state}" is "${what}", which is neither a let (${model.derived.map((d) => d.name).join(', ') || 'none'}) nor a network output NET.OUT (networks: ${model.nets.map((x) => x.name).join(', ') || 'none'})`,
  );
}

/** Options of {@link trainUnrolled}. */
export interface TrainUnrolledOptions<S> {
  readonly optimizer: Optimizer<S>;
  readonly epochs: number;
  readonly loss?: DataLoss;
}

/**
 * Full-batch training of a {@link SolverInTheLoop} through its unrolled rollout: each epoch
 * one gradient of the mean loss over all subjects and one optimizer step (then the
 * mechanistic parameters are projected onto their bounds). A non-finite loss stops the run
 * and returns the last good parameters.
 *
 * @example
 * ```ts
 * const fit = trainUnrolled(sitl, sitl.init(rngKey(1)), subjects, { optimizer: adam(1e-2), epochs: 500 });
 * fit.history.at(-1);
 * ```
 */
export function trainUnrolled<S>(
  sitl: SolverInTheLoop,
  initial: HybridParams,
  subjects: readonly Subject[],
  options: TrainUnrolledOptions<S>,
): { readonly params: HybridParams; readonly history: readonly number[]; readonly failure: string | null } {
  const { optimizer, epochs } = options;
  if (!Number.isInteger(epochs) || epochs < 0)
    throw new RangeError(`trainUnrolled: epochs must be an integer ≥ 0, got ${epochs}`);
  let params = initial;
  let state = optimizer.init(params);
  const history: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const ev = sitl.evaluate(params, subjects, { loss: options.loss ?? 'mse' });
    if (ev.gradient === null) return { params, history, failure: ev.failure };
    history.push(ev.value);
    const { updates, state: next } = optimizer.update(ev.gradient, state, params);
    params = sitl.hybrid.project(addTrees(params, updates));
    state = next;
  }
  return { params, history, failure: null };
}

function addTrees(params: HybridParams, updates: Tree): HybridParams {
  const u = treeLeaves(updates);
  return treeUnflatten(
    params,
    treeLeaves(params).map(
      (t, i) =>
        new Tensor(
          new NDArray(
            t.data.map((v, j) => v + u[i].data[j]),
            t.shape,
          ),
        ),
    ),
  );
}
