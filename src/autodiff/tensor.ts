/**
 * The differentiable tensor: a float64 {@link NDArray} value plus, while a gradient
 * transformation is tracing, the tape node that produced it.
 */
import { fromNested, NDArray, type NestedNumbers } from '../tensor/ndarray.js';
import { checkShape, type Shape, sizeOf } from '../tensor/shape.js';
import type { Primitive, PrimitiveParams } from './primitive.js';

/**
 * A recorded operation: which primitive, on which inputs, with which static parameters.
 * `id` increases with creation, so inputs always have smaller ids than their outputs and
 * sorting by id is a topological order.
 */
export interface TapeNode<P extends Primitive = Primitive> {
  readonly id: number;
  readonly prim: P;
  readonly inputs: readonly Tensor[];
  readonly params: PrimitiveParams[P];
}

/**
 * An immutable float64 n-d array that gradient transformations (`grad`, `vjp`, `jvp`) can
 * trace. Outside a transformation `node` is `null` and operations cost only their kernels.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * x.shape;      // [2, 2]
 * x.toArray();  // [[1, 2], [3, 4]]
 * ```
 */
export class Tensor {
  /** The value. Treat it as read-only: tensors share buffers. */
  readonly value: NDArray;
  /** The operation that produced this tensor while tracing, else `null`. */
  readonly node: TapeNode | null;

  constructor(value: NDArray, node: TapeNode | null = null) {
    this.value = value;
    this.node = node;
  }

  /** The extents, outermost first. */
  get shape(): Shape {
    return this.value.shape;
  }

  /** Number of axes. */
  get rank(): number {
    return this.value.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    return this.value.data.length;
  }

  /** The row-major element buffer (read-only by convention). */
  get data(): Float64Array {
    return this.value.data;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.value.data.length !== 1) {
      throw new RangeError(
        `item: tensor of shape [${this.shape.join(', ')}] has ${this.size} elements, not 1`,
      );
    }
    return this.value.data[0];
  }

  /** Nested JavaScript arrays (a number for a rank-0 tensor). */
  toArray(): NestedNumbers {
    return this.value.toNested();
  }
}

/**
 * Creates a constant tensor from a number, nested arrays, or a `Float64Array` with a shape.
 *
 * @example
 * ```ts
 * tensor(3).shape;                                   // []
 * tensor([1, 2, 3]).shape;                           // [3]
 * tensor(new Float64Array([1, 2, 3, 4]), [2, 2]).shape; // [2, 2]
 * ```
 */
export function tensor(values: NestedNumbers | Float64Array | NDArray, shape?: Shape): Tensor {
  if (values instanceof NDArray) return new Tensor(shape === undefined ? values : values.reshape(shape));
  if (values instanceof Float64Array) {
    const s = shape ?? [values.length];
    checkShape(s, 'tensor');
    if (sizeOf(s) !== values.length) {
      throw new RangeError(`tensor: ${values.length} values cannot fill shape [${s.join(', ')}]`);
    }
    return new Tensor(new NDArray(values, s.slice()));
  }
  const nd = fromNested(values);
  return new Tensor(shape === undefined ? nd : nd.reshape(shape));
}

/**
 * A tensor of zeros.
 *
 * @example
 * ```ts
 * zeros([2, 3]).size; // 6
 * ```
 */
export function zeros(shape: Shape): Tensor {
  return new Tensor(NDArray.zeros(shape.slice()));
}

/**
 * A tensor of ones.
 *
 * @example
 * ```ts
 * ones([2]).toArray(); // [1, 1]
 * ```
 */
export function ones(shape: Shape): Tensor {
  return new Tensor(NDArray.full(shape.slice(), 1));
}

/**
 * A tensor filled with `value`.
 *
 * @example
 * ```ts
 * full([2], 7).toArray(); // [7, 7]
 * ```
 */
export function full(shape: Shape, value: number): Tensor {
  return new Tensor(NDArray.full(shape.slice(), value));
}

/**
 * A scalar (rank-0) tensor.
 *
 * @example
 * ```ts
 * scalar(2).item(); // 2
 * ```
 */
export function scalar(value: number): Tensor {
  return new Tensor(NDArray.scalar(value));
}

/**
 * Evenly spaced values in [start, stop) with the given step, as a rank-1 tensor.
 *
 * @example
 * ```ts
 * arange(0, 1, 0.25).toArray(); // [0, 0.25, 0.5, 0.75]
 * ```
 */
export function arange(start: number, stop: number, step = 1): Tensor {
  if (!(step !== 0 && Number.isFinite(step)))
    throw new RangeError(`arange: step must be finite and non-zero, got ${step}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(new NDArray(data, [n]));
}

/**
 * `n` evenly spaced values from `start` to `stop` inclusive.
 *
 * @example
 * ```ts
 * linspace(0, 1, 3).toArray(); // [0, 0.5, 1]
 * ```
 */
export function linspace(start: number, stop: number, n: number): Tensor {
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`linspace: n must be a non-negative integer, got ${n}`);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = n === 1 ? start : start + ((stop - start) * i) / (n - 1);
  return new Tensor(new NDArray(data, [n]));
}
