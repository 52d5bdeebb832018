/**
 * Initializers: determinism under the seeded generator, the moments of large samples against
 * their formulas, orthogonality, fans and gains as PyTorch defines them, and the default
 * initialization of every module.
 */
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/autodiff/tensor.js';
import { conv1dLayer } from '../../src/nn/conv.js';
import {
  constantInit,
  fans,
  gain,
  glorotNormal,
  glorotUniform,
  type Initializer,
  kaimingNormal,
  kaimingUniform,
  lecunNormal,
  lecunUniform,
  normalInit,
  onesInit,
  orthogonal,
  uniformInit,
  zerosInit,
} from '../../src/nn/init.js';
import { linearLayer } from '../../src/nn/linear.js';
import { mlp } from '../../src/nn/mlp.js';
import { batchNorm1d, layerNorm } from '../../src/nn/norm.js';
import { normal, rngKey } from '../../src/tensor/random.js';

function moments(t: Tensor): { mean: number; variance: number; maxAbs: number } {
  const d = t.data;
  let s = 0;
  let maxAbs = 0;
  for (const v of d) {
    s += v;
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const mean = s / d.length;
  let q = 0;
  for (const v of d) q += (v - mean) * (v - mean);
  return { mean, variance: q / d.length, maxAbs };
}

const shape = [300, 400]; // 120 000 samples: fan_in 400, fan_out 300
const n = 300 * 400;

interface StatCase {
  init: Initializer;
  variance: number;
  bound?: number;
  uniform: boolean;
}

const cases: StatCase[] = [
  { init: glorotUniform(), variance: 2 / 700, bound: Math.sqrt(6 / 700), uniform: true },
  {
    init: glorotUniform({ gain: 5 / 3 }),
    variance: (25 / 9) * (2 / 700),
    bound: (5 / 3) * Math.sqrt(6 / 700),
    uniform: true,
  },
  { init: glorotNormal({ gain: 2 }), variance: 4 * (2 / 700), uniform: false },
  { init: kaimingUniform(), variance: 2 / 400, bound: Math.sqrt(6 / 400), uniform: true },
  {
    init: kaimingUniform({ a: Math.sqrt(5) }),
    variance: 1 / 3 / 400,
    bound: 1 / Math.sqrt(400),
    uniform: true,
  },
  { init: kaimingUniform({ mode: 'fanOut', nonlinearity: 'tanh' }), variance: 25 / 9 / 300, uniform: true },
  { init: kaimingNormal({ nonlinearity: 'relu' }), variance: 2 / 400, uniform: false },
  { init: kaimingNormal({ mode: 'fanOut', nonlinearity: 'linear' }), variance: 1 / 300, uniform: false },
  { init: lecunUniform(), variance: 1 / 400, bound: Math.sqrt(3 / 400), uniform: true },
  { init: lecunNormal(), variance: 1 / 400, uniform: false },
  { init: uniformInit(-0.1, 0.3), variance: 0.16 / 12, uniform: true },
  { init: normalInit(0.5, 0.2), variance: 0.04, uniform: false },
];

describe('initializers', () => {
  for (const c of cases) {
    it(`${c.init.name}: mean and variance within sampling tolerance`, () => {
      const t = c.init.sample(rngKey(7), shape);
      expect(t.shape).toEqual(shape);
      const m = moments(t);
      const expectedMean = c.init.name.startsWith('normal(0.5')
        ? 0.5
        : c.init.name.startsWith('uniform(-0.1')
          ? 0.1
          : 0;
      // standard error of the mean √(σ²/n); of the variance √((κ − 1)/n)·σ², κ = 9/5 (uniform) or 3 (normal)
      expect(Math.abs(m.mean - expectedMean)).toBeLessThan(5 * Math.sqrt(c.variance / n));
      const kurtosis = c.uniform ? 9 / 5 : 3;
      expect(Math.abs(m.variance / c.variance - 1)).toBeLessThan(5 * Math.sqrt((kurtosis - 1) / n));
      if (c.bound !== undefined) {
        expect(m.maxAbs).toBeLessThan(c.bound);
        expect(m.maxAbs).toBeGreaterThan(0.999 * c.bound);
      }
    });
  }

  it('the same key gives the same weights, bit for bit; another key other weights', () => {
    for (const init of [glorotUniform(), kaimingNormal(), orthogonal(), lecunNormal()]) {
      const a = init.sample(rngKey(3), [17, 9]);
      const b = init.sample(rngKey(3), [17, 9]);
      expect(Array.from(a.data)).toEqual(Array.from(b.data));
      const c = init.sample(rngKey(4), [17, 9]);
      expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    }
    const net = mlp({ sizes: [2, 8, 8, 1] });
    expect(net.init(rngKey(5))['2'].weight.data).toEqual(net.init(rngKey(5))['2'].weight.data);
  });

  it('orthogonal: QᵀQ = I (tall), QQᵀ = I (wide), to 1e-12, with the gain; conv-shaped weights flattened', () => {
    const check = (rows: number, cols: number, g: number, s: number[]) => {
      const q = orthogonal({ gain: g }).sample(rngKey(rows * 100 + cols), s).data;
      const k = Math.min(rows, cols);
      let worst = 0;
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          let d = 0;
          if (rows >= cols) for (let r = 0; r < rows; r++) d += q[r * cols + i] * q[r * cols + j];
          else for (let c = 0; c < cols; c++) d += q[i * cols + c] * q[j * cols + c];
          worst = Math.max(worst, Math.abs(d / (g * g) - (i === j ? 1 : 0)));
        }
      }
      expect(worst).toBeLessThanOrEqual(1e-12);
    };
    check(6, 6, 1, [6, 6]);
    check(64, 16, 5 / 3, [64, 16]);
    check(16, 64, 1, [16, 64]);
    check(4, 6, 2, [4, 2, 3]);
    check(120, 120, 1, [120, 120]);
    expect(() => orthogonal().sample(rngKey(0), [5])).toThrow(/rank ≥ 2/);
  });

  it('orthogonal: Q is the QR factor of the Gaussian draw with diag(R) > 0 (the sign correction)', () => {
    const [rows, cols] = [7, 4];
    const key = rngKey(9);
    const q = orthogonal().sample(key, [rows, cols]).data;
    const a = normal(key, [rows, cols]).data; // the draw the initializer factors
    // R = QᵀA must be upper triangular with a positive diagonal
    for (let i = 0; i < cols; i++) {
      for (let j = 0; j < cols; j++) {
        let r = 0;
        for (let k = 0; k < rows; k++) r += q[k * cols + i] * a[k * cols + j];
        if (i > j) expect(Math.abs(r)).toBeLessThan(1e-12);
        if (i === j) expect(r).toBeGreaterThan(0);
      }
    }
  });

  it('fans and gains follow PyTorch', () => {
    expect(fans([8, 3])).toEqual({ fanIn: 3, fanOut: 8 });
    expect(fans([16, 4, 3, 3])).toEqual({ fanIn: 36, fanOut: 144 });
    expect(() => fans([3])).toThrow(/no fan-in\/fan-out \(rank < 2\)/);
    expect(gain('tanh')).toBe(5 / 3);
    expect(gain('relu')).toBe(Math.SQRT2);
    expect(gain('sigmoid')).toBe(1);
    expect(gain('selu')).toBe(0.75);
    expect(gain('leakyRelu')).toBeCloseTo(Math.sqrt(2 / (1 + 1e-4)), 15);
    expect(gain('leakyRelu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
    expect(() => gain('swish' as never)).toThrow(/unknown nonlinearity "swish"/);
  });

  it('constants, and the errors of bad settings', () => {
    expect(Array.from(zerosInit().sample(rngKey(0), [3]).data)).toEqual([0, 0, 0]);
    expect(Array.from(onesInit().sample(rngKey(0), [2]).data)).toEqual([1, 1]);
    expect(Array.from(constantInit(-0.25).sample(rngKey(0), [2]).data)).toEqual([-0.25, -0.25]);
    expect(() => glorotUniform({ gian: 2 } as never)).toThrow(/unknown option "gian"/);
    expect(() => kaimingUniform({ mode: 'in' as never })).toThrow(/mode must be 'fanIn' or 'fanOut'/);
    expect(() => uniformInit(1, 1)).toThrow(/need low < high/);
    expect(() => normalInit(0, -1)).toThrow(/std must be ≥ 0/);
  });
});

describe('default initialization of the modules (PyTorch’s)', () => {
  it('Linear and Conv: weight and bias ~ U(±1/√fan_in)', () => {
    const p = linearLayer({ inFeatures: 400, outFeatures: 300 }).init(rngKey(1)) as {
      weight: Tensor;
      bias: Tensor;
    };
    const bound = 1 / 20;
    const w = moments(p.weight);
    expect(w.maxAbs).toBeLessThan(bound);
    expect(Math.abs(w.variance / ((bound * bound) / 3) - 1)).toBeLessThan(0.02);
    expect(moments(p.bias).maxAbs).toBeLessThan(bound);
    const c = conv1dLayer({ inChannels: 4, outChannels: 8, kernelSize: 5, groups: 2 }).init(rngKey(2)) as {
      weight: Tensor;
      bias: Tensor;
    };
    expect(c.weight.shape).toEqual([8, 2, 5]);
    const cb = 1 / Math.sqrt(10);
    expect(moments(c.weight).maxAbs).toBeLessThan(cb);
    expect(moments(c.weight).maxAbs).toBeGreaterThan(0.8 * cb);
    expect(moments(c.bias).maxAbs).toBeLessThan(cb);
  });

  it('normalization layers: weight 1, bias 0, running mean 0 and variance 1', () => {
    const bn = batchNorm1d({ numFeatures: 3 });
    const p = bn.init(rngKey(0)) as { weight: Tensor; bias: Tensor };
    expect(Array.from(p.weight.data)).toEqual([1, 1, 1]);
    expect(Array.from(p.bias.data)).toEqual([0, 0, 0]);
    const s = bn.initState();
    expect(Array.from(s.running_var.data)).toEqual([1, 1, 1]);
    expect(s.num_batches_tracked.item()).toBe(0);
    const ln = layerNorm({ normalizedShape: [2, 2], elementwiseAffine: false });
    expect(ln.init(rngKey(0))).toEqual({});
  });

  it('custom initializers are used where given', () => {
    const p = linearLayer({
      inFeatures: 3,
      outFeatures: 2,
      weightInit: onesInit(),
      biasInit: constantInit(2),
    }).init(rngKey(0)) as { weight: Tensor; bias: Tensor };
    expect(Array.from(p.weight.data)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(p.bias.data)).toEqual([2, 2]);
  });
});
