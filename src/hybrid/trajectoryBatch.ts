/**
 * The contract between {@link HybridModel.evaluate} and the regularizers that look at the
 * solution trajectories (trajectoryRegularizers.ts): the saved states of one batched solve,
 * with the buffers their gradients go into. A penalty's cotangents on the saved states enter
 * the discrete adjoint together with the data-fit loss's, so its gradient through the solve is
 * exact (the gradient of the computed solution, like the loss's).
 */
import { Tensor } from '../autodiff/tensor.js';
import { treeLeaves, treeUnflatten } from '../autodiff/tree.js';
import type { InputFunction } from '../ode/modelField.js';
import { NDArray } from '../tensor/ndarray.js';
import type { HybridModel, HybridParams } from './hybridModel.js';
import type { DataLoss } from './loss.js';
import type { Subject } from './subject.js';

/**
 * One solved batch as a trajectory regularizer sees it. Trajectory b is `subjects[b]` cut at
 * the horizon; its states at `times[b]` are `states[b]` ([times · dim], row-major).
 */
export interface TrajectoryBatch {
  /** The model that was solved. */
  readonly model: HybridModel;
  readonly params: HybridParams;
  /** The subject of each trajectory. */
  readonly subjects: readonly Subject[];
  /** The data-fit loss of this evaluation. */
  readonly loss: DataLoss;
  /** The curriculum horizon of this evaluation, if any. */
  readonly horizon?: number;
  /** Save (observation) times of each trajectory. */
  readonly times: readonly Float64Array[];
  /** States at the save times, [times · dim] per trajectory. */
  readonly states: readonly Float64Array[];
  /** Natural-scale parameters of every trajectory, [trajectories · nParams]. */
  readonly p: Float64Array;
  /** Covariates of every trajectory, [trajectories · nCovariates]. */
  readonly covariates: Float64Array;
  /** The time-varying inputs of the trajectories (null when the model has none). */
  readonly inputs: InputFunction | null;
  /**
   * Where a penalty adds its gradient (null when no gradient is wanted): cotangents on the
   * saved states (`statesBar[b]` shaped like `states[b]`), on the natural parameters of each
   * trajectory (`pBar`, shaped like `p`), and whole gradient trees on the parameters
   * (`extra`, for penalties that run solves of their own). Networks evaluated through
   * `model.compiled` or a model sharing `model.nets` accumulate their weight gradients there.
   */
  readonly gradient: {
    readonly statesBar: readonly Float64Array[];
    readonly pBar: Float64Array;
    readonly extra: HybridParams[];
  } | null;
}

/**
 * A penalty on the solution trajectories: its value for a solved batch, adding its gradient
 * into `batch.gradient` when that is not null. Pass it among the trainer's `regularizers`.
 */
export interface TrajectoryRegularizer {
  readonly kind: 'trajectory';
  readonly name: string;
  penalty(batch: TrajectoryBatch): number;
}

/**
 * a + b leaf by leaf, for parameter trees of the same structure.
 *
 * @example
 * ```ts
 * const g = addTrees(gradientOfLoss, gradientOfPenalty);
 * ```
 */
export function addTrees(a: HybridParams, b: HybridParams): HybridParams {
  const as = treeLeaves(a);
  const bs = treeLeaves(b);
  if (as.length !== bs.length) {
    throw new RangeError(`addTrees: the trees have ${as.length} and ${bs.length} leaves`);
  }
  return treeUnflatten(
    a,
    as.map((x, i) => {
      const y = bs[i].data;
      if (y.length !== x.size)
        throw new RangeError(`addTrees: leaf ${i} has ${x.size} and ${y.length} values`);
      const out = Float64Array.from(x.data);
      for (let j = 0; j < out.length; j++) out[j] += y[j];
      return new Tensor(new NDArray(out, x.shape));
    }),
  );
}
