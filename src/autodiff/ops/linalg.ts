/**
 * Differentiable matrix product.
 */

import { Primitive } from '../primitive.js';
import { record } from '../tape.js';
import type { Tensor } from '../tensor.js';
import { matmul as matmulKernel } from './tmpMatmul.js';

/** Options of {@link matmul}. */
export interface MatmulOptions {
  /** Use the transpose of `a`'s last two axes. */
  transA?: boolean;
  /** Use the transpose of `b`'s last two axes. */
  transB?: boolean;
}

/**
 * Batched matrix product C = op(A)·op(B) over the last two axes, with NumPy broadcasting of
 * the leading (batch) axes; op transposes when `transA`/`transB` is set, without copying.
 * Both operands must have rank ≥ 2.
 *
 * VJP: for C = A·B, Ā = C̄·Bᵀ and B̄ = Aᵀ·C̄ (transposed forms likewise), each again a
 * `matmul` with transpose flags.
 *
 * @example
 * ```ts
 * matmul(tensor([[1, 2]]), tensor([[3], [4]])).toArray(); // [[11]]
 * matmul(tensor([[1, 2]]), tensor([[1, 2]]), { transB: true }).item(); // 5
 * ```
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  return record(Primitive.Matmul, [a, b], { transA, transB }, matmulKernel(a.value, b.value, transA, transB));
}
