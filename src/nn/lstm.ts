/**
 * Long short-term memory (Hochreiter & Schmidhuber 1997) over masked, irregular histories,
 * in PyTorch's layout and naming (`nn.LSTM(batch_first=True)`).
 */
import { add, mul } from '../autodiff/ops/binary.js';
import { concat } from '../autodiff/ops/layout.js';
import { linear } from '../autodiff/ops/linalg.js';
import { tanh } from '../autodiff/ops/unary.js';
import type { Tensor } from '../autodiff/tensor.js';
import { rejectUnknown } from '../ode/options.js';
import type { RngKey } from '../tensor/random.js';
import {
  type Cell,
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

/** Options of `apply` of an {@link Lstm}. */
export interface LstmApplyOptions extends RecurrentApplyOptions {
  /** Initial cell states c₀ [numLayers, batch, hidden] (default zeros). */
  initialCell?: Tensor;
}

/** What an {@link Lstm} returns. */
export interface LstmResult {
  /** The top layer's hidden state after every step, [batch, time, hidden]. */
  readonly output: Tensor;
  /** Final hidden state of every layer, [numLayers, batch, hidden] (PyTorch's h_n). */
  readonly hidden: Tensor;
  /** Final cell state of every layer, [numLayers, batch, hidden] (PyTorch's c_n). */
  readonly cell: Tensor;
  /** The top layer's final hidden state, [batch, hidden]: the encoding of each history. */
  readonly last: Tensor;
}

/** An LSTM: its sizes and initializers, `init` and `apply`. Immutable. */
export interface Lstm extends RecurrentConfig {
  readonly kind: 'lstm';
  /** Fresh parameters `weight_ih_l0` [4H, in], `weight_hh_l0` [4H, H], `bias_ih_l0` [4H], `bias_hh_l0` [4H], … */
  init(key: RngKey): RecurrentParams;
  /** Runs the LSTM over x [batch, time, inputSize]. */
  apply(params: RecurrentParams, x: Tensor, options?: LstmApplyOptions): LstmResult;
}

/** Gate blocks of one layer: [W_ih | W_hh] rows and b_ih + b_hh of each gate. */
interface LstmGates {
  readonly i: { w: Tensor; b: Tensor | undefined };
  readonly f: { w: Tensor; b: Tensor | undefined };
  readonly g: { w: Tensor; b: Tensor | undefined };
  readonly o: { w: Tensor; b: Tensor | undefined };
}

/**
 * The LSTM step, gate blocks in PyTorch's order i, f, g, o: with [xₜ; hₜ₋₁] the input and
 * previous hidden state side by side and W_q = [W_ih,q | W_hh,q], b_q = b_ih,q + b_hh,q,
 *
 *     i = σ(W_i·[xₜ; hₜ₋₁] + b_i), f = σ(W_f·… + b_f), g = tanh(W_g·… + b_g), o = σ(W_o·… + b_o),
 *     cₜ = f ⊙ cₜ₋₁ + i ⊙ g,   hₜ = o ⊙ tanh(cₜ).
 *
 * Each gate is one fused affine map with its activation.
 */
const lstmCell = (hidden: number): Cell<LstmGates> => ({
  prepare: (w) => ({
    i: joinedGate(w, 0, hidden),
    f: joinedGate(w, 1, hidden),
    g: joinedGate(w, 2, hidden),
    o: joinedGate(w, 3, hidden),
  }),
  step: (x, [h, c], w) => {
    const xh = concat([x, h], 1);
    const i = linear(xh, w.i.w, w.i.b, 'sigmoid');
    const f = linear(xh, w.f.w, w.f.b, 'sigmoid');
    const g = linear(xh, w.g.w, w.g.b, 'tanh');
    const o = linear(xh, w.o.w, w.o.b, 'sigmoid');
    const cNext = add(mul(f, c), mul(i, g));
    return [mul(o, tanh(cNext)), cNext];
  },
});

/**
 * A (multi-layer) LSTM encoder for histories observed at irregular steps.
 *
 * Input x is [batch, time, features] (PyTorch's `batch_first=True`) with an optional mask
 * [batch, time] of 0/1. At a step with mask 0 the layer does nothing: hₜ = hₜ₋₁ and
 * cₜ = cₜ₋₁ (for every layer), so a history with trailing masked steps ends in the same
 * state as the truncated history, and gaps inside a history are skipped. Layer l > 0 reads
 * the hidden states of layer l − 1.
 *
 * Parameters are named and laid out as PyTorch's: `weight_ih_l{k}` [4H, in],
 * `weight_hh_l{k}` [4H, H], `bias_ih_l{k}` [4H], `bias_hh_l{k}` [4H] with the gate blocks
 * in the order i, f, g, o; by default all drawn from U(±1/√H) as PyTorch does. Not
 * supported: bidirectional layers, dropout between layers, projections (`proj_size`).
 *
 * Each step is a few whole-batch operations, so the cost is about 15 small array operations
 * per step and layer, forward and backward.
 *
 * @example
 * ```ts
 * const enc = lstm({ inputSize: 3, hiddenSize: 16, numLayers: 2 });
 * const params = enc.init(rngKey(0));
 * const x = zeros([8, 20, 3]);                    // 8 histories of 20 steps
 * const mask = ones([8, 20]);                     // 1 = observed
 * const { output, hidden, last } = enc.apply(params, x, { mask });
 * output.shape; // [8, 20, 16]
 * hidden.shape; // [2, 8, 16]
 * last.shape;   // [8, 16]
 * ```
 */
export function lstm(options: RecurrentOptions): Lstm {
  const where = 'lstm';
  const config = recurrentConfig(options, where);
  const label = `lstm(${config.inputSize} → ${config.hiddenSize}, ${config.numLayers} layer${config.numLayers > 1 ? 's' : ''})`;
  const stepper = lstmCell(config.hiddenSize);
  return Object.freeze({
    ...config,
    kind: 'lstm' as const,
    init: (key: RngKey): RecurrentParams => initRecurrent(config, 4, key),
    apply: (params: RecurrentParams, x: Tensor, opts: LstmApplyOptions = {}): LstmResult => {
      const at = `${label}.apply`;
      rejectUnknown(at, opts, ['mask', 'initialHidden', 'initialCell']);
      const weights = layerWeights(config, 4, params, at);
      const run = runRecurrent(
        config,
        weights,
        x,
        opts.mask,
        [opts.initialHidden, opts.initialCell],
        stepper,
        at,
      );
      const [hidden, cell] = run.finals;
      return { output: run.output, hidden, cell, last: lastLayer(hidden) };
    },
  });
}
