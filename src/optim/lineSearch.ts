/**
 * A line search for the strong Wolfe conditions (Nocedal & Wright, "Numerical Optimization",
 * 2nd ed., Algorithms 3.5 and 3.6), with cubic interpolation in the zoom phase.
 */
import { rejectUnknown } from '../ode/options.js';
import { checkInteger, checkPositive, checkRange } from './check.js';

/** The function on the line at one step α: φ(α), φ'(α), and whatever the caller wants back. */
export interface LinePoint<T> {
  /** φ(α) = f(x + α d). A non-finite value means "too far": the search backtracks. */
  readonly value: number;
  /** φ'(α) = ∇f(x + α d)ᵀ d. */
  readonly slope: number;
  /** Carried through to the result (e.g. the point and its gradient). */
  readonly payload: T;
}

/** Options of {@link strongWolfeLineSearch}. */
export interface StrongWolfeOptions {
  /** Sufficient-decrease constant c₁ ∈ (0, 1) (default 1e-4). */
  readonly c1?: number;
  /** Curvature constant c₂ ∈ (c₁, 1) (default 0.9, for quasi-Newton directions). */
  readonly c2?: number;
  /** First trial step (default 1). */
  readonly alphaInit?: number;
  /** Largest step tried while bracketing (default 1e10). */
  readonly alphaMax?: number;
  /** Evaluations of φ allowed (default 40). */
  readonly maxEvaluations?: number;
}

/**
 * How the search ended: `'wolfe'` (both strong Wolfe conditions hold at `alpha`),
 * `'decrease'` (only sufficient decrease holds: the budget ran out or the bracket shrank to
 * rounding, or the step reached `alphaMax`), `'failed'` (no step with sufficient decrease).
 */
export type LineSearchStatus = 'wolfe' | 'decrease' | 'failed';

/** The result of {@link strongWolfeLineSearch}. */
export interface LineSearchResult<T> {
  readonly status: LineSearchStatus;
  /** The step: 0 when `'failed'`. */
  readonly alpha: number;
  /** φ(alpha). */
  readonly value: number;
  /** φ'(alpha). */
  readonly slope: number;
  /** The payload of the accepted point; null when `'failed'`. */
  readonly payload: T | null;
  /** Evaluations of φ made. */
  readonly evaluations: number;
  /** Why it stopped, in words. */
  readonly message: string;
}

interface Pt<T> {
  readonly alpha: number;
  readonly value: number;
  readonly slope: number;
  readonly payload: T | null;
}

const isFinitePoint = <T>(p: Pt<T>): boolean => Number.isFinite(p.value) && Number.isFinite(p.slope);

/**
 * The minimizer of the cubic interpolating φ and φ' at a and b (Nocedal & Wright eq. 3.59),
 * or NaN when the cubic has no minimizer.
 */
function cubicMinimizer<T>(a: Pt<T>, b: Pt<T>): number {
  const d1 = a.slope + b.slope - (3 * (a.value - b.value)) / (a.alpha - b.alpha);
  const rad = d1 * d1 - a.slope * b.slope;
  if (!(rad >= 0)) return Number.NaN;
  const d2 = Math.sign(b.alpha - a.alpha) * Math.sqrt(rad);
  return b.alpha - ((b.alpha - a.alpha) * (b.slope + d2 - d1)) / (b.slope - a.slope + 2 * d2);
}

/**
 * Finds a step α > 0 along a descent direction satisfying the strong Wolfe conditions
 *
 *   φ(α) ≤ φ(0) + c₁ α φ'(0)   (sufficient decrease),   |φ'(α)| ≤ c₂ |φ'(0)|   (curvature),
 *
 * with 0 < c₁ < c₂ < 1. Bracketing (Algorithm 3.5) tries `alphaInit`, then doubles the step
 * until an interval is known to contain acceptable steps; `zoom` (Algorithm 3.6) shrinks the
 * interval [α_lo, α_hi] — α_lo always the best step with sufficient decrease so far — choosing
 * each trial by the minimizer of the cubic through both ends' values and slopes, safeguarded to
 * the middle 80% of the interval (bisection otherwise). A non-finite φ or φ' is treated as
 * "too large": that trial becomes α_hi and the next trial bisects towards α_lo, so the search
 * backtracks out of regions where the function overflows or the model fails.
 *
 * @param evaluate - φ and φ' at α (called only with α > 0).
 * @param value0 - φ(0), finite.
 * @param slope0 - φ'(0) < 0 (a descent direction).
 * @returns the accepted step, or the best step with sufficient decrease and status
 *   `'decrease'`, or status `'failed'` with α = 0.
 *
 * @example
 * ```ts
 * // φ(α) = (α − 2)², φ'(α) = 2(α − 2): from φ(0) = 4, φ'(0) = −4.
 * const r = strongWolfeLineSearch((a) => ({ value: (a - 2) ** 2, slope: 2 * (a - 2), payload: a }), 4, -4);
 * r.status; // 'wolfe'
 * ```
 */
