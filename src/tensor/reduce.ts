/**
 * Reductions (`sum`, `max`, `min`) over any set of axes, and the broadcasting pair
 * `broadcastTo` / `sumTo`, which are each other's adjoints.
 *
 * Every reduction is carried out as one or more passes of a single kernel that reduces
 * the middle axis of a contiguous `[outer, reduced, inner]` view: adjacent axes that are
 * both kept or both reduced are merged first, so reducing the leading axis, the last axis
 * or all axes of a contiguous array is always one pass with a tight inner loop.
 */

import { copyStrided } from './layout.js';
import { NDArray } from './ndarray.js';
import { allocate } from './pool.js';
import {
  broadcastStrides,
  checkShape,
  formatShape,
  isTrailingBlock,
  normalizeAxes,
  type Shape,
  sizeOf,
} from './shape.js';

/** Axes to reduce: one axis, a list of axes, or `undefined` for all axes. Negative axes count from the end. */
export type Axes = number | readonly number[] | undefined;

type ReduceOp = 'sum' | 'max' | 'min';

/**
 * Sum of the elements of `x` over `axes`.
 *
 * With `keepdims` the reduced axes stay in the result with extent 1, otherwise they are
 * removed. Summing over an empty axis gives 0. Summation runs in index order; the sum of
 * values that are all −0 is −0, as in IEEE 754 addition.
 *
 * Maths: `y[i] = Σ_{j ∈ reduced axes} x[i, j]`. The sum is linear; its adjoint is broadcasting:
 * `⟨sum(x), g⟩ = ⟨x, broadcastTo(g_kept, x.shape)⟩`, where `g_kept` is `g` with the reduced axes
 * restored as extent 1 (i.e. `sumTo` and `broadcastTo` are the pair to use in autodiff).
 *
 * @param x - the array to reduce.
 * @param axes - the axes to sum over (negative axes count from the end); `undefined` sums over all.
 * @param keepdims - keep the reduced axes with extent 1 (default `false`).
 * @returns a new array; `x` is not modified.
 * @throws RangeError when an axis is out of range or listed twice.
 * @example
 * ```ts
 * const x = fromNested([[1, 2, 3], [4, 5, 6]]);
 * sum(x).toNested();            // 21
 * sum(x, 0).toNested();         // [5, 7, 9]
 * sum(x, -1, true).toNested();  // [[6], [15]]
 * ```
 */
export function sum(x: NDArray, axes?: Axes, keepdims = false): NDArray {
  return reduce(x, axes, keepdims, 'sum');
}

/**
 * Largest element of `x` over `axes`, with the semantics of `Math.max` on each slice: a NaN
 * anywhere in the slice makes the result NaN, `+0` counts as larger than `−0`, and the
 * maximum over an empty axis is `−Infinity`.
 *
 * Maths: `y[i] = max_{j ∈ reduced axes} x[i, j]` (not linear; its VJP routes the cotangent to
 * the positions where `x` equals the maximum).
 *
 * @param x - the array to reduce.
 * @param axes - the axes to reduce (negative axes count from the end); `undefined` reduces all.
 * @param keepdims - keep the reduced axes with extent 1 (default `false`).
 * @returns a new array; `x` is not modified.
 * @throws RangeError when an axis is out of range or listed twice.
 * @example
 * ```ts
 * const x = fromNested([[1, 5, 3], [4, NaN, 6]]);
 * max(x, 1).toNested(); // [5, NaN]
 * max(x, 0).toNested(); // [4, NaN, 6]
 * ```
 */
export function max(x: NDArray, axes?: Axes, keepdims = false): NDArray {
  return reduce(x, axes, keepdims, 'max');
}

/**
 * Smallest element of `x` over `axes`, with the semantics of `Math.min` on each slice: a NaN
 * anywhere in the slice makes the result NaN, `−0` counts as smaller than `+0`, and the
 * minimum over an empty axis is `+Infinity`.
 *
 * Maths: `y[i] = min_{j ∈ reduced axes} x[i, j]` (not linear).
 *
 * @param x - the array to reduce.
 * @param axes - the axes to reduce (negative axes count from the end); `undefined` reduces all.
 * @param keepdims - keep the reduced axes with extent 1 (default `false`).
 * @returns a new array; `x` is not modified.
 * @throws RangeError when an axis is out of range or listed twice.
 * @example
 * ```ts
 * const x = fromNested([[1, 5, 3], [4, 2, 6]]);
 * min(x, 1).toNested();       // [1, 2]
 * min(x, undefined).toNested(); // 1
 * ```
 */
export function min(x: NDArray, axes?: Axes, keepdims = false): NDArray {
  return reduce(x, axes, keepdims, 'min');
}

