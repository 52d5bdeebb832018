/**
 * Gradients of every module with respect to its parameters and its inputs against
 * Richardson-extrapolated central differences along random directions (each leaf on its own,
 * then all leaves together), in float64: relative error ≤ 1e-6.
 */
import { describe, expect, it } from 'vitest';
import { add, mul } from '../../src/autodiff/ops/binary.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { Tensor } from '../../src/autodiff/tensor.js';
import { grad } from '../../src/autodiff/transforms.js';
import { type Tree, treeLeaves, treeUnflatten } from '../../src/autodiff/tree.js';
import type { Activation } from '../../src/nn/activation.js';
import { conv1dLayer, conv2dLayer } from '../../src/nn/conv.js';
import { gru } from '../../src/nn/gru.js';
import { linearLayer } from '../../src/nn/linear.js';
import { lstm } from '../../src/nn/lstm.js';
import { mlp } from '../../src/nn/mlp.js';
import { batchNorm1d, batchNorm2d, layerNorm } from '../../src/nn/norm.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { rngKey } from '../../src/tensor/random.js';
import { axpy, dot, randomTensor, relErr, richardson, testRng } from '../support/fd.js';

/** A scalar loss of a tree: Σ over outputs of ⟨R_k, out_k⟩ with fixed random R_k. */
type Loss<T extends Tree> = (tree: T) => Tensor;

function weighted(outputs: readonly Tensor[], seed: number): Tensor {
  const rng = testRng(seed);
  let total: Tensor = new Tensor(NDArray.scalar(0));
  for (const y of outputs) total = add(total, sum(mul(y, randomTensor(rng, y.shape, -1, 1))));
  return total;
}

/**
 * ⟨∇f, d⟩ against (f(x + sd) − f(x − sd))/2s (Richardson-extrapolated) for a direction along
 * each leaf alone and one along all leaves.
 */
function checkGradient<T extends Tree>(f: Loss<T>, x: T, seed = 1, h = 1e-3): void {
  const leaves = treeLeaves(x);
  const g = treeLeaves(grad(f)(x));
  const rng = testRng(seed);
  const directions: (Tensor | null)[][] = leaves.map((_, i) =>
    leaves.map((l, j) => (j === i ? randomTensor(rng, l.shape, -1, 1) : null)),
  );
  directions.push(leaves.map((l) => randomTensor(rng, l.shape, -1, 1)));
  for (const dirs of directions) {
    let analytic = 0;
    dirs.forEach((d, i) => {
      if (d !== null) analytic += dot(g[i].data, d.data);
    });
    const phi = (s: number): number =>
      f(
        treeUnflatten(
          x,
          leaves.map((l, i) => (dirs[i] === null ? l : axpy(l, s, dirs[i]!))),
        ),
      ).item();
    const numeric = richardson(phi, h);
    const which =
      dirs.filter((d) => d !== null).length === 1 ? `leaf ${dirs.findIndex((d) => d !== null)}` : 'all';
    expect(
      relErr(analytic, numeric, 1e-6),
      `direction along ${which}: ${analytic} vs ${numeric}`,
    ).toBeLessThanOrEqual(1e-6);
  }
}

const rng = testRng(99);

