/**
 * The example at the top of docs/nn.md, typed as a user would write it: parameter trees of
 * several modules go through `grad` and `stateDict` without casts.
 */
import { describe, expect, it } from 'vitest';
import { sub } from '../../src/autodiff/ops/binary.js';
import { mean } from '../../src/autodiff/ops/reduce.js';
import { square } from '../../src/autodiff/ops/unary.js';
import { ones, zeros } from '../../src/autodiff/tensor.js';
import { grad } from '../../src/autodiff/transforms.js';
import { conv1dLayer } from '../../src/nn/conv.js';
import { lstm } from '../../src/nn/lstm.js';
import { mlp } from '../../src/nn/mlp.js';
import { batchNorm1d, layerNorm } from '../../src/nn/norm.js';
import { stateDict } from '../../src/nn/stateDict.js';
import { rngKey, splitKey } from '../../src/tensor/random.js';

describe('docs/nn.md example', () => {
  it('gradients of an LSTM encoder with an MLP head', () => {
    const [kEnc, kHead] = splitKey(rngKey(0));
    const encoder = lstm({ inputSize: 3, hiddenSize: 16 });
    const head = mlp({ sizes: [16, 32, 2], activation: 'gelu' });
    const params = { encoder: encoder.init(kEnc), head: head.init(kHead) };
    const x = zeros([8, 20, 3]);
    const mask = ones([8, 20]);
    const target = zeros([8, 2]);
    const loss = (p: typeof params) => {
      const { last } = encoder.apply(p.encoder, x, { mask });
      return mean(square(sub(head.apply(p.head, last), target)));
    };
    const g = grad(loss)(params);
    expect(Object.keys(stateDict(g))).toEqual(Object.keys(stateDict(params)));
    expect(Object.keys(stateDict(params))).toContain('head.2.weight');
  });

  it('every module’s parameters are trees that grad accepts', () => {
    const conv = conv1dLayer({ inChannels: 1, outChannels: 2, kernelSize: 3 });
    const ln = layerNorm({ normalizedShape: 3 });
    const bn = batchNorm1d({ numFeatures: 2 });
    const params = { conv: conv.init(rngKey(1)), ln: ln.init(rngKey(2)), bn: bn.init(rngKey(3)) };
    const state = bn.initState();
    const g = grad((p: typeof params) => {
      const h = conv.apply(p.conv, ones([4, 1, 5])); // [4, 2, 3]
      const n = bn.apply(p.bn, state, h, { training: true }).output;
      return mean(square(ln.apply(p.ln, sub(n, 0.5))));
    })(params);
    expect(Object.keys(stateDict(g))).toEqual([
      'conv.weight',
      'conv.bias',
      'ln.weight',
      'ln.bias',
      'bn.weight',
      'bn.bias',
    ]);
  });
});
