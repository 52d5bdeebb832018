/**
 * The VJP rule of every primitive, one short entry each.
 *
 * A rule maps the output cotangent `g` to the input cotangents (null = zero). Rules are
 * written with the differentiable operations themselves, so a backward pass run inside an
 * enclosing transformation is recorded and can be differentiated again (grad of grad).
 * A rule may return cotangents in the broadcast shape of the output: the backward walker
 * sums them down to each input's shape (`sumTo`) and checks shapes. `needs[i]` says whether
 * input i's cotangent is wanted; expensive rules skip the others.
 */
import { NDArray } from '../tensor/ndarray.js';
import { broadcastTo as broadcastKernel } from '../tensor/reduce.js';
import { broadcastShapes } from '../tensor/shape.js';
import { add, div, mul, pow, sub, where } from './ops/binary.js';
import { fold1d, fold2d, unfold1d, unfold2d } from './ops/conv.js';
import {
  broadcastTo,
  gather,
  inversePermutation,
  pad,
  padAdjoint,
  permute,
  reshape,
  scatterAdd,
  sliceAdjoint,
  sliceRaw,
  sumTo,
} from './ops/layout.js';
import { linearVjp, matmul } from './ops/linalg.js';
import { extremeMask, keptShape, sum } from './ops/reduce.js';
import { cos, erf, exp, log, neg as negate, sigmoid, sign, sin, square, tanhGrad } from './ops/unary.js';
import { Primitive, type PrimitiveParams } from './primitive.js';
import { Tensor } from './tensor.js';

/** Cotangents of a primitive's inputs given the output cotangent `g`. */
export type VjpRule<P extends Primitive> = (
  g: Tensor,
  out: Tensor,
  inputs: readonly Tensor[],
  params: PrimitiveParams[P],
  needs: readonly boolean[],
) => readonly (Tensor | null)[];

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** A constant tensor from a computed mask. */
const constant = (a: NDArray): Tensor => new Tensor(a);

/** 1 where `x > 0` else 0, as a constant. */
function positiveMask(x: Tensor): Tensor {
  const d = x.value.data;
  const o = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) o[i] = d[i] > 0 ? 1 : 0;
  return constant(new NDArray(o, x.shape));
}

/** Cotangent of a max/min reduction: g shared evenly among the positions of the extreme. */
function extremeRule(g: Tensor, out: Tensor, x: Tensor, p: PrimitiveParams[Primitive.Max]): Tensor {
  const kept = keptShape(x.shape as number[], p.axes);
  const m = out.value.reshape(kept);
  const mask = constant(extremeMask(x.value, m));
  const count = sum(mask, p.axes, true);
  return mul(div(broadcastTo(reshape(g, kept), x.shape), count), mask);
}

/** Weights of a ≥ b ties split evenly: 1 where a > b, ½ where a = b, 0 elsewhere. */
function winnerWeights(a: Tensor, b: Tensor, larger: boolean): Tensor {
  const shape = broadcastShape(a, b);
  const av = broadcastValues(a, shape);
  const bv = broadcastValues(b, shape);
  const o = new Float64Array(av.length);
  for (let i = 0; i < o.length; i++) o[i] = av[i] === bv[i] ? 0.5 : larger === av[i] > bv[i] ? 1 : 0;
  return constant(new NDArray(o, shape));
}

function broadcastShape(a: Tensor, b: Tensor): number[] {
  return broadcastShapes(a.shape, b.shape, 'backward');
}

/** The values of `x` broadcast to `shape`, as a plain buffer. */
function broadcastValues(x: Tensor, shape: readonly number[]): Float64Array {
  return broadcastKernel(x.value, shape).data;
}

/** Mask for the exponent's cotangent of aᵇ: 0 where a = 0 and b ≥ 0 (the limit from a > 0). */
function powExponentMask(a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShape(a, b);
  const av = broadcastValues(a, shape);
  const bv = broadcastValues(b, shape);
  const o = new Float64Array(av.length);
  for (let i = 0; i < o.length; i++) o[i] = av[i] === 0 && bv[i] >= 0 ? 0 : 1;
  return constant(new NDArray(o, shape));
}

/** Mask for the base's cotangent of aᵇ: 0 where b = 0 (d/da a⁰ = 0, also at a = 0). */
function powBaseMask(a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShape(a, b);
  const bv = broadcastValues(b, shape);
  const o = new Float64Array(bv.length);
  for (let i = 0; i < o.length; i++) o[i] = bv[i] === 0 ? 0 : 1;
  return constant(new NDArray(o, shape));
}

