/**
 * Differentiable layout operations: reshape, broadcast, permute, slice, concatenate, stack,
 * gather/scatter along an axis, and padding. Each linear primitive's VJP is its adjoint
 * primitive (see `../primitive.ts`).
 */

import type { PadMode } from '../../tensor/layout.js';
import * as L from '../../tensor/layout.js';
import * as R from '../../tensor/reduce.js';
import {
  checkShape,
  formatShape,
  normalizeAxis,
  type Shape,
  shapesEqual,
  sizeOf,
} from '../../tensor/shape.js';
import { Primitive } from '../primitive.js';
import { record } from '../tape.js';
import type { Tensor } from '../tensor.js';

/**
 * The same elements with another shape of equal size; one extent may be −1 (inferred).
 *
 * @example
 * ```ts
 * reshape(tensor([1, 2, 3, 4]), [2, -1]).shape; // [2, 2]
 * ```
 */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const s = inferShape(shape, x.size, x.shape);
  if (shapesEqual(s, x.shape)) return x;
  return record(Primitive.Reshape, [x], { inputShape: x.shape }, x.value.reshape(s));
}

function inferShape(shape: Shape, size: number, from: Shape): number[] {
  const s = shape.slice();
  const free = s.indexOf(-1);
  if (free >= 0) {
    if (s.indexOf(-1, free + 1) >= 0)
      throw new RangeError(`reshape: only one extent may be -1 in ${formatShape(shape)}`);
    const rest = sizeOf(s.filter((_, i) => i !== free));
    if (rest === 0 || size % rest !== 0) {
      throw new RangeError(
        `reshape: cannot reshape ${formatShape(from)} (${size} elements) to ${formatShape(shape)}`,
      );
    }
    s[free] = size / rest;
  }
  checkShape(s, 'reshape');
  if (sizeOf(s) !== size) {
    throw new RangeError(
      `reshape: cannot reshape ${formatShape(from)} (${size} elements) to ${formatShape(shape)} (${sizeOf(s)} elements)`,
    );
  }
  return s;
}

/**
 * Broadcasts `x` to `shape` (NumPy rules), materializing the result.
 *
 * @example
 * ```ts
 * broadcastTo(tensor([1, 2]), [3, 2]).shape; // [3, 2]
 * ```
 */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  if (shapesEqual(shape, x.shape)) return x;
  return record(Primitive.BroadcastTo, [x], { inputShape: x.shape }, R.broadcastTo(x.value, shape.slice()));
}

/**
 * Sums a broadcast tensor back down to `shape` (the adjoint of {@link broadcastTo}).
 *
 * @example
 * ```ts
 * sumTo(tensor([[1, 2], [3, 4]]), [2]).toArray(); // [4, 6]
 * ```
 */
export function sumTo(x: Tensor, shape: Shape): Tensor {
  if (shapesEqual(shape, x.shape)) return x;
  return record(Primitive.SumTo, [x], { inputShape: x.shape }, R.sumTo(x.value, shape.slice()));
}

/**
 * Permutes the axes: result axis i is input axis `perm[i]`.
 *
 * @example
 * ```ts
 * permute(zeros([2, 3, 4]), [2, 0, 1]).shape; // [4, 2, 3]
 * ```
 */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  return record(Primitive.Permute, [x], { perm: perm.slice() }, L.permute(x.value, perm));
}

/**
 * Swaps two axes (by default the last two: the matrix transpose).
 *
 * @example
 * ```ts
 * transpose(tensor([[1, 2, 3]])).shape; // [3, 1]
 * ```
 */
