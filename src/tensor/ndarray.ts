import { checkShape, formatShape, type Shape, sizeOf } from './shape.js';

/**
 * A float64 n-d array stored contiguously in row-major order.
 *
 * `NDArray` is the value layer: it knows nothing of gradients. Kernels in `src/tensor/`
 * take and return `NDArray`s (or raw `Float64Array`s); the differentiable `Tensor` of
 * `src/autodiff/` wraps one.
 *
 * The constructor does not copy `data`; callers that hand over a buffer must not mutate it
 * afterwards.
 *
 * @example
 * ```ts
 * const a = new NDArray(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * a.get(1, 2); // 6
 * ```
 */
export class NDArray {
  readonly data: Float64Array;
  readonly shape: Shape;

  /**
   * Wraps `data` (no copy) with `shape`. The shape array is kept as given: callers hand over
   * ownership of both and must not mutate them afterwards. Only the element count is checked
   * here (kernels call this on every result); {@link checkShape} validates user shapes.
   */
  constructor(data: Float64Array, shape: Shape) {
    if (data.length !== sizeOf(shape)) {
      checkShape(shape, 'NDArray');
      throw new RangeError(
        `NDArray: ${data.length} values cannot fill shape ${formatShape(shape)} (${sizeOf(shape)} elements)`,
      );
    }
    this.data = data;
    this.shape = shape;
  }

  /** Number of axes. */
  get rank(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** A zero-filled array of the given shape. */
  static zeros(shape: Shape): NDArray {
    checkShape(shape, 'zeros');
    return new NDArray(new Float64Array(sizeOf(shape)), shape);
  }

  /** An array of the given shape filled with `value`. */
  static full(shape: Shape, value: number): NDArray {
    checkShape(shape, 'full');
    return new NDArray(new Float64Array(sizeOf(shape)).fill(value), shape);
  }

  /** A rank-0 array holding `value`. */
  static scalar(value: number): NDArray {
    return new NDArray(new Float64Array([value]), []);
  }

  /** Reads one element by its multi-index. */
  get(...index: number[]): number {
    if (index.length !== this.shape.length) {
      throw new RangeError(
        `get: index of length ${index.length} for an array of shape ${formatShape(this.shape)}`,
      );
    }
    let flat = 0;
    for (let i = 0; i < index.length; i++) {
      const k = index[i];
      if (!Number.isInteger(k) || k < 0 || k >= this.shape[i]) {
        throw new RangeError(`get: index ${k} out of range on axis ${i} of shape ${formatShape(this.shape)}`);
      }
      flat = flat * this.shape[i] + k;
    }
    return this.data[flat];
  }

  /** The same data seen with another shape of equal size (no copy). */
  reshape(shape: Shape): NDArray {
    return new NDArray(this.data, shape);
  }

  /** Nested JavaScript arrays (a number for rank 0). */
  toNested(): NestedNumbers {
    const rec = (axis: number, offset: number): NestedNumbers => {
      if (axis === this.shape.length) return this.data[offset];
      const n = this.shape[axis];
      let stride = 1;
      for (let i = axis + 1; i < this.shape.length; i++) stride *= this.shape[i];
      const out: NestedNumbers[] = [];
      for (let i = 0; i < n; i++) out.push(rec(axis + 1, offset + i * stride));
      return out;
    };
    return rec(0, 0);
  }
}

/** A number or arbitrarily nested arrays of numbers. */
export type NestedNumbers = number | NestedNumbers[];

/**
 * Builds an `NDArray` from nested arrays (which must be rectangular) or a number.
 *
 * @example
 * ```ts
 * fromNested([[1, 2], [3, 4]]).shape; // [2, 2]
 * ```
 */
export function fromNested(value: NestedNumbers): NDArray {
  const shape: number[] = [];
  let probe: NestedNumbers = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const data = new Float64Array(sizeOf(shape));
  let k = 0;
  const walk = (v: NestedNumbers, axis: number, path: string): void => {
    if (axis === shape.length) {
      if (typeof v !== 'number') throw new TypeError(`tensor: element at ${path} is not a number`);
      data[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[axis]) {
      throw new TypeError(
        `tensor: ragged nested array at ${path || 'top level'}: expected ${shape[axis]} entries on axis ${axis}`,
      );
    }
    for (let i = 0; i < v.length; i++) walk(v[i], axis + 1, `${path}[${i}]`);
  };
  walk(value, 0, '');
  return new NDArray(data, shape);
}
