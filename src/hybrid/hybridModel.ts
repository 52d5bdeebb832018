/**
 * A hybrid model ready to train: a model (mechanistic equations with neural terms), its
 * compiled code, its networks on the tensor path, and the solver settings; it turns a
 * parameter tree into predictions for subjects and into a data-fit loss with its gradient.
 */
import { Tensor } from '../autodiff/tensor.js';
import { type CompiledModel, compileModel } from '../expr/compile.js';
import type { Model } from '../expr/model.js';
import { discreteAdjoint } from '../ode/adjoint.js';
import type { Controller } from '../ode/controller.js';
import { pid } from '../ode/controller.js';
import { forwardSensitivities } from '../ode/forward.js';
import type { Method } from '../ode/method.js';
import { tsit5 } from '../ode/methods/tsit5.js';
import { type InputSeries, inputSeries, modelField } from '../ode/modelField.js';
import { type Dose, type SolveOptions, saveAt, solve } from '../ode/solve.js';
import { NDArray } from '../tensor/ndarray.js';
import { type RngKey, rngKey } from '../tensor/random.js';
import { type DataLoss, dataLossTerms, type LossTerms } from './loss.js';
import { type NetWeights, TensorNetRuntime } from './netRuntime.js';
import { nullNetsModel } from './nullNets.js';
import {
  fromEstimationScale as fromScale,
  estimationScaleDerivative as scaleDerivative,
  toEstimationScale as toScale,
} from './scales.js';
import { checkSubjects, doseTarget, type Subject } from './subject.js';
import { addTrees, type TrajectoryBatch, type TrajectoryRegularizer } from './trajectoryBatch.js';

/**
 * The trainable parameters of a hybrid model, as a tree for gradient transformations and
 * optimizers: `mech` holds the estimated mechanistic parameters on their estimation scale
 * (z = x on `scale lin`, log x on `scale log`, logit x on `scale logit`), in the order of
 * {@link HybridModel.estimated}; `nets` holds every network's layers; `shooting` the free
 * initial states of segments 2…K of each subject, by subject id (empty without multiple
 * shooting).
 */
export type HybridParams = {
  readonly mech: Tensor;
  readonly nets: NetWeights;
  readonly shooting: Readonly<Record<string, Tensor>>;
};

/** Which gradient method the model uses. */
export type Sensitivity = 'adjoint' | 'forward';

/** Options of {@link HybridModel}. */
export interface HybridModelOptions {
  /** Integration method (default tsit5). */
  readonly method?: Method;
  /** Step-size controller (default pid({ rtol: 1e-6, atol: 1e-8 })). */
  readonly controller?: Controller;
  /**
   * `'adjoint'` (default): the discrete adjoint, exact for the computed solution, for any
   * number of parameters; needs an explicit Runge–Kutta method or kvaerno5. `'forward'`:
   * forward sensitivities (one direction per estimated parameter and state; works with
   * every method, including rodas5p; no networks).
   */
  readonly sensitivity?: Sensitivity;
  /** Maximum steps per solve (default 100 000). */
  readonly maxSteps?: number;
  /** Discrete-adjoint checkpointing (default: store every step). */
  readonly checkpoints?: number | 'sqrt';
}

/** Options of {@link HybridModel.evaluate}. */
export interface EvaluateOptions {
  /** Data-fit loss (default `'mse'`). */
  readonly loss?: DataLoss;
  /** Only observations with t ≤ t0 + horizon count, and solves stop there (curriculum). */
  readonly horizon?: number;
  /** Multiple shooting: each subject split into `segments` pieces (nodes in `params.shooting`). */
  readonly shooting?: { readonly segments: number; readonly weight: number };
  /** Also compute the gradient (default true). */
  readonly gradient?: boolean;
  /**
   * Penalties on the solution trajectories (see `trajectoryRegularizers.ts`): evaluated on the
   * saved states of this solve, their gradients enter the discrete adjoint as extra
   * cotangents, so the gradient stays exact. Not with multiple shooting.
   */
  readonly penalties?: readonly TrajectoryRegularizer[];
  /** Weight λ of the data-fit loss in `value` (default 1): value = λ·dataLoss + penalties. */
  readonly dataWeight?: number;
}

