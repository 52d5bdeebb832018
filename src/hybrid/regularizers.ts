/**
 * Regularizers: penalties on the parameter tree, added to the data-fit loss by the trainer.
 * Each is written with the differentiable tensor operations, so its gradient comes from the
 * autodiff; write your own the same way.
 */

import { add, mul } from '../autodiff/ops/binary.js';
import { sum } from '../autodiff/ops/reduce.js';
import { abs, square } from '../autodiff/ops/unary.js';
import { scalar, type Tensor } from '../autodiff/tensor.js';
import type { HybridParams } from './hybridModel.js';

/** A named penalty R(params) ≥ 0, differentiable with the tensor operations. */
export interface Regularizer {
  readonly name: string;
  penalty(params: HybridParams): Tensor;
}

function weightsOf(params: HybridParams, biases: boolean): Tensor[] {
  return Object.values(params.nets).flatMap((layers) => layers.flatMap((l) => (biases ? [l.w, l.b] : [l.w])));
}

/**
 * λ·Σ‖W‖² over every network's weight matrices (and biases with `biases: true`): L2 weight
 * decay written into the loss (compare the optimizer's decoupled `adamw`).
 *
 * @example
 * ```ts
 * train(hm, params, subjects, { optimizer: adam(1e-3), epochs: 100, regularizers: [l2Weights(1e-3)] });
 * ```
 */
export function l2Weights(lambda: number, options: { biases?: boolean } = {}): Regularizer {
  checkWeight('l2Weights', lambda);
  return {
    name: 'l2Weights',
    penalty(params) {
      let total: Tensor = scalar(0);
      for (const w of weightsOf(params, options.biases ?? false)) total = add(total, sum(square(w)));
      return mul(total, lambda);
    },
  };
}

/**
 * λ·Σ|W| over every network's weight matrices (and biases with `biases: true`). The
 * subgradient at 0 is 0; for exact zeros use a proximal step (the optimizers' proximal L1).
 *
 * @example
 * ```ts
 * const reg = l1Weights(1e-4);
 * ```
 */
export function l1Weights(lambda: number, options: { biases?: boolean } = {}): Regularizer {
  checkWeight('l1Weights', lambda);
  return {
    name: 'l1Weights',
    penalty(params) {
      let total: Tensor = scalar(0);
      for (const w of weightsOf(params, options.biases ?? false)) total = add(total, sum(abs(w)));
      return mul(total, lambda);
    },
  };
}

function checkWeight(who: string, lambda: number): void {
  if (!(Number.isFinite(lambda) && lambda >= 0)) {
    throw new RangeError(`${who}: the weight λ must be a finite number ≥ 0, got ${lambda}`);
  }
}
