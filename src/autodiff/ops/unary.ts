/**
 * Differentiable unary elementwise operations. Each is one primitive; its derivative rule
 * lives in `../rules.ts`.
 */
import { unary } from '../../tensor/elementwise.js';
import { NDArray } from '../../tensor/ndarray.js';
import { allocate } from '../../tensor/pool.js';
import { Primitive } from '../primitive.js';
import { record } from '../tape.js';
import type { Tensor } from '../tensor.js';

const noParams = {} as const;

function unaryOp(
  prim:
    | Primitive.Neg
    | Primitive.Abs
    | Primitive.Sign
    | Primitive.Exp
    | Primitive.Expm1
    | Primitive.Log
    | Primitive.Log1p
    | Primitive.Sqrt
    | Primitive.Square
    | Primitive.Reciprocal
    | Primitive.Sin
    | Primitive.Cos
    | Primitive.Tan
    | Primitive.Tanh
    | Primitive.Sigmoid
    | Primitive.Softplus
    | Primitive.Relu
    | Primitive.Gelu
    | Primitive.Silu
    | Primitive.Erf,
  x: Tensor,
): Tensor {
  return record(prim, [x], noParams, unary(prim, x.value));
}

/** −x. @example `neg(tensor([1, -2])).toArray(); // [-1, 2]` */
export const neg = (x: Tensor): Tensor => unaryOp(Primitive.Neg, x);
/** |x|; its derivative at 0 is taken as 0. @example `abs(tensor([-1])).item(); // 1` */
export const abs = (x: Tensor): Tensor => unaryOp(Primitive.Abs, x);
/** sign(x) ∈ {−1, ±0, 1} (NaN stays NaN); derivative 0. @example `sign(tensor([-3])).item(); // -1` */
export const sign = (x: Tensor): Tensor => unaryOp(Primitive.Sign, x);
/** eˣ. @example `exp(tensor([0])).item(); // 1` */
export const exp = (x: Tensor): Tensor => unaryOp(Primitive.Exp, x);
/** eˣ − 1, accurate for small x. @example `expm1(tensor([1e-20])).item(); // 1e-20` */
export const expm1 = (x: Tensor): Tensor => unaryOp(Primitive.Expm1, x);
/** Natural logarithm. @example `log(tensor([1])).item(); // 0` */
export const log = (x: Tensor): Tensor => unaryOp(Primitive.Log, x);
/** log(1 + x), accurate for small x. @example `log1p(tensor([1e-20])).item(); // 1e-20` */
export const log1p = (x: Tensor): Tensor => unaryOp(Primitive.Log1p, x);
/** √x. @example `sqrt(tensor([4])).item(); // 2` */
export const sqrt = (x: Tensor): Tensor => unaryOp(Primitive.Sqrt, x);
/** x². @example `square(tensor([3])).item(); // 9` */
export const square = (x: Tensor): Tensor => unaryOp(Primitive.Square, x);
/** 1/x. @example `reciprocal(tensor([4])).item(); // 0.25` */
export const reciprocal = (x: Tensor): Tensor => unaryOp(Primitive.Reciprocal, x);
/** sin x. @example `sin(tensor([0])).item(); // 0` */
export const sin = (x: Tensor): Tensor => unaryOp(Primitive.Sin, x);
/** cos x. @example `cos(tensor([0])).item(); // 1` */
export const cos = (x: Tensor): Tensor => unaryOp(Primitive.Cos, x);
/** tan x. @example `tan(tensor([0])).item(); // 0` */
export const tan = (x: Tensor): Tensor => unaryOp(Primitive.Tan, x);
/** tanh x. @example `tanh(tensor([0])).item(); // 0` */
export const tanh = (x: Tensor): Tensor => unaryOp(Primitive.Tanh, x);
/** Logistic σ(x) = 1/(1 + e^{−x}), stable for large |x|. @example `sigmoid(tensor([0])).item(); // 0.5` */
export const sigmoid = (x: Tensor): Tensor => unaryOp(Primitive.Sigmoid, x);
/** log(1 + eˣ), stable for large |x|. @example `softplus(tensor([0])).item(); // Math.LN2` */
export const softplus = (x: Tensor): Tensor => unaryOp(Primitive.Softplus, x);
/** max(x, 0); derivative at 0 taken as 0; NaN propagates. @example `relu(tensor([-1, 2])).toArray(); // [0, 2]` */
export const relu = (x: Tensor): Tensor => unaryOp(Primitive.Relu, x);
/** Exact GELU x·Φ(x) with Φ the standard normal CDF. @example `gelu(tensor([0])).item(); // 0` */
export const gelu = (x: Tensor): Tensor => unaryOp(Primitive.Gelu, x);
/** SiLU (swish) x·σ(x). @example `silu(tensor([0])).item(); // 0` */
export const silu = (x: Tensor): Tensor => unaryOp(Primitive.Silu, x);
/** Error function erf x = (2/√π)∫₀ˣ e^{−s²} ds. @example `erf(tensor([0])).item(); // 0` */
export const erf = (x: Tensor): Tensor => unaryOp(Primitive.Erf, x);

/**
 * ELU: x for x > 0, α(eˣ − 1) otherwise.
 *
 * @example
 * ```ts
 * elu(tensor([-1]), 1).item(); // -0.6321205588285577
 * ```
 */
export function elu(x: Tensor, alpha = 1): Tensor {
  if (!Number.isFinite(alpha)) throw new RangeError(`elu: alpha must be finite, got ${alpha}`);
  return record(Primitive.Elu, [x], { alpha }, unary('elu', x.value, alpha));
}

/**
 * The fused derivative of tanh: g·(1 − y²) where y = tanh(x). Used by the tanh VJP so that
 * backward passes through tanh layers cost one loop; it is itself differentiable.
 */
export function tanhGrad(y: Tensor, g: Tensor): Tensor {
  const yd = y.value.data;
  const gd = g.value.data;
  if (yd.length !== gd.length) {
    throw new RangeError(`tanhGrad: shapes [${y.shape.join(', ')}] and [${g.shape.join(', ')}] differ`);
  }
  const o = allocate(yd.length);
  for (let i = 0; i < o.length; i++) o[i] = gd[i] * (1 - yd[i] * yd[i]);
  return record(Primitive.TanhGrad, [y, g], noParams, new NDArray(o, g.shape));
}
