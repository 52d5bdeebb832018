/**
 * The activation functions that networks may use, by name, and one function that applies
 * them (fused into the preceding affine map where the autodiff allows).
 */
import { type FusedActivation, linear } from '../autodiff/ops/linalg.js';
import { elu, exp, gelu, neg, relu, sigmoid, silu, softplus, square, tanh } from '../autodiff/ops/unary.js';
import type { Tensor } from '../autodiff/tensor.js';

/**
 * An elementwise activation:
 *
 * | name | φ(x) | PyTorch module |
 * |---|---|---|
 * | `'identity'` | x | `nn.Identity` |
 * | `'tanh'` | tanh x | `nn.Tanh` |
 * | `'sigmoid'` | 1/(1 + e^{−x}) | `nn.Sigmoid` |
 * | `'relu'` | max(x, 0) | `nn.ReLU` |
 * | `'gelu'` | x·Φ(x), Φ the standard normal CDF (exact, not the tanh approximation) | `nn.GELU()` |
 * | `'silu'` | x·σ(x) | `nn.SiLU` |
 * | `'softplus'` | log(1 + eˣ) | `nn.Softplus()` (PyTorch switches to x above x = 20; the difference is below 2⁻⁵³·x there) |
 * | `'elu'` | x for x > 0, eˣ − 1 otherwise (α = 1) | `nn.ELU()` |
 * | `'rbf'` | e^{−x²}, the Gaussian radial basis function (φ′(x) = −2x·e^{−x²}; Rackauckas et al. 2020's UDE nets) | none (`torch.exp(-x**2)`) |
 *
 * @example
 * ```ts
 * const act: Activation = 'gelu';
 * ```
 */
export type Activation =
  | 'identity'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'gelu'
  | 'silu'
  | 'softplus'
  | 'elu'
  | 'rbf';

/** Every {@link Activation}, in the order of the table. */
export const ACTIVATIONS: readonly Activation[] = [
  'identity',
  'tanh',
  'sigmoid',
  'relu',
  'gelu',
  'silu',
  'softplus',
  'elu',
  'rbf',
];

/**
 * Checks that `name` is an {@link Activation}; throws a TypeError naming `where` and the
 * choices otherwise.
 *
 * @example
 * ```ts
 * checkActivation('tanh', 'mlp'); // 'tanh'
 * checkActivation('Tanh', 'mlp'); // throws: mlp: unknown activation "Tanh"; …
 * ```
 */
export function checkActivation(name: unknown, where: string): Activation {
  if (typeof name === 'string' && (ACTIVATIONS as readonly string[]).includes(name))
    return name as Activation;
  throw new TypeError(
    `${where}: unknown activation ${JSON.stringify(name)}; use one of ${ACTIVATIONS.map((a) => `'${a}'`).join(', ')}`,
  );
}

/**
 * φ(x) elementwise for the named activation.
 *
 * @example
 * ```ts
 * activate('relu', tensor([-1, 2])).toArray(); // [0, 2]
 * ```
 */
export function activate(name: Activation, x: Tensor): Tensor {
  switch (name) {
    case 'identity':
      return x;
    case 'tanh':
      return tanh(x);
    case 'sigmoid':
      return sigmoid(x);
    case 'relu':
      return relu(x);
    case 'gelu':
      return gelu(x);
    case 'silu':
      return silu(x);
    case 'softplus':
      return softplus(x);
    case 'elu':
      return elu(x, 1);
    case 'rbf':
      // exp(−x²) from primitives: no cancellation, and the autodiff gives −2x·e^{−x²}.
      return exp(neg(square(x)));
  }
}

const FUSED: ReadonlySet<Activation> = new Set<Activation>(['identity', 'tanh', 'sigmoid', 'relu']);

/**
 * φ(x·Wᵀ + b) in PyTorch's layout (`w` [out, in], `b` [out]); tanh, sigmoid, relu and the
 * identity are fused into the affine kernel (one pass, one allocation), the others applied
 * after it.
 *
 * @example
 * ```ts
 * const w = tensor([[1, -1]]);
 * affineActivate(tensor([[2, 3]]), w, tensor([0]), 'relu').toArray(); // [[0]]
 * ```
 */
export function affineActivate(x: Tensor, w: Tensor, b: Tensor | undefined, name: Activation): Tensor {
  if (FUSED.has(name)) return linear(x, w, b, name as FusedActivation);
  return activate(name, linear(x, w, b));
}
