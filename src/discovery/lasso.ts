/**
 * The proximal variant of sparse regression: the L1-penalized least-squares problem (lasso;
 * elastic net with a ridge term) solved by accelerated proximal gradient steps (FISTA, Beck &
 * Teboulle 2009, with O'Donoghue & Candès' adaptive restart). Soft thresholding puts exact
 * zeros in the coefficients — the convex counterpart of {@link stlsq}'s hard threshold.
 */
import { rejectUnknown } from '../ode/options.js';
import type { FunctionLibrary } from './library.js';
import { prepare, residualRms, type SparseRegression, solveOnSupport } from './sparseModel.js';

/** Options of {@link lasso}. */
export interface LassoOptions {
  /** The L1 weight λ ≥ 0 (default 0.01), in the units of the targets when normalizing. */
  readonly lambda?: number;
  /** Ridge weight α ≥ 0 (default 0), as in {@link stlsq}. */
  readonly alpha?: number;
  /** Penalize each coefficient by its term's rms size (default true). */
  readonly normalize?: boolean;
  /** Refit the support by (ridge) least squares afterwards, removing the L1 shrinkage (default false). */
  readonly refit?: boolean;
  /** Stop when no coefficient moves more than tol·max(1, max|ξ̃|) in a step (default 1e-12). */
  readonly tolerance?: number;
  /** Largest number of proximal steps per target (default 100 000). */
  readonly maxIterations?: number;
  /** Names of the targets (default y1, y2, …). */
  readonly targets?: readonly string[];
}

/**
 * L1-penalized regression over a function library, for each target y:
 *
 *   minimize (1/2m)·‖Θξ − y‖² + λ·Σ_j w_j·|ξ_j| + (α/2m)·Σ_j (s_j·ξ_j)²,
 *
 * with w_j = rms(θ_j) and s_j = ‖θ_j‖₂ when `normalize` (every term is penalized by the size
 * of its contribution, so λ is in the units of y: a term whose best contribution is below
 * about λ stays out), w_j = s_j = 1 otherwise. In the normalized coordinates ξ̃_j = s_j·ξ_j
 * this is ½‖Θ̃ξ̃ − y‖² + (α/2)‖ξ̃‖² + λ'‖ξ̃‖₁ (λ' = λ√m; λm without normalizing), solved by
 * FISTA: with L the largest eigenvalue of Θ̃ᵀΘ̃ + αI (power iteration) and the gradient
 * ∇f(z) = (Θ̃ᵀΘ̃ + αI)z − Θ̃ᵀy,
 *
 *   ξ̃⁺ = S_{λ'/L}(z − ∇f(z)/L),   S_τ(v) = sign(v)·max(|v| − τ, 0),
 *
 * with Nesterov momentum restarted whenever it points uphill. S_τ returns exactly 0 for
 * |v| ≤ τ, so the zeros are exact. The optimality conditions hold at the result:
 * |θ̃_jᵀr − αξ̃_j| ≤ λ' where ξ̃_j = 0 and θ̃_jᵀr − αξ̃_j = λ'·sign(ξ̃_j) elsewhere (r = y − Θ̃ξ̃).
 *
 * @throws RangeError for shape mismatches, non-finite values, an all-zero term and bad options.
 * @example
 * ```ts
 * const fit = lasso(functionLibrary(['x', 'y'], { degree: 2 }), xy, dxdy, { lambda: 1e-3, refit: true });
 * sparseEquations(fit);
 * ```
 */
