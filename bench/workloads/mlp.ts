/**
 * `mlp_fwd_bwd`: MLP 2→64→64→2 with tanh, batch 25, forward and backward of the summed
 * output (gradients for all weights and biases), µs per call. The same computation as
 * bench/peers/torch_mlp.py.
 */
import { linear, normal, rngKey, splitKey, sum, type Tensor, tensor, valueAndGrad } from '../../src/index.js';
import { record, timeCalls, type Workload } from '../harness.js';

type Layer = { w: Tensor; b: Tensor };
type Params = Layer[];

function init(widths: readonly number[], seed: number): Params {
  const keys = splitKey(rngKey(seed), widths.length * 2);
  const layers: Params = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    const std = Math.sqrt(1 / widths[i]);
    layers.push({
      w: tensor(normal(keys[2 * i], [widths[i + 1], widths[i]], 0, std)),
      b: tensor(normal(keys[2 * i + 1], [widths[i + 1]], 0, 0.1)),
    });
  }
  return layers;
}

function forward(params: Params, x: Tensor): Tensor {
  let h = x;
  params.forEach((layer, i) => {
    h = linear(h, layer.w, layer.b, i < params.length - 1 ? 'tanh' : 'identity');
  });
  return h;
}

export const mlpFwdBwd: Workload = {
  id: 'mlp_fwd_bwd',
  description: 'MLP 2→64→64→2 tanh, batch 25, forward + backward of the summed output',
  run() {
    const params = init([2, 64, 64, 2], 1);
    const x = tensor(normal(rngKey(2), [25, 2]));
    const step = valueAndGrad((p: Params) => sum(forward(p, x)));
    const times = timeCalls(
      () => {
        step(params);
      },
      { warmupMs: 1000, samples: 40 },
    );
    return [
      record('mlp_fwd_bwd', 'us_per_call', times, (ms) => ms * 1000, {
        widths: [2, 64, 64, 2],
        activation: 'tanh',
        batch: 25,
      }),
    ];
  },
};
