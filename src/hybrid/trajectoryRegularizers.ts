/**
 * Regularizers on the solution trajectories of a hybrid model: penalties that look at what the
 * mechanistic part and the networks do along the solved trajectories, not only at the
 * parameters. They decide how much the network may explain.
 *
 * Mechanism. A penalty is a function of the states at the save (observation) times of the
 * solve the data-fit loss already uses, and of the parameters. Its cotangents on the saved
 * states are added to the data-fit loss's before the discrete adjoint runs, so its gradient
 * through the solve is exact (the gradient of the computed solution), at the cost of one extra
 * evaluation of the vector field per saved point. Integrals along the trajectory are thus
 * approximated by the mean over the saved points — the data grid — as APHYNITY's code does.
 * Penalties that need a solve of the reduced model (networks switched off) run that solve with
 * its own adjoint and add its gradient tree.
 *
 * The split of the vector field. With the networks named in `nets` (default: all) replaced by
 * their null version (zero output, {@link nullNetsModel}), the model's right-hand side F gives
 *
 *     f(x) = F(x; nets off)      the mechanistic part,
 *     g(x) = F(x) − f(x)         the closure (the networks' contribution).
 *
 * For an additive closure `d/dt v = −ω0² sin x + F.v` this is exactly f = physics, g = F.
 */
import { add, div, mul, sub } from '../autodiff/ops/binary.js';
import { reshape } from '../autodiff/ops/layout.js';
import { matmul } from '../autodiff/ops/linalg.js';
import { mean, sum } from '../autodiff/ops/reduce.js';
import { abs, exp, sqrt, square } from '../autodiff/ops/unary.js';
import { Tensor } from '../autodiff/tensor.js';
import { valueAndGrad } from '../autodiff/transforms.js';
import { treeLeaves, treeUnflatten } from '../autodiff/tree.js';
import { type CompiledModel, compileModel } from '../expr/compile.js';
import { NDArray } from '../tensor/ndarray.js';
import type { HybridModel, HybridParams } from './hybridModel.js';
import { nullNetsModel } from './nullNets.js';
import type { Subject } from './subject.js';
import type { TrajectoryBatch, TrajectoryRegularizer } from './trajectoryBatch.js';

