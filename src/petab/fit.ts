/**
 * Parameter estimation for a PEtab (SciML) problem: minimizes the objective of
 * `evaluatePetab` (negative log-likelihood + negative log-prior) over every estimated
 * mechanistic parameter (on its parameterScale, within its bounds) and every estimated
 * network array with L-BFGS (`src/optim`), starting from the nominal point. Points outside
 * the bounds, or where the solver fails, count as +∞ so that the line search backs off.
 */
import { Tensor } from '../autodiff/tensor.js';
import { lbfgs } from '../optim/lbfgs.js';
import { NDArray } from '../tensor/ndarray.js';
import type { NetParams } from './net.js';
import {
  evaluatePetab,
  nominalPoint,
  type PetabEvaluation,
  type PetabPoint,
  type PetabSolverOptions,
  toScale,
} from './objective.js';
import type { PetabProblem } from './problem.js';

/** Options of {@link fitPetab}. */
export interface PetabFitOptions extends PetabSolverOptions {
  /** L-BFGS iterations (default 200). */
  readonly iterations?: number;
  /** Start (default: the nominal point). */
  readonly start?: PetabPoint;
  /** Called after every iteration with the objective value. */
  readonly onIteration?: (iteration: number, value: number) => void;
}

/** The result of {@link fitPetab}. */
export interface PetabFitResult {
  readonly start: PetabPoint;
  readonly point: PetabPoint;
  readonly initial: PetabEvaluation;
  readonly final: PetabEvaluation;
  /** Objective value after each iteration. */
  readonly history: readonly number[];
  readonly iterations: number;
  readonly status: string;
  readonly message: string;
}

/** Flat layout of the estimated entries: mechanistic values, then estimated network arrays. */
function layout(problem: PetabProblem) {
  const arrays: { net: string; layer: string; array: string; size: number; offset: number }[] = [];
  let n = problem.estimated.length;
  for (const net of problem.nets)
    for (const a of net.arrays) {
      if (!a.estimated) continue;
      const size = net.nominal[a.layer][a.array].size;
      arrays.push({ net: net.id, layer: a.layer, array: a.array, size, offset: n });
      n += size;
    }
  return { arrays, size: n };
}

/**
 * Fits a PEtab problem by L-BFGS.
 *
 * @example
 * ```ts
 * const problem = await loadPetabProblem(nodeFileSource('petab'));
 * const fit = fitPetab(problem, { iterations: 100 });
 * fit.final.value < fit.initial.value; // true
 * ```
 */
export function fitPetab(problem: PetabProblem, options: PetabFitOptions = {}): PetabFitResult {
  const start = options.start ?? nominalPoint(problem);
  const { arrays, size } = layout(problem);
  const m = problem.estimated.length;
  const toFlat = (p: PetabPoint): Float64Array => {
    const x = new Float64Array(size);
    x.set(p.mech, 0);
    for (const a of arrays) x.set(p.nets[a.net][a.layer][a.array].data, a.offset);
    return x;
  };
  const fromFlat = (x: Float64Array): PetabPoint => {
    const nets: Record<string, NetParams> = {};
    for (const [id, params] of Object.entries(start.nets)) {
      const copy: Record<string, Record<string, Tensor>> = {};
      for (const [layer, arrs] of Object.entries(params)) copy[layer] = { ...arrs };
      nets[id] = copy;
    }
    for (const a of arrays) {
      const t = start.nets[a.net][a.layer][a.array];
      (nets[a.net] as Record<string, Record<string, Tensor>>)[a.layer][a.array] = new Tensor(
        new NDArray(x.slice(a.offset, a.offset + a.size), t.shape),
      );
    }
    return { mech: x.slice(0, m), nets };
  };
  const lower = Float64Array.from(problem.estimated, (e) => toScale(e.scale, e.lower));
  const upper = Float64Array.from(problem.estimated, (e) => toScale(e.scale, e.upper));
  const evalOptions = {
    method: options.method,
    rtol: options.rtol,
    atol: options.atol,
    maxSteps: options.maxSteps,
  };
  const initial = evaluatePetab(problem, start, { ...evalOptions, gradient: false });
  if (initial.failure !== null || !Number.isFinite(initial.value))
    throw new RangeError(
      `fitPetab: the objective cannot be evaluated at the start: ${initial.failure ?? 'not finite'}`,
    );
  const history: number[] = [];
  const objective = (t: Tensor) => {
    const x = t.data;
    for (let j = 0; j < m; j++)
      if (!(x[j] >= lower[j] && x[j] <= upper[j])) return { value: Number.POSITIVE_INFINITY, grad: null };
    const p = fromFlat(x);
    const r = evaluatePetab(problem, p, evalOptions);
    if (r.failure !== null || !Number.isFinite(r.value) || r.gradient === null)
      return { value: Number.POSITIVE_INFINITY, grad: null };
    const g = new Float64Array(size);
    g.set(r.gradient.mech, 0);
    for (const a of arrays) g.set(r.gradient.nets[a.net][a.layer][a.array], a.offset);
    return { value: r.value, grad: new Tensor(new NDArray(g, [size])) };
  };
  const result = lbfgs(objective, new Tensor(new NDArray(toFlat(start), [size])), {
    maxIterations: options.iterations ?? 200,
    onIteration: (info) => {
      history.push(info.value);
      options.onIteration?.(info.iteration, info.value);
      return undefined;
    },
  });
  const point = fromFlat(result.x.data);
  const final = evaluatePetab(problem, point, { ...evalOptions, gradient: false });
  return {
    start,
    point,
    initial,
    final,
    history,
    iterations: result.iterations,
    status: result.status,
    message: result.message,
  };
}
