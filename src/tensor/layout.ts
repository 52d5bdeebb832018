/**
 * Layout kernels: permute, slice, concat/split, gather/scatterAdd, where and pad, each linear
 * one paired with its exact adjoint (transpose) so that the autodiff can use the adjoint as
 * the VJP of the original and the original as the VJP of the adjoint.
 *
 * | operation | adjoint |
 * |---|---|
 * | `permute(x, perm)` | `permute(g, inversePermutation(perm))` |
 * | `slice(x, starts, stops, steps)` | `sliceAdjoint(g, x.shape, starts, stops, steps)` |
 * | `concat(xs, axis)` | `split(g, sizes, axis)` |
 * | `gather(x, indices, axis)` | `scatterAdd(x.shape, indices, g, axis)` |
 * | `pad(x, pads, mode)` | `padAdjoint(g, x.shape, pads, mode)` |
 *
 * All functions are pure: they validate their arguments, allocate the output and never
 * modify their inputs. Copies are exact (−0 and NaN payloads are kept).
 */

import { NDArray } from './ndarray.js';
import {
  broadcastShapes,
  broadcastStrides,
  checkShape,
  formatShape,
  normalizeAxis,
  type Shape,
  shapesEqual,
  sizeOf,
  stridesOf,
} from './shape.js';

/** Runs shorter than this are copied element by element; longer ones with `TypedArray.set`. */
const BULK_COPY = 64;

/** Copies `n` contiguous elements. */
function copyRun(src: Float64Array, from: number, dst: Float64Array, to: number, n: number): void {
  if (n >= BULK_COPY) dst.set(src.subarray(from, from + n), to);
  else for (let j = 0; j < n; j++) dst[to + j] = src[from + j];
}

/**
 * Merges adjacent axes that can be walked with one stride and drops extent-1 axes. Returns
 * `undefined` when the shape has no elements.
 */
function coalesce(shape: Shape, strides: readonly number[]): { dims: number[]; steps: number[] } | undefined {
  const dims: number[] = [];
  const steps: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const n = shape[i];
    if (n === 0) return undefined;
    if (n === 1) continue;
    const k = dims.length - 1;
    if (k >= 0 && steps[k] === strides[i] * n) {
      dims[k] *= n;
      steps[k] = strides[i];
    } else {
      dims.push(n);
      steps.push(strides[i]);
    }
  }
  return { dims, steps };
}

/**
 * Strided gather into a contiguous buffer: for every multi-index `i` of `shape` in row-major
 * order, `out[k++] = src[offset + Σ i[a]·strides[a]]`. Strides may be 0 (broadcasting).
 * `out` must hold `sizeOf(shape)` elements.
 *
 * @internal Shared by `permute`, `slice` and `broadcastTo`; not part of the public API.
 */
export function copyStrided(
  src: Float64Array,
  offset: number,
  shape: Shape,
  strides: readonly number[],
  out: Float64Array,
): void {
  const c = coalesce(shape, strides);
  if (c === undefined) return;
  const { dims, steps } = c;
  const r = dims.length;
  if (r === 0) {
    out[0] = src[offset];
    return;
  }
  const n = dims[r - 1];
  const s = steps[r - 1];
  const rows = out.length / n;
  const idx = new Int32Array(r);
  let base = offset;
  let o = 0;
  for (let row = 0; row < rows; row++) {
    if (s === 1) copyRun(src, base, out, o, n);
    else if (s === 0) out.fill(src[base], o, o + n);
    else for (let j = 0; j < n; j++) out[o + j] = src[base + j * s];
    o += n;
    for (let a = r - 2; a >= 0; a--) {
      base += steps[a];
      if (++idx[a] < dims[a]) break;
      base -= steps[a] * dims[a];
      idx[a] = 0;
    }
  }
}

