/**
 * Differentiable matrix product and affine map.
 */

import { gemm } from '../../tensor/gemm.js';
import { matmul as matmulKernel } from '../../tensor/matmul.js';
import { NDArray } from '../../tensor/ndarray.js';
import { formatShape } from '../../tensor/shape.js';
import { Primitive } from '../primitive.js';
import { record } from '../tape.js';
import type { Tensor } from '../tensor.js';
import { reshape } from './layout.js';

const noParams = {} as const;

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

/**
 * Affine map y = x·Wᵀ + b in PyTorch's `nn.functional.linear` layout: `x` is [..., in],
 * `w` is [out, in], `b` is [out]; `y` is [..., out]. One fused kernel (bias written first,
 * then the product accumulated onto it), one allocation.
 *
 * VJP: x̄ = ȳ·W, W̄ = ȳᵀ·x (leading axes flattened), b̄ = Σ ȳ over leading axes.
 *
 * @example
 * ```ts
 * const w = tensor([[1, 2], [3, 4], [5, 6]]);   // out = 3, in = 2
 * linear(tensor([[1, 1]]), w, tensor([0, 0, 1])).toArray(); // [[3, 7, 12]]
 * ```
 */
export function linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  if (w.rank !== 2 || x.rank < 1 || x.shape[x.rank - 1] !== w.shape[1]) {
    throw new RangeError(
      `linear: expected x [..., in] and w [out, in] with equal in, got ${formatShape(x.shape)} and ${formatShape(w.shape)}`,
    );
  }
  const [nOut, nIn] = w.shape;
  if (b !== undefined && (b.rank !== 1 || b.shape[0] !== nOut)) {
    throw new RangeError(
      `linear: bias must have shape [${nOut}] to match w ${formatShape(w.shape)}, got ${formatShape(b.shape)}`,
    );
  }
  const m = x.size / Math.max(nIn, 1);
  const out = new Float64Array(m * nOut);
  if (b !== undefined) for (let r = 0; r < m; r++) out.set(b.data, r * nOut);
  gemm(false, true, m, nOut, nIn, x.data, 0, w.data, 0, out, 0, b !== undefined);
  const shape = [...x.shape.slice(0, -1), nOut];
  const inputs = b === undefined ? [x, w] : [x, w, b];
  return record(Primitive.Linear, inputs, noParams, new NDArray(out, shape));
}

/** VJP of {@link linear}: [x̄, W̄, b̄] from ȳ (b̄ left broadcast; the walker sums it). */
export function linearVjp(g: Tensor, x: Tensor, w: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  const [nOut, nIn] = w.shape;
  const g2 = reshape(g, [-1, nOut]);
  const xbar = needs[0] ? reshape(matmul(g2, w), x.shape) : null;
  const wbar = needs[1] ? matmul(g2, reshape(x, [-1, nIn]), { transA: true }) : null;
  return [xbar, wbar, g];
}
