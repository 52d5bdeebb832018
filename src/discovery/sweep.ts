/**
 * Choosing STLSQ's threshold (and ridge weight) by a sweep: the sparsest equation that
 * explains the target to a stated relative accuracy.
 */
import { rejectUnknown } from '../ode/options.js';
import type { FunctionLibrary } from './library.js';
import type { SparseRegression } from './sparseModel.js';
import { type StlsqOptions, stlsq } from './stlsq.js';

/** Options of {@link stlsqSweep}. */
export interface StlsqSweepOptions extends Omit<StlsqOptions, 'threshold' | 'alpha' | 'thresholdOn'> {
  /** What the thresholds are compared with (default: both `'coefficient'` and `'contribution'` are tried). */
  readonly thresholdOn?: StlsqOptions['thresholdOn'] | 'both';
  /** Thresholds to try (default 10^(−3), 10^(−2.9), …, 10¹). */
  readonly thresholds?: readonly number[];
  /** Ridge weights to try (default [0, 1e-6, 1e-5, 1e-4, 1e-3]). */
  readonly alphas?: readonly number[];
  /**
   * The accuracy asked of an equation: its rms residual at most `tolerance` × the rms of the
   * target (default 0.05).
   */
  readonly tolerance?: number;
}

/** One candidate of a sweep, for one target. */
export interface SweepCandidate {
  readonly target: string;
  readonly threshold: number;
  readonly alpha: number;
  readonly thresholdOn: 'coefficient' | 'contribution';
  /** Number of terms kept. */
  readonly terms: number;
  /** rms residual / rms target. */
  readonly relativeResidual: number;
}

/** Result of {@link stlsqSweep}. */
export interface StlsqSweepResult {
  /** The chosen equation of every target, as one regression. */
  readonly fit: SparseRegression;
  /** The chosen candidate per target. */
  readonly chosen: readonly SweepCandidate[];
  /** Whether each target's choice met the tolerance (else it is the best-fitting candidate). */
  readonly withinTolerance: readonly boolean[];
  /** Every candidate tried. */
  readonly candidates: readonly SweepCandidate[];
}

/**
 * Runs {@link stlsq} for every threshold × ridge weight (× threshold kind, by default both
 * the coefficient and the rms-contribution threshold) and picks, for each target
 * separately, the sparsest equation whose rms residual is at most `tolerance` times the rms of
 * the target (ties: the smaller residual). When none meets the tolerance the best-fitting one
 * is taken and `withinTolerance` says so. Candidates whose solve fails (an ill-conditioned
 * library at α = 0) are skipped.
 *
 * The tolerance states how exactly the data (e.g. a trained network's outputs) are believed to
 * follow a sparse law; a larger one buys sparser, less exact equations.
 *
 * @example
 * ```ts
 * const { fit, chosen } = stlsqSweep(functionLibrary(['x', 'y'], { degree: 5, sin: true }), xy, u, {
 *   targets: ['U1', 'U2'],
 *   tolerance: 0.05,
 * });
 * sparseEquations(fit); // ['U1 = -0.896·x·y', 'U2 = 0.806·x·y']
 * ```
 */
export function stlsqSweep(
  library: FunctionLibrary,
  samples: readonly ArrayLike<number>[],
  targets: readonly ArrayLike<number>[],
  options: StlsqSweepOptions = {},
): StlsqSweepResult {
  const what = 'stlsqSweep';
  rejectUnknown(what, options, [
    'thresholds',
    'alphas',
    'tolerance',
    'thresholdOn',
    'normalize',
    'maxIterations',
    'targets',
    'maxCondition',
  ]);
  const thresholds = options.thresholds ?? Array.from({ length: 41 }, (_, i) => 10 ** (-3 + i / 10));
  const alphas = options.alphas ?? [0, 1e-6, 1e-5, 1e-4, 1e-3];
  const tolerance = options.tolerance ?? 0.05;
  if (!(tolerance > 0) || !Number.isFinite(tolerance)) {
    throw new RangeError(`${what}: tolerance must be a finite number > 0, got ${tolerance}`);
  }
  if (thresholds.length === 0 || alphas.length === 0) {
    throw new RangeError(`${what}: give at least one threshold and one alpha`);
  }
  const { thresholds: _t, alphas: _a, tolerance: _tol, thresholdOn: on, ...base } = options;
  const kinds: ('coefficient' | 'contribution')[] =
    on === undefined || on === 'both' ? ['coefficient', 'contribution'] : [on];
  const k = targets[0]?.length ?? 0;
  const rmsTarget = Array.from({ length: k }, (_, c) =>
    Math.sqrt(targets.reduce((s, row) => s + row[c] ** 2, 0) / Math.max(targets.length, 1)),
  );
  type Found = {
    candidate: SweepCandidate;
    coefficients: Float64Array;
    residual: number;
    iterations: number;
    converged: boolean;
  };
  const best: (Found | null)[] = Array.from({ length: k }, () => null);
  const fallback: (Found | null)[] = Array.from({ length: k }, () => null);
  const candidates: SweepCandidate[] = [];
  let template: SparseRegression | null = null;
  let lastError: unknown = null;
  for (const [alpha, thresholdOn] of alphas.flatMap((a) => kinds.map((kind) => [a, kind] as const))) {
    for (const threshold of thresholds) {
      let fit: SparseRegression;
      try {
        fit = stlsq(library, samples, targets, { ...base, threshold, alpha, thresholdOn });
      } catch (err) {
        if (err instanceof RangeError && /ill-conditioned|underdetermined/.test(err.message)) {
          lastError = err;
          continue;
        }
        throw err;
      }
      template ??= fit;
      fit.targets.forEach((target, c) => {
        const terms = fit.coefficients[c].reduce((a, v) => a + (v !== 0 ? 1 : 0), 0);
        const relativeResidual = rmsTarget[c] === 0 ? 0 : fit.residualRms[c] / rmsTarget[c];
        const candidate = { target, threshold, alpha, thresholdOn, terms, relativeResidual };
        candidates.push(candidate);
        const found: Found = {
          candidate,
          coefficients: fit.coefficients[c],
          residual: fit.residualRms[c],
          iterations: fit.iterations,
          converged: fit.converged,
        };
        const b = best[c];
        if (
          relativeResidual <= tolerance &&
          (b === null ||
            terms < b.candidate.terms ||
            (terms === b.candidate.terms && found.residual < b.residual))
        ) {
          best[c] = found;
        }
        const f = fallback[c];
        if (f === null || found.residual < f.residual) fallback[c] = found;
      });
    }
  }
  if (template === null) {
    throw new RangeError(
      `${what}: every candidate failed; the last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
    );
  }
  const picked = best.map((b, c) => (b ?? fallback[c]) as Found);
  const fit: SparseRegression = {
    ...template,
    coefficients: picked.map((f) => f.coefficients),
    residualRms: Float64Array.from(picked, (f) => f.residual),
    iterations: Math.max(...picked.map((f) => f.iterations)),
    converged: picked.every((f) => f.converged),
  };
  return {
    fit,
    chosen: picked.map((f) => f.candidate),
    withinTolerance: best.map((b) => b !== null),
    candidates,
  };
}