/** The inverse of {@link copyStrided} for injective strides: `dst[offset + Σ i[a]·strides[a]] = src[k++]`. */
function assignStrided(
  src: Float64Array,
  dst: Float64Array,
  offset: number,
  shape: Shape,
  strides: readonly number[],
): void {
  const c = coalesce(shape, strides);
  if (c === undefined) return;
  const { dims, steps } = c;
  const r = dims.length;
  if (r === 0) {
    dst[offset] = src[0];
    return;
  }
  const n = dims[r - 1];
  const s = steps[r - 1];
  const rows = src.length / n;
  const idx = new Int32Array(r);
  let base = offset;
  let o = 0;
  for (let row = 0; row < rows; row++) {
    if (s === 1) copyRun(src, o, dst, base, n);
    else for (let j = 0; j < n; j++) dst[base + j * s] = src[o + j];
    o += n;
    for (let a = r - 2; a >= 0; a--) {
      base += steps[a];
      if (++idx[a] < dims[a]) break;
      base -= steps[a] * dims[a];
      idx[a] = 0;
    }
  }
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

// ---------------------------------------------------------------------------------------------
// permute

/**
 * The inverse of an axis permutation: `inversePermutation(p)[p[i]] = i`.
 *
 * @param perm - a permutation of `0 … n−1`.
 * @throws RangeError when `perm` is not a permutation.
 * @example
 * ```ts
 * inversePermutation([2, 0, 1]); // [1, 2, 0]
 * ```
 */
export function inversePermutation(perm: readonly number[]): number[] {
  checkPermutation(perm, perm.length, 'inversePermutation');
  const inv = new Array<number>(perm.length);
  for (let i = 0; i < perm.length; i++) inv[perm[i]] = i;
  return inv;
}

function checkPermutation(perm: readonly number[], rank: number, op: string, shape?: Shape): void {
  const where = shape === undefined ? '' : ` for an array of shape ${formatShape(shape)}`;
  if (perm.length !== rank) {
    throw new RangeError(
      `${op}: permutation [${perm.join(', ')}] has ${perm.length} entries${where}; it needs one per axis (${rank})`,
    );
  }
  const seen = new Array<boolean>(rank).fill(false);
  for (const p of perm) {
    if (!isInt(p) || p < 0 || p >= rank || seen[p]) {
      throw new RangeError(
        `${op}: [${perm.join(', ')}] is not a permutation of 0…${rank - 1}${where}` +
          ` (entry ${p} is ${!isInt(p) || p < 0 || p >= rank ? 'out of range' : 'repeated'})`,
      );
    }
    seen[p] = true;
  }
}

/**
 * Reorders the axes of `x`: axis `i` of the result is axis `perm[i]` of `x`
 * (NumPy's `transpose(x, perm)`).
 *
 * Maths: `y[i_0, …, i_{n−1}] = x[j]` with `j[perm[k]] = i_k`. Linear and orthogonal; its
 * adjoint is the inverse permutation: `⟨permute(x, p), g⟩ = ⟨x, permute(g, inversePermutation(p))⟩`.
 *
 * @param x - the array.
 * @param perm - a permutation of `0 … x.rank−1` (no negative axes).
 * @returns a new contiguous array of shape `perm.map((a) => x.shape[a])`.
 * @throws RangeError when `perm` is not a permutation of the axes of `x`.
 * @example
 * ```ts
 * permute(fromNested([[1, 2, 3], [4, 5, 6]]), [1, 0]).toNested(); // [[1, 4], [2, 5], [3, 6]]
 * ```
 */
export function permute(x: NDArray, perm: readonly number[]): NDArray {
  checkPermutation(perm, x.rank, 'permute', x.shape);
  const strides = stridesOf(x.shape);
  const shape = perm.map((a) => x.shape[a]);
  const out = new Float64Array(x.size);
  copyStrided(
    x.data,
    0,
    shape,
    perm.map((a) => strides[a]),
    out,
  );
  return new NDArray(out, shape);
}

// ---------------------------------------------------------------------------------------------
// slice

/** Validates slice bounds and returns the shape of the slice. */
function sliceShape(
  shape: Shape,
  starts: readonly number[],
  stops: readonly number[],
  steps: readonly number[] | undefined,
  op: string,
): number[] {
  const r = shape.length;
  const list = (name: string, v: readonly number[] | undefined): void => {
    if (v !== undefined && v.length !== r) {
      throw new RangeError(
        `${op}: ${name} [${v.join(', ')}] has ${v.length} entries; an array of shape ${formatShape(shape)} needs ${r}`,
      );
    }
  };
  list('starts', starts);
  list('stops', stops);
  list('steps', steps);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const n = shape[i];
    const a = starts[i];
    const b = stops[i];
    const s = steps === undefined ? 1 : steps[i];
    if (!isInt(s) || s < 1) {
      throw new RangeError(`${op}: step ${s} on axis ${i} must be a positive integer`);
    }
    if (!isInt(a) || !isInt(b) || a < 0 || b > n || a > b) {
      throw new RangeError(
        `${op}: range ${a}:${b} on axis ${i} of shape ${formatShape(shape)} is out of bounds ` +
          `(need integers 0 ≤ start ≤ stop ≤ ${n}; negative or out-of-range bounds are not clamped)`,
      );
    }
    out[i] = Math.ceil((b - a) / s);
  }
  return out;
}