/** The result of {@link HybridModel.evaluate}. */
export interface Evaluation {
  /** The mean data-fit loss per observed value, plus the continuity penalty when shooting. */
  readonly value: number;
  /** The mean data-fit loss alone. */
  readonly dataLoss: number;
  /** The value of each trajectory penalty of `penalties`, by name (empty without). */
  readonly penalties?: Readonly<Record<string, number>>;
  /** Number of observed values that entered the loss. */
  readonly count: number;
  /** ∂value/∂params, shaped like the parameters (null without `gradient`). */
  readonly gradient: HybridParams | null;
  /** Why the value is not finite (a solver failure names trajectory, time and state), or null. */
  readonly failure: string | null;
}

/** Predictions for one subject. */
export interface Prediction {
  readonly id: string;
  readonly times: Float64Array;
  /** Observables [times · nObservables]. */
  readonly observables: Float64Array;
  /** States [times · dim]. */
  readonly states: Float64Array;
}

/** One solver trajectory: a subject, or a segment of one with multiple shooting. */
interface Piece {
  readonly subject: Subject;
  readonly t0: number;
  readonly t1: number;
  /** Save times: the observation times of the piece, then (not last segment) its end. */
  readonly saves: Float64Array;
  /** How many of the save times are observation times. */
  readonly nObserved: number;
  /** Offset of the piece's first observation in the subject's observation times. */
  readonly obsOffset: number;
  /** Segment index (0 = starts from the initial state). */
  readonly segment: number;
  readonly lastSegment: boolean;
  readonly doses: readonly {
    time: number;
    state: number;
    amount?: number;
    rate?: number;
    duration?: number;
  }[];
}

/**
 * A model with its networks and solver settings, for training and prediction.
 *
 * The loss of {@link HybridModel.evaluate} is the mean over observed values of the data-fit
 * loss (MSE, or the negative log-likelihood from each observable's noise model), computed
 * from one batched solve of all subjects; its gradient comes from the discrete adjoint (or
 * forward sensitivities) through the solve, the observables, the noise scales, the initial
 * values and the networks (DESIGN.md §3).
 *
 * @example
 * ```ts
 * const hm = new HybridModel(parseModel(text), { method: tsit5() });
 * const params = hm.init(rngKey(0));
 * const { value, gradient } = hm.evaluate(params, subjects);
 * ```
 */
export class HybridModel {
  readonly model: Model;
  readonly compiled: CompiledModel;
  readonly nets: TensorNetRuntime;
  /** Indices (into the model's parameters) of the estimated (not fixed) parameters. */
  readonly estimated: readonly number[];
  readonly method: Method;
  readonly controller: Controller;
  readonly sensitivity: Sensitivity;
  private readonly maxSteps: number;
  private readonly checkpoints: number | 'sqrt' | null;
  private readonly noiseKinds: readonly ('normal' | 'lognormal')[];

  constructor(model: Model, options: HybridModelOptions = {}) {
    const known = ['method', 'controller', 'sensitivity', 'maxSteps', 'checkpoints'];
    for (const k of Object.keys(options)) {
      if (!known.includes(k))
        throw new TypeError(`HybridModel: unknown option "${k}"; the options are ${known.join(', ')}`);
    }
    this.model = model;
    this.nets = new TensorNetRuntime(model, TensorNetRuntime.init(model, rngKey(0)));
    this.compiled = compileModel(model, { nets: this.nets });
    this.estimated = model.params.flatMap((p, i) => (p.fixed ? [] : [i]));
    this.method = options.method ?? tsit5();
    this.controller = options.controller ?? pid({ rtol: 1e-6, atol: 1e-8 });
    this.sensitivity = options.sensitivity ?? 'adjoint';
    if (this.sensitivity === 'forward' && model.nets.length > 0) {
      throw new TypeError(
        `HybridModel: forward sensitivities need one solve direction per weight; model ${model.name} has networks — use sensitivity: 'adjoint'`,
      );
    }
    if (this.sensitivity === 'adjoint' && this.method.stiff && this.method.name.startsWith('rodas')) {
      throw new TypeError(
        `HybridModel: the discrete adjoint does not support ${this.method.name}; use method: kvaerno5() or sensitivity: 'forward'`,
      );
    }
    this.maxSteps = options.maxSteps ?? 100_000;
    this.checkpoints = options.checkpoints ?? null;
    this.noiseKinds = model.observables.map((o) => o.noise.kind);
  }

