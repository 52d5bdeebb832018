/**
 * Gated recurrent units (Cho et al. 2014) over masked, irregular histories, in PyTorch's
 * layout and naming (`nn.GRU(batch_first=True)`).
 */
import { add, mul, sub } from '../autodiff/ops/binary.js';
import { concat } from '../autodiff/ops/layout.js';
import { linear } from '../autodiff/ops/linalg.js';
import { tanh } from '../autodiff/ops/unary.js';
import type { Tensor } from '../autodiff/tensor.js';
import { rejectUnknown } from '../ode/options.js';
import type { RngKey } from '../tensor/random.js';
import {
  type Cell,
  gateBlock,
  initRecurrent,
  joinedGate,
  lastLayer,
  layerWeights,
  type RecurrentApplyOptions,
  type RecurrentConfig,
  type RecurrentOptions,
  type RecurrentParams,
  recurrentConfig,
  runRecurrent,
} from './recurrent.js';

/** What a {@link Gru} returns. */
export interface GruResult {
  /** The top layer's hidden state after every step, [batch, time, hidden]. */
  readonly output: Tensor;
  /** Final hidden state of every layer, [numLayers, batch, hidden] (PyTorch's h_n). */
  readonly hidden: Tensor;
  /** The top layer's final hidden state, [batch, hidden]: the encoding of each history. */
  readonly last: Tensor;
}

/** A GRU: its sizes and initializers, `init` and `apply`. Immutable. */
export interface Gru extends RecurrentConfig {
  readonly kind: 'gru';
  /** Fresh parameters `weight_ih_l0` [3H, in], `weight_hh_l0` [3H, H], `bias_ih_l0` [3H], `bias_hh_l0` [3H], … */
  init(key: RngKey): RecurrentParams;
  /** Runs the GRU over x [batch, time, inputSize]. */
  apply(params: RecurrentParams, x: Tensor, options?: RecurrentApplyOptions): GruResult;
}

/** Gate blocks of one layer. */
interface GruGates {
  /** [W_ih,r | W_hh,r] and b_ih,r + b_hh,r. */
  readonly r: { w: Tensor; b: Tensor | undefined };
  /** [W_ih,z | W_hh,z] and b_ih,z + b_hh,z. */
  readonly z: { w: Tensor; b: Tensor | undefined };
  /** W_ih,n and b_ih,n. */
  readonly inW: Tensor;
  readonly inB: Tensor | undefined;
  /** W_hh,n and b_hh,n. */
  readonly hnW: Tensor;
  readonly hnB: Tensor | undefined;
}

/**
 * The GRU step, gate blocks in PyTorch's order r, z, n:
 *
 *     r = σ(W_ir·xₜ + b_ir + W_hr·hₜ₋₁ + b_hr),   z = σ(W_iz·xₜ + b_iz + W_hz·hₜ₋₁ + b_hz),
 *     n = tanh(W_in·xₜ + b_in + r ⊙ (W_hn·hₜ₋₁ + b_hn)),
 *     hₜ = (1 − z) ⊙ n + z ⊙ hₜ₋₁ = n + z ⊙ (hₜ₋₁ − n).
 */
const gruCell = (hidden: number): Cell<GruGates> => ({
  prepare: (w) => ({
    r: joinedGate(w, 0, hidden),
    z: joinedGate(w, 1, hidden),
    inW: gateBlock(w.wih, 2, hidden),
    inB: w.bih === undefined ? undefined : gateBlock(w.bih, 2, hidden),
    hnW: gateBlock(w.whh, 2, hidden),
    hnB: w.bhh === undefined ? undefined : gateBlock(w.bhh, 2, hidden),
  }),
  step: (x, [h], w) => {
    const xh = concat([x, h], 1);
    const r = linear(xh, w.r.w, w.r.b, 'sigmoid');
    const z = linear(xh, w.z.w, w.z.b, 'sigmoid');
    const n = tanh(add(linear(x, w.inW, w.inB), mul(r, linear(h, w.hnW, w.hnB))));
    return [add(n, mul(z, sub(h, n)))];
  },
});

/**
 * A (multi-layer) GRU encoder for histories observed at irregular steps.
 *
 * Input x is [batch, time, features] (PyTorch's `batch_first=True`) with an optional mask
 * [batch, time] of 0/1; at a step with mask 0 every layer keeps its state (hₜ = hₜ₋₁), so
 * trailing masked steps give the truncated history's final state and inner gaps are skipped.
 *
 * Parameters are PyTorch's: `weight_ih_l{k}` [3H, in], `weight_hh_l{k}` [3H, H],
 * `bias_ih_l{k}` [3H], `bias_hh_l{k}` [3H], gate blocks in the order r, z, n; by default all
 * drawn from U(±1/√H). Note that b_hn sits inside the reset gate's product, as in PyTorch
 * (and cuDNN), not outside it as in Cho et al. Not supported: bidirectional layers, dropout
 * between layers.
 *
 * @example
 * ```ts
 * const enc = gru({ inputSize: 2, hiddenSize: 8 });
 * const params = enc.init(rngKey(1));
 * const mask = tensor([[1, 1, 0, 1]]);            // step 2 not observed
 * enc.apply(params, zeros([1, 4, 2]), { mask }).last.shape; // [1, 8]
 * ```
 */
export function gru(options: RecurrentOptions): Gru {
  const config = recurrentConfig(options, 'gru');
  const label = `gru(${config.inputSize} → ${config.hiddenSize}, ${config.numLayers} layer${config.numLayers > 1 ? 's' : ''})`;
  const cell = gruCell(config.hiddenSize);
  return Object.freeze({
    ...config,
    kind: 'gru' as const,
    init: (key: RngKey): RecurrentParams => initRecurrent(config, 3, key),
    apply: (params: RecurrentParams, x: Tensor, opts: RecurrentApplyOptions = {}): GruResult => {
      const at = `${label}.apply`;
      rejectUnknown(at, opts, ['mask', 'initialHidden']);
      const weights = layerWeights(config, 3, params, at);
      const run = runRecurrent(config, weights, x, opts.mask, [opts.initialHidden], cell, at);
      const [hidden] = run.finals;
      return { output: run.output, hidden, last: lastLayer(hidden) };
    },
  });
}