/** Offset and strides of a slice inside a contiguous array of shape `shape`. */
function sliceView(
  shape: Shape,
  starts: readonly number[],
  steps: readonly number[] | undefined,
): { offset: number; strides: number[] } {
  const base = stridesOf(shape);
  let offset = 0;
  const strides = new Array<number>(shape.length);
  for (let i = 0; i < shape.length; i++) {
    offset += starts[i] * base[i];
    strides[i] = (steps === undefined ? 1 : steps[i]) * base[i];
  }
  return { offset, strides };
}

/**
 * A strided box of `x`: on axis `i` the indices `starts[i], starts[i]+steps[i], …` below
 * `stops[i]` (Python's `x[a:b:s]` per axis, without negative indices or clamping).
 *
 * Maths: `y[k] = x[starts + k ⊙ steps]`, a selection `S x`. Its adjoint embeds into zeros:
 * `⟨slice(x, …), g⟩ = ⟨x, sliceAdjoint(g, x.shape, …)⟩`.
 *
 * @param x - the array.
 * @param starts - first index per axis, `0 ≤ start ≤ stop`.
 * @param stops - exclusive end per axis, `stop ≤ x.shape[i]`.
 * @param steps - positive step per axis (default all 1).
 * @returns a new array of extent `ceil((stop − start) / step)` per axis.
 * @throws RangeError when a list has the wrong length, a bound is out of range or a step is not positive.
 * @example
 * ```ts
 * const x = fromNested([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
 * slice(x, [1, 0], [3, 4], [1, 2]).toNested(); // [[4, 6], [8, 10]]
 * ```
 */
export function slice(
  x: NDArray,
  starts: readonly number[],
  stops: readonly number[],
  steps?: readonly number[],
): NDArray {
  const shape = sliceShape(x.shape, starts, stops, steps, 'slice');
  const { offset, strides } = sliceView(x.shape, starts, steps);
  const out = new Float64Array(sizeOf(shape));
  copyStrided(x.data, offset, shape, strides, out);
  return new NDArray(out, shape);
}

/**
 * The adjoint of {@link slice}: zeros of `inputShape` with `g` written at the sliced positions.
 *
 * Maths: `Sᵀ g`; `⟨slice(x, …), g⟩ = ⟨x, sliceAdjoint(g, x.shape, …)⟩`.
 *
 * @param g - an array with the shape of the slice.
 * @param inputShape - the shape of the array that was sliced.
 * @param starts - as given to `slice`.
 * @param stops - as given to `slice`.
 * @param steps - as given to `slice` (default all 1).
 * @returns a new array of shape `inputShape`.
 * @throws RangeError when the bounds are invalid for `inputShape` or `g` does not have the slice's shape.
 * @example
 * ```ts
 * sliceAdjoint(fromNested([1, 2]), [5], [1], [5], [2]).toNested(); // [0, 1, 0, 2, 0]
 * ```
 */