  /**
   * The same hybrid model with the networks named in `nets` (default: all) replaced by their
   * null version (every output 0; {@link nullNetsModel}) and the same solver settings. Its
   * parameter tree is the full model's.
   *
   * @example
   * ```ts
   * const physics = hm.withNetsOff();
   * physics.evaluate(params, subjects).value; // the fit of the mechanistic part alone
   * ```
   */
  withNetsOff(nets?: readonly string[]): HybridModel {
    return new HybridModel(nullNetsModel(this.model, nets), {
      method: this.method,
      controller: this.controller,
      sensitivity: this.sensitivity,
      maxSteps: this.maxSteps,
      ...(this.checkpoints === null ? {} : { checkpoints: this.checkpoints }),
    });
  }

  /** Names of the estimated parameters, in the order of `params.mech`. */
  get estimatedNames(): string[] {
    return this.estimated.map((i) => this.model.params[i].name);
  }

  /**
   * Initial parameters: the model's default mechanistic values (on their estimation scale)
   * and Glorot-initialized networks from `key`.
   */
  init(key: RngKey = rngKey(0)): HybridParams {
    const z = Float64Array.from(this.estimated, (i) =>
      toScale(this.model.params[i].scale, this.model.params[i].value),
    );
    return {
      mech: new Tensor(new NDArray(z, [z.length])),
      nets: TensorNetRuntime.init(this.model, key),
      shooting: {},
    };
  }

  /** The mechanistic parameter values (natural scale) for `params`, all parameters by name. */
  parameterValues(params: HybridParams): Record<string, number> {
    const p = this.naturalParams(params);
    return Object.fromEntries(this.model.params.map((d, i) => [d.name, p[i]]));
  }

  /**
   * Projects the mechanistic parameters onto their bounds (`in [LO, HI]`), on the natural
   * scale; the trainer applies it after every optimizer step (projected gradient).
   */
  project(params: HybridParams): HybridParams {
    const z = params.mech.data;
    let changed = false;
    const out = Float64Array.from(z);
    this.estimated.forEach((i, k) => {
      const d = this.model.params[i];
      const x = fromScale(d.scale, z[k]);
      const clamped = Math.min(Math.max(x, d.lower), d.upper);
      if (clamped !== x && Number.isFinite(toScale(d.scale, clamped))) {
        out[k] = toScale(d.scale, clamped);
        changed = true;
      }
    });
    return changed ? { ...params, mech: new Tensor(new NDArray(out, [out.length])) } : params;
  }

  /** Shooting-node initial values: each segment start state from a simulation with `params`. */
  initShooting(params: HybridParams, subjects: readonly Subject[], segments: number): Record<string, Tensor> {
    const pieces = this.pieces(subjects, undefined, 1);
    const sol = this.solvePieces(params, pieces, 'plain').solution;
    const D = this.model.dim;
    const out: Record<string, Tensor> = {};
    subjects.forEach((s, b) => {
      const splits = segmentStarts(s.times.length, segments);
      const nodes = new Float64Array(Math.max(splits.length - 1, 0) * D);
      for (let k = 1; k < splits.length; k++) {
        for (let d = 0; d < D; d++) nodes[(k - 1) * D + d] = sol.ys[b][splits[k] * D + d];
      }
      out[s.id] = new Tensor(new NDArray(nodes, [splits.length - 1, D]));
    });
    return out;
  }

  /** Predictions (observables and states) at each subject's observation times. */
  predict(params: HybridParams, subjects: readonly Subject[]): Prediction[] {
    checkSubjects(this.model, subjects);
    const pieces = this.pieces(subjects, undefined, 1);
    const { solution, p } = this.solvePieces(params, pieces, 'plain');
    if (solution.failures.length > 0) throw new RangeError(`predict: ${solution.failures[0].message}`);
    const K = this.compiled.nObservables;
    return pieces.map((piece, b) => {
      const T = piece.saves.length;
      const obs = new Float64Array(T * K);
      this.observeAll(piece, solution.ys[b], p, b, T, obs, null);
      return { id: piece.subject.id, times: piece.saves, observables: obs, states: solution.ys[b] };
    });
  }