export function transpose(x: Tensor, axis1 = -2, axis2 = -1): Tensor {
  if (x.rank < 2 && axis1 === -2 && axis2 === -1) {
    throw new RangeError(`transpose: needs rank ≥ 2, got shape ${formatShape(x.shape)}`);
  }
  const a = normalizeAxis(axis1, x.rank, 'transpose');
  const b = normalizeAxis(axis2, x.rank, 'transpose');
  const perm = Array.from({ length: x.rank }, (_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** The inverse of a permutation. */
export function inversePermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  for (let i = 0; i < perm.length; i++) inv[perm[i]] = i;
  return inv;
}

/** One axis of a slice: `[start, stop)` with a positive `step` (default 1). */
export interface SliceSpec {
  start?: number;
  stop?: number;
  step?: number;
}

/**
 * Takes a strided sub-block. `spec[i]` is a {@link SliceSpec} for axis i (missing axes are
 * taken whole); `start`/`stop` may be negative (counted from the end) and default to the
 * whole axis.
 *
 * @example
 * ```ts
 * slice(tensor([[1, 2, 3], [4, 5, 6]]), [{}, { start: 1 }]).toArray(); // [[2, 3], [5, 6]]
 * ```
 */
export function slice(x: Tensor, spec: readonly SliceSpec[]): Tensor {
  if (spec.length > x.rank) {
    throw new RangeError(`slice: ${spec.length} axis specs for a tensor of shape ${formatShape(x.shape)}`);
  }
  const starts: number[] = [];
  const stops: number[] = [];
  const steps: number[] = [];
  for (let i = 0; i < x.rank; i++) {
    const n = x.shape[i];
    const s = spec[i] ?? {};
    const step = s.step ?? 1;
    const norm = (v: number | undefined, dflt: number): number =>
      v === undefined ? dflt : v < 0 ? v + n : v;
    starts.push(norm(s.start, 0));
    stops.push(norm(s.stop, n));
    steps.push(step);
  }
  return sliceRaw(x, starts, stops, steps);
}

/** Slice with explicit, already normalized bounds (the primitive). */
export function sliceRaw(
  x: Tensor,
  starts: readonly number[],
  stops: readonly number[],
  steps: readonly number[],
): Tensor {
  const params = { inputShape: x.shape, starts, stops, steps };
  return record(Primitive.Slice, [x], params, L.slice(x.value, starts, stops, steps));
}

/** Embeds `g` into zeros of `inputShape` at a slice's positions (the adjoint of slicing). */
export function sliceAdjoint(
  g: Tensor,
  inputShape: Shape,
  starts: readonly number[],
  stops: readonly number[],
  steps: readonly number[],
): Tensor {
  const params = { inputShape, starts, stops, steps };
  return record(
    Primitive.SliceAdjoint,
    [g],
    params,
    L.sliceAdjoint(g.value, inputShape, starts, stops, steps),
  );
}

/**
 * Joins tensors along an existing axis.
 *
 * @example
 * ```ts
 * concat([tensor([1]), tensor([2, 3])], 0).toArray(); // [1, 2, 3]
 * ```
 */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new RangeError('concat: needs at least one tensor');
  const ax = normalizeAxis(axis, xs[0].rank, 'concat');
  if (xs.length === 1) return xs[0];
  return record(
    Primitive.Concat,
    xs,
    { axis: ax },
    L.concat(
      xs.map((x) => x.value),
      ax,
    ),
  );
}

/**
 * Joins equally shaped tensors along a new axis.
 *
 * @example
 * ```ts
 * stack([tensor([1, 2]), tensor([3, 4])], 0).shape; // [2, 2]
 * ```
 */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new RangeError('stack: needs at least one tensor');
  const rank = xs[0].rank;
  const ax = normalizeAxis(axis, rank + 1, 'stack');
  for (const x of xs) {
    if (!shapesEqual(x.shape, xs[0].shape)) {
      throw new RangeError(`stack: shapes differ: ${formatShape(xs[0].shape)} and ${formatShape(x.shape)}`);
    }
  }
  const expanded = xs[0].shape.slice();
  expanded.splice(ax, 0, 1);
  const parts = xs.map((x) => reshape(x, expanded));
  return parts.length === 1 ? parts[0] : concat(parts, ax);
}

/**
 * Inserts an axis of extent 1.
 *
 * @example
 * ```ts
 * expandDims(tensor([1, 2]), 0).shape; // [1, 2]
 * ```
 */
