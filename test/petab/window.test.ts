/**
 * N-d window operations and the functional activations: gradients against central finite
 * differences, the transposed convolution as the adjoint of the convolution, pools against
 * brute force, activations against their formulas.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mul } from '../../src/autodiff/ops/binary.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { type Tensor, tensor } from '../../src/autodiff/tensor.js';
import { grad } from '../../src/autodiff/transforms.js';
import {
  celu,
  hardsigmoid,
  hardswish,
  hardtanh,
  leakyRelu,
  logSigmoid,
  logSoftmax,
  mish,
  relu6,
  selu,
  softmax,
  softplusBeta,
  softsign,
  tanhshrink,
} from '../../src/nn/functional.js';
import {
  adaptivePoolNd,
  avgPoolNd,
  convNd,
  convTransposeNd,
  lpPoolNd,
  maxPoolNd,
} from '../../src/nn/window.js';
import { axpy, dot, randomTensor, richardson, testRng } from '../support/fd.js';

/** Checks ∇⟨c, f(x)⟩ against central differences along a random direction. */
function checkGrad(f: (x: Tensor) => Tensor, x: Tensor, seed: number, tol = 1e-7): void {
  const rng = testRng(seed);
  const y0 = f(x);
  const c = randomTensor(rng, y0.shape);
  const loss = (t: Tensor) => sum(mul(f(t), c));
  const g = grad(loss)(x);
  const d = randomTensor(rng, x.shape);
  const fd = richardson((s) => loss(axpy(x, s, d)).item(), 1e-4);
  const an = dot(g.data, d.data);
  expect(Math.abs(an - fd)).toBeLessThan(tol * Math.max(1, Math.abs(fd)));
}