  /**
   * The loss of `params` on `subjects` and (by default) its gradient; see
   * {@link EvaluateOptions}. Subjects are checked by {@link checkSubjects}.
   */
  evaluate(params: HybridParams, subjects: readonly Subject[], options: EvaluateOptions = {}): Evaluation {
    checkSubjects(this.model, subjects);
    const loss = options.loss ?? 'mse';
    const wantGrad = options.gradient ?? true;
    const segments = options.shooting?.segments ?? 1;
    const trajectoryPenalties = options.penalties ?? [];
    const dataWeight = options.dataWeight ?? 1;
    if (!(Number.isFinite(dataWeight) && dataWeight >= 0))
      throw new RangeError(`evaluate: dataWeight must be a finite number ≥ 0, got ${dataWeight}`);
    if (trajectoryPenalties.length > 0 && segments > 1) {
      throw new TypeError(
        `evaluate: trajectory regularizers (${trajectoryPenalties.map((r) => r.name).join(', ')}) need whole trajectories; ` +
          'drop multiple shooting (shooting.segments = 1) or these regularizers',
      );
    }
    if (loss === 'nll') this.checkLogNormalData(subjects);
    const pieces = this.pieces(subjects, options.horizon, segments);
    const mode = !wantGrad ? 'plain' : this.sensitivity === 'adjoint' ? 'record' : 'forward';
    const { solution, p, field, fwd } = this.solvePieces(params, pieces, mode);
    const K = this.compiled.nObservables;
    const D = this.model.dim;
    const P = this.compiled.nParams;
    const N = pieces.length;
    const count = pieces.reduce((n, piece) => {
      let c = 0;
      const o = piece.subject.observations;
      for (let j = piece.obsOffset * K; j < (piece.obsOffset + piece.nObserved) * K; j++)
        if (!Number.isNaN(o[j])) c++;
      return n + c;
    }, 0);
    const fail = (why: string): Evaluation => ({
      value: Number.NaN,
      dataLoss: Number.NaN,
      count,
      gradient: null,
      failure: why,
    });
    if (solution.failures.length > 0) return fail(solution.failures[0].message);
    if (count === 0) return fail('no observed values within the horizon');
    const terms: LossTerms = { sum: 0, count: 0 };
    const savedBar = wantGrad ? pieces.map((piece) => new Float64Array(piece.saves.length * D)) : [];
    const pBar = new Float64Array(N * P);
    if (wantGrad) this.nets.zeroGradients();
    const shootingBar: Record<string, Float64Array> = Object.fromEntries(
      Object.entries(params.shooting).map(([id, t]) => [id, new Float64Array(t.size)]),
    );
    let penalty = 0;
    for (let b = 0; b < N; b++) {
      const piece = pieces[b];
      const grad = wantGrad ? { savedBar: savedBar[b], pBar, scale: dataWeight / count } : null;
      this.observeAll(piece, solution.ys[b], p, b, piece.nObserved, null, { loss, terms, grad });
      if (segments > 1 && !piece.lastSegment) {
        // Continuity: weight · ‖y(end of segment k) − s_{k+1}‖², s = the next node.
        const w = options.shooting!.weight;
        const node = params.shooting[piece.subject.id].data;
        const e = piece.saves.length - 1;
        for (let d = 0; d < D; d++) {
          const r = solution.ys[b][e * D + d] - node[piece.segment * D + d];
          penalty += w * r * r;
          if (wantGrad) {
            savedBar[b][e * D + d] += 2 * w * r;
            shootingBar[piece.subject.id][piece.segment * D + d] -= 2 * w * r;
          }
        }
      }
    }
    const dataLoss = terms.sum / count;
    // Trajectory penalties: values from the saved states, cotangents into savedBar/pBar (and
    // the networks' accumulated gradients) before the adjoint runs.
    const penalties: Record<string, number> = {};
    const extraGradients: HybridParams[] = [];
    let trajectoryPenalty = 0;
    if (trajectoryPenalties.length > 0) {
      const batch: TrajectoryBatch = {
        model: this,
        params,
        subjects: pieces.map((piece) => piece.subject),
        loss,
        ...(options.horizon === undefined ? {} : { horizon: options.horizon }),
        times: pieces.map((piece) => piece.saves),
        states: solution.ys,
        p,
        covariates: this.covariatesOf(pieces),
        inputs: this.model.inputs.length === 0 ? null : inputSeries(this.inputSeriesOf(pieces)).inputs,
        gradient: wantGrad ? { statesBar: savedBar, pBar, extra: extraGradients } : null,
      };
      for (const r of trajectoryPenalties) {
        const v = r.penalty(batch);
        penalties[r.name] = (penalties[r.name] ?? 0) + v;
        trajectoryPenalty += v;
        if (!Number.isFinite(v)) return fail(`the trajectory regularizer ${r.name} is ${v}`);
      }
    }
    const value = dataWeight * dataLoss + penalty + trajectoryPenalty;
    if (!Number.isFinite(value))
      return fail('the loss is not finite (a prediction ≤ 0 for a log-normal observable, or σ ≤ 0)');
    if (!wantGrad) return { value, dataLoss, penalties, count, gradient: null, failure: null };

    // Gradients with respect to the saved states → parameters and initial states.
    const y0Bar = new Float64Array(N * D);
    if (this.sensitivity === 'adjoint') {
      const g = discreteAdjoint(field, solution, this.method, p, savedBar);
      y0Bar.set(g.y0);
      for (let j = 0; j < pBar.length; j++) pBar[j] += g.params[j];
    } else if (fwd !== null) {
      fwd.sensitivities.forEach((S, b) => {
        const Kd = fwd.directions.length;
        for (let r = 0; r < savedBar[b].length; r++) {
          const v = savedBar[b][r];
          if (v === 0) continue;
          fwd.directions.forEach((dir, k) => {
            const s = S[r * Kd + k] * v;
            if (dir.kind === 'param') pBar[b * P + dir.index] += s;
            else if (dir.kind === 'y0') y0Bar[b * D + dir.index] += s;
          });
        }
      });
    }
    // Initial states: from the model's initial expressions, a shooting node, or given.
    const fromInitial = pieces.flatMap((piece, b) =>
      piece.segment === 0 && piece.subject.y0 === undefined ? [b] : [],
    );
    if (fromInitial.length > 0) {
      this.compiled.initialVjp(
        p,
        this.covariatesOf(pieces),
        y0Bar,
        pBar,
        fromInitial.length,
        Int32Array.from(fromInitial),
      );
    }
    pieces.forEach((piece, b) => {
      if (piece.segment === 0) return;
      const nb = shootingBar[piece.subject.id];
      for (let d = 0; d < D; d++) nb[(piece.segment - 1) * D + d] += y0Bar[b * D + d];
    });
    // Shared mechanistic parameters: sum over trajectories, chain rule to the estimation scale.
    const z = params.mech.data;
    const mechBar = new Float64Array(this.estimated.length);
    this.estimated.forEach((i, k) => {
      let s = 0;
      for (let b = 0; b < N; b++) s += pBar[b * P + i];
      mechBar[k] = s * scaleDerivative(this.model.params[i].scale, z[k]);
    });
    let gradient: HybridParams = {
      mech: new Tensor(new NDArray(mechBar, [mechBar.length])),
      nets: this.nets.gradients(),
      shooting: Object.fromEntries(
        Object.entries(params.shooting).map(([id, t]) => [
          id,
          new Tensor(new NDArray(shootingBar[id], t.shape)),
        ]),
      ),
    };
    for (const g of extraGradients) gradient = addTrees(gradient, g);
    return { value, dataLoss, penalties, count, gradient, failure: null };
  }