export function sliceAdjoint(
  g: NDArray,
  inputShape: Shape,
  starts: readonly number[],
  stops: readonly number[],
  steps?: readonly number[],
): NDArray {
  checkShape(inputShape, 'sliceAdjoint');
  const shape = sliceShape(inputShape, starts, stops, steps, 'sliceAdjoint');
  if (!shapesEqual(shape, g.shape)) {
    throw new RangeError(
      `sliceAdjoint: g has shape ${formatShape(g.shape)} but the slice of ${formatShape(inputShape)} ` +
        `has shape ${formatShape(shape)}`,
    );
  }
  const { offset, strides } = sliceView(inputShape, starts, steps);
  const out = new Float64Array(sizeOf(inputShape));
  assignStrided(g.data, out, offset, shape, strides);
  return new NDArray(out, inputShape.slice());
}

// ---------------------------------------------------------------------------------------------
// concat / split

/** Product of the extents before and after `axis`. */
function outerInner(shape: Shape, axis: number): { outer: number; inner: number } {
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { outer, inner };
}

/**
 * Joins arrays along an existing axis. All arrays must have the same rank and the same
 * extents on every other axis.
 *
 * Maths: `y = [x_0; x_1; …]` along `axis`. Linear; its adjoint cuts the cotangent back into
 * pieces, i.e. slices: `⟨concat(xs, a), g⟩ = Σ_k ⟨xs[k], split(g, sizes, a)[k]⟩` with
 * `sizes[k] = xs[k].shape[a]` (see {@link split}).
 *
 * @param xs - one or more arrays.
 * @param axis - the axis to join along (negative counts from the end).
 * @returns a new array whose extent on `axis` is the sum of the inputs' extents.
 * @throws RangeError when `xs` is empty, the axis is out of range or the shapes disagree.
 * @example
 * ```ts
 * concat([fromNested([[1, 2]]), fromNested([[3, 4], [5, 6]])], 0).toNested(); // [[1, 2], [3, 4], [5, 6]]
 * ```
 */
export function concat(xs: readonly NDArray[], axis: number): NDArray {
  if (xs.length === 0) throw new RangeError('concat: needs at least one array (the result shape is unknown)');
  const first = xs[0].shape;
  const ax = normalizeAxis(axis, first.length, 'concat');
  let total = 0;
  for (let k = 0; k < xs.length; k++) {
    const s = xs[k].shape;
    let ok = s.length === first.length;
    for (let i = 0; ok && i < s.length; i++) if (i !== ax && s[i] !== first[i]) ok = false;
    if (!ok) {
      throw new RangeError(
        `concat: array ${k} has shape ${formatShape(s)}, array 0 has ${formatShape(first)}; ` +
          `along axis ${ax} all arrays need the same rank and the same extents on the other axes`,
      );
    }
    total += s[ax];
  }
  const shape = first.slice();
  shape[ax] = total;
  const { outer, inner } = outerInner(shape, ax);
  const out = new Float64Array(sizeOf(shape));
  const rowLength = total * inner;
  let at = 0;
  for (const x of xs) {
    const chunk = x.shape[ax] * inner;
    for (let o = 0; o < outer; o++) copyRun(x.data, o * chunk, out, o * rowLength + at, chunk);
    at += chunk;
  }
  return new NDArray(out, shape);
}

/**
 * Cuts `x` along `axis` into consecutive pieces of extents `sizes`: the adjoint (and inverse)
 * of {@link concat}. Each piece is `slice(x, …)` of a consecutive range on `axis`.
 *
 * Maths: `⟨concat(xs, a), g⟩ = Σ_k ⟨xs[k], split(g, sizes, a)[k]⟩`.
 *
 * @param x - the array to cut.
 * @param sizes - non-negative extents that sum to `x.shape[axis]`.
 * @param axis - the axis to cut (negative counts from the end).
 * @returns new arrays, one per entry of `sizes`.
 * @throws RangeError when the sizes are invalid or do not sum to the extent of the axis.
 * @example
 * ```ts
 * split(fromNested([1, 2, 3, 4, 5]), [2, 3], 0).map((p) => p.toNested()); // [[1, 2], [3, 4, 5]]
 * ```
 */