export function strongWolfeLineSearch<T>(
  evaluate: (alpha: number) => LinePoint<T>,
  value0: number,
  slope0: number,
  options: StrongWolfeOptions = {},
): LineSearchResult<T> {
  const what = 'strongWolfeLineSearch';
  rejectUnknown(what, options, ['c1', 'c2', 'alphaInit', 'alphaMax', 'maxEvaluations']);
  const c1 = options.c1 ?? 1e-4;
  const c2 = options.c2 ?? 0.9;
  const alphaInit = options.alphaInit ?? 1;
  const alphaMax = options.alphaMax ?? 1e10;
  const maxEvaluations = options.maxEvaluations ?? 40;
  checkRange(what, 'c1', c1, 0, 1, { openMin: true, openMax: true });
  checkRange(what, 'c2', c2, c1, 1, { openMin: true, openMax: true });
  checkPositive(what, 'alphaInit', alphaInit);
  checkRange(what, 'alphaMax', alphaMax, alphaInit, Number.POSITIVE_INFINITY);
  checkInteger(what, 'maxEvaluations', maxEvaluations, 1);
  if (!Number.isFinite(value0)) throw new RangeError(`${what}: φ(0) must be finite, got ${value0}`);
  if (!(slope0 < 0)) {
    throw new RangeError(
      `${what}: φ'(0) = ${slope0} is not negative, so the direction is not a descent direction; ` +
        'use d = −∇f or a positive definite preconditioner',
    );
  }

  let evaluations = 0;
  const probe = (alpha: number): Pt<T> => {
    evaluations++;
    const r = evaluate(alpha);
    return { alpha, value: r.value, slope: r.slope, payload: r.payload };
  };
  const armijo = (p: Pt<T>): boolean => p.value <= value0 + c1 * p.alpha * slope0;
  const curvature = (p: Pt<T>): boolean => Math.abs(p.slope) <= -c2 * slope0;
  const done = (status: LineSearchStatus, p: Pt<T>, message: string): LineSearchResult<T> =>
    status === 'failed' || p.alpha === 0
      ? {
          status: 'failed',
          alpha: 0,
          value: value0,
          slope: slope0,
          payload: null,
          evaluations,
          message: `${message}; no step gave sufficient decrease`,
        }
      : { status, alpha: p.alpha, value: p.value, slope: p.slope, payload: p.payload, evaluations, message };

  const zoom = (loIn: Pt<T>, hiIn: Pt<T>): LineSearchResult<T> => {
    let lo = loIn;
    let hi = hiIn;
    for (;;) {
      if (evaluations >= maxEvaluations) {
        return done('decrease', lo, `stopped after ${evaluations} evaluations while zooming`);
      }
      const a = Math.min(lo.alpha, hi.alpha);
      const b = Math.max(lo.alpha, hi.alpha);
      const width = b - a;
      if (width <= 4 * Number.EPSILON * b) {
        return done('decrease', lo, `the bracket [${a}, ${b}] shrank to rounding`);
      }
      let alpha = isFinitePoint(hi) ? cubicMinimizer(lo, hi) : Number.NaN;
      if (!(alpha >= a + 0.1 * width && alpha <= b - 0.1 * width))
        alpha = lo.alpha + 0.5 * (hi.alpha - lo.alpha);
      const p = probe(alpha);
      if (!isFinitePoint(p) || !armijo(p) || p.value >= lo.value) {
        hi = p;
      } else {
        if (curvature(p)) return done('wolfe', p, 'strong Wolfe conditions hold');
        if (p.slope * (hi.alpha - lo.alpha) >= 0) hi = lo;
        lo = p;
      }
    }
  };

  let prev: Pt<T> = { alpha: 0, value: value0, slope: slope0, payload: null };
  let alpha = alphaInit;
  for (let i = 1; ; i++) {
    if (evaluations >= maxEvaluations) {
      return done('decrease', prev, `stopped after ${evaluations} evaluations while bracketing`);
    }
    const p = probe(alpha);
    if (!isFinitePoint(p) || !armijo(p) || (i > 1 && p.value >= prev.value)) return zoom(prev, p);
    if (curvature(p)) return done('wolfe', p, 'strong Wolfe conditions hold');
    if (p.slope >= 0) return zoom(p, prev);
    if (alpha >= alphaMax) return done('decrease', p, `the step reached alphaMax = ${alphaMax}`);
    prev = p;
    alpha = Math.min(2 * alpha, alphaMax);
  }
}
