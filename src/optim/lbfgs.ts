/**
 * Limited-memory BFGS with a strong-Wolfe line search, for full-batch minimization of a
 * smooth function of a parameter tree — typically to polish a model after Adam.
 */
import { Tensor } from '../autodiff/tensor.js';
import { type Tree, treeLeaves, treeUnflatten } from '../autodiff/tree.js';
import { rejectUnknown } from '../ode/options.js';
import { NDArray } from '../tensor/ndarray.js';
import { checkInteger, checkNonNegative } from './check.js';
import { leafPaths } from './leaves.js';
import { type LineSearchResult, type StrongWolfeOptions, strongWolfeLineSearch } from './lineSearch.js';

/**
 * The objective: its value and gradient (shaped like `x`) at a point. Where the value is not
 * finite (the model failed there) the gradient may be `null`.
 *
 * @example
 * ```ts
 * const f: Objective<Tensor> = (x) => ({ value: x.data[0] ** 2, grad: tensor([2 * x.data[0]]) });
 * ```
 */
export type Objective<T extends Tree> = (x: T) => { readonly value: number; readonly grad: Tree | null };

/** Progress after each accepted iteration, passed to `onIteration`. */
export interface LbfgsIteration<T extends Tree> {
  /** Iterations completed (1 after the first). */
  readonly iteration: number;
  /** f at the new point. */
  readonly value: number;
  /** ‖∇f‖∞ at the new point. */
  readonly gradNorm: number;
  /** The accepted line-search step α. */
  readonly step: number;
  /** Objective evaluations so far. */
  readonly evaluations: number;
  /** The new point (do not mutate). */
  readonly x: T;
}

/** Options of {@link lbfgs}. */
export interface LbfgsOptions<T extends Tree> {
  /** Iterations allowed (default 1000). */
  readonly maxIterations?: number;
  /** Objective evaluations allowed, line searches included (default 10 × maxIterations). */
  readonly maxEvaluations?: number;
  /** Correction pairs kept, m (default 10). */
  readonly history?: number;
  /** Stop when ‖∇f‖∞ ≤ gradTolerance (default 1e-8): status `'converged'`. */
  readonly gradTolerance?: number;
  /** Stop when ‖x_{k+1} − x_k‖∞ ≤ stepTolerance · max(1, ‖x_{k+1}‖∞) (default 1e-12). */
  readonly stepTolerance?: number;
  /** Stop when f_k − f_{k+1} ≤ valueTolerance · max(|f_k|, |f_{k+1}|) (default 1e-12). */
  readonly valueTolerance?: number;
  /** Line-search constants (defaults c₁ = 1e-4, c₂ = 0.9, 40 evaluations per search). */
  readonly lineSearch?: Pick<StrongWolfeOptions, 'c1' | 'c2' | 'maxEvaluations'>;
  /** Called after every iteration; return `false` to stop (status `'stopped'`). */
  readonly onIteration?: (info: LbfgsIteration<T>) => boolean | undefined;
}

/** Why {@link lbfgs} stopped. */
export type LbfgsStatus =
  | 'converged'
  | 'stepTolerance'
  | 'valueTolerance'
  | 'maxIterations'
  | 'maxEvaluations'
  | 'lineSearchFailed'
  | 'stopped';

/** The result of {@link lbfgs}: always a point where f and ∇f are finite. */
export interface LbfgsResult<T extends Tree> {
  /** The best point found (the last accepted iterate). */
  readonly x: T;
  readonly value: number;
  /** ∇f at x. */
  readonly grad: Tree;
  /** ‖∇f(x)‖∞. */
  readonly gradNorm: number;
  readonly iterations: number;
  readonly evaluations: number;
  readonly status: LbfgsStatus;
  /** Why it stopped, with the numbers. */
  readonly message: string;
}

const LBFGS_KEYS = [
  'maxIterations',
  'maxEvaluations',
  'history',
  'gradTolerance',
  'stepTolerance',
  'valueTolerance',
  'lineSearch',
  'onIteration',
] as const;