export function split(x: NDArray, sizes: readonly number[], axis: number): NDArray[] {
  const ax = normalizeAxis(axis, x.rank, 'split');
  let total = 0;
  for (const s of sizes) {
    if (!isInt(s) || s < 0) throw new RangeError(`split: size ${s} must be a non-negative integer`);
    total += s;
  }
  if (total !== x.shape[ax]) {
    throw new RangeError(
      `split: sizes [${sizes.join(', ')}] sum to ${total} but axis ${ax} of shape ${formatShape(x.shape)} has extent ${x.shape[ax]}`,
    );
  }
  const { outer, inner } = outerInner(x.shape, ax);
  const rowLength = total * inner;
  const pieces: NDArray[] = [];
  let at = 0;
  for (const s of sizes) {
    const shape = x.shape.slice();
    shape[ax] = s;
    const chunk = s * inner;
    const out = new Float64Array(outer * chunk);
    for (let o = 0; o < outer; o++) copyRun(x.data, o * rowLength + at, out, o * chunk, chunk);
    at += chunk;
    pieces.push(new NDArray(out, shape));
  }
  return pieces;
}

// ---------------------------------------------------------------------------------------------
// gather / scatterAdd

function checkIndices(indices: Int32Array, extent: number, axis: number, shape: Shape, op: string): void {
  for (let k = 0; k < indices.length; k++) {
    const v = indices[k];
    if (v < 0 || v >= extent) {
      throw new RangeError(
        `${op}: indices[${k}] = ${v} is out of range for axis ${axis} of shape ${formatShape(shape)} ` +
          `(need 0 ≤ index < ${extent})`,
      );
    }
  }
}

/**
 * Selects entries along `axis` by index (`index_select`): `out.shape[axis] = indices.length`,
 * and indices may repeat.
 *
 * Maths: `y[…, k, …] = x[…, indices[k], …]`, a selection matrix `G` applied along `axis`. Its
 * adjoint adds back, accumulating repeated indices:
 * `⟨gather(x, idx, a), g⟩ = ⟨x, scatterAdd(x.shape, idx, g, a)⟩`.
 *
 * @param x - the array.
 * @param indices - indices into axis `axis` of `x`, each in `[0, x.shape[axis])`.
 * @param axis - the axis to index (negative counts from the end).
 * @returns a new array.
 * @throws RangeError when the axis or an index is out of range (naming the index position and value).
 * @example
 * ```ts
 * gather(fromNested([[1, 2, 3], [4, 5, 6]]), Int32Array.of(2, 0, 2), 1).toNested(); // [[3, 1, 3], [6, 4, 6]]
 * ```
 */
export function gather(x: NDArray, indices: Int32Array, axis: number): NDArray {
  const ax = normalizeAxis(axis, x.rank, 'gather');
  const n = x.shape[ax];
  checkIndices(indices, n, ax, x.shape, 'gather');
  const m = indices.length;
  const shape = x.shape.slice();
  shape[ax] = m;
  const { outer, inner } = outerInner(x.shape, ax);
  const out = new Float64Array(outer * m * inner);
  const src = x.data;
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const sb = o * n;
      const ob = o * m;
      for (let k = 0; k < m; k++) out[ob + k] = src[sb + indices[k]];
    }
  } else {
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < m; k++) copyRun(src, (o * n + indices[k]) * inner, out, (o * m + k) * inner, inner);
    }
  }
  return new NDArray(out, shape);
}

/**
 * The adjoint of {@link gather}: zeros of `shape` with the slices of `values` added at
 * `indices` along `axis`; repeated indices accumulate.
 *
 * Maths: `y = Gᵀ v`, `y[…, i, …] = Σ_{k : indices[k] = i} v[…, k, …]`;
 * `⟨gather(x, idx, a), v⟩ = ⟨x, scatterAdd(x.shape, idx, v, a)⟩`.
 *
 * @param shape - the shape of the result (the shape of the array that was gathered from).
 * @param indices - indices into axis `axis` of `shape`.
 * @param values - an array of `shape` with extent `indices.length` on `axis`.
 * @param axis - the axis (negative counts from the end).
 * @returns a new array of shape `shape`.
 * @throws RangeError when the axis or an index is out of range or `values` has the wrong shape.
 * @example
 * ```ts
 * scatterAdd([3], Int32Array.of(2, 0, 2), fromNested([1, 2, 3]), 0).toNested(); // [2, 0, 4]
 * ```
 */