describe('convNd', () => {
  it('is the brute-force cross-correlation (2-d, stride, padding, dilation, groups)', () => {
    const rng = testRng(1);
    const x = randomTensor(rng, [2, 4, 7, 6]);
    const w = randomTensor(rng, [6, 2, 3, 2]);
    const b = randomTensor(rng, [6]);
    const [s, p, dl, G] = [[2, 1], [1, 0], [1, 2], 2];
    const y = convNd(x, w, b, { stride: s, padding: p, dilation: dl, groups: G });
    const H = Math.floor((7 + 2 * p[0] - dl[0] * 2 - 1) / s[0]) + 1;
    const W = Math.floor((6 + 2 * p[1] - dl[1] * 1 - 1) / s[1]) + 1;
    expect(y.shape).toEqual([2, 6, H, W]);
    const X = (n: number, c: number, i: number, j: number) =>
      i < 0 || j < 0 || i >= 7 || j >= 6 ? 0 : x.data[((n * 4 + c) * 7 + i) * 6 + j];
    for (let n = 0; n < 2; n++)
      for (let o = 0; o < 6; o++)
        for (let i = 0; i < H; i++)
          for (let j = 0; j < W; j++) {
            let v = b.data[o];
            const g = Math.floor(o / 3);
            for (let c = 0; c < 2; c++)
              for (let ki = 0; ki < 3; ki++)
                for (let kj = 0; kj < 2; kj++)
                  v +=
                    w.data[((o * 2 + c) * 3 + ki) * 2 + kj] *
                    X(n, g * 2 + c, i * s[0] + ki * dl[0] - p[0], j * s[1] + kj * dl[1] - p[1]);
            expect(y.data[((n * 6 + o) * H + i) * W + j]).toBeCloseTo(v, 12);
          }
  });

  it('has the adjoint convTransposeNd: ⟨conv(x), y⟩ = ⟨x, convT(y)⟩ (1-3 d, property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 0, max: 1 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 0, max: 10_000 }),
        (d, stride, pad, dil, seed) => {
          const rng = testRng(seed);
          const S = new Array<number>(d).fill(6);
          const K = new Array<number>(d).fill(2);
          const x = randomTensor(rng, [1, 2, ...S]);
          const w = randomTensor(rng, [3, 2, ...K]);
          const y = convNd(x, w, undefined, { stride, padding: pad, dilation: dil });
          const v = randomTensor(rng, y.shape);
          // convTranspose of v with the same weight [C_in=3 → C_out=2] layout [3, 2, ...K].
          const outPad = S.map(
            (s, a) => s - ((y.shape[2 + a] - 1) * stride - 2 * pad + dil * (K[a] - 1) + 1),
          );
          const xt = convTransposeNd(v, w, undefined, {
            stride,
            padding: pad,
            dilation: dil,
            outputPadding: outPad,
          });
          expect(xt.shape).toEqual(x.shape);
          const lhs = dot(y.data, v.data);
          const rhs = dot(x.data, xt.data);
          return Math.abs(lhs - rhs) <= 1e-10 * Math.max(1, Math.abs(lhs));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('gradients in x, w and b match finite differences (3-d; transposed 2-d)', () => {
    const rng = testRng(2);
    const x = randomTensor(rng, [1, 2, 4, 4, 3]);
    const w = randomTensor(rng, [2, 2, 2, 2, 2]);
    const b = randomTensor(rng, [2]);
    checkGrad((t) => convNd(t, w, b, { padding: 1 }), x, 3);
    checkGrad((t) => convNd(x, t, b, { stride: 2 }), w, 4);
    checkGrad((t) => convNd(x, w, t), b, 5);
    const x2 = randomTensor(rng, [2, 3, 3]);
    const w2 = randomTensor(rng, [2, 2, 3, 2]);
    checkGrad((t) => convTransposeNd(t, w2, undefined, { stride: 2, padding: 1 }), x2, 6);
    checkGrad((t) => convTransposeNd(x2, t, undefined, { stride: [1, 2], dilation: 2 }), w2, 7);
  });
});

describe('pools', () => {
  const x = tensor([
    [
      [1, -2, 3, 0.5, 4],
      [2, 6, -1, 0, 1],
      [0, 1, 7, 2, -3],
    ],
  ]);

  it('max pooling picks window maxima, with −∞ padding and ceil mode', () => {
    expect(maxPoolNd(x, 2, { kernelSize: 2 }).toArray()).toEqual([[[6, 3]]]);
    expect(maxPoolNd(x, 2, { kernelSize: 2, ceilMode: true }).toArray()).toEqual([
      [
        [6, 3, 4],
        [1, 7, -3],
      ],
    ]);
    expect(
      maxPoolNd(tensor([[[-1, -2, -3]]]), 1, { kernelSize: 2, stride: 2, padding: 1 }).toArray(),
    ).toEqual([[[-1, -2]]]);
  });

  it('average pooling counts padded zeros unless told not to', () => {
    const y = tensor([[[1, 2, 3]]]);
    expect(avgPoolNd(y, 1, { kernelSize: 2, stride: 2, padding: 1 }).toArray()).toEqual([[[0.5, 2.5]]]);
    expect(
      avgPoolNd(y, 1, { kernelSize: 2, stride: 2, padding: 1, countIncludePad: false }).toArray(),
    ).toEqual([[[1, 2.5]]]);
  });

  it('LP pooling is the p-norm of each window; adaptive pools split [⌊iS/m⌋, ⌈(i+1)S/m⌉)', () => {
    expect(lpPoolNd(tensor([[[3, 4, 6, 8]]]), 1, 2, { kernelSize: 2 }).toArray()).toEqual([[[5, 10]]]);
    const z = tensor([[[1, 5, 2, 8, 3]]]);
    expect(adaptivePoolNd(z, 1, [2], 'max').toArray()).toEqual([[[5, 8]]]);
    expect(adaptivePoolNd(z, 1, [2], 'avg').toArray()).toEqual([[[8 / 3, 13 / 3]]]);
  });

  it('gradients match finite differences', () => {
    const rng = testRng(8);
    const t = randomTensor(rng, [2, 2, 5, 4], -2, 2);
    checkGrad((u) => maxPoolNd(u, 2, { kernelSize: [2, 2], stride: 1 }), t, 9);
    checkGrad((u) => avgPoolNd(u, 2, { kernelSize: 3, stride: 2, padding: 1 }), t, 10);
    checkGrad((u) => adaptivePoolNd(u, 2, [3, 2], 'avg'), t, 11);
    checkGrad((u) => adaptivePoolNd(u, 2, [2, 3], 'max'), t, 12);
    const pos = randomTensor(rng, [1, 2, 4, 4], 0.5, 2);
    checkGrad((u) => lpPoolNd(u, 2, 3, { kernelSize: 2 }), pos, 13);
  });
});

describe('functional activations', () => {
  const xs = [-3.5, -1, -0.2, 0.3, 1.7, 4];
  const cases: [string, (t: Tensor) => Tensor, (v: number) => number][] = [
    ['relu6', relu6, (v) => Math.min(Math.max(v, 0), 6)],
    ['hardtanh', (t) => hardtanh(t, -0.5, 2), (v) => Math.min(Math.max(v, -0.5), 2)],
    ['hardsigmoid', hardsigmoid, (v) => Math.min(Math.max(v + 3, 0), 6) / 6],
    ['hardswish', hardswish, (v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6],
    ['selu', selu, (v) => 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * Math.expm1(v))],
    ['celu', (t) => celu(t, 2), (v) => (v > 0 ? v : 2 * Math.expm1(v / 2))],
    ['leakyRelu', (t) => leakyRelu(t, 0.1), (v) => (v > 0 ? v : 0.1 * v)],
    ['logSigmoid', logSigmoid, (v) => -Math.log1p(Math.exp(-v))],
    ['tanhshrink', tanhshrink, (v) => v - Math.tanh(v)],
    ['softsign', softsign, (v) => v / (1 + Math.abs(v))],
    ['mish', mish, (v) => v * Math.tanh(Math.log1p(Math.exp(v)))],
    ['softplusBeta', (t) => softplusBeta(t, 2, 5), (v) => (2 * v > 5 ? v : Math.log1p(Math.exp(2 * v)) / 2)],
  ];
  it.each(cases)('%s matches its formula and its gradient matches finite differences', (_, f, ref) => {
    const y = f(tensor(xs));
    xs.forEach((v, i) => {
      expect(y.data[i]).toBeCloseTo(ref(v), 13);
    });
    checkGrad(f, tensor(xs), 14);
  });

  it('softmax sums to one along its axis and log softmax is its log; gradients check', () => {
    const rng = testRng(15);
    const t = randomTensor(rng, [3, 4]);
    const s = softmax(t, 1);
    for (let r = 0; r < 3; r++)
      expect(s.data.slice(r * 4, r * 4 + 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    const ls = logSoftmax(t, 0);
    const s0 = softmax(t, 0);
    ls.data.forEach((v, i) => {
      expect(v).toBeCloseTo(Math.log(s0.data[i]), 13);
    });
    checkGrad((u) => softmax(u, 1), t, 16);
    checkGrad((u) => logSoftmax(u, 0), t, 17);
  });
});
