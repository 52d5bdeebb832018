/**
 * Differentiable binary elementwise operations with NumPy broadcasting, comparisons
 * (constant results) and `where`.
 */
import { binary } from '../../tensor/elementwise.js';
import { where as whereKernel } from '../../tensor/layout.js';
import { NDArray } from '../../tensor/ndarray.js';
import { Primitive } from '../primitive.js';
import { record } from '../tape.js';
import { Tensor } from '../tensor.js';

/** A tensor or a plain number (treated as a constant scalar). */
export type TensorLike = Tensor | number;

/** Converts a number to a constant rank-0 tensor; passes tensors through. */
export function asTensor(x: TensorLike): Tensor {
  return typeof x === 'number' ? new Tensor(NDArray.scalar(x)) : x;
}

const noParams = {} as const;

type BinaryPrim =
  | Primitive.Add
  | Primitive.Sub
  | Primitive.Mul
  | Primitive.Div
  | Primitive.Pow
  | Primitive.Maximum
  | Primitive.Minimum;

function binaryOp(prim: BinaryPrim, a: TensorLike, b: TensorLike): Tensor {
  const x = asTensor(a);
  const y = asTensor(b);
  return record(prim, [x, y], noParams, binary(prim, x.value, y.value));
}

/** a + b, broadcasting. @example `add(tensor([1, 2]), 1).toArray(); // [2, 3]` */
export const add = (a: TensorLike, b: TensorLike): Tensor => binaryOp(Primitive.Add, a, b);
/** a − b, broadcasting. @example `sub(tensor([1, 2]), 1).toArray(); // [0, 1]` */
export const sub = (a: TensorLike, b: TensorLike): Tensor => binaryOp(Primitive.Sub, a, b);
/** a · b elementwise, broadcasting. @example `mul(tensor([1, 2]), 3).toArray(); // [3, 6]` */
export const mul = (a: TensorLike, b: TensorLike): Tensor => binaryOp(Primitive.Mul, a, b);
/** a / b, broadcasting. @example `div(tensor([1, 2]), 2).toArray(); // [0.5, 1]` */
export const div = (a: TensorLike, b: TensorLike): Tensor => binaryOp(Primitive.Div, a, b);
/**
 * aᵇ, broadcasting. The derivative with respect to b at a = 0, b ≥ 0 is taken as 0 (the
 * limit along a > 0); at a < 0 it is NaN.
 * @example `pow(tensor([2, 3]), 2).toArray(); // [4, 9]`
 */
export const pow = (a: TensorLike, b: TensorLike): Tensor => binaryOp(Primitive.Pow, a, b);
/** Elementwise maximum; NaN propagates; at ties the gradient is split evenly. @example `maximum(tensor([1, 5]), 3).toArray(); // [3, 5]` */
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binaryOp(Primitive.Maximum, a, b);
/** Elementwise minimum; NaN propagates; at ties the gradient is split evenly. @example `minimum(tensor([1, 5]), 3).toArray(); // [1, 3]` */
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binaryOp(Primitive.Minimum, a, b);

function compare(op: 'lt' | 'le' | 'gt' | 'ge' | 'eq' | 'ne', a: TensorLike, b: TensorLike): Tensor {
  return new Tensor(binary(op, asTensor(a).value, asTensor(b).value));
}

/** 1 where a < b else 0; a constant (no gradient). @example `lt(tensor([1, 3]), 2).toArray(); // [1, 0]` */
export const lt = (a: TensorLike, b: TensorLike): Tensor => compare('lt', a, b);
/** 1 where a ≤ b else 0; a constant. @example `le(tensor([2]), 2).item(); // 1` */
export const le = (a: TensorLike, b: TensorLike): Tensor => compare('le', a, b);
/** 1 where a > b else 0; a constant. @example `gt(tensor([1, 3]), 2).toArray(); // [0, 1]` */
export const gt = (a: TensorLike, b: TensorLike): Tensor => compare('gt', a, b);
/** 1 where a ≥ b else 0; a constant. @example `ge(tensor([2]), 2).item(); // 1` */
export const ge = (a: TensorLike, b: TensorLike): Tensor => compare('ge', a, b);
/** 1 where a = b else 0 (NaN ≠ NaN); a constant. @example `eq(tensor([2]), 2).item(); // 1` */
export const eq = (a: TensorLike, b: TensorLike): Tensor => compare('eq', a, b);
/** 1 where a ≠ b else 0; a constant. @example `ne(tensor([2]), 2).item(); // 0` */
export const ne = (a: TensorLike, b: TensorLike): Tensor => compare('ne', a, b);

/**
 * Selects `a` where `cond` is non-zero and `b` elsewhere; all three broadcast together.
 * `cond` is treated as a constant; gradients flow to `a` and `b` only where selected (so an
 * infinite or NaN gradient in the branch not taken does not leak, unlike masking by
 * multiplication).
 *
 * @example
 * ```ts
 * where(tensor([1, 0]), tensor([10, 20]), 0).toArray(); // [10, 0]
 * ```
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const x = asTensor(a);
  const y = asTensor(b);
  return record(Primitive.Where, [x, y], { cond: cond.value }, whereKernel(cond.value, x.value, y.value));
}
