/**
 * Full-batch polishing with L-BFGS after stochastic training — the usual recipe for
 * universal differential equations (Rackauckas et al. 2020: ADAM to get near a minimum, then
 * BFGS to converge into it).
 */
import { Tensor } from '../autodiff/tensor.js';
import { treeLeaves, treeUnflatten } from '../autodiff/tree.js';
import { type LbfgsResult, lbfgs } from '../optim/lbfgs.js';
import { NDArray } from '../tensor/ndarray.js';
import type { HybridModel, HybridParams } from './hybridModel.js';
import type { DataLoss } from './loss.js';
import { objective } from './objective.js';
import type { Regularizer } from './regularizers.js';
import type { Subject } from './subject.js';
import type { TrajectoryRegularizer } from './trajectoryBatch.js';

/** Options of {@link polish}. */
export interface PolishOptions {
  /** Data-fit loss (default 'mse'). */
  readonly loss?: DataLoss;
  readonly regularizers?: readonly (Regularizer | TrajectoryRegularizer)[];
  /** L-BFGS iterations (default 200). */
  readonly iterations?: number;
  /** Stop when ‖∇L‖∞ falls below this (default 1e-8). */
  readonly gradTolerance?: number;
  /** Called after every iteration with the objective's value. */
  readonly onIteration?: (iteration: number, value: number) => void;
}

/**
 * Minimizes the training objective (data fit + regularizers, every subject at once, no
 * multiple shooting) with L-BFGS and a strong-Wolfe line search from `params`. A solver failure
 * at a trial point counts as an infinitely bad point, so the line search backs off; the result
 * is projected onto the parameter bounds.
 *
 * @returns the polished parameters (shooting nodes dropped) and the L-BFGS result.
 * @example
 * ```ts
 * const trained = train(hm, hm.init(), subjects, { optimizer: adam(1e-2), epochs: 300 });
 * const { params } = polish(hm, trained.params, subjects, { iterations: 100 });
 * ```
 */
export function polish(
  model: HybridModel,
  params: HybridParams,
  subjects: readonly Subject[],
  options: PolishOptions = {},
): { params: HybridParams; result: LbfgsResult<HybridParams> } {
  const start: HybridParams = { ...params, shooting: {} };
  const settings = { loss: options.loss ?? 'mse', regularizers: options.regularizers ?? [] } as const;
  const result = lbfgs(
    (x: HybridParams) => {
      const o = objective(model, x, subjects, settings);
      if (o.gradient === null) return { value: Number.POSITIVE_INFINITY, grad: zerosLike(x) };
      return { value: o.value, grad: o.gradient };
    },
    start,
    {
      maxIterations: options.iterations ?? 200,
      gradTolerance: options.gradTolerance ?? 1e-8,
      onIteration: (info) => {
        options.onIteration?.(info.iteration, info.value);
        return true;
      },
    },
  );
  return { params: model.project(result.x), result };
}

function zerosLike(x: HybridParams): HybridParams {
  return treeUnflatten(
    x,
    treeLeaves(x).map((l) => new Tensor(NDArray.zeros([...l.shape]))),
  );
}