export function scatterAdd(shape: Shape, indices: Int32Array, values: NDArray, axis: number): NDArray {
  checkShape(shape, 'scatterAdd');
  const ax = normalizeAxis(axis, shape.length, 'scatterAdd');
  const n = shape[ax];
  checkIndices(indices, n, ax, shape, 'scatterAdd');
  const m = indices.length;
  const expected = shape.slice();
  expected[ax] = m;
  if (!shapesEqual(expected, values.shape)) {
    throw new RangeError(
      `scatterAdd: values have shape ${formatShape(values.shape)} but ${m} indices along axis ${ax} ` +
        `of ${formatShape(shape)} need shape ${formatShape(expected)}`,
    );
  }
  const { outer, inner } = outerInner(shape, ax);
  const out = new Float64Array(sizeOf(shape));
  const v = values.data;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < m; k++) {
      const ob = (o * n + indices[k]) * inner;
      const vb = (o * m + k) * inner;
      for (let j = 0; j < inner; j++) out[ob + j] += v[vb + j];
    }
  }
  return new NDArray(out, shape.slice());
}

// ---------------------------------------------------------------------------------------------
// where

/**
 * Elementwise choice: `a` where `cond` is non-zero, `b` where it is zero. The three arrays
 * broadcast together (NumPy rules). A NaN in `cond` counts as non-zero.
 *
 * Maths: `y = c ⊙ a + (1 − c) ⊙ b` with `c = [cond ≠ 0]`. Linear in `(a, b)` for fixed `cond`;
 * the VJP is `sumTo(where(cond, g, 0), a.shape)` for `a` and `sumTo(where(cond, 0, g), b.shape)`
 * for `b`; `cond` gets no gradient.
 *
 * @param cond - the selector.
 * @param a - values taken where `cond ≠ 0`.
 * @param b - values taken where `cond = 0`.
 * @returns a new array with the broadcast shape of the three.
 * @throws RangeError when the shapes do not broadcast.
 * @example
 * ```ts
 * where(fromNested([1, 0, 1]), fromNested([1, 2, 3]), NDArray.scalar(0)).toNested(); // [1, 0, 3]
 * ```
 */
export function where(cond: NDArray, a: NDArray, b: NDArray): NDArray {
  const shape = broadcastShapes(broadcastShapes(cond.shape, a.shape, 'where'), b.shape, 'where');
  const size = sizeOf(shape);
  const out = new Float64Array(size);
  const c = cond.data;
  const x = a.data;
  const y = b.data;
  if (c.length === size && x.length === size && y.length === size) {
    for (let i = 0; i < size; i++) out[i] = c[i] !== 0 ? x[i] : y[i];
    return new NDArray(out, shape);
  }
  if (size === 0) return new NDArray(out, shape);
  const r = shape.length;
  const cs = broadcastStrides(cond.shape, shape);
  const as = broadcastStrides(a.shape, shape);
  const bs = broadcastStrides(b.shape, shape);
  // rank ≥ 1 here: a rank-0 broadcast shape has size 1 and took the fast path.
  const n = shape[r - 1];
  const cl = cs[r - 1];
  const al = as[r - 1];
  const bl = bs[r - 1];
  const idx = new Int32Array(r);
  let ci = 0;
  let ai = 0;
  let bi = 0;
  for (let o = 0; o < size; o += n) {
    for (let j = 0; j < n; j++) out[o + j] = c[ci + j * cl] !== 0 ? x[ai + j * al] : y[bi + j * bl];
    for (let d = r - 2; d >= 0; d--) {
      ci += cs[d];
      ai += as[d];
      bi += bs[d];
      if (++idx[d] < shape[d]) break;
      ci -= cs[d] * shape[d];
      ai -= as[d] * shape[d];
      bi -= bs[d] * shape[d];
      idx[d] = 0;
    }
  }
  return new NDArray(out, shape);
}