  /** Natural-scale values of all model parameters. */
  private naturalParams(params: HybridParams): Float64Array {
    const z = params.mech.data;
    if (z.length !== this.estimated.length) {
      throw new RangeError(
        `HybridModel: params.mech has ${z.length} values for ${this.estimated.length} estimated parameters (${this.estimatedNames.join(', ')})`,
      );
    }
    const p = this.model.defaultParams();
    this.estimated.forEach((i, k) => {
      p[i] = fromScale(this.model.params[i].scale, z[k]);
    });
    return p;
  }

  /** Subjects (or their segments) as solver trajectories, cut at the horizon. */
  private pieces(subjects: readonly Subject[], horizon: number | undefined, segments: number): Piece[] {
    const out: Piece[] = [];
    for (const s of subjects) {
      const t0 = s.t0 ?? 0;
      let T = s.times.length;
      if (horizon !== undefined) while (T > 0 && s.times[T - 1] > t0 + horizon) T--;
      if (T === 0) continue;
      const splits = segments > 1 ? segmentStarts(s.times.length, segments) : [0];
      const doseList = (s.doses ?? []).map((d) => ({
        time: d.time,
        state: doseTarget(this.model, d.route, `subject "${s.id}"`),
        ...('amount' in d ? { amount: d.amount } : { rate: d.rate, duration: d.duration }),
      }));
      for (let k = 0; k < splits.length; k++) {
        const from = splits[k];
        if (from >= T) break;
        const to = k + 1 < splits.length ? Math.min(splits[k + 1], T) : T;
        const last = k + 1 >= splits.length || splits[k + 1] >= T;
        const start = k === 0 ? t0 : s.times[from];
        const end = last ? s.times[to - 1] : s.times[to];
        const saves = new Float64Array(to - from + (last ? 0 : 1));
        for (let j = from; j < to; j++) saves[j - from] = s.times[j];
        if (!last) saves[saves.length - 1] = s.times[to];
        out.push({
          subject: s,
          t0: start,
          t1: end,
          saves,
          nObserved: to - from,
          obsOffset: from,
          segment: k,
          lastSegment: last,
          doses: doseList.filter((d) => d.time >= start && (last ? d.time <= end : d.time < end)),
        });
      }
    }
    return out;
  }

