/**
 * The training objective of a hybrid model on a batch of subjects: the data-fit loss (plus the
 * multiple-shooting continuity penalty) from {@link HybridModel.evaluate}, plus the
 * regularizers' penalties, with the gradient of the sum. Shared by the trainer's steps and the
 * L-BFGS polish, so both minimize the same function.
 */
import { add } from '../autodiff/ops/binary.js';
import { scalar, Tensor } from '../autodiff/tensor.js';
import { valueAndGrad } from '../autodiff/transforms.js';
import { treeLeaves, treeUnflatten } from '../autodiff/tree.js';
import { NDArray } from '../tensor/ndarray.js';
import type { HybridModel, HybridParams } from './hybridModel.js';
import type { DataLoss } from './loss.js';
import type { Regularizer } from './regularizers.js';
import type { Subject } from './subject.js';
import type { TrajectoryRegularizer } from './trajectoryBatch.js';
import { isTrajectoryRegularizer } from './trajectoryRegularizers.js';

/** Options of {@link objective}. */
export interface ObjectiveOptions {
  readonly loss: DataLoss;
  /** Parameter penalties and trajectory regularizers (trajectoryRegularizers.ts). */
  readonly regularizers?: readonly (Regularizer | TrajectoryRegularizer)[];
  readonly horizon?: number;
  /** Weight λ of the data-fit loss (default 1): L = λ·data fit + Σ penalties. */
  readonly dataWeight?: number;
  readonly shooting?: { readonly segments: number; readonly weight: number };
}

/** Value and gradient of the objective, or why they are not finite. */
export interface ObjectiveValue {
  /** λ·data fit (+ continuity penalty) + Σ penalties. */
  readonly value: number;
  /** The data-fit loss alone. */
  readonly dataLoss: number;
  /** ∂value/∂params, or null when the value or a gradient entry is not finite. */
  readonly gradient: HybridParams | null;
  /** Why the value or gradient is not finite (a solver failure names trajectory, time and state), else null. */
  readonly failure: string | null;
}

/**
 * L(params) = λ·data fit + trajectory penalties (both from evaluate) + Σᵣ R(params), and ∇L.
 *
 * @example
 * ```ts
 * const { value, gradient } = objective(hm, params, subjects, { loss: 'nll', regularizers: [l2Weights(1e-4)] });
 * ```
 */
export function objective(
  model: HybridModel,
  params: HybridParams,
  batch: readonly Subject[],
  options: ObjectiveOptions,
): ObjectiveValue {
  const all = options.regularizers ?? [];
  const trajectory = all.filter(isTrajectoryRegularizer);
  const regs = all.filter((r): r is Regularizer => !isTrajectoryRegularizer(r));
  const ev = model.evaluate(params, batch, {
    loss: options.loss,
    ...(trajectory.length === 0 ? {} : { penalties: trajectory }),
    ...(options.dataWeight === undefined ? {} : { dataWeight: options.dataWeight }),
    ...(options.horizon === undefined ? {} : { horizon: options.horizon }),
    ...(options.shooting === undefined ? {} : { shooting: options.shooting }),
  });
  if (ev.failure !== null || ev.gradient === null) {
    return { value: Number.NaN, dataLoss: Number.NaN, gradient: null, failure: ev.failure ?? 'no gradient' };
  }
  let value = ev.value;
  let gradient = ev.gradient;
  if (regs.length > 0) {
    const [r, g] = valueAndGrad((p: HybridParams) => {
      let total: Tensor = scalar(0);
      for (const reg of regs) total = add(total, reg.penalty(p));
      return total;
    })(params);
    value += r.item();
    gradient = sumTrees(gradient, g);
  }
  if (!Number.isFinite(value))
    return { value, dataLoss: ev.dataLoss, gradient: null, failure: `the loss is ${value}` };
  for (const leaf of treeLeaves(gradient)) {
    for (const v of leaf.data) {
      if (!Number.isFinite(v))
        return { value, dataLoss: ev.dataLoss, gradient: null, failure: `a gradient entry is ${v}` };
    }
  }
  return { value, dataLoss: ev.dataLoss, gradient, failure: null };
}

/** a + b leaf by leaf, for trees of the same structure. */
function sumTrees(a: HybridParams, b: HybridParams): HybridParams {
  const as = treeLeaves(a);
  const bs = treeLeaves(b);
  return treeUnflatten(
    a,
    as.map((x, i) => {
      const out = Float64Array.from(x.data);
      const y = bs[i].data;
      for (let j = 0; j < out.length; j++) out[j] += y[j];
      return new Tensor(new NDArray(out, x.shape));
    }),
  );
}