/** Every primitive's VJP. The one-line comment on each gives the formula. */
export const vjpRules: { readonly [P in Primitive]: VjpRule<P> } = {
  // x̄ = g
  [Primitive.Identity]: (g) => [g],
  // x̄ = −g
  [Primitive.Neg]: (g) => [negate(g)],
  // x̄ = g·sign(x)
  [Primitive.Abs]: (g, _o, [x]) => [mul(g, sign(x))],
  // piecewise constant: x̄ = 0
  [Primitive.Sign]: () => [null],
  // x̄ = g·eˣ = g·y
  [Primitive.Exp]: (g, y) => [mul(g, y)],
  // x̄ = g·eˣ = g·(y + 1)
  [Primitive.Expm1]: (g, y) => [mul(g, add(y, 1))],
  // x̄ = g/x
  [Primitive.Log]: (g, _o, [x]) => [div(g, x)],
  // x̄ = g/(1 + x)
  [Primitive.Log1p]: (g, _o, [x]) => [div(g, add(x, 1))],
  // x̄ = g/(2√x) = g/(2y)
  [Primitive.Sqrt]: (g, y) => [div(g, mul(y, 2))],
  // x̄ = 2·g·x
  [Primitive.Square]: (g, _o, [x]) => [mul(g, mul(x, 2))],
  // x̄ = −g/x² = −g·y²
  [Primitive.Reciprocal]: (g, y) => [negate(mul(g, square(y)))],
  // x̄ = g·cos x
  [Primitive.Sin]: (g, _o, [x]) => [mul(g, cos(x))],
  // x̄ = −g·sin x
  [Primitive.Cos]: (g, _o, [x]) => [negate(mul(g, sin(x)))],
  // x̄ = g·(1 + tan²x) = g·(1 + y²)
  [Primitive.Tan]: (g, y) => [mul(g, add(square(y), 1))],
  // x̄ = g·(1 − y²), fused
  [Primitive.Tanh]: (g, y) => [tanhGrad(y, g)],
  // x̄ = g·y·(1 − y)
  [Primitive.Sigmoid]: (g, y) => [mul(g, mul(y, sub(1, y)))],
  // x̄ = g·σ(x)
  [Primitive.Softplus]: (g, _o, [x]) => [mul(g, sigmoid(x))],
  // x̄ = g·[x > 0]
  [Primitive.Relu]: (g, _o, [x]) => [where(positiveMask(x), g, 0)],
  // x̄ = g·(Φ(x) + x·φ(x)), Φ(x) = ½(1 + erf(x/√2)), φ(x) = e^{−x²/2}/√(2π)
  [Primitive.Gelu]: (g, _o, [x]) => {
    const cdf = mul(add(erf(mul(x, SQRT1_2)), 1), 0.5);
    const pdf = mul(exp(mul(square(x), -0.5)), INV_SQRT_2PI);
    return [mul(g, add(cdf, mul(x, pdf)))];
  },
  // x̄ = g·σ(x)·(1 + x·(1 − σ(x)))
  [Primitive.Silu]: (g, _o, [x]) => {
    const s = sigmoid(x);
    return [mul(g, mul(s, add(mul(x, sub(1, s)), 1)))];
  },
  // x̄ = g for x > 0, else g·(y + α)
  [Primitive.Elu]: (g, y, [x], p) => [where(positiveMask(x), g, mul(g, add(y, p.alpha)))],
  // x̄ = g·(2/√π)·e^{−x²}
  [Primitive.Erf]: (g, _o, [x]) => [mul(g, mul(exp(negate(square(x))), TWO_OVER_SQRT_PI))],
  // ā = ḡ, b̄ = ḡ
  [Primitive.Add]: (g) => [g, g],
  // ā = ḡ, b̄ = −ḡ
  [Primitive.Sub]: (g) => [g, negate(g)],
  // ā = ḡ·b, b̄ = ḡ·a
  [Primitive.Mul]: (g, _o, [a, b]) => [mul(g, b), mul(g, a)],
  // ā = ḡ/b, b̄ = −ḡ·a/b² = −ḡ·y/b
  [Primitive.Div]: (g, y, [, b]) => {
    const ga = div(g, b);
    return [ga, negate(mul(ga, y))];
  },
  // ā = ḡ·b·a^{b−1} (0 where b = 0), b̄ = ḡ·y·log a (0 where a = 0, b ≥ 0)
  [Primitive.Pow]: (g, y, [a, b]) => {
    const ga = where(powBaseMask(a, b), mul(g, mul(b, pow(a, sub(b, 1)))), 0);
    const gb = where(powExponentMask(a, b), mul(g, mul(y, log(a))), 0);
    return [ga, gb];
  },
  // ā = ḡ·[a > b] + ½ḡ·[a = b], b̄ likewise
  [Primitive.Maximum]: (g, _o, [a, b]) => [
    mul(g, winnerWeights(a, b, true)),
    mul(g, winnerWeights(b, a, true)),
  ],
  // ā = ḡ·[a < b] + ½ḡ·[a = b], b̄ likewise
  [Primitive.Minimum]: (g, _o, [a, b]) => [
    mul(g, winnerWeights(a, b, false)),
    mul(g, winnerWeights(b, a, false)),
  ],
  // ā = where(c, ḡ, 0), b̄ = where(c, 0, ḡ)
  [Primitive.Where]: (g, _o, _i, p) => [where(constant(p.cond), g, 0), where(constant(p.cond), 0, g)],
  // x̄ = broadcast of ḡ (reduced axes restored)
  [Primitive.Sum]: (g, _o, [x], p) => [
    broadcastTo(reshape(g, keptShape(x.shape as number[], p.axes)), x.shape),
  ],
  // x̄ = ḡ shared among the maxima
  [Primitive.Max]: (g, y, [x], p) => [extremeRule(g, y, x, p)],
  // x̄ = ḡ shared among the minima
  [Primitive.Min]: (g, y, [x], p) => [extremeRule(g, y, x, p)],
  // x̄ = reshape(ḡ, shape of x)
  [Primitive.Reshape]: (g, _o, _i, p) => [reshape(g, p.inputShape)],
  // x̄ = sumTo(ḡ, shape of x)
  [Primitive.BroadcastTo]: (g, _o, _i, p) => [sumTo(g, p.inputShape)],
  // x̄ = broadcastTo(ḡ, shape of x)
  [Primitive.SumTo]: (g, _o, _i, p) => [broadcastTo(g, p.inputShape)],
  // x̄ = permute(ḡ, perm⁻¹)
  [Primitive.Permute]: (g, _o, _i, p) => [permute(g, inversePermutation(p.perm))],
  // x̄ = ḡ embedded into zeros
  [Primitive.Slice]: (g, _o, _i, p) => [sliceAdjoint(g, p.inputShape, p.starts, p.stops, p.steps)],
  // ḡ̄ = slice of the cotangent
  [Primitive.SliceAdjoint]: (g, _o, _i, p) => [sliceRaw(g, p.starts, p.stops, p.steps)],
  // x̄ᵢ = the i-th block of ḡ along the axis
  [Primitive.Concat]: (g, _o, inputs, p) => {
    let start = 0;
    return inputs.map((x) => {
      const starts = g.shape.map(() => 0);
      const stops = g.shape.slice();
      const steps = g.shape.map(() => 1);
      starts[p.axis] = start;
      stops[p.axis] = start + x.shape[p.axis];
      start += x.shape[p.axis];
      return sliceRaw(g, starts, stops, steps);
    });
  },
  // x̄ = scatterAdd(ḡ) at the indices
  [Primitive.Gather]: (g, _o, _i, p) => [scatterAdd(p.inputShape, p.indices, g, p.axis)],
  // v̄ = gather(ḡ) at the indices
  [Primitive.ScatterAdd]: (g, _o, _i, p) => [gather(g, p.indices, p.axis)],
  // x̄ = padded positions folded back
  [Primitive.Pad]: (g, _o, _i, p) => [padAdjoint(g, p.inputShape, p.pads, p.mode)],
  // ḡ̄ = pad of the cotangent
  [Primitive.PadAdjoint]: (g, _o, _i, p) => [pad(g, p.pads, p.mode)],
  // x̄ = fold(ḡ)
  [Primitive.Unfold1d]: (g, _o, _i, p) => [fold1d(g, p.inputShape, p.kernel, p.stride, p.dilation)],
  // c̄ = unfold(ḡ)
  [Primitive.Fold1d]: (g, _o, _i, p) => [unfold1d(g, p.kernel, p.stride, p.dilation)],
  // x̄ = fold(ḡ)
  [Primitive.Unfold2d]: (g, _o, _i, p) => [fold2d(g, p.inputShape, p.kernel, p.stride, p.dilation)],
  // c̄ = unfold(ḡ)
  [Primitive.Fold2d]: (g, _o, _i, p) => [unfold2d(g, p.kernel, p.stride, p.dilation)],
  // C = op(A)·op(B): Ā = Ḡ·op(B)ᵀ (or op(B)·Ḡᵀ if A is transposed), B̄ = op(A)ᵀ·Ḡ (or Ḡᵀ·op(A))
  [Primitive.Matmul]: (g, _o, [a, b], { transA, transB }, needs) => [
    !needs[0]
      ? null
      : transA
        ? matmul(b, g, { transA: transB, transB: true })
        : matmul(g, b, { transB: !transB }),
    !needs[1]
      ? null
      : transB
        ? matmul(g, a, { transA: true, transB: transA })
        : matmul(a, g, { transA: !transA }),
  ],
  // y = act(x·Wᵀ + b), z̄ = ȳ ⊙ act′: x̄ = z̄·W, W̄ = z̄ᵀ·x, b̄ = Σ z̄ over leading axes
  [Primitive.Linear]: (g, y, [x, w], p, needs) => linearVjp(g, y, x, w, p.activation, needs),
  // out = g·(1 − y²): ȳ = h·g·(−2y), ḡ = h·(1 − y²)
  [Primitive.TanhGrad]: (h, _o, [y, g]) => [mul(h, mul(g, mul(y, -2))), tanhGrad(y, h)],
  // the user's rule
  [Primitive.Custom]: (g, out, inputs, p) => p.vjp(g, out, inputs),
};