describe('gradients against finite differences (parameters and inputs)', () => {
  it('Linear', () => {
    const layer = linearLayer({ inFeatures: 4, outFeatures: 3 });
    const x = randomTensor(rng, [5, 4]);
    checkGradient((t: { p: Tree; x: Tensor }) => weighted([layer.apply(t.p as never, t.x)], 2), {
      p: layer.init(rngKey(1)),
      x,
    });
  });

  const smooth: Activation[] = ['tanh', 'sigmoid', 'gelu', 'silu', 'softplus', 'elu', 'rbf', 'identity'];
  for (const activation of smooth) {
    it(`MLP with ${activation}`, () => {
      const net = mlp({
        sizes: [3, 7, 5, 2],
        activation,
        outputActivation: activation === 'tanh' ? 'sigmoid' : 'identity',
      });
      const x = randomTensor(rng, [4, 3], -2, 2);
      checkGradient((t: { p: Tree; x: Tensor }) => weighted([net.apply(t.p as never, t.x)], 3), {
        p: net.init(rngKey(2)),
        x,
      });
    });
  }

  it('MLP with relu (inputs away from the kinks)', () => {
    const net = mlp({ sizes: [2, 6, 1], activation: 'relu' });
    const p = net.init(rngKey(3));
    const x = randomTensor(rng, [3, 2], -2, 2);
    // Small steps: no pre-activation crosses zero within ±h.
    checkGradient(
      (t: { p: Tree; x: Tensor }) => weighted([net.apply(t.p as never, t.x)], 4),
      { p, x },
      5,
      1e-5,
    );
  });

  const mask = new Tensor(
    new NDArray(Float64Array.from([1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 1, 0]), [3, 6]),
  );

  it('LSTM: two layers, masked, with initial states', () => {
    const enc = lstm({ inputSize: 3, hiddenSize: 4, numLayers: 2 });
    checkGradient(
      (t: { p: Tree; x: Tensor; h0: Tensor; c0: Tensor }) => {
        const r = enc.apply(t.p as never, t.x, { mask, initialHidden: t.h0, initialCell: t.c0 });
        return weighted([r.output, r.hidden, r.cell], 6);
      },
      {
        p: enc.init(rngKey(4)),
        x: randomTensor(rng, [3, 6, 3]),
        h0: randomTensor(rng, [2, 3, 4], -1, 1),
        c0: randomTensor(rng, [2, 3, 4], -1, 1),
      },
    );
  });

  it('LSTM without bias, unmasked', () => {
    const enc = lstm({ inputSize: 2, hiddenSize: 3, bias: false });
    checkGradient((t: { p: Tree; x: Tensor }) => weighted([enc.apply(t.p as never, t.x).last], 7), {
      p: enc.init(rngKey(5)),
      x: randomTensor(rng, [2, 4, 2]),
    });
  });

  it('GRU: two layers, masked, with an initial state', () => {
    const enc = gru({ inputSize: 3, hiddenSize: 4, numLayers: 2 });
    checkGradient(
      (t: { p: Tree; x: Tensor; h0: Tensor }) => {
        const r = enc.apply(t.p as never, t.x, { mask, initialHidden: t.h0 });
        return weighted([r.output, r.hidden], 8);
      },
      { p: enc.init(rngKey(6)), x: randomTensor(rng, [3, 6, 3]), h0: randomTensor(rng, [2, 3, 4], -1, 1) },
    );
  });

  it('Conv1d with stride, dilation, groups and circular padding', () => {
    const conv = conv1dLayer({
      inChannels: 4,
      outChannels: 6,
      kernelSize: 3,
      stride: 2,
      dilation: 2,
      groups: 2,
      padding: 2,
      paddingMode: 'circular',
    });
    checkGradient((t: { p: Tree; x: Tensor }) => weighted([conv.apply(t.p as never, t.x)], 9), {
      p: conv.init(rngKey(7)),
      x: randomTensor(rng, [2, 4, 9]),
    });
  });

  it('Conv2d with stride, dilation, groups and replicate padding', () => {
    const conv = conv2dLayer({
      inChannels: 2,
      outChannels: 4,
      kernelSize: [3, 2],
      stride: [1, 2],
      dilation: [2, 1],
      groups: 2,
      padding: [1, 1],
      paddingMode: 'replicate',
    });
    checkGradient((t: { p: Tree; x: Tensor }) => weighted([conv.apply(t.p as never, t.x)], 10), {
      p: conv.init(rngKey(8)),
      x: randomTensor(rng, [2, 2, 5, 6]),
    });
  });

  it('BatchNorm1d in training mode (gradients through the batch statistics), [N, C] and [N, C, L]', () => {
    const bn = batchNorm1d({ numFeatures: 3 });
    const state = bn.initState();
    const p = { weight: randomTensor(rng, [3], 0.5, 1.5), bias: randomTensor(rng, [3]) };
    for (const shape of [
      [5, 3],
      [4, 3, 2],
    ]) {
      checkGradient(
        (t: { p: typeof p; x: Tensor }) =>
          weighted([bn.apply(t.p, state, t.x, { training: true }).output], 11),
        { p, x: randomTensor(rng, shape) },
      );
    }
  });

  it('BatchNorm2d in training and evaluation mode', () => {
    const bn = batchNorm2d({ numFeatures: 2, eps: 1e-3 });
    const p = { weight: randomTensor(rng, [2], 0.5, 1.5), bias: randomTensor(rng, [2]) };
    const trained = bn.apply(p, bn.initState(), randomTensor(rng, [3, 2, 3, 3]), { training: true }).state;
    for (const training of [true, false]) {
      checkGradient(
        (t: { p: typeof p; x: Tensor }) => weighted([bn.apply(t.p, trained, t.x, { training }).output], 12),
        { p, x: randomTensor(rng, [2, 2, 3, 2]) },
      );
    }
  });

  it('LayerNorm over two trailing axes', () => {
    const ln = layerNorm({ normalizedShape: [2, 3] });
    const p = { weight: randomTensor(rng, [2, 3], 0.5, 1.5), bias: randomTensor(rng, [2, 3]) };
    checkGradient((t: { p: typeof p; x: Tensor }) => weighted([ln.apply(t.p, t.x)], 13), {
      p,
      x: randomTensor(rng, [4, 2, 3]),
    });
  });
});