// ---------------------------------------------------------------------------------------------
// pad

/**
 * How `pad` fills the border:
 * - `'zero'`: zeros;
 * - `'periodic'`: wrap around, `x[(i − before) mod n]` (pads may exceed the extent `n`);
 * - `'replicate'`: repeat the edge value, `x[clamp(i − before, 0, n − 1)]`.
 */
export type PadMode = 'zero' | 'periodic' | 'replicate';

/** `[before, after]` padding per axis, non-negative integers. */
export type Pads = readonly (readonly [number, number])[];

/** Source index per padded index along each axis (−1 for a zero), the padded shape, and input strides. */
interface PadPlan {
  outShape: number[];
  maps: Int32Array[];
  strides: number[];
}

function padPlan(inputShape: Shape, pads: Pads, mode: PadMode, op: string): PadPlan {
  if (mode !== 'zero' && mode !== 'periodic' && mode !== 'replicate') {
    throw new RangeError(`${op}: unknown mode '${String(mode)}'; use 'zero', 'periodic' or 'replicate'`);
  }
  const r = inputShape.length;
  if (pads.length !== r) {
    throw new RangeError(
      `${op}: ${pads.length} [before, after] pairs given for an array of shape ${formatShape(inputShape)}; ` +
        `it needs one per axis (${r})`,
    );
  }
  const outShape = new Array<number>(r);
  const maps: Int32Array[] = [];
  for (let a = 0; a < r; a++) {
    const p = pads[a];
    const n = inputShape[a];
    if (p.length !== 2 || !isInt(p[0]) || !isInt(p[1]) || p[0] < 0 || p[1] < 0) {
      throw new RangeError(
        `${op}: pads on axis ${a} are [${p.join(', ')}]; need [before, after], non-negative integers`,
      );
    }
    const [before, after] = p;
    if (n === 0 && mode !== 'zero' && before + after > 0) {
      throw new RangeError(
        `${op}: cannot pad the empty axis ${a} of shape ${formatShape(inputShape)} in '${mode}' mode ` +
          `(there is no value to repeat); use 'zero' or remove the padding`,
      );
    }
    const m = n + before + after;
    outShape[a] = m;
    const map = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      const j = i - before;
      if (mode === 'zero') map[i] = j >= 0 && j < n ? j : -1;
      else if (mode === 'periodic') map[i] = ((j % n) + n) % n;
      else map[i] = j < 0 ? 0 : j >= n ? n - 1 : j;
    }
    maps.push(map);
  }
  return { outShape, maps, strides: stridesOf(inputShape) };
}

/**
 * For every row of the padded array (all axes but the last), the offset of the source row
 * in the input, or −1 when the row lies in a zero border.
 */
function padRowBases(plan: PadPlan): Float64Array {
  const { outShape, maps, strides } = plan;
  const r = outShape.length;
  let rows = 1;
  for (let a = 0; a < r - 1; a++) rows *= outShape[a];
  const bases = new Float64Array(rows);
  const idx = new Int32Array(Math.max(r - 1, 0));
  for (let row = 0; row < rows; row++) {
    let base = 0;
    for (let a = 0; a < r - 1; a++) {
      const m = maps[a][idx[a]];
      if (m < 0) {
        base = -1;
        break;
      }
      base += m * strides[a];
    }
    bases[row] = base;
    for (let a = r - 2; a >= 0; a--) {
      if (++idx[a] < outShape[a]) break;
      idx[a] = 0;
    }
  }
  return bases;
}

