/**
 * Differentiable reductions: sum, mean, max, min, logsumexp and p-norms over any axes.
 */
import { NDArray } from '../../tensor/ndarray.js';
import * as K from '../../tensor/reduce.js';
import { normalizeAxes, sizeOf } from '../../tensor/shape.js';
import { Primitive } from '../primitive.js';
import { record } from '../tape.js';
import { Tensor } from '../tensor.js';
import { add, div, mul, pow } from './binary.js';
import { reshape } from './layout.js';
import { abs, exp, log, sqrt, square } from './unary.js';

/** Axes to reduce: one axis, a list, or `undefined` for all. Negative axes count from the end. */
export type Axes = number | readonly number[] | undefined;

/**
 * Sum over `axes` (all by default); `keepdims` keeps reduced axes with extent 1.
 *
 * @example
 * ```ts
 * sum(tensor([[1, 2], [3, 4]]), 0).toArray(); // [4, 6]
 * ```
 */
export function sum(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const ax = normalizeAxes(axes, x.rank, 'sum');
  return record(Primitive.Sum, [x], { axes: ax, keepdims }, K.sum(x.value, ax, keepdims));
}

/**
 * Arithmetic mean over `axes` (all by default). The mean over zero elements is NaN.
 *
 * @example
 * ```ts
 * mean(tensor([1, 2, 3, 4])).item(); // 2.5
 * ```
 */
export function mean(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const ax = normalizeAxes(axes, x.rank, 'mean');
  let count = 1;
  for (const a of ax) count *= x.shape[a];
  return div(sum(x, ax, keepdims), count);
}

/**
 * Maximum over `axes`. NaN propagates. The gradient is shared evenly among tied maxima.
 *
 * @example
 * ```ts
 * max(tensor([[1, 5], [7, 2]]), 1).toArray(); // [5, 7]
 * ```
 */
export function max(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const ax = normalizeAxes(axes, x.rank, 'max');
  return record(Primitive.Max, [x], { axes: ax, keepdims }, K.max(x.value, ax, keepdims));
}

/**
 * Minimum over `axes`. NaN propagates. The gradient is shared evenly among tied minima.
 *
 * @example
 * ```ts
 * min(tensor([[1, 5], [7, 2]]), 1).toArray(); // [1, 2]
 * ```
 */
export function min(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const ax = normalizeAxes(axes, x.rank, 'min');
  return record(Primitive.Min, [x], { axes: ax, keepdims }, K.min(x.value, ax, keepdims));
}

/**
 * log Σ exp(x) over `axes`, computed stably as m + log Σ exp(x − m) with m the (constant)
 * maximum; its gradient is the softmax.
 *
 * @example
 * ```ts
 * logsumexp(tensor([1000, 1000])).item(); // 1000 + Math.LN2
 * ```
 */
export function logsumexp(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const ax = normalizeAxes(axes, x.rank, 'logsumexp');
  const m = K.max(x.value, ax, true);
  const md = m.data;
  // An infinite maximum would give inf − inf = NaN below; shift by 0 there instead.
  const shift = new Float64Array(md.length);
  for (let i = 0; i < md.length; i++) shift[i] = Number.isFinite(md[i]) ? md[i] : 0;
  const s = new Tensor(new NDArray(shift, m.shape));
  const out = add(log(sum(exp(add(x, mul(s, -1))), ax, true)), s);
  return keepdims
    ? out
    : reshape(
        out,
        x.shape.filter((_, i) => !ax.includes(i)),
      );
}

/**
 * The p-norm (Σ|x|ᵖ)^{1/p} over `axes` for p ≥ 1, or p = Infinity for max |x|.
 * The 2-norm's gradient at x = 0 is NaN (0/0), as the norm is not differentiable there.
 *
 * @example
 * ```ts
 * norm(tensor([3, 4])).item(); // 5
 * norm(tensor([3, -4]), 1).item(); // 7
 * ```
 */
export function norm(x: Tensor, p = 2, axes?: Axes, keepdims = false): Tensor {
  if (!(p >= 1)) throw new RangeError(`norm: p must be ≥ 1 (or Infinity), got ${p}`);
  if (p === 1) return sum(abs(x), axes, keepdims);
  if (p === 2) return sqrt(sum(square(x), axes, keepdims));
  if (p === Number.POSITIVE_INFINITY) return max(abs(x), axes, keepdims);
  return pow(sum(pow(abs(x), p), axes, keepdims), 1 / p);
}

/** Shape of a reduction's result with the reduced axes kept as extent 1. */
export function keptShape(inputShape: readonly number[], axes: readonly number[]): number[] {
  return inputShape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Number of elements reduced into each output element. */
export function reducedCount(inputShape: readonly number[], axes: readonly number[]): number {
  return sizeOf(axes.map((a) => inputShape[a]));
}

/** Used by the max/min VJP: a constant, 1 where x equals the (kept-dims) extreme value, else 0. */
export function extremeMask(x: NDArray, m: NDArray): NDArray {
  const b = K.broadcastTo(m, x.shape);
  const o = new Float64Array(x.data.length);
  for (let i = 0; i < o.length; i++) o[i] = x.data[i] === b.data[i] ? 1 : 0;
  return new NDArray(o, x.shape);
}
