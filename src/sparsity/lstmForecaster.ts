/**
 * The black-box LSTM forecaster baseline of HGS: an LSTM encoder reads the history (observed
 * values and inputs); a second LSTM, started from the encoder's final hidden and cell states,
 * reads the future inputs; an affine head maps its hidden state at each forecast step to the
 * change of the observations from their last observed value:
 *
 *     (h, c) = LSTM_enc(history),   z_k = LSTM_dec(u_0..u_{k−1}; h, c),   ŷ_k = y_last + A·z_k + b.
 */
import { add } from '../autodiff/ops/binary.js';
import { concat, reshape, stack } from '../autodiff/ops/layout.js';
import { linear } from '../autodiff/ops/linalg.js';
import { Tensor, tensor } from '../autodiff/tensor.js';
import { type Lstm, lstm } from '../nn/lstm.js';
import type { RecurrentParams } from '../nn/recurrent.js';
import { type RngKey, splitKey, uniform } from '../tensor/random.js';
import type { ForecastTensors } from './mnode.js';

/** Parameters of an {@link LstmForecaster}. */
export type LstmForecasterParams = {
  readonly encoder: RecurrentParams;
  readonly decoder: RecurrentParams;
  readonly head: { readonly weight: Tensor; readonly bias: Tensor };
};

/** An encoder–decoder LSTM forecaster (immutable). */
export interface LstmForecaster {
  readonly kind: 'lstmForecaster';
  readonly hidden: number;
  readonly encoder: Lstm;
  readonly decoder: Lstm;
  init(key: RngKey): LstmForecasterParams;
  /** Forecasts [n, horizon, nObs]. */
  forecast(params: LstmForecasterParams, batch: ForecastTensors): Tensor;
}

/**
 * An LSTM forecaster for `nObs` observed series and `nIn` inputs.
 *
 * @example
 * ```ts
 * const f = lstmForecaster(1, 2, { hidden: 32 });
 * f.forecast(f.init(rngKey(0)), forecastTensors(set)).shape; // [n, horizon, 1]
 * ```
 */
export function lstmForecaster(nObs: number, nIn: number, options: { hidden?: number } = {}): LstmForecaster {
  const hidden = options.hidden ?? 32;
  const encoder = lstm({ inputSize: nObs + nIn, hiddenSize: hidden });
  const decoder = lstm({ inputSize: Math.max(nIn, 1), hiddenSize: hidden });
  return Object.freeze({
    kind: 'lstmForecaster' as const,
    hidden,
    encoder,
    decoder,
    init: (key: RngKey): LstmForecasterParams => {
      const [k1, k2, k3] = splitKey(key, 3);
      const b = 0.1 / Math.sqrt(hidden);
      return {
        encoder: encoder.init(k1),
        decoder: decoder.init(k2),
        head: {
          weight: new Tensor(uniform(k3, [nObs, hidden], -b, b)),
          bias: tensor(new Float64Array(nObs), [nObs]),
        },
      };
    },
    forecast: (params: LstmForecasterParams, batch: ForecastTensors): Tensor => {
      const enc = encoder.apply(params.encoder, batch.history);
      const steps = batch.future.map((u) =>
        u.length === 0
          ? tensor(new Float64Array(batch.n), [batch.n, 1])
          : u.length === 1
            ? u[0]
            : concat(u, 1),
      );
      const x = stack(steps, 1); // [n, horizon, nIn]
      const dec = decoder.apply(params.decoder, x, { initialHidden: enc.hidden, initialCell: enc.cell });
      const delta = linear(dec.output, params.head.weight, params.head.bias); // [n, horizon, nObs]
      const last = batch.last.length === 1 ? batch.last[0] : concat(batch.last, 1); // [n, nObs]
      return add(delta, reshape(last, [batch.n, 1, nObs]));
    },
  });
}