/** Options shared by the trajectory regularizers. */
export interface TrajectoryRegularizerOptions {
  /** Weight λ of the penalty (default 1). */
  readonly weight?: number;
  /** The networks that form the closure / are switched off (default: every network). */
  readonly nets?: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Saved points as rows, and the split F = f + g with its VJP.

/** Every (trajectory, save time) pair of a batch as one row of the compiled functions' batch. */
interface Rows {
  readonly n: number;
  readonly traj: Int32Array;
  readonly t: Float64Array;
  readonly y: Float64Array;
  readonly p: Float64Array;
  readonly u: Float64Array;
  readonly c: Float64Array;
}

function rowsOf(batch: TrajectoryBatch): Rows {
  const c = batch.model.compiled;
  const D = c.dim;
  const P = c.nParams;
  const U = c.nInputs;
  const C = c.nCovariates;
  const n = batch.times.reduce((s, t) => s + t.length, 0);
  const rows = {
    n,
    traj: new Int32Array(n),
    t: new Float64Array(n),
    y: new Float64Array(n * D),
    p: new Float64Array(n * P),
    u: new Float64Array(n * U),
    c: new Float64Array(n * C),
  };
  let r = 0;
  batch.times.forEach((times, b) => {
    for (let k = 0; k < times.length; k++, r++) {
      rows.traj[r] = b;
      rows.t[r] = times[k];
      rows.y.set(batch.states[b].subarray(k * D, (k + 1) * D), r * D);
      rows.p.set(batch.p.subarray(b * P, (b + 1) * P), r * P);
      rows.c.set(batch.covariates.subarray(b * C, (b + 1) * C), r * C);
      if (U > 0 && batch.inputs !== null) batch.inputs(times[k], b, rows.u, r * U, 'right');
    }
  });
  return rows;
}

/** Adds per-row cotangents on the states and parameters to the batch's gradient buffers. */
function scatterRows(
  batch: TrajectoryBatch,
  rows: Rows,
  yBar: Float64Array,
  pBar: Float64Array | null,
): void {
  const g = batch.gradient;
  if (g === null) return;
  const D = batch.model.compiled.dim;
  const P = batch.model.compiled.nParams;
  let k = 0;
  for (let r = 0; r < rows.n; r++) {
    const b = rows.traj[r];
    k = r === 0 || rows.traj[r - 1] !== b ? 0 : k + 1;
    const sb = g.statesBar[b];
    for (let d = 0; d < D; d++) sb[k * D + d] += yBar[r * D + d];
    if (pBar !== null) for (let j = 0; j < P; j++) g.pBar[b * P + j] += pBar[r * P + j];
  }
}

/** Compiled null models sharing the full model's network runtime, by model and net list. */
const nullCompiled = new WeakMap<HybridModel, Map<string, CompiledModel>>();

function compiledNull(hm: HybridModel, nets: readonly string[] | undefined): CompiledModel {
  let byNets = nullCompiled.get(hm);
  if (byNets === undefined) {
    byNets = new Map();
    nullCompiled.set(hm, byNets);
  }
  const key = nets === undefined ? '*' : JSON.stringify(nets);
  let c = byNets.get(key);
  if (c === undefined) {
    c = compileModel(nullNetsModel(hm.model, nets), { nets: hm.nets });
    byNets.set(key, c);
  }
  return c;
}

/** Reduced hybrid models (networks off, own solves), by model and net list. */
const reducedModels = new WeakMap<HybridModel, Map<string, HybridModel>>();

function reducedModel(hm: HybridModel, nets: readonly string[] | undefined): HybridModel {
  let byNets = reducedModels.get(hm);
  if (byNets === undefined) {
    byNets = new Map();
    reducedModels.set(hm, byNets);
  }
  const key = nets === undefined ? '*' : JSON.stringify(nets);
  let m = byNets.get(key);
  if (m === undefined) {
    m = hm.withNetsOff(nets);
    byNets.set(key, m);
  }
  return m;
}

/**
 * The mechanistic part f and the closure g = F − f of the vector field at every saved point
 * of a batch, rows in trajectory-major order ([rows · dim] each). Used by the field
 * regularizers; exported for reports and tests.
 *
 * @example
 * ```ts
 * // inside a TrajectoryRegularizer's penalty(batch):
 * const { f, g, x } = vectorFieldParts(batch);
 * ```
 */
export function vectorFieldParts(
  batch: TrajectoryBatch,
  nets?: readonly string[],
): { x: Float64Array; f: Float64Array; g: Float64Array; rows: number } {
  const rows = rowsOf(batch);
  const { f, g } = partsAt(batch, rows, nets);
  return { x: rows.y, f, g, rows: rows.n };
}

function partsAt(
  batch: TrajectoryBatch,
  rows: Rows,
  nets: readonly string[] | undefined,
): { f: Float64Array; g: Float64Array } {
  const full = batch.model.compiled;
  const nul = compiledNull(batch.model, nets);
  const D = full.dim;
  const F = new Float64Array(rows.n * D);
  const f = new Float64Array(rows.n * D);
  full.rhs(rows.t, rows.y, rows.p, rows.u, rows.c, F, rows.n);
  nul.rhs(rows.t, rows.y, rows.p, rows.u, rows.c, f, rows.n);
  const g = new Float64Array(rows.n * D);
  for (let i = 0; i < g.length; i++) g[i] = F[i] - f[i];
  return { f, g };
}

/**
 * A penalty λ·φ(X, f, g) of the states X, mechanistic part f and closure g at the saved points
 * (each [rows, dim]); φ is written with the differentiable tensor operations. The gradient:
 * autodiff gives X̄, f̄, ḡ; then F̄ = ḡ goes back through the full right-hand side and f̄ − ḡ
 * through the null one (f = F_null, g = F − F_null), to the states, the parameters and the
 * networks' weights.
 */
function fieldPenalty(
  name: string,
  options: TrajectoryRegularizerOptions,
  phi: (x: Tensor, f: Tensor, g: Tensor) => Tensor,
): TrajectoryRegularizer {
  const weight = checkWeight(name, options.weight ?? 1);
  const nets = options.nets;
  return {
    kind: 'trajectory',
    name,
    penalty(batch) {
      const rows = rowsOf(batch);
      if (rows.n === 0) return 0;
      const D = batch.model.compiled.dim;
      const { f, g } = partsAt(batch, rows, nets);
      const asTensor = (a: Float64Array) => new Tensor(new NDArray(a, [rows.n, D]));
      const inputs = [asTensor(rows.y), asTensor(f), asTensor(g)] as const;
      if (batch.gradient === null) return weight * phi(...inputs).item();
      const [v, [xBar, fBar, gBar]] = valueAndGrad((z: readonly Tensor[]) => phi(z[0], z[1], z[2]))([
        ...inputs,
      ]);
      const full = batch.model.compiled;
      const nul = compiledNull(batch.model, nets);
      const P = full.nParams;
      const outBar = new Float64Array(rows.n * D);
      const yBar = new Float64Array(rows.n * D);
      const pBar = new Float64Array(rows.n * P);
      // Through F (cotangent ḡ) …
      for (let i = 0; i < outBar.length; i++) outBar[i] = weight * gBar.data[i];
      full.vjp(rows.t, rows.y, rows.p, rows.u, rows.c, outBar, yBar, pBar, rows.n);
      const total = Float64Array.from(xBar.data, (v, i) => weight * v + yBar[i]);
      // … and through f = F_null (cotangent f̄ − ḡ).
      for (let i = 0; i < outBar.length; i++) outBar[i] = weight * (fBar.data[i] - gBar.data[i]);
      nul.vjp(rows.t, rows.y, rows.p, rows.u, rows.c, outBar, yBar, pBar, rows.n);
      for (let i = 0; i < total.length; i++) total[i] += yBar[i];
      scatterRows(batch, rows, total, pBar);
      return weight * v.item();
    },
  };
}

/** Row-wise squared norms Σ_d a_rd², shape [rows]. */
const rowSquares = (a: Tensor): Tensor => sum(square(a), [1]);

// ---------------------------------------------------------------------------------------------
// The regularizers.

/**
 * APHYNITY's closure norm (Yin et al., ICLR 2021): λ·mean over saved points of ‖g(X)‖², or
 * with `normalized: true` of (‖g(X)‖ / (‖X‖ + ε))² with ε = 1e-5 (the form APHYNITY's code uses
 * for the pendulum), g the networks' part of the vector field.
 *
 * Belief: the mechanistic model explains the dynamics as far as it can; among all
 * decompositions F = f + g that fit the data, prefer the one whose closure is smallest, so the
 * physical parameters take the values that explain most of the dynamics and the network only
 * the rest. Unique minimizer under APHYNITY's conditions (f in a closed convex set).
 * Use with {@link TrainOptions.adaptiveDataWeight} for APHYNITY's adaptive λ.
 *
 * @example
 * ```ts
 * train(hm, params, subjects, {
 *   optimizer: adam(1e-3),
 *   epochs: 1000,
 *   regularizers: [closureNorm({ normalized: true })],
 *   adaptiveDataWeight: { initial: 1, rate: 1, steps: 5 },
 * });
 * ```
 */
export function closureNorm(
  options: TrajectoryRegularizerOptions & { readonly normalized?: boolean; readonly eps?: number } = {},
): TrajectoryRegularizer {
  const eps = options.eps ?? 1e-5;
  const normalized = options.normalized ?? false;
  return fieldPenalty(normalized ? 'closureNormNormalized' : 'closureNorm', options, (x, _f, g) =>
    normalized ? mean(div(rowSquares(g), square(add(sqrt(rowSquares(x)), eps)))) : mean(rowSquares(g)),
  );
}

/**
 * Independence of the mechanistic part f and the closure g along the trajectories:
 * - `'dot'`: λ·mean over saved points of |⟨f(X), g(X)⟩| (orthogonality point by point);
 * - `'correlation'`: λ·mean over components d of corr(f_d, g_d)², the Pearson correlation over
 *   the saved points (covariance / √(var f_d · var g_d + 1e-12));
 * - `'hsic'`: λ·HSIC(f, g), the biased estimator tr(K H L H)/(n − 1)² with Gaussian kernels
 *   K_ij = exp(−‖f_i − f_j‖²/(2σ²)), L likewise on g, H = I − 11ᵀ/n (Gretton et al. 2005).
 *   `bandwidth` σ is a number (default 1); cost O(n²) in the number of saved points.
 *
 * Belief: the closure models what the mechanism leaves out, not a distortion of it; a closure
 * that is aligned with (or a function of) the mechanistic part could be absorbed by it, so the
 * two should carry independent information.
 *
 * @example
 * ```ts
 * const reg = independence({ measure: 'hsic', weight: 0.1, bandwidth: 0.5 });
 * ```
 */
export function independence(
  options: TrajectoryRegularizerOptions & {
    readonly measure: 'dot' | 'correlation' | 'hsic';
    readonly bandwidth?: number;
  },
): TrajectoryRegularizer {
  const measure = options.measure;
  if (measure === 'dot') {
    return fieldPenalty('independenceDot', options, (_x, f, g) => mean(abs(sum(mul(f, g), [1]))));
  }
  if (measure === 'correlation') {
    return fieldPenalty('independenceCorrelation', options, (_x, f, g) => {
      const fc = sub(f, mean(f, [0], true));
      const gc = sub(g, mean(g, [0], true));
      const cov = mean(mul(fc, gc), [0]);
      const varProduct = mul(mean(square(fc), [0]), mean(square(gc), [0]));
      return mean(div(square(cov), add(varProduct, 1e-12)));
    });
  }
  if (measure === 'hsic') {
    const sigma = options.bandwidth ?? 1;
    if (!(Number.isFinite(sigma) && sigma > 0)) {
      throw new RangeError(`independence: bandwidth must be a finite number > 0, got ${sigma}`);
    }
    return fieldPenalty('independenceHsic', options, (_x, f, g) => hsic(f, g, sigma));
  }
  throw new RangeError(
    `independence: measure must be 'dot', 'correlation' or 'hsic', got "${String(measure)}"`,
  );
}

/** Biased HSIC with Gaussian kernels of bandwidth σ: tr(K H L H)/(n − 1)². */
function hsic(a: Tensor, b: Tensor, sigma: number): Tensor {
  const n = a.shape[0];
  const kernel = (z: Tensor) => {
    const sq = rowSquares(z);
    // ‖z_i − z_j‖² = |z_i|² + |z_j|² − 2 z_i·z_j
    const d2 = sub(add(reshape(sq, [n, 1]), reshape(sq, [1, n])), mul(matmul(z, z, { transB: true }), 2));
    return exp(mul(d2, -1 / (2 * sigma * sigma)));
  };
  // H K H: subtract column and row means, add back the grand mean.
  const center = (k: Tensor) => add(sub(sub(k, mean(k, [0], true)), mean(k, [1], true)), mean(k));
  return div(sum(mul(center(kernel(a)), kernel(b))), (n - 1) * (n - 1));
}

/**
 * Keeps the output sensitive to the mechanistic part: λ·mean over saved points of
 * ‖g(X)‖² / (‖f(X)‖² + ε) (default ε = 1e-8), the closure's share of the vector field relative
 * to the mechanism's.
 *
 * Belief: the mechanistic part carries the dynamics and the closure corrects it. A closure of
 * the size of f can cancel the mechanism (g = −f + h), after which the solution — and so the
 * output — no longer depends on the physical parameters (∂y/∂θ_mech → 0) and they become
 * meaningless. Penalizing the ratio rather than ‖g‖² alone does not shrink the closure where the
 * mechanism itself is large, and bites exactly where the closure would take over. (A direct
 * penalty on small ‖∂y/∂θ‖ needs second derivatives through the solve; this ratio is its
 * first-order proxy.)
 *
 * @example
 * ```ts
 * const reg = closureRatio({ weight: 0.01 });
 * ```
 */
export function closureRatio(
  options: TrajectoryRegularizerOptions & { readonly eps?: number } = {},
): TrajectoryRegularizer {
  const eps = options.eps ?? 1e-8;
  if (!(Number.isFinite(eps) && eps > 0)) throw new RangeError(`closureRatio: eps must be > 0, got ${eps}`);
  return fieldPenalty('closureRatio', options, (_x, f, g) =>
    mean(div(rowSquares(g), add(rowSquares(f), eps))),
  );
}

/**
 * Physics-alone fit: λ × the data-fit loss (the evaluation's: MSE or NLL) of the model with its
 * networks switched off ({@link HybridModel.withNetsOff}), solved on the same subjects and
 * horizon — a second solve with its own discrete adjoint.
 *
 * Belief: the mechanistic model alone should already describe the data reasonably; the network
 * refines it rather than replaces it. Keeps the physical parameters where the physics fits.
 *
 * @example
 * ```ts
 * const reg = physicsFit({ weight: 0.1 });
 * ```
 */
export function physicsFit(options: TrajectoryRegularizerOptions = {}): TrajectoryRegularizer {
  const weight = checkWeight('physicsFit', options.weight ?? 1);
  return {
    kind: 'trajectory',
    name: 'physicsFit',
    penalty(batch) {
      const reduced = reducedModel(batch.model, options.nets);
      const ev = reduced.evaluate(batch.params, batch.subjects, {
        loss: batch.loss,
        gradient: batch.gradient !== null,
        ...(batch.horizon === undefined ? {} : { horizon: batch.horizon }),
      });
      if (ev.failure !== null) return Number.NaN;
      if (batch.gradient !== null && ev.gradient !== null)
        batch.gradient.extra.push(scaleTree(ev.gradient, weight));
      return weight * ev.value;
    },
  };
}

/**
 * Reduced-model discrepancy (Takeishi & Kalousis, NeurIPS 2021): λ·mean over saved points and
 * observables of (h_full − h_reduced)², h the observables of the full model and of the model
 * with the networks in `nets` replaced by their null version (zero output), both solved on the
 * subjects. The gradient flows through both solves.
 *
 * Belief: the full model should not wander far from what its physics alone predicts; the
 * network adds a correction, not a different trajectory.
 *
 * @example
 * ```ts
 * const reg = reducedDiscrepancy({ weight: 0.1, nets: ['F'] });
 * ```
 */
export function reducedDiscrepancy(options: TrajectoryRegularizerOptions = {}): TrajectoryRegularizer {
  const weight = checkWeight('reducedDiscrepancy', options.weight ?? 1);
  return {
    kind: 'trajectory',
    name: 'reducedDiscrepancy',
    penalty(batch) {
      const rows = rowsOf(batch);
      if (rows.n === 0) return 0;
      const c = batch.model.compiled;
      const K = c.nObservables;
      const hFull = new Float64Array(rows.n * K);
      c.observe(rows.t, rows.y, rows.p, rows.u, rows.c, hFull, rows.n);
      // The full model's observables as data for the reduced model (held constant there).
      let offset = 0;
      const pseudo: Subject[] = batch.subjects.map((s, b) => {
        const T = batch.times[b].length;
        const obs = hFull.slice(offset * K, (offset + T) * K);
        offset += T;
        return { ...s, times: batch.times[b], observations: obs };
      });
      const reduced = reducedModel(batch.model, options.nets);
      let hRed: Float64Array;
      try {
        hRed = new Float64Array(rows.n * K);
        let o = 0;
        for (const pred of reduced.predict(batch.params, pseudo)) {
          hRed.set(pred.observables, o);
          o += pred.observables.length;
        }
      } catch {
        return Number.NaN;
      }
      const n = rows.n * K;
      let s = 0;
      for (let i = 0; i < n; i++) s += (hFull[i] - hRed[i]) ** 2;
      const value = (weight * s) / n;
      if (batch.gradient === null) return value;
      // Full side: ∂/∂h_full = 2λ(h_full − h_red)/n, back through the observables.
      const hBar = Float64Array.from(hFull, (h, i) => (2 * weight * (h - hRed[i])) / n);
      const yBar = new Float64Array(rows.n * c.dim);
      const pBar = new Float64Array(rows.n * c.nParams);
      c.observeVjp(rows.t, rows.y, rows.p, rows.u, rows.c, hBar, yBar, pBar, rows.n);
      scatterRows(batch, rows, yBar, pBar);
      // Reduced side: the gradient of mean (h_full − h_red)² with h_full held fixed.
      const ev = reduced.evaluate(batch.params, pseudo, { loss: 'mse' });
      if (ev.failure !== null || ev.gradient === null) return Number.NaN;
      batch.gradient.extra.push(scaleTree(ev.gradient, weight));
      return value;
    },
  };
}

/**
 * Whether a regularizer is a trajectory regularizer (else a parameter penalty).
 *
 * @example
 * ```ts
 * isTrajectoryRegularizer(closureNorm()); // true
 * isTrajectoryRegularizer(l2Weights(1e-4)); // false
 * ```
 */
export function isTrajectoryRegularizer(r: { readonly name: string }): r is TrajectoryRegularizer {
  return (r as { kind?: unknown }).kind === 'trajectory';
}

function scaleTree(t: HybridParams, s: number): HybridParams {
  return treeUnflatten(
    t,
    treeLeaves(t).map(
      (x) =>
        new Tensor(
          new NDArray(
            Float64Array.from(x.data, (v) => v * s),
            x.shape,
          ),
        ),
    ),
  );
}

function checkWeight(who: string, lambda: number): number {
  if (!(Number.isFinite(lambda) && lambda >= 0)) {
    throw new RangeError(`${who}: the weight λ must be a finite number ≥ 0, got ${lambda}`);
  }
  return lambda;
}
