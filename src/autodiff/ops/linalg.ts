/**
 * Differentiable matrix product and affine map.
 */

import { unaryInto } from '../../tensor/elementwise.js';
import { gemm } from '../../tensor/gemm.js';
import { matmul as matmulKernel } from '../../tensor/matmul.js';
import { NDArray } from '../../tensor/ndarray.js';
import { allocate, recycle } from '../../tensor/pool.js';
import { sumRows } from '../../tensor/reduce.js';
import { formatShape, sizeOf } from '../../tensor/shape.js';
import { Primitive } from '../primitive.js';
import { isTracing, record } from '../tape.js';
import { Tensor } from '../tensor.js';
import { gt, mul, sub, where } from './binary.js';
import { reshape } from './layout.js';
import { tanhGrad } from './unary.js';

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

/** Activations that {@link linear} can fuse: each one's derivative is a function of its output. */
export type FusedActivation = 'identity' | 'tanh' | 'sigmoid' | 'relu';

/**
 * Affine map y = act(x·Wᵀ + b) in PyTorch's `nn.functional.linear` layout: `x` is
 * [..., in], `w` is [out, in], `b` is [out]; `y` is [..., out]. The bias is written first, the
 * product accumulated onto it and the activation applied in place: one kernel pass, one
 * allocation. `activation` defaults to the identity; tanh, sigmoid and relu can be fused
 * because their derivatives are functions of y (1 − y², y(1 − y), [y > 0]).
 *
 * VJP, with z̄ = ȳ ⊙ act′: x̄ = z̄·W, W̄ = z̄ᵀ·x (leading axes flattened), b̄ = Σ z̄ over
 * leading axes. Differentiable to any order.
 *
 * @example
 * ```ts
 * const w = tensor([[1, 2], [3, 4], [5, 6]]);   // out = 3, in = 2
 * linear(tensor([[1, 1]]), w, tensor([0, 0, 1])).toArray(); // [[3, 7, 12]]
 * linear(tensor([[1, 1]]), w, undefined, 'relu').toArray();  // [[3, 7, 11]]
 * ```
 */
export function linear(x: Tensor, w: Tensor, b?: Tensor, activation: FusedActivation = 'identity'): Tensor {
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
  const lead = x.shape.slice(0, -1);
  const m = sizeOf(lead);
  const out = allocate(m * nOut); // fully written: bias rows, or gemm overwrites
  if (b !== undefined) for (let r = 0; r < m; r++) out.set(b.data, r * nOut);
  gemm(false, true, m, nOut, nIn, x.data, 0, w.data, 0, out, 0, b !== undefined);
  const y = new NDArray(out, [...lead, nOut]);
  const value = activation === 'identity' ? y : applyInPlace(activation, y);
  const inputs = b === undefined ? [x, w] : [x, w, b];
  return record(Primitive.Linear, inputs, { activation }, value);
}

function applyInPlace(activation: Exclude<FusedActivation, 'identity'>, z: NDArray): NDArray {
  const d = z.data;
  if (activation === 'relu') {
    for (let i = 0; i < d.length; i++) if (!(d[i] > 0) && !Number.isNaN(d[i])) d[i] = 0;
    return z;
  }
  return unaryInto(activation, z, z);
}

/**
 * VJP of {@link linear}. Outside recording it works on raw buffers (z̄ in a private scratch
 * buffer that goes back to the pool); while recording it is written with differentiable
 * operations so that it can be differentiated again.
 */
export function linearVjp(
  g: Tensor,
  y: Tensor,
  x: Tensor,
  w: Tensor,
  activation: FusedActivation,
  needs: readonly boolean[],
): (Tensor | null)[] {
  const [nOut, nIn] = w.shape;
  if (isTracing()) {
    const gz = activationVjp(activation, g, y);
    const g2 = reshape(gz, [-1, nOut]);
    const xbar = needs[0] ? reshape(matmul(g2, w), x.shape) : null;
    const wbar = needs[1] ? matmul(g2, reshape(x, [-1, nIn]), { transA: true }) : null;
    return [xbar, wbar, gz];
  }
  const m = g.size / Math.max(nOut, 1);
  const gd = g.value.data;
  const yd = y.value.data;
  let gz = gd;
  if (activation !== 'identity') {
    gz = allocate(gd.length);
    if (activation === 'tanh') for (let i = 0; i < gz.length; i++) gz[i] = gd[i] * (1 - yd[i] * yd[i]);
    else if (activation === 'sigmoid')
      for (let i = 0; i < gz.length; i++) gz[i] = gd[i] * yd[i] * (1 - yd[i]);
    else for (let i = 0; i < gz.length; i++) gz[i] = yd[i] > 0 ? gd[i] : 0;
  }
  let xbar: Tensor | null = null;
  if (needs[0]) {
    const xb = allocate(m * nIn);
    gemm(false, false, m, nIn, nOut, gz, 0, w.value.data, 0, xb, 0, false);
    xbar = new Tensor(new NDArray(xb, x.shape));
  }
  let wbar: Tensor | null = null;
  if (needs[1]) {
    const wb = new Float64Array(nOut * nIn);
    gemm(true, false, nOut, nIn, m, gz, 0, x.value.data, 0, wb, 0, false);
    wbar = new Tensor(new NDArray(wb, w.shape));
  }
  let bbar: Tensor | null = null;
  if (needs[2]) {
    bbar = new Tensor(new NDArray(sumRows(gz.subarray(0, m * nOut), nOut), [nOut]));
  }
  if (gz !== gd) recycle(gz); // the scratch never escaped: every result above is a new buffer
  return [xbar, wbar, bbar];
}

/** z̄ = ȳ ⊙ act′ written with differentiable operations (for higher derivatives). */
function activationVjp(activation: FusedActivation, g: Tensor, y: Tensor): Tensor {
  switch (activation) {
    case 'identity':
      return g;
    case 'tanh':
      return tanhGrad(y, g);
    case 'sigmoid':
      return mul(g, mul(y, sub(1, y)));
    case 'relu':
      return where(gt(y, 0), g, 0);
  }
}