  private covariatesOf(pieces: readonly Piece[]): Float64Array {
    const C = this.compiled.nCovariates;
    const c = new Float64Array(pieces.length * C);
    pieces.forEach((piece, b) => {
      this.model.covariates.forEach((cv, k) => {
        c[b * C + k] = piece.subject.covariates?.[cv.name] ?? (cv.defaultValue as number);
      });
    });
    return c;
  }

  private inputSeriesOf(pieces: readonly Piece[]): InputSeries[][] {
    return pieces.map((piece) => this.model.inputs.map((u) => piece.subject.inputs![u.name]));
  }

  private fieldFor(pieces: readonly Piece[]) {
    const n = pieces.length;
    const covariates = this.covariatesOf(pieces);
    if (this.model.inputs.length === 0) return modelField(this.compiled, { n, covariates });
    const { inputs, jumps } = inputSeries(this.inputSeriesOf(pieces));
    return modelField(this.compiled, { n, covariates, inputs, jumps });
  }

  private solveOptions(pieces: readonly Piece[], p: Float64Array): SolveOptions {
    const doses: Dose[] = [];
    pieces.forEach((piece, b) => {
      for (const d of piece.doses) {
        if (d.amount !== undefined)
          doses.push({ kind: 'bolus', trajectory: b, time: d.time, state: d.state, amount: d.amount });
        else
          doses.push({
            kind: 'infusion',
            trajectory: b,
            time: d.time,
            state: d.state,
            rate: d.rate!,
            duration: d.duration!,
          });
      }
    });
    return {
      method: this.method,
      controller: this.controller,
      t0: Float64Array.from(pieces, (x) => x.t0),
      t1: Float64Array.from(pieces, (x) => x.t1),
      params: p,
      saveat: saveAt.times(pieces.map((x) => x.saves)),
      doses,
      maxSteps: this.maxSteps,
    };
  }

  /**
   * Parameters per trajectory, initial states, and the solve of all pieces: plain, recorded
   * for the discrete adjoint, or with forward sensitivities (one direction per estimated
   * parameter and per state).
   */
  private solvePieces(params: HybridParams, pieces: readonly Piece[], mode: 'plain' | 'record' | 'forward') {
    this.nets.setWeights(params.nets);
    const natural = this.naturalParams(params);
    const N = pieces.length;
    const P = this.compiled.nParams;
    const D = this.model.dim;
    const p = new Float64Array(N * P);
    for (let b = 0; b < N; b++) p.set(natural, b * P);
    const y0 = new Float64Array(N * D);
    if (N > 0) this.compiled.initial(p, this.covariatesOf(pieces), y0, N);
    pieces.forEach((piece, b) => {
      if (piece.segment > 0) {
        const node = params.shooting[piece.subject.id];
        if (node === undefined) {
          throw new TypeError(
            `evaluate: multiple shooting needs nodes for subject "${piece.subject.id}" in params.shooting (see HybridModel.initShooting)`,
          );
        }
        y0.set(node.data.subarray((piece.segment - 1) * D, piece.segment * D), b * D);
      } else if (piece.subject.y0 !== undefined) y0.set(piece.subject.y0, b * D);
    });
    const field = this.fieldFor(pieces);
    const options = this.solveOptions(pieces, p);
    if (mode === 'forward') {
      const fwd = forwardSensitivities(field, y0, options, {
        params: this.estimated,
        y0: Array.from({ length: D }, (_, i) => i),
      });
      return { solution: fwd.solution, p, field, fwd };
    }
    const recordForAdjoint =
      mode === 'record' ? (this.checkpoints === null ? true : { checkpoints: this.checkpoints }) : false;
    return { solution: solve(field, y0, { ...options, recordForAdjoint }), p, field, fwd: null };
  }

