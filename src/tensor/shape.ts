/**
 * Shapes, strides and NumPy broadcasting.
 *
 * A shape is a readonly list of non-negative integer extents; arrays are stored
 * contiguously in row-major (C) order, so the stride of axis `i` is the product of the
 * extents after it.
 */

/** The extents of an n-d array, outermost first. */
export type Shape = readonly number[];

/**
 * Number of elements of an array with this shape (1 for a scalar, shape `[]`).
 *
 * @example
 * ```ts
 * sizeOf([2, 3, 4]); // 24
 * ```
 */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Row-major strides, in elements.
 *
 * @example
 * ```ts
 * stridesOf([2, 3, 4]); // [12, 4, 1]
 * ```
 */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Writes a shape the way NumPy prints it, e.g. `[2, 3]`. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** True when both shapes have the same rank and extents. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Checks that `shape` is a list of non-negative integers; throws naming `op` otherwise.
 */
export function checkShape(shape: Shape, op: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${op}: shape ${formatShape(shape)} must hold non-negative integers`);
    }
  }
}

/**
 * The broadcast shape of two shapes under NumPy rules: align trailing axes; each pair of
 * extents must be equal or one of them 1.
 *
 * @throws RangeError naming `op` and both shapes when they do not broadcast.
 * @example
 * ```ts
 * broadcastShapes([25, 64], [64], 'add'); // [25, 64]
 * ```
 */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else {
      throw new RangeError(
        `${op}: shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast ` +
          `(axis ${i - n} has extents ${da} and ${db}; each pair must be equal or one of them 1)`,
      );
    }
  }
  return out;
}

/**
 * Strides for reading an array of shape `from` as if it had the (broadcast) shape `to`:
 * broadcast axes get stride 0.
 */
export function broadcastStrides(from: Shape, to: Shape): number[] {
  const strides = stridesOf(from);
  const out = new Array<number>(to.length).fill(0);
  const off = to.length - from.length;
  for (let i = 0; i < from.length; i++) out[i + off] = from[i] === 1 && to[i + off] !== 1 ? 0 : strides[i];
  return out;
}

/**
 * Normalizes an axis that may be negative (counted from the end) against `rank`.
 *
 * @throws RangeError naming `op` when the axis is out of range.
 */
export function normalizeAxis(axis: number, rank: number, op: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new RangeError(`${op}: axis ${axis} is out of range for an array of rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * Normalizes a list of axes (or `undefined` for all axes) to sorted, distinct,
 * non-negative axes.
 */
export function normalizeAxes(
  axes: number | readonly number[] | undefined,
  rank: number,
  op: string,
): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = list.map((a) => normalizeAxis(a, rank, op)).sort((x, y) => x - y);
  for (let i = 1; i < out.length; i++) {
    if (out[i] === out[i - 1]) throw new RangeError(`${op}: axis ${out[i]} is listed twice`);
  }
  return out;
}

/**
 * True when `shape`, ignoring leading extent-1 axes, equals the trailing axes of `full`: an
 * array of `shape` then repeats along the leading axes of `full` (a bias row).
 *
 * @example
 * ```ts
 * isTrailingBlock([64], [25, 64]);    // true
 * isTrailingBlock([1, 64], [25, 64]); // true
 * isTrailingBlock([25, 1], [25, 64]); // false
 * ```
 */
export function isTrailingBlock(shape: Shape, full: Shape): boolean {
  let i = shape.length - 1;
  let j = full.length - 1;
  for (; i >= 0 && j >= 0; i--, j--) if (shape[i] !== full[j]) return false;
  for (; i >= 0; i--) if (shape[i] !== 1) return false;
  return true;
}
