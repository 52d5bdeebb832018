/**
 * The affine layer y = x·Wᵀ + b (PyTorch's `nn.Linear`).
 */
import { linear } from '../autodiff/ops/linalg.js';
import type { Tensor } from '../autodiff/tensor.js';
import type { RngKey } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import { type Initializer, kaimingUniform, uniformInit, zerosInit } from './init.js';
import { booleanOption, checkOptions, initParams, type ParamSpec, param, requireInteger } from './module.js';

/** Parameters of a {@link LinearLayer}: `weight` [out, in] and, unless `bias: false`, `bias` [out]. */
export type LinearParams = { readonly weight: Tensor; readonly bias: Tensor } | { readonly weight: Tensor };

/** Options of {@link linearLayer}. */
export interface LinearLayerOptions {
  /** Number of input features (the last axis of x). */
  inFeatures: number;
  /** Number of output features. */
  outFeatures: number;
  /** Whether there is a bias (default true). */
  bias?: boolean;
  /** Weight initializer (default PyTorch's: `kaimingUniform({ a: √5 })`, i.e. U(±1/√in)). */
  weightInit?: Initializer;
  /** Bias initializer (default PyTorch's: U(±1/√in)). */
  biasInit?: Initializer;
}

/** A linear layer: its sizes and initializers, `init` and `apply`. Immutable. */
export interface LinearLayer {
  readonly kind: 'linear';
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bias: boolean;
  readonly weightInit: Initializer;
  readonly biasInit: Initializer;
  /** Fresh parameters drawn from `key` (`weight` from child 0 of the key, `bias` from child 1). */
  init(key: RngKey): LinearParams;
  /** y = x·Wᵀ + b for x of shape [..., in]; y has shape [..., out]. */
  apply(params: LinearParams, x: Tensor): Tensor;
}

/** PyTorch's default bias initializer for a layer with this fan-in: U(±1/√fan_in). */
export function defaultBiasInit(fanIn: number): Initializer {
  return fanIn > 0 ? uniformInit(-1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn)) : zerosInit();
}

/** PyTorch's default weight initializer for `nn.Linear` and `nn.Conv*`: U(±1/√fan_in). */
export function defaultWeightInit(): Initializer {
  return kaimingUniform({ a: Math.sqrt(5) });
}

/**
 * A linear layer y = x·Wᵀ + b in PyTorch's layout and naming: `weight` [out, in],
 * `bias` [out]. By default initialized as PyTorch does: W, b ~ U(±1/√in).
 *
 * Gradients (through the fused autodiff primitive): x̄ = ȳ·W, W̄ = ȳᵀ·x, b̄ = Σ ȳ over the
 * leading axes.
 *
 * @example
 * ```ts
 * const layer = linearLayer({ inFeatures: 3, outFeatures: 2 });
 * const params = layer.init(rngKey(0));           // { weight: [2, 3], bias: [2] }
 * layer.apply(params, tensor([[1, 2, 3]])).shape; // [1, 2]
 * ```
 */
export function linearLayer(options: LinearLayerOptions): LinearLayer {
  const where = 'linearLayer';
  checkOptions(where, options, ['inFeatures', 'outFeatures', 'bias', 'weightInit', 'biasInit']);
  const inFeatures = requireInteger(options.inFeatures, 'inFeatures', where, 0);
  const outFeatures = requireInteger(options.outFeatures, 'outFeatures', where, 0);
  const hasBias = booleanOption(options.bias, 'bias', where, true);
  const weightInit = options.weightInit ?? defaultWeightInit();
  const biasInit = options.biasInit ?? defaultBiasInit(inFeatures);
  const specs: ParamSpec[] = [{ name: 'weight', shape: [outFeatures, inFeatures], init: weightInit }];
  if (hasBias) specs.push({ name: 'bias', shape: [outFeatures], init: biasInit });
  return Object.freeze({
    kind: 'linear' as const,
    inFeatures,
    outFeatures,
    bias: hasBias,
    weightInit,
    biasInit,
    init: (key: RngKey): LinearParams => initParams(key, specs) as LinearParams,
    apply: (params: LinearParams, x: Tensor): Tensor => {
      const at = `linearLayer(${inFeatures} → ${outFeatures}).apply`;
      const w = param(params, 'weight', [outFeatures, inFeatures], at);
      const b = hasBias ? param(params, 'bias', [outFeatures], at) : undefined;
      if (x.rank < 1 || x.shape[x.rank - 1] !== inFeatures) {
        throw new RangeError(`${at}: x must have shape [..., ${inFeatures}], got ${formatShape(x.shape)}`);
      }
      return linear(x, w, b);
    },
  });
}