/**
 * Pads every axis of `x` with `pads[i] = [before, after]` elements, filled according to `mode`
 * (see {@link PadMode}). Periodic pads may be longer than the axis (indices wrap modulo the
 * extent); periodic and replicate padding of an empty axis is an error.
 *
 * Maths: `y[i] = x[m(i)]` (or 0 where `m(i)` is outside `x` in zero mode), with the per-axis
 * index map `m` of the mode. Linear; its adjoint adds each padded entry back onto its source:
 * `⟨pad(x, p, mode), g⟩ = ⟨x, padAdjoint(g, x.shape, p, mode)⟩`.
 *
 * @param x - the array.
 * @param pads - one `[before, after]` pair per axis.
 * @param mode - `'zero'`, `'periodic'` or `'replicate'`.
 * @returns a new array with extent `n + before + after` on each axis.
 * @throws RangeError when `pads` or `mode` is invalid.
 * @example
 * ```ts
 * const x = fromNested([1, 2, 3]);
 * pad(x, [[2, 1]], 'zero').toNested();      // [0, 0, 1, 2, 3, 0]
 * pad(x, [[2, 1]], 'periodic').toNested();  // [2, 3, 1, 2, 3, 1]
 * pad(x, [[2, 1]], 'replicate').toNested(); // [1, 1, 1, 2, 3, 3]
 * ```
 */
export function pad(x: NDArray, pads: Pads, mode: PadMode): NDArray {
  const plan = padPlan(x.shape, pads, mode, 'pad');
  const out = new Float64Array(sizeOf(plan.outShape));
  const r = x.rank;
  if (r === 0 || out.length === 0) {
    if (r === 0) out[0] = x.data[0];
    return new NDArray(out, plan.outShape);
  }
  const bases = padRowBases(plan);
  const last = plan.maps[r - 1];
  const n = last.length;
  const src = x.data;
  for (let row = 0; row < bases.length; row++) {
    const b = bases[row];
    if (b < 0) continue;
    const o = row * n;
    for (let j = 0; j < n; j++) {
      const m = last[j];
      if (m >= 0) out[o + j] = src[b + m];
    }
  }
  return new NDArray(out, plan.outShape);
}

/**
 * The adjoint of {@link pad}: each entry of `g` is added onto the input entry it was copied
 * from (dropped where it was a zero border). In periodic and replicate modes several padded
 * entries share a source, and their cotangents accumulate.
 *
 * Maths: `x̄[j] = Σ_{i : m(i) = j} g[i]`; `⟨pad(x, p, mode), g⟩ = ⟨x, padAdjoint(g, x.shape, p, mode)⟩`.
 *
 * @param g - an array with the padded shape.
 * @param inputShape - the shape of the array that was padded.
 * @param pads - as given to `pad`.
 * @param mode - as given to `pad`.
 * @returns a new array of shape `inputShape`.
 * @throws RangeError when `pads` or `mode` is invalid or `g` does not have the padded shape.
 * @example
 * ```ts
 * padAdjoint(fromNested([1, 1, 1, 1, 1, 1]), [3], [[2, 1]], 'replicate').toNested(); // [3, 1, 2]
 * ```
 */
export function padAdjoint(g: NDArray, inputShape: Shape, pads: Pads, mode: PadMode): NDArray {
  checkShape(inputShape, 'padAdjoint');
  const plan = padPlan(inputShape, pads, mode, 'padAdjoint');
  if (!shapesEqual(plan.outShape, g.shape)) {
    throw new RangeError(
      `padAdjoint: g has shape ${formatShape(g.shape)} but padding ${formatShape(inputShape)} ` +
        `gives ${formatShape(plan.outShape)}`,
    );
  }
  const out = new Float64Array(sizeOf(inputShape));
  const r = inputShape.length;
  if (r === 0 || g.size === 0) {
    if (r === 0) out[0] = g.data[0];
    return new NDArray(out, inputShape.slice());
  }
  const bases = padRowBases(plan);
  const last = plan.maps[r - 1];
  const n = last.length;
  const src = g.data;
  for (let row = 0; row < bases.length; row++) {
    const b = bases[row];
    if (b < 0) continue;
    const o = row * n;
    for (let j = 0; j < n; j++) {
      const m = last[j];
      if (m >= 0) out[b + m] += src[o + j];
    }
  }
  return new NDArray(out, inputShape.slice());
}