export function expandDims(x: Tensor, axis: number): Tensor {
  const ax = normalizeAxis(axis, x.rank + 1, 'expandDims');
  const s = x.shape.slice();
  s.splice(ax, 0, 1);
  return reshape(x, s);
}

/**
 * Removes axes of extent 1 (all of them, or the listed ones, which must have extent 1).
 *
 * @example
 * ```ts
 * squeeze(zeros([1, 3, 1])).shape; // [3]
 * ```
 */
export function squeeze(x: Tensor, axes?: readonly number[]): Tensor {
  const drop = axes === undefined ? null : axes.map((a) => normalizeAxis(a, x.rank, 'squeeze'));
  if (drop !== null) {
    for (const a of drop) {
      if (x.shape[a] !== 1)
        throw new RangeError(`squeeze: axis ${a} of ${formatShape(x.shape)} has extent ${x.shape[a]}, not 1`);
    }
  }
  return reshape(
    x,
    x.shape.filter((d, i) => (drop === null ? d !== 1 : !drop.includes(i))),
  );
}

function toIndices(indices: Int32Array | readonly number[]): Int32Array {
  if (indices instanceof Int32Array) return indices;
  for (const i of indices) {
    if (!Number.isInteger(i)) throw new RangeError(`gather: index ${i} is not an integer`);
  }
  return Int32Array.from(indices);
}

/**
 * Selects entries along `axis` by index (NumPy `take`, PyTorch `index_select`); indices may
 * repeat. The result's extent along `axis` is `indices.length`.
 *
 * @example
 * ```ts
 * gather(tensor([10, 20, 30]), [2, 0, 2]).toArray(); // [30, 10, 30]
 * ```
 */
export function gather(x: Tensor, indices: Int32Array | readonly number[], axis = 0): Tensor {
  const ax = normalizeAxis(axis, x.rank, 'gather');
  const idx = toIndices(indices);
  return record(
    Primitive.Gather,
    [x],
    { indices: idx, axis: ax, inputShape: x.shape },
    L.gather(x.value, idx, ax),
  );
}

/**
 * Adds `values` into zeros of `shape` at `indices` along `axis` (repeated indices
 * accumulate): the adjoint of {@link gather}.
 *
 * @example
 * ```ts
 * scatterAdd([3], [0, 0, 2], tensor([1, 2, 3])).toArray(); // [3, 0, 3]
 * ```
 */
export function scatterAdd(
  shape: Shape,
  indices: Int32Array | readonly number[],
  values: Tensor,
  axis = 0,
): Tensor {
  const ax = normalizeAxis(axis, shape.length, 'scatterAdd');
  const idx = toIndices(indices);
  return record(
    Primitive.ScatterAdd,
    [values],
    { indices: idx, axis: ax, inputShape: shape.slice() },
    L.scatterAdd(shape.slice(), idx, values.value, ax),
  );
}

/**
 * Pads each axis by `[before, after]` entries: with zeros, periodically (wrap-around), or
 * by replicating the edge value.
 *
 * @example
 * ```ts
 * pad(tensor([1, 2, 3]), [[1, 1]], 'periodic').toArray(); // [3, 1, 2, 3, 1]
 * ```
 */
export function pad(x: Tensor, pads: readonly (readonly [number, number])[], mode: PadMode = 'zero'): Tensor {
  const p = pads.map((q) => [q[0], q[1]] as const);
  return record(Primitive.Pad, [x], { pads: p, mode, inputShape: x.shape }, L.pad(x.value, p, mode));
}

/** The adjoint of {@link pad}: folds padded positions back onto the entries they copy. */
export function padAdjoint(
  g: Tensor,
  inputShape: Shape,
  pads: readonly (readonly [number, number])[],
  mode: PadMode,
): Tensor {
  return record(
    Primitive.PadAdjoint,
    [g],
    { pads, mode, inputShape },
    L.padAdjoint(g.value, inputShape, pads, mode),
  );
}
