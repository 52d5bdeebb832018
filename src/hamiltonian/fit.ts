/**
 * Training a learned phase-space field on observed time derivatives (the regression of
 * Greydanus et al. 2019): full-batch steps of an optimizer on the mean squared error between
 * the predicted field and the target derivatives.
 */
import { sub } from '../autodiff/ops/binary.js';
import { mean } from '../autodiff/ops/reduce.js';
import { square } from '../autodiff/ops/unary.js';
import type { Tensor } from '../autodiff/tensor.js';
import { valueAndGrad } from '../autodiff/transforms.js';
import type { Tree } from '../autodiff/tree.js';
import { applyUpdates, type GradientTransformation } from '../optim/transform.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import type { LearnedDynamics } from './networks.js';

/**
 * The derivative-matching loss
 *
 *   L(θ) = mean over the batch and the 2n components of (f_θ(x) − ẋ)²,
 *
 * which for a Hamiltonian net is (1/2nB) Σ ‖∂H_θ/∂p − q̇‖² + ‖−∂H_θ/∂q − ṗ‖² (the mean, as
 * the paper's code's `L2_loss`). x and ẋ are [B, 2n]. Differentiable with respect to θ (for
 * an HNN this is a gradient of the input gradient: second-order autodiff).
 *
 * @example
 * ```ts
 * const hnn = hamiltonianNetwork({ dof: 1, hidden: [16] });
 * const p = hnn.init(rngKey(0));
 * const x = tensor([[1, 0]]), dxdt = tensor([[0, -2]]);
 * const g = grad((q: MlpParams) => derivativeLoss(hnn, q, x, dxdt))(p); // same tree as p
 * ```
 */
export function derivativeLoss<P>(dynamics: LearnedDynamics<P>, params: P, x: Tensor, dxdt: Tensor): Tensor {
  if (!shapesEqual(x.shape, dxdt.shape)) {
    throw new RangeError(
      `derivativeLoss: the targets dxdt ${formatShape(dxdt.shape)} must have the shape of the states x ${formatShape(x.shape)}`,
    );
  }
  return mean(square(sub(dynamics.field(params, x), dxdt)));
}

/** Options of {@link fitDerivatives}. */
export interface FitDerivativesOptions<S> {
  /** The optimizer, e.g. `adam(1e-3, { weightDecay: 1e-4 })` (the paper's). */
  optimizer: GradientTransformation<S>;
  /** Number of full-batch steps. */
  steps: number;
  /** Called after each step with the step index (0-based) and the loss before it. */
  onStep?: (step: number, loss: number, params: Tree) => void;
}

/** What {@link fitDerivatives} returns. */
export interface FitDerivativesResult<P> {
  /** The parameters after the last step. */
  readonly params: P;
  /** The loss before each step, and at the end (length steps + 1). */
  readonly losses: Float64Array;
}

/**
 * Fits `dynamics` to target derivatives: `steps` full-batch optimizer steps on
 * {@link derivativeLoss}(θ; x, ẋ). Throws, naming the step, if the loss or a gradient becomes
 * non-finite.
 *
 * @example
 * ```ts
 * const hnn = hamiltonianNetwork({ dof: 1, hidden: [32, 32] });
 * const { params, losses } = fitDerivatives(hnn, hnn.init(rngKey(0)), x, dxdt, {
 *   optimizer: adam(1e-3, { weightDecay: 1e-4 }),
 *   steps: 2000,
 * });
 * ```
 */
export function fitDerivatives<P extends Tree, S>(
  dynamics: LearnedDynamics<P>,
  initial: P,
  x: Tensor,
  dxdt: Tensor,
  options: FitDerivativesOptions<S>,
): FitDerivativesResult<P> {
  const { optimizer, steps, onStep } = options;
  if (!Number.isInteger(steps) || steps < 0) {
    throw new RangeError(`fitDerivatives: steps must be an integer ≥ 0, got ${steps}`);
  }
  const lossAndGrad = valueAndGrad((p: P) => derivativeLoss(dynamics, p, x, dxdt));
  let params = initial;
  let state = optimizer.init(params);
  const losses = new Float64Array(steps + 1);
  for (let step = 0; step < steps; step++) {
    const [value, grads] = lossAndGrad(params);
    const loss = value.item();
    if (!Number.isFinite(loss)) {
      throw new RangeError(
        `fitDerivatives: the loss is ${loss} at step ${step}; lower the learning rate or check the data for NaN/Inf`,
      );
    }
    losses[step] = loss;
    const { updates, state: next } = optimizer.update(grads, state, params);
    params = applyUpdates(params, updates);
    state = next;
    onStep?.(step, loss, params);
  }
  losses[steps] = derivativeLoss(dynamics, params, x, dxdt).item();
  return { params, losses };
}
