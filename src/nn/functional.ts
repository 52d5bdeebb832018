/**
 * PyTorch's `torch.nn.functional` activations that are not in {@link Activation}, written
 * with the autodiff's primitives (so their gradients come from the primitives' rules), and
 * the softmax family along an axis. Formulas follow the PyTorch documentation.
 */
import { add, div, gt, maximum, minimum, mul, sub, where } from '../autodiff/ops/binary.js';
import { logsumexp } from '../autodiff/ops/reduce.js';
import { abs, elu, exp, neg, relu, softplus, tanh } from '../autodiff/ops/unary.js';
import type { Tensor } from '../autodiff/tensor.js';

/** SELU's α and scale (Klambauer et al. 2017), PyTorch's constants. */
export const SELU_ALPHA = 1.6732632423543772;
/** SELU's λ. */
export const SELU_SCALE = 1.0507009873554805;

/**
 * min(max(x, 0), 6). @example `relu6(tensor([-1, 3, 9])).toArray(); // [0, 3, 6]`
 */
export function relu6(x: Tensor): Tensor {
  return minimum(relu(x), 6);
}

/**
 * Clamp to [lo, hi] (PyTorch `hardtanh(x, min_val, max_val)`; derivative 1 inside, 0 outside).
 *
 * @example
 * ```ts
 * hardtanh(tensor([-2, 0.5, 2])).toArray(); // [-1, 0.5, 1]
 * ```
 */
export function hardtanh(x: Tensor, lo = -1, hi = 1): Tensor {
  return minimum(maximum(x, lo), hi);
}

/** relu6(x + 3)/6. @example `hardsigmoid(tensor([0])).item(); // 0.5` */
export function hardsigmoid(x: Tensor): Tensor {
  return div(relu6(add(x, 3)), 6);
}

/** x·relu6(x + 3)/6 (Howard et al. 2019). @example `hardswish(tensor([1])).item(); // 0.6666666666666666` */
export function hardswish(x: Tensor): Tensor {
  return mul(x, hardsigmoid(x));
}

/**
 * λ·(x for x > 0, α(eˣ − 1) otherwise) with PyTorch's α, λ.
 *
 * @example
 * ```ts
 * selu(tensor([1])).item(); // 1.0507009873554805
 * ```
 */
export function selu(x: Tensor): Tensor {
  return mul(elu(x, SELU_ALPHA), SELU_SCALE);
}

/**
 * x for x > 0, α(e^{x/α} − 1) otherwise (Barron 2017) = α·elu(x/α).
 *
 * @example
 * ```ts
 * celu(tensor([-1]), 2).item(); // 2 * (Math.exp(-0.5) - 1)
 * ```
 */
export function celu(x: Tensor, alpha = 1): Tensor {
  if (!(alpha !== 0)) throw new RangeError('celu: alpha must be non-zero');
  return mul(elu(div(x, alpha), 1), alpha);
}

/** x for x > 0, slope·x otherwise. @example `leakyRelu(tensor([-1]), 0.1).item(); // -0.1` */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  return where(gt(x, 0), x, mul(x, slope));
}

/** log σ(x) = −softplus(−x). @example `logSigmoid(tensor([0])).item(); // -Math.LN2` */
export function logSigmoid(x: Tensor): Tensor {
  return neg(softplus(neg(x)));
}

/** x − tanh x. @example `tanhshrink(tensor([0])).item(); // 0` */
export function tanhshrink(x: Tensor): Tensor {
  return sub(x, tanh(x));
}

/** x/(1 + |x|). @example `softsign(tensor([1])).item(); // 0.5` */
export function softsign(x: Tensor): Tensor {
  return div(x, add(abs(x), 1));
}

/**
 * x·tanh(softplus(x)) (Misra 2019).
 *
 * @example
 * ```ts
 * mish(tensor([0])).item(); // 0
 * ```
 */
export function mish(x: Tensor): Tensor {
  return mul(x, tanh(softplus(x)));
}

/**
 * PyTorch's softplus with `beta` and `threshold`: (1/β)·log(1 + e^{βx}), and x where βx >
 * threshold.
 *
 * @example
 * ```ts
 * softplusBeta(tensor([0]), 2, 20).item(); // Math.LN2 / 2
 * ```
 */
export function softplusBeta(x: Tensor, beta = 1, threshold = 20): Tensor {
  const bx = mul(x, beta);
  return where(gt(bx, threshold), x, div(softplus(bx), beta));
}

/**
 * log softmax along `axis`: xᵢ − log Σⱼ e^{xⱼ}.
 *
 * @example
 * ```ts
 * logSoftmax(tensor([0, 0]), 0).toArray(); // [-Math.LN2, -Math.LN2]
 * ```
 */
export function logSoftmax(x: Tensor, axis: number): Tensor {
  return sub(x, logsumexp(x, [axis], true));
}

/**
 * softmax along `axis`: e^{xᵢ}/Σⱼ e^{xⱼ}, computed as exp(log softmax).
 *
 * @example
 * ```ts
 * softmax(tensor([0, 0]), 0).toArray(); // [0.5, 0.5]
 * ```
 */
export function softmax(x: Tensor, axis: number): Tensor {
  return exp(logSoftmax(x, axis));
}
