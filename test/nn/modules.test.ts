/**
 * Module behaviour besides gradients and PyTorch agreement: shapes, purity of batch
 * normalization, option validation and the messages of bad calls.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, tensor } from '../../src/autodiff/tensor.js';
import { activate, checkActivation } from '../../src/nn/activation.js';
import { conv1dLayer, conv2dLayer } from '../../src/nn/conv.js';
import { linearLayer } from '../../src/nn/linear.js';
import { mlp } from '../../src/nn/mlp.js';
import { batchNorm1d, batchNorm2d, layerNorm } from '../../src/nn/norm.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { normal, rngKey } from '../../src/tensor/random.js';

const randn = (seed: number, shape: number[]): Tensor => new Tensor(normal(rngKey(seed), shape));

describe('Linear and MLP', () => {
  it('map [..., in] to [..., out] and fuse or apply each activation', () => {
    const layer = linearLayer({ inFeatures: 3, outFeatures: 2 });
    expect(layer.apply(layer.init(rngKey(0)), randn(1, [4, 5, 3])).shape).toEqual([4, 5, 2]);
    const net = mlp({ sizes: [3, 5, 2], activation: 'elu', outputActivation: 'softplus' });
    expect(net.layerKeys).toEqual(['0', '2']);
    const y = net.apply(net.init(rngKey(0)), randn(2, [7, 3]));
    expect(y.shape).toEqual([7, 2]);
    for (const v of y.data) expect(v).toBeGreaterThan(0);
    expect(activate('relu', tensor([-1, 2])).toArray()).toEqual([0, 2]);
  });

  it('is immutable and validates options and parameters', () => {
    const net = mlp({ sizes: [2, 4, 1] });
    expect(Object.isFrozen(net)).toBe(true);
    expect(Object.isFrozen(net.sizes)).toBe(true);
    expect(() => mlp({ sizes: [2] })).toThrow(/at least two/);
    expect(() => mlp({ sizes: [2, 0, 1] })).toThrow(/sizes\[1\] must be an integer ≥ 1, got 0/);
    expect(() => mlp({ sizes: [2, 1], activation: 'Tanh' as never })).toThrow(
      /unknown activation "Tanh"; use one of 'identity', 'tanh'/,
    );
    expect(() => checkActivation('swish', 'here')).toThrow(/here: unknown activation "swish"/);
    expect(() => mlp({ sizes: [2, 1], hidden: [3] } as never)).toThrow(/unknown option "hidden"/);
    const p = net.init(rngKey(0));
    expect(() => net.apply(p, randn(0, [3, 3]))).toThrow(/x must have shape \[\.\.\., 2\], got \[3, 3\]/);
    expect(() => net.apply({ '0': p['0'] }, randn(0, [3, 2]))).toThrow(/layer "2" is missing/);
    const other = mlp({ sizes: [2, 5, 1] }).init(rngKey(0));
    expect(() => net.apply(other, randn(0, [3, 2]))).toThrow(
      /parameter "weight" has shape \[5, 2\], expected \[4, 2\]; were the params made for a module with other sizes\?/,
    );
    const layer = linearLayer({ inFeatures: 2, outFeatures: 1, bias: false });
    expect(Object.keys(layer.init(rngKey(0)))).toEqual(['weight']);
  });
});

describe('convolutions', () => {
  it('give PyTorch’s output sizes', () => {
    const c1 = conv1dLayer({
      inChannels: 4,
      outChannels: 6,
      kernelSize: 3,
      stride: 2,
      padding: 2,
      dilation: 2,
      groups: 2,
    });
    expect(c1.apply(c1.init(rngKey(0)), randn(1, [2, 4, 11])).shape).toEqual([2, 6, 6]);
    const same = conv1dLayer({ inChannels: 1, outChannels: 2, kernelSize: 4, padding: 'same' });
    expect(same.padding).toEqual([1, 2]);
    expect(same.apply(same.init(rngKey(0)), randn(1, [1, 1, 9])).shape).toEqual([1, 2, 9]);
    const c2 = conv2dLayer({
      inChannels: 2,
      outChannels: 4,
      kernelSize: [3, 2],
      stride: [2, 1],
      padding: 'valid',
    });
    expect(c2.apply(c2.init(rngKey(0)), randn(1, [3, 2, 7, 5])).shape).toEqual([3, 4, 3, 4]);
  });

  it('grouped convolution equals separate convolutions of the channel groups', () => {
    const g = conv1dLayer({ inChannels: 4, outChannels: 2, kernelSize: 3, groups: 2, bias: false });
    const p = g.init(rngKey(5)) as { weight: Tensor };
    const x = randn(6, [1, 4, 6]);
    const y = g.apply(p, x).data;
    const single = conv1dLayer({ inChannels: 2, outChannels: 1, kernelSize: 3, bias: false });
    for (let k = 0; k < 2; k++) {
      const w = new Tensor(new NDArray(p.weight.data.slice(k * 6, k * 6 + 6), [1, 2, 3]));
      const xs = new Tensor(new NDArray(x.data.slice(k * 12, k * 12 + 12), [1, 2, 6]));
      expect(Array.from(single.apply({ weight: w }, xs).data)).toEqual(Array.from(y.slice(k * 4, k * 4 + 4)));
    }
  });

  it('validate options and inputs', () => {
    expect(() => conv1dLayer({ inChannels: 3, outChannels: 4, kernelSize: 3, groups: 2 })).toThrow(
      /groups = 2 must divide inChannels = 3 and outChannels = 4/,
    );
    expect(() =>
      conv1dLayer({ inChannels: 1, outChannels: 1, kernelSize: 3, stride: 2, padding: 'same' }),
    ).toThrow(/padding 'same' needs stride 1/);
    expect(() =>
      conv2dLayer({ inChannels: 1, outChannels: 1, kernelSize: 3, paddingMode: 'reflect' as never }),
    ).toThrow(/paddingMode must be 'zeros', 'circular' or 'replicate'/);
    const c = conv2dLayer({ inChannels: 1, outChannels: 1, kernelSize: 3 });
    expect(() => c.apply(c.init(rngKey(0)), randn(0, [1, 4, 4]))).toThrow(
      /add a batch axis with expandDims\(x, 0\)/,
    );
    expect(() => c.apply(c.init(rngKey(0)), randn(0, [1, 1, 2, 4]))).toThrow(
      /padded height 2 is smaller than the dilated kernel \(3\)/,
    );
  });
});

describe('normalization', () => {
  it('batch norm is pure: training returns new statistics and leaves the given state alone', () => {
    const bn = batchNorm1d({ numFeatures: 2, momentum: 0.5 });
    const params = bn.init(rngKey(0));
    const state = bn.initState();
    const x = tensor([
      [1, 10],
      [3, 14],
    ]);
    const r = bn.apply(params, state, x, { training: true });
    expect(Array.from(state.running_mean.data)).toEqual([0, 0]);
    expect(state.num_batches_tracked.item()).toBe(0);
    // mean (2, 12), unbiased variance (2, 8): r = 0.5·r + 0.5·batch
    expect(Array.from(r.state.running_mean.data)).toEqual([1, 6]);
    expect(Array.from(r.state.running_var.data)).toEqual([1.5, 4.5]);
    expect(r.state.num_batches_tracked.item()).toBe(1);
    const y = r.output.data;
    expect(y[0]).toBeCloseTo(-1 / Math.sqrt(1 + 1e-5), 14);
    const e = bn.apply(params, r.state, x, { training: false });
    expect(e.state).toBe(r.state);
    expect(e.output.data[0]).toBeCloseTo((1 - 1) / Math.sqrt(1.5 + 1e-5), 14);
  });

  it('batch norm checks its mode, input shape and batch size', () => {
    const bn = batchNorm2d({ numFeatures: 3 });
    const p = bn.init(rngKey(0));
    const s = bn.initState();
    expect(() => bn.apply(p, s, randn(0, [2, 3, 2, 2]), {} as never)).toThrow(/pass \{ training: true \}/);
    expect(() => bn.apply(p, s, randn(0, [2, 3, 2]), { training: true })).toThrow(
      /x must have shape \[N, 3, H, W\]/,
    );
    expect(() => bn.apply(p, s, randn(0, [1, 3, 1, 1]), { training: true })).toThrow(
      /more than one value per channel/,
    );
    expect(() => batchNorm1d({ numFeatures: 2, momentum: 2 })).toThrow(
      /momentum must be a number in \[0, 1\] or null/,
    );
  });

  it('layer norm normalizes the trailing axes', () => {
    const ln = layerNorm({ normalizedShape: 4 });
    const y = ln.apply(ln.init(rngKey(0)), tensor([[1, 2, 3, 4]])).data;
    const s = Math.sqrt(1.25 + 1e-5);
    expect(Array.from(y).map((v, i) => v - [-1.5, -0.5, 0.5, 1.5][i] / s)).toEqual(
      [0, 0, 0, 0].map(() => expect.closeTo(0, 14)),
    );
    expect(() => ln.apply(ln.init(rngKey(0)), randn(0, [2, 3]))).toThrow(
      /x must have shape \[\.\.\., 4\], got \[2, 3\]/,
    );
  });
});
