/**
 * Sequentially thresholded least squares (STLSQ), the sparse regression of SINDy (Brunton,
 * Proctor & Kutz 2016, "Discovering governing equations from data by sparse identification of
 * nonlinear dynamical systems", PNAS 113:3932).
 */
import { rejectUnknown } from '../ode/options.js';
import type { FunctionLibrary } from './library.js';
import { prepare, residualRms, type SparseRegression, solveOnSupport } from './sparseModel.js';

/** Options of {@link stlsq}. */
export interface StlsqOptions {
  /**
   * Coefficients with |ξ_j| < threshold are set to 0 (default 0.1). Measured on the
   * coefficients themselves (the units of target/term), or with `thresholdOn: 'contribution'`
   * on |ξ_j|·rms(θ_j), the root-mean-square size of the term's contribution over the samples.
   */
  readonly threshold?: number;
  /** What the threshold is compared with (default `'coefficient'`). */
  readonly thresholdOn?: 'coefficient' | 'contribution';
  /**
   * Ridge weight α ≥ 0 of every least-squares solve (default 0): min ‖Θ̃ξ̃ − y‖² + α‖ξ̃‖² on the
   * normalized columns θ̃_j = θ_j/‖θ_j‖ (on Θ itself with `normalize: false`).
   */
  readonly alpha?: number;
  /** Scale the library's columns to unit norm before solving (default true; better conditioning). */
  readonly normalize?: boolean;
  /** Largest number of threshold-and-refit rounds (default 25). */
  readonly maxIterations?: number;
  /** Names of the targets (default y1, y2, …). */
  readonly targets?: readonly string[];
  /** Largest acceptable condition number of a least-squares solve (default 1e12). */
  readonly maxCondition?: number;
}

/**
 * Sparse regression by sequentially thresholded least squares: for each target y (a column of
 * `targets`),
 *
 *   ξ ← argmin ‖Θξ − y‖² + α‖ξ‖²  over all terms;
 *   repeat: S ← { j : |ξ_j| ≥ threshold };  ξ_{∉S} ← 0;  ξ_S ← argmin ‖Θ_S ξ_S − y‖² + α‖ξ_S‖²
 *   until S no longer changes (a fixed point) or `maxIterations` rounds.
 *
 * Each solve is a Householder QR of the (normalized, ridge-stacked) library; with threshold 0
 * and α = 0 the result is the ordinary least-squares solution. Terms off the support have
 * coefficients exactly 0.
 *
 * @param library - the candidate terms ({@link functionLibrary}).
 * @param samples - one row per sample: the library's variables.
 * @param targets - one row per sample: the values to explain (e.g. derivatives, or a trained
 *   network's outputs along a trajectory).
 * @throws RangeError for shape mismatches, non-finite values, an underdetermined or
 *   ill-conditioned library (naming the offending terms) and bad options.
 * @example
 * ```ts
 * const lib = functionLibrary(['x', 'y'], { degree: 2 });
 * const fit = stlsq(lib, xy, dxdy, { threshold: 0.05, targets: ['dx', 'dy'] });
 * sparseEquations(fit); // ['dx = 1.300·x - 0.900·x·y', 'dy = -1.800·y + 0.800·x·y']
 * ```
 */
export function stlsq(
  library: FunctionLibrary,
  samples: readonly ArrayLike<number>[],
  targets: readonly ArrayLike<number>[],
  options: StlsqOptions = {},
): SparseRegression {
  const what = 'stlsq';
  rejectUnknown(what, options, [
    'threshold',
    'thresholdOn',
    'alpha',
    'normalize',
    'maxIterations',
    'targets',
    'maxCondition',
  ]);
  const threshold = options.threshold ?? 0.1;
  if (!(threshold >= 0) || !Number.isFinite(threshold)) {
    throw new RangeError(`${what}: threshold must be finite and ≥ 0, got ${threshold}`);
  }
  const on = options.thresholdOn ?? 'coefficient';
  if (on !== 'coefficient' && on !== 'contribution') {
    throw new RangeError(
      `${what}: thresholdOn must be 'coefficient' or 'contribution', got ${JSON.stringify(on)}`,
    );
  }
  const maxIterations = options.maxIterations ?? 25;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new RangeError(`${what}: maxIterations must be a whole number ≥ 1, got ${maxIterations}`);
  }
  const prep = prepare(what, library, samples, targets, options.targets, options.normalize ?? true);
  const { m, p, k, scale } = prep;
  const names = library.terms.map((t) => t.name);
  const settings = {
    alpha: options.alpha ?? 0,
    maxCondition: options.maxCondition ?? 1e12,
    names,
    where: what,
  };
  // |ξ_j| in the threshold's units from the normalized coefficient ξ̃_j = ξ_j·s_j.
  const size = (xiTilde: number, j: number) =>
    on === 'coefficient'
      ? Math.abs(xiTilde / scale[j])
      : (Math.abs(xiTilde / scale[j]) * prep.norms[j]) / Math.sqrt(m);
  const xiTilde: Float64Array[] = [];
  let iterations = 0;
  let converged = true;
  for (let c = 0; c < k; c++) {
    let support = Array.from({ length: p }, (_, j) => j);
    let xi = solveOnSupport(prep, support, c, settings);
    let fixed = false;
    let it = 0;
    while (it < maxIterations) {
      it++;
      const next = support.filter((j) => size(xi[j], j) >= threshold);
      if (next.length === support.length) {
        fixed = true;
        break;
      }
      support = next;
      xi = solveOnSupport(prep, support, c, settings);
      if (support.length === 0) {
        fixed = true;
        break;
      }
    }
    iterations = Math.max(iterations, it);
    converged &&= fixed;
    xiTilde.push(xi);
  }
  return {
    method: 'stlsq',
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