/** A point with its value and gradient, flat and as trees. */
interface Eval<T extends Tree> {
  readonly x: Float64Array;
  readonly tree: T;
  readonly value: number;
  readonly g: Float64Array;
  /** ∇f as the caller gave it (null only at non-finite points, which are never accepted). */
  readonly gradTree: Tree | null;
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

const infNorm = (a: Float64Array): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};

/**
 * Minimizes f over a parameter tree by L-BFGS (Nocedal 1980; Liu & Nocedal 1989; Nocedal &
 * Wright, Algorithm 7.4–7.5) with the strong-Wolfe line search of
 * {@link strongWolfeLineSearch} (c₁ = 1e-4, c₂ = 0.9, cubic-interpolation zoom).
 *
 * Each iteration computes d = −H_k ∇f by the two-loop recursion over the last m pairs
 * s = x_{k+1} − x_k, y = ∇f_{k+1} − ∇f_k, with initial matrix H⁰ = γI, γ = sᵀy / yᵀy of the
 * newest pair. The first step (and any step after a reset) is steepest descent with trial
 * length α = min(1, 1/‖∇f‖₂); later searches try α = 1 first. A pair is stored only when its
 * curvature sᵀy > ε_mach · yᵀy (the strong Wolfe conditions guarantee sᵀy > 0 in exact
 * arithmetic; the test guards rounding). If the search fails along an L-BFGS direction the
 * memory is cleared and steepest descent is tried once before giving up.
 *
 * Non-finite values of f or ∇f met during a line search count as "too large" and the search
 * backtracks, so the result never holds NaN parameters; f(x0) itself must be finite. Errors
 * thrown by `fn` are not caught.
 *
 * @param fn - f and ∇f at a point shaped like `x0`.
 * @param x0 - the start (not mutated).
 * @returns the last accepted point with its value and gradient, counts, and why it stopped.
 *
 * @example
 * ```ts
 * // Rosenbrock from (−1.2, 1).
 * const r = lbfgs((x) => {
 *   const [a, b] = x.data;
 *   return {
 *     value: (1 - a) ** 2 + 100 * (b - a * a) ** 2,
 *     grad: tensor([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)]),
 *   };
 * }, tensor([-1.2, 1]));
 * r.status; // 'converged'
 * ```
 */