export function lasso(
  library: FunctionLibrary,
  samples: readonly ArrayLike<number>[],
  targets: readonly ArrayLike<number>[],
  options: LassoOptions = {},
): SparseRegression {
  const what = 'lasso';
  rejectUnknown(what, options, [
    'lambda',
    'alpha',
    'normalize',
    'refit',
    'tolerance',
    'maxIterations',
    'targets',
  ]);
  const lambda = options.lambda ?? 0.01;
  const alpha = options.alpha ?? 0;
  const tol = options.tolerance ?? 1e-12;
  const maxIterations = options.maxIterations ?? 100_000;
  for (const [name, v] of [
    ['lambda', lambda],
    ['alpha', alpha],
    ['tolerance', tol],
  ] as const) {
    if (!(v >= 0) || !Number.isFinite(v))
      throw new RangeError(`${what}: ${name} must be finite and ≥ 0, got ${v}`);
  }
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new RangeError(`${what}: maxIterations must be a whole number ≥ 1, got ${maxIterations}`);
  }
  const normalize = options.normalize ?? true;
  const prep = prepare(what, library, samples, targets, options.targets, normalize);
  const { m, p, k, theta, scale, Y } = prep;
  const lam = normalize ? lambda * Math.sqrt(m) : lambda * m;
  // Gram matrix H = Θ̃ᵀΘ̃ + αI and b = Θ̃ᵀy per target.
  const H = new Float64Array(p * p);
  for (let r = 0; r < m; r++) {
    for (let i = 0; i < p; i++) {
      const a = theta[r * p + i];
      if (a === 0) continue;
      for (let j = 0; j < p; j++) H[i * p + j] += a * theta[r * p + j];
    }
  }
  for (let i = 0; i < p; i++) H[i * p + i] += alpha;
  const L = largestEigenvalue(H, p) * 1.01;
  const names = library.terms.map((t) => t.name);
  const xiTilde: Float64Array[] = [];
  let iterations = 0;
  let converged = true;
  const grad = new Float64Array(p);
  for (let c = 0; c < k; c++) {
    const b = new Float64Array(p);
    for (let r = 0; r < m; r++) {
      const y = Y[r * k + c];
      for (let j = 0; j < p; j++) b[j] += theta[r * p + j] * y;
    }
    let x: Float64Array = new Float64Array(p);
    let xPrev: Float64Array = new Float64Array(p);
    const z = new Float64Array(p);
    let t = 1;
    let done = false;
    let it = 0;
    while (it < maxIterations) {
      it++;
      // grad = H·z − b
      for (let i = 0; i < p; i++) {
        let s = -b[i];
        for (let j = 0; j < p; j++) s += H[i * p + j] * z[j];
        grad[i] = s;
      }
      [xPrev, x] = [x, xPrev];
      let move = 0;
      let big = 1;
      for (let i = 0; i < p; i++) {
        const v = z[i] - grad[i] / L;
        const tau = lam / L;
        x[i] = v > tau ? v - tau : v < -tau ? v + tau : 0;
        move = Math.max(move, Math.abs(x[i] - xPrev[i]));
        big = Math.max(big, Math.abs(x[i]));
      }
      if (move <= tol * big) {
        done = true;
        break;
      }
      // Restart when the momentum opposes the proximal-gradient step: (z − x)ᵀ(x − xPrev) > 0.
      let uphill = 0;
      for (let i = 0; i < p; i++) uphill += (z[i] - x[i]) * (x[i] - xPrev[i]);
      const tNext = uphill > 0 ? 1 : (1 + Math.sqrt(1 + 4 * t * t)) / 2;
      const beta = uphill > 0 ? 0 : (t - 1) / tNext;
      for (let i = 0; i < p; i++) z[i] = x[i] + beta * (x[i] - xPrev[i]);
      t = tNext;
    }
    iterations = Math.max(iterations, it);
    converged &&= done;
    if (options.refit === true) {
      const support: number[] = [];
      for (let j = 0; j < p; j++) if (x[j] !== 0) support.push(j);
      x = solveOnSupport(prep, support, c, { alpha, maxCondition: 1e12, names, where: `${what} refit` });
    }
    xiTilde.push(Float64Array.from(x));
  }
  return {
    method: 'lasso',
    variables: [...library.variables],
    terms: names,
    expressions: library.terms.map((t) => t.expression),
    targets: [...prep.targets],
    coefficients: xiTilde.map((xi) => Float64Array.from(xi, (v, j) => (v === 0 ? 0 : v / scale[j]))),
    residualRms: residualRms(prep, xiTilde),
    iterations,
    converged,
  };
}

/** The largest eigenvalue of a symmetric positive semi-definite p×p matrix, by power iteration. */
function largestEigenvalue(H: Float64Array, p: number): number {
  let v = Float64Array.from({ length: p }, (_, i) => 1 + i / p);
  let w = new Float64Array(p);
  let lambda = 0;
  for (let it = 0; it < 500; it++) {
    let norm = 0;
    for (let i = 0; i < p; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    if (norm === 0) return 0;
    for (let i = 0; i < p; i++) v[i] /= norm;
    let next = 0;
    for (let i = 0; i < p; i++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += H[i * p + j] * v[j];
      w[i] = s;
      next += s * v[i];
    }
    [v, w] = [w, v];
    if (Math.abs(next - lambda) <= 1e-12 * next) return next;
    lambda = next;
  }
  return lambda;
}