  /**
   * Observables (and noise scales) of the first `m` saved states of trajectory b; either
   * writes them to `out` or adds the loss terms (and their gradients wrt the saved states
   * and parameters) to `acc`.
   */
  private observeAll(
    piece: Piece,
    ys: Float64Array,
    p: Float64Array,
    b: number,
    m: number,
    out: Float64Array | null,
    acc: {
      loss: DataLoss;
      terms: LossTerms;
      grad: { savedBar: Float64Array; pBar: Float64Array; scale: number } | null;
    } | null,
  ): void {
    if (m === 0) return;
    const c = this.compiled;
    const K = c.nObservables;
    const D = c.dim;
    const P = c.nParams;
    const U = c.nInputs;
    const C = c.nCovariates;
    // Rows = save points; parameters, covariates and inputs repeated for each.
    const t = piece.saves.subarray(0, m);
    const y = ys.subarray(0, m * D);
    const pr = new Float64Array(m * P);
    for (let i = 0; i < m; i++) pr.set(p.subarray(b * P, b * P + P), i * P);
    const cov = this.covariatesOf([piece]);
    const cr = new Float64Array(m * C);
    for (let i = 0; i < m; i++) cr.set(cov, i * C);
    const u = new Float64Array(m * U);
    if (U > 0) {
      const { inputs } = inputSeries([this.inputSeriesOf([piece])[0]]);
      for (let i = 0; i < m; i++) inputs(t[i], 0, u, i * U, 'right');
    }
    const pred = out ?? new Float64Array(m * K);
    c.observe(t, y, pr, u, cr, pred, m);
    if (acc === null) return;
    const needSigma = acc.loss === 'nll';
    const sigma = needSigma ? new Float64Array(m * K) : null;
    if (sigma !== null) c.noise(t, y, pr, u, cr, sigma, m);
    const observed = piece.subject.observations.subarray(piece.obsOffset * K, (piece.obsOffset + m) * K);
    const g = acc.grad;
    const predBar = g === null ? null : new Float64Array(m * K);
    const sigmaBar = g === null || sigma === null ? null : new Float64Array(m * K);
    dataLossTerms(
      acc.loss,
      this.noiseKinds,
      observed,
      pred,
      sigma,
      m,
      acc.terms,
      g === null ? undefined : { predBar: predBar!, sigmaBar, scale: g.scale },
    );
    if (g === null) return;
    const yBar = new Float64Array(m * D);
    const prBar = new Float64Array(m * P);
    c.observeVjp(t, y, pr, u, cr, predBar!, yBar, prBar, m);
    for (let j = 0; j < m * D; j++) g.savedBar[j] += yBar[j];
    if (sigmaBar !== null) {
      c.noiseVjp(t, y, pr, u, cr, sigmaBar, yBar, prBar, m);
      for (let j = 0; j < m * D; j++) g.savedBar[j] += yBar[j];
    }
    for (let i = 0; i < m; i++) for (let k = 0; k < P; k++) g.pBar[b * P + k] += prBar[i * P + k];
  }

  private checkLogNormalData(subjects: readonly Subject[]): void {
    const K = this.noiseKinds.length;
    for (const s of subjects) {
      for (let j = 0; j < s.observations.length; j++) {
        const v = s.observations[j];
        if (this.noiseKinds[j % K] === 'lognormal' && !Number.isNaN(v) && !(v > 0)) {
          throw new RangeError(
            `subject "${s.id}": observation ${this.model.observables[j % K].name} at t = ${s.times[Math.floor(j / K)]} is ${v}, ` +
              'but its noise model is lognormal (values must be > 0); use normal(σ) or drop the value (NaN)',
          );
        }
      }
    }
  }
}

/** First observation index of each of (at most) `segments` near-equal consecutive chunks. */
export function segmentStarts(nTimes: number, segments: number): number[] {
  if (!Number.isInteger(segments) || segments < 1) {
    throw new RangeError(`multiple shooting: segments must be a positive integer, got ${segments}`);
  }
  const k = Math.min(segments, nTimes);
  return Array.from({ length: k }, (_, i) => Math.floor((i * nTimes) / k));
}