/**
 * Reduces `x` back to `shape`, a shape it could have been broadcast from: sums over the
 * leading axes that broadcasting added and over the axes where `shape` has extent 1 and
 * `x` does not. This is the adjoint of {@link broadcastTo}:
 *
 * `⟨broadcastTo(a, x.shape), x⟩ = ⟨a, sumTo(x, a.shape)⟩` for all `a`, `x`.
 *
 * @param x - the (broadcast) array.
 * @param shape - the target shape; it must broadcast to `x.shape`.
 * @returns a new array of shape `shape` (a copy of `x` when the shapes are equal).
 * @throws RangeError when `shape` does not broadcast to `x.shape`.
 * @example
 * ```ts
 * const g = fromNested([[1, 2, 3], [4, 5, 6]]);
 * sumTo(g, [3]).toNested();    // [5, 7, 9]
 * sumTo(g, [2, 1]).toNested(); // [[6], [15]]
 * ```
 */
export function sumTo(x: NDArray, shape: Shape): NDArray {
  checkBroadcastsTo(shape, x.shape, 'sumTo');
  const lead = x.rank - shape.length;
  if (isTrailingBlock(shape, x.shape)) return new NDArray(sumRows(x.data, sizeOf(shape)), shape.slice());
  const axes: number[] = [];
  for (let i = 0; i < x.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && x.shape[i] !== 1)) axes.push(i);
  }
  return new NDArray(reduceData(x, axes, 'sum'), shape.slice());
}

/**
 * Sums consecutive rows of length `width`: out[j] = Σ_r x[r·width + j], in row order (the
 * gradient of a bias added to every row).
 *
 * @example
 * ```ts
 * sumRows(new Float64Array([1, 2, 3, 4]), 2); // Float64Array [4, 6]
 * ```
 */
export function sumRows(x: Float64Array, width: number): Float64Array {
  if (width === 0 || x.length === 0) return new Float64Array(width);
  const out = allocate(width); // the first row is copied in, then every row added
  out.set(x.subarray(0, width));
  for (let r = width; r < x.length; r += width) {
    for (let j = 0; j < width; j++) out[j] += x[r + j];
  }
  return out;
}

/**
 * Broadcasts `x` to `shape` under NumPy rules (align trailing axes; an extent-1 axis of `x`
 * is repeated; missing leading axes are added) and materializes the result.
 *
 * Maths: `y[i] = x[i mod x.shape]` (the broadcast index). Linear; its adjoint is
 * {@link sumTo}: `⟨broadcastTo(x, s), g⟩ = ⟨x, sumTo(g, x.shape)⟩`.
 *
 * @param x - the array to broadcast.
 * @param shape - the target shape.
 * @returns a new contiguous array of shape `shape`.
 * @throws RangeError when `x.shape` does not broadcast to `shape`.
 * @example
 * ```ts
 * broadcastTo(fromNested([1, 2]), [2, 2]).toNested();     // [[1, 2], [1, 2]]
 * broadcastTo(fromNested([[1], [2]]), [2, 3]).toNested(); // [[1, 1, 1], [2, 2, 2]]
 * ```
 */
export function broadcastTo(x: NDArray, shape: Shape): NDArray {
  checkBroadcastsTo(x.shape, shape, 'broadcastTo');
  const out = new Float64Array(sizeOf(shape));
  copyStrided(x.data, 0, shape, broadcastStrides(x.shape, shape), out);
  return new NDArray(out, shape.slice());
}

/** Throws unless `from` broadcasts to exactly `to`. */
function checkBroadcastsTo(from: Shape, to: Shape, op: string): void {
  checkShape(from, op);
  checkShape(to, op);
  const fail = (why: string): never => {
    const what =
      op === 'sumTo' ? `cannot sum ${formatShape(to)} to` : `cannot broadcast ${formatShape(from)} to`;
    const target = op === 'sumTo' ? formatShape(from) : formatShape(to);
    throw new RangeError(`${op}: ${what} ${target}: ${why}`);
  };
  if (from.length > to.length) {
    fail(`the source has rank ${from.length}, more than the target's ${to.length}`);
  }
  const off = to.length - from.length;
  for (let i = 0; i < from.length; i++) {
    const f = from[i];
    const t = to[i + off];
    if (f !== t && f !== 1) {
      fail(`axis ${i - from.length} has extent ${f} in ${formatShape(from)}, which must equal ${t} or be 1`);
    }
  }
}

