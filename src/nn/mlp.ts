/**
 * Multilayer perceptrons: affine layers with an elementwise activation between them, laid
 * out as PyTorch's `nn.Sequential(Linear, act, Linear, act, …, Linear[, outAct])`.
 */
import type { Tensor } from '../autodiff/tensor.js';
import { type RngKey, splitKey } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import { type Activation, affineActivate, checkActivation } from './activation.js';
import type { Initializer } from './init.js';
import { defaultBiasInit, defaultWeightInit, type LinearParams } from './linear.js';
import { booleanOption, checkOptions, param, requireInteger } from './module.js';

/**
 * Parameters of an {@link Mlp}: one {@link LinearParams} per affine layer, keyed by its index
 * in the equivalent `nn.Sequential` ("0", "2", "4", …: activations occupy the odd indices),
 * so that the state dict names are PyTorch's ("0.weight", "0.bias", "2.weight", …).
 */
export type MlpParams = { readonly [index: string]: LinearParams };

/** Options of {@link mlp}. */
export interface MlpNetOptions {
  /** Layer widths from input to output, e.g. `[2, 64, 64, 1]` (at least two entries). */
  sizes: readonly number[];
  /** Activation after every hidden layer (default `'tanh'`). */
  activation?: Activation;
  /** Activation after the last layer (default `'identity'`: none). */
  outputActivation?: Activation;
  /** Whether the layers have biases (default true). */
  bias?: boolean;
  /** Weight initializer for every layer (default PyTorch's U(±1/√fan_in)). */
  weightInit?: Initializer;
  /** Bias initializer for every layer (default PyTorch's U(±1/√fan_in) of each layer). */
  biasInit?: Initializer;
}

/** A multilayer perceptron: its layout, `init` and `apply`. Immutable. */
export interface Mlp {
  readonly kind: 'mlp';
  /** Layer widths from input to output. */
  readonly sizes: readonly number[];
  readonly activation: Activation;
  readonly outputActivation: Activation;
  readonly bias: boolean;
  /** The parameter keys of the affine layers, in order: "0", "2", …. */
  readonly layerKeys: readonly string[];
  /** Fresh parameters; layer i is drawn from child i of `key`. */
  init(key: RngKey): MlpParams;
  /** The network applied to x of shape [..., sizes[0]]; the result has shape [..., sizes[last]]. */
  apply(params: MlpParams, x: Tensor): Tensor;
}

/**
 * A multilayer perceptron h₀ = x, hₖ = φ(hₖ₋₁·Wₖᵀ + bₖ) for the hidden layers and
 * y = ψ(h_{L−1}·W_Lᵀ + b_L) with ψ the output activation (the identity by default). Weights
 * are in PyTorch's layout and named as in `nn.Sequential`: the affine layer i (0-based) is key
 * `String(2·i)`; the activation after it occupies index 2·i + 1 (also the identity, which
 * maps to `nn.Identity`), and an output activation other than the identity occupies index
 * 2·L − 1. tanh, sigmoid, relu and the identity are fused into the affine kernels.
 *
 * @example
 * ```ts
 * const net = mlp({ sizes: [2, 64, 64, 1], activation: 'gelu' });
 * const params = net.init(rngKey(0));       // keys "0", "2", "4"
 * net.apply(params, zeros([25, 2])).shape;  // [25, 1]
 * // PyTorch: nn.Sequential(nn.Linear(2, 64), nn.GELU(), nn.Linear(64, 64), nn.GELU(), nn.Linear(64, 1))
 * ```
 */
export function mlp(options: MlpNetOptions): Mlp {
  const where = 'mlp';
  checkOptions(where, options, ['sizes', 'activation', 'outputActivation', 'bias', 'weightInit', 'biasInit']);
  if (!Array.isArray(options.sizes) || options.sizes.length < 2) {
    throw new RangeError(
      `${where}: sizes must list the widths from input to output, at least two, e.g. [2, 64, 1]; got ${JSON.stringify(options.sizes)}`,
    );
  }
  const sizes = options.sizes.map((s, i) => requireInteger(s, `sizes[${i}]`, where, 1));
  const activation = checkActivation(options.activation ?? 'tanh', where);
  const outputActivation = checkActivation(options.outputActivation ?? 'identity', where);
  const hasBias = booleanOption(options.bias, 'bias', where, true);
  const weightInit = options.weightInit ?? defaultWeightInit();
  const nLayers = sizes.length - 1;
  const layerKeys = Array.from({ length: nLayers }, (_, i) => String(2 * i));
  const biasInits = Array.from({ length: nLayers }, (_, i) => options.biasInit ?? defaultBiasInit(sizes[i]));
  const label = `mlp([${sizes.join(', ')}])`;
  return Object.freeze({
    kind: 'mlp' as const,
    sizes: Object.freeze(sizes),
    activation,
    outputActivation,
    bias: hasBias,
    layerKeys: Object.freeze(layerKeys),
    init: (key: RngKey): MlpParams => {
      const keys = splitKey(key, nLayers);
      const out: Record<string, LinearParams> = {};
      for (let i = 0; i < nLayers; i++) {
        const [kw, kb] = splitKey(keys[i], 2);
        const weight = weightInit.sample(kw, [sizes[i + 1], sizes[i]]);
        out[layerKeys[i]] = hasBias ? { weight, bias: biasInits[i].sample(kb, [sizes[i + 1]]) } : { weight };
      }
      return out;
    },
    apply: (params: MlpParams, x: Tensor): Tensor => {
      const at = `${label}.apply`;
      if (x.rank < 1 || x.shape[x.rank - 1] !== sizes[0]) {
        throw new RangeError(`${at}: x must have shape [..., ${sizes[0]}], got ${formatShape(x.shape)}`);
      }
      let h = x;
      for (let i = 0; i < nLayers; i++) {
        const k = layerKeys[i];
        const layer = params[k];
        if (layer === undefined) {
          throw new TypeError(
            `${at}: layer "${k}" is missing from params (found ${Object.keys(params).join(', ')}); pass the tree from init or loadStateDict`,
          );
        }
        const w = param(layer, 'weight', [sizes[i + 1], sizes[i]], `${at} layer "${k}"`);
        const b = hasBias ? param(layer, 'bias', [sizes[i + 1]], `${at} layer "${k}"`) : undefined;
        h = affineActivate(h, w, b, i < nLayers - 1 ? activation : outputActivation);
      }
      return h;
    },
  });
}