export function lbfgs<T extends Tree>(
  fn: Objective<T>,
  x0: T,
  options: LbfgsOptions<T> = {},
): LbfgsResult<T> {
  const what = 'lbfgs';
  rejectUnknown(what, options, LBFGS_KEYS);
  const maxIterations = options.maxIterations ?? 1000;
  checkInteger(what, 'maxIterations', maxIterations, 0);
  const maxEvaluations = options.maxEvaluations ?? 10 * Math.max(maxIterations, 1);
  checkInteger(what, 'maxEvaluations', maxEvaluations, 1);
  const m = options.history ?? 10;
  checkInteger(what, 'history', m, 1);
  const gradTolerance = options.gradTolerance ?? 1e-8;
  const stepTolerance = options.stepTolerance ?? 1e-12;
  const valueTolerance = options.valueTolerance ?? 1e-12;
  checkNonNegative(what, 'gradTolerance', gradTolerance);
  checkNonNegative(what, 'stepTolerance', stepTolerance);
  checkNonNegative(what, 'valueTolerance', valueTolerance);
  const lsOptions = options.lineSearch ?? {};
  rejectUnknown(`${what}: lineSearch`, lsOptions, ['c1', 'c2', 'maxEvaluations']);
  const lsMaxEvaluations = lsOptions.maxEvaluations ?? 40;
  checkInteger(what, 'lineSearch.maxEvaluations', lsMaxEvaluations, 1);

  const shapes = treeLeaves(x0).map((leaf) => leaf.shape);
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  const n = sizes.reduce((a, b) => a + b, 0);
  const toTree = (flat: Float64Array): T => {
    let o = 0;
    const leaves = shapes.map((shape, i) => {
      const t = new Tensor(new NDArray(flat.slice(o, o + sizes[i]), shape));
      o += sizes[i];
      return t;
    });
    return treeUnflatten(x0, leaves);
  };
  const flatten = (leaves: readonly Tensor[]): Float64Array => {
    const out = new Float64Array(n);
    let o = 0;
    for (const leaf of leaves) {
      out.set(leaf.data, o);
      o += leaf.size;
    }
    return out;
  };

  let evaluations = 0;
  const evaluate = (x: Float64Array): Eval<T> => {
    const tree = toTree(x);
    evaluations++;
    const r = fn(tree);
    if (r.grad === null) {
      if (Number.isFinite(r.value)) {
        throw new RangeError(
          `${what}: fn returned grad null with the finite value ${r.value}; return the gradient`,
        );
      }
      return { x, tree, value: r.value, g: new Float64Array(n).fill(Number.NaN), gradTree: null };
    }
    const gl = treeLeaves(r.grad);
    if (gl.length !== sizes.length || gl.some((leaf, i) => leaf.size !== sizes[i])) {
      const bad = gl.findIndex((leaf, i) => leaf.size !== sizes[i]);
      throw new RangeError(
        `${what}: fn returned a gradient with ${gl.length} leaves for ${sizes.length} parameters` +
          (bad >= 0 ? ` (leaf "${leafPaths(x0)[bad]}" has ${gl[bad].size} values for ${sizes[bad]})` : '') +
          '; return grad shaped like x',
      );
    }
    return { x, tree, value: r.value, g: flatten(gl), gradTree: r.grad };
  };
  const finite = (e: Eval<T>): boolean => Number.isFinite(e.value) && e.g.every(Number.isFinite);

  let cur = evaluate(flatten(treeLeaves(x0)));
  if (!finite(cur)) {
    throw new RangeError(
      `${what}: f(x0) = ${cur.value} or its gradient is not finite; start from a point where the model evaluates`,
    );
  }

  // Correction pairs in a ring buffer; slot (newest − j) mod m holds the j-th newest.
  const S = Array.from({ length: m }, () => new Float64Array(n));
  const Y = Array.from({ length: m }, () => new Float64Array(n));
  const rho = new Float64Array(m);
  const alphaBuf = new Float64Array(m);
  let pairs = 0;
  let newest = -1;
  let gamma = 1;
  const d = new Float64Array(n);
  // Scratch for the newest s and y before the curvature test.
  let s = new Float64Array(n);
  let y = new Float64Array(n);

  /** d = −H g by the two-loop recursion (Nocedal & Wright, Algorithm 7.4). */
  const direction = (g: Float64Array): void => {
    d.set(g);
    for (let j = 0; j < pairs; j++) {
      const k = (newest - j + m) % m;
      const a = rho[k] * dot(S[k], d);
      alphaBuf[k] = a;
      const yk = Y[k];
      for (let i = 0; i < n; i++) d[i] -= a * yk[i];
    }
    for (let i = 0; i < n; i++) d[i] *= gamma;
    for (let j = pairs - 1; j >= 0; j--) {
      const k = (newest - j + m) % m;
      const b = rho[k] * dot(Y[k], d);
      const sk = S[k];
      const c = alphaBuf[k] - b;
      for (let i = 0; i < n; i++) d[i] += c * sk[i];
    }
    for (let i = 0; i < n; i++) d[i] = -d[i];
  };

  let iterations = 0;
  const finish = (status: LbfgsStatus, message: string): LbfgsResult<T> => ({
    x: cur.tree,
    value: cur.value,
    grad: cur.gradTree!,
    gradNorm: infNorm(cur.g),
    iterations,
    evaluations,
    status,
    message: `${message} (f = ${cur.value}, ‖∇f‖∞ = ${infNorm(cur.g)}, ${iterations} iterations, ${evaluations} evaluations)`,
  });

  if (infNorm(cur.g) <= gradTolerance) return finish('converged', `‖∇f‖∞ ≤ gradTolerance = ${gradTolerance}`);

  while (iterations < maxIterations) {
    let search: LineSearchResult<Eval<T>> | null = null;
    // One try along the L-BFGS direction; if that fails, one along steepest descent.
    for (let attempt = 0; attempt < 2 && search === null; attempt++) {
      let slope0 = Number.NaN;
      if (pairs > 0) {
        direction(cur.g);
        slope0 = dot(cur.g, d);
      }
      const steepest = !(slope0 < 0);
      if (steepest) {
        pairs = 0;
        gamma = 1;
        for (let i = 0; i < n; i++) d[i] = -cur.g[i];
        slope0 = -dot(cur.g, cur.g);
        if (!(slope0 < 0)) return finish('converged', 'the gradient is zero to rounding');
      }
      const budget = Math.min(lsMaxEvaluations, maxEvaluations - evaluations);
      if (budget <= 0) return finish('maxEvaluations', `reached maxEvaluations = ${maxEvaluations}`);
      const from = cur;
      const dir = d.slice();
      const r = strongWolfeLineSearch(
        (alpha) => {
          const x = new Float64Array(n);
          for (let i = 0; i < n; i++) x[i] = from.x[i] + alpha * dir[i];
          const e = evaluate(x);
          return {
            value: finite(e) ? e.value : Number.NaN,
            slope: finite(e) ? dot(e.g, dir) : Number.NaN,
            payload: e,
          };
        },
        from.value,
        slope0,
        {
          c1: lsOptions.c1,
          c2: lsOptions.c2,
          alphaInit: steepest ? Math.min(1, 1 / Math.sqrt(-slope0)) : 1,
          maxEvaluations: budget,
        },
      );
      if (r.status !== 'failed') search = r;
      else if (steepest) {
        if (evaluations >= maxEvaluations)
          return finish('maxEvaluations', `reached maxEvaluations = ${maxEvaluations}`);
        return finish('lineSearchFailed', `the line search along steepest descent failed: ${r.message}`);
      } else pairs = 0; // retry along steepest descent
    }
    if (search === null || search.payload === null) {
      return finish('lineSearchFailed', 'the line search found no step with sufficient decrease');
    }
    const next = search.payload;
    for (let i = 0; i < n; i++) {
      s[i] = next.x[i] - cur.x[i];
      y[i] = next.g[i] - cur.g[i];
    }
    const stepNorm = infNorm(s);
    const sy = dot(s, y);
    const yy = dot(y, y);
    if (sy > Number.EPSILON * yy && yy > 0) {
      // Store the pair in the oldest slot (its buffers become the scratch pair).
      newest = (newest + 1) % m;
      [S[newest], s] = [s, S[newest]];
      [Y[newest], y] = [y, Y[newest]];
      rho[newest] = 1 / sy;
      pairs = Math.min(pairs + 1, m);
      gamma = sy / yy;
    }
    const previous = cur;
    cur = next;
    iterations++;
    const gradNorm = infNorm(cur.g);
    if (options.onIteration !== undefined) {
      const go = options.onIteration({
        iteration: iterations,
        value: cur.value,
        gradNorm,
        step: search.alpha,
        evaluations,
        x: cur.tree,
      });
      if (go === false) return finish('stopped', 'onIteration returned false');
    }
    if (gradNorm <= gradTolerance) return finish('converged', `‖∇f‖∞ ≤ gradTolerance = ${gradTolerance}`);
    if (stepNorm <= stepTolerance * Math.max(1, infNorm(cur.x))) {
      return finish(
        'stepTolerance',
        `the step ‖Δx‖∞ = ${stepNorm} fell below stepTolerance = ${stepTolerance}`,
      );
    }
    const drop = previous.value - cur.value;
    if (drop <= valueTolerance * Math.max(Math.abs(previous.value), Math.abs(cur.value))) {
      return finish(
        'valueTolerance',
        `f decreased by only ${drop} (valueTolerance = ${valueTolerance}, relative)`,
      );
    }
    if (evaluations >= maxEvaluations)
      return finish('maxEvaluations', `reached maxEvaluations = ${maxEvaluations}`);
  }
  return finish('maxIterations', `reached maxIterations = ${maxIterations}`);
}