function reduce(x: NDArray, axes: Axes, keepdims: boolean, op: ReduceOp): NDArray {
  const list = normalizeAxes(axes, x.rank, op);
  const isReduced = new Array<boolean>(x.rank).fill(false);
  for (const a of list) isReduced[a] = true;
  const outShape: number[] = [];
  for (let i = 0; i < x.rank; i++) {
    if (!isReduced[i]) outShape.push(x.shape[i]);
    else if (keepdims) outShape.push(1);
  }
  return new NDArray(reduceData(x, list, op), outShape);
}

/**
 * Reduces `x` over the sorted, distinct `axes`; returns the data in row-major order of the
 * kept axes.
 */
function reduceData(x: NDArray, axes: readonly number[], op: ReduceOp): Float64Array {
  // Merge runs of adjacent axes that are all kept or all reduced; extent-1 axes are irrelevant.
  const extents: number[] = [];
  const reduced: boolean[] = [];
  let ai = 0;
  for (let i = 0; i < x.rank; i++) {
    const r = ai < axes.length && axes[ai] === i;
    if (r) ai++;
    const n = x.shape[i];
    if (n === 1) continue;
    const last = extents.length - 1;
    if (last >= 0 && reduced[last] === r) extents[last] *= n;
    else {
      extents.push(n);
      reduced.push(r);
    }
  }
  let data = x.data;
  let copied = false;
  // Reduce the innermost reduced block first; each pass shrinks the data.
  for (let b = extents.length - 1; b >= 0; b--) {
    if (!reduced[b]) continue;
    let outer = 1;
    for (let i = 0; i < b; i++) outer *= extents[i];
    let inner = 1;
    for (let i = b + 1; i < extents.length; i++) inner *= extents[i];
    data = reduceMiddle(data, outer, extents[b], inner, op);
    copied = true;
    extents.splice(b, 1);
    reduced.splice(b, 1);
  }
  return copied ? data : x.data.slice();
}

/** Reduces the middle axis of a contiguous `[outer, red, inner]` array. */
function reduceMiddle(
  src: Float64Array,
  outer: number,
  red: number,
  inner: number,
  op: ReduceOp,
): Float64Array {
  const out = new Float64Array(outer * inner);
  const block = red * inner;
  if (op === 'sum') {
    // Start from −0 so that a sum of −0s stays −0 (−0 + v = v for every other v); empty sums are +0.
    const init = red === 0 ? 0 : -0;
    if (inner === 1) {
      for (let o = 0; o < outer; o++) {
        let s = init;
        const base = o * red;
        for (let r = 0; r < red; r++) s += src[base + r];
        out[o] = s;
      }
    } else {
      out.fill(init);
      for (let o = 0; o < outer; o++) {
        const ob = o * inner;
        for (let r = 0; r < red; r++) {
          const sb = o * block + r * inner;
          for (let j = 0; j < inner; j++) out[ob + j] += src[sb + j];
        }
      }
    }
  } else if (op === 'max') {
    if (inner === 1) {
      for (let o = 0; o < outer; o++) {
        let m = Number.NEGATIVE_INFINITY;
        const base = o * red;
        for (let r = 0; r < red; r++) {
          const v = src[base + r];
          // NaN sticks: once m is NaN no comparison is true. +0 wins over −0 as in Math.max.
          if (v > m || Number.isNaN(v) || (v === m && v === 0 && 1 / m < 0)) m = v;
        }
        out[o] = m;
      }
    } else {
      out.fill(Number.NEGATIVE_INFINITY);
      for (let o = 0; o < outer; o++) {
        const ob = o * inner;
        for (let r = 0; r < red; r++) {
          const sb = o * block + r * inner;
          for (let j = 0; j < inner; j++) {
            const v = src[sb + j];
            const m = out[ob + j];
            if (v > m || Number.isNaN(v) || (v === m && v === 0 && 1 / m < 0)) out[ob + j] = v;
          }
        }
      }
    }
  } else {
    if (inner === 1) {
      for (let o = 0; o < outer; o++) {
        let m = Number.POSITIVE_INFINITY;
        const base = o * red;
        for (let r = 0; r < red; r++) {
          const v = src[base + r];
          // NaN sticks; −0 wins over +0 as in Math.min.
          if (v < m || Number.isNaN(v) || (v === m && v === 0 && 1 / v < 0)) m = v;
        }
        out[o] = m;
      }
    } else {
      out.fill(Number.POSITIVE_INFINITY);
      for (let o = 0; o < outer; o++) {
        const ob = o * inner;
        for (let r = 0; r < red; r++) {
          const sb = o * block + r * inner;
          for (let j = 0; j < inner; j++) {
            const v = src[sb + j];
            const m = out[ob + j];
            if (v < m || Number.isNaN(v) || (v === m && v === 0 && 1 / v < 0)) out[ob + j] = v;
          }
        }
      }
    }
  }
  return out;
}
