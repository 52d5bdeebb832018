import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mul } from '../../src/autodiff/ops/binary.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { Tensor, tensor } from '../../src/autodiff/tensor.js';
import { valueAndGrad } from '../../src/autodiff/transforms.js';
import { type Tree, treeLeaves, treeUnflatten } from '../../src/autodiff/tree.js';
import type { NetWeights } from '../../src/hybrid/netRuntime.js';
import { applyEnsemble, ensembleWeights, residualDataset } from '../../src/latent/baselines.js';
import { covidLatentModel, covidLatentOptions, covidLatentSource } from '../../src/latent/covidLatent.js';
import { LatentDecoder, type LatentDose } from '../../src/latent/decoder.js';
import { forecastRmse } from '../../src/latent/fit.js';
import { type LatentDataset, LatentModel, type LatentParams } from '../../src/latent/latentModel.js';
import { constantSteps, pid } from '../../src/ode/controller.js';
import { rk4 } from '../../src/ode/methods/rk4.js';
import { tsit5 } from '../../src/ode/methods/tsit5.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { normal, rngKey, uniform } from '../../src/tensor/random.js';

const times = Float64Array.of(0, 1, 2, 3);
const doses: LatentDose[][] = [
  [{ time: 1, amount: 2.5 }],
  [
    { time: 0, amount: 4 },
    { time: 2, amount: 1 },
  ],
];

/** A loss Σ c ⊙ f(leaves) and its central finite difference along leaf `i`, entry `j`. */
function centralDifference(
  f: (leaves: Tensor[]) => number,
  leaves: Tensor[],
  i: number,
  j: number,
  h: number,
): number {
  const at = (d: number) =>
    f(
      leaves.map((t, k) => {
        if (k !== i) return t;
        const data = Float64Array.from(t.value.data);
        data[j] += d;
        return new Tensor(new NDArray(data, t.shape));
      }),
    );
  return (at(h) - at(-h)) / (2 * h);
}

describe('LatentDecoder', () => {
  it('carries the dose into C as the expert model says: C = amount·k·(t − τ)·e^{−k(t − τ)} (D = I = A = 0 stay 0)', () => {
    const dec = new LatentDecoder(covidLatentModel('expert'), {
      ...covidLatentOptions('expert'),
      controller: pid({ rtol: 1e-11, atol: 1e-13 }),
    });
    const ts = Float64Array.from({ length: 11 }, (_, i) => i * 0.5);
    const y = dec.trajectories(tensor([[0, 0, 0, 0]]), {}, ts, [[{ time: 1.5, amount: 3 }]]).value.data;
    ts.forEach((t, j) => {
      const s = t - 1.5;
      const c = s > 0 ? 3 * s * Math.exp(-s) : 0;
      expect(y[j * 4 + 3]).toBeCloseTo(c, 9);
      for (let l = 0; l < 3; l++) expect(y[j * 4 + l]).toBe(0);
    });
  });

  it('gradients wrt initial latents and network weights equal central differences of the same fixed-step solve', () => {
    const model = covidLatentModel('lhm', { neuralLatents: 2 });
    const dec = new LatentDecoder(model, {
      ...covidLatentOptions('lhm'),
      method: rk4(),
      controller: constantSteps(0.25),
    });
    const w = dec.initWeights(rngKey(3));
    const z0 = new Tensor(uniform(rngKey(4), [2, 6], 0.05, 0.5));
    const c = new Tensor(normal(rngKey(5), [2, 4, 6]));
    const leaves = [z0, ...treeLeaves(w as Tree)];
    const f = (ls: Tensor[]) => {
      const [z, ...wl] = ls;
      return sum(mul(dec.trajectories(z, treeUnflatten(w as Tree, wl) as NetWeights, times, doses), c));
    };
    const [, grads] = valueAndGrad((ls: Tensor[]) => f(ls))(leaves);
    const num = (ls: Tensor[]) => f(ls).item();
    let worst = 0;
    leaves.forEach((leaf, i) => {
      for (let j = 0; j < leaf.size; j++) {
        const fd = centralDifference(num, leaves, i, j, 1e-6);
        const an = grads[i].value.data[j];
        worst = Math.max(worst, Math.abs(fd - an) / (1e-6 + Math.abs(fd)));
      }
    });
    expect(worst).toBeLessThan(1e-6);
  });

  it('adaptive tsit5 gradients agree with central differences to the tolerance', () => {
    const dec = new LatentDecoder(covidLatentModel('lhm', { neuralLatents: 1 }), {
      ...covidLatentOptions('lhm', { neuralLatents: 1 }),
      method: tsit5(),
      controller: pid({ rtol: 1e-10, atol: 1e-12 }),
    });
    const w = dec.initWeights(rngKey(6));
    const z0 = new Tensor(uniform(rngKey(7), [2, 5], 0.05, 0.5));
    const c = new Tensor(normal(rngKey(8), [2, 4, 5]));
    const leaves = [z0, ...treeLeaves(w as Tree)];
    const f = (ls: Tensor[]) => {
      const [z, ...wl] = ls;
      return sum(mul(dec.trajectories(z, treeUnflatten(w as Tree, wl) as NetWeights, times, doses), c));
    };
    const [, grads] = valueAndGrad((ls: Tensor[]) => f(ls))(leaves);
    leaves.forEach((leaf, i) => {
      for (let j = 0; j < leaf.size; j++) {
        const fd = centralDifference((ls) => f(ls).item(), leaves, i, j, 1e-5);
        expect(Math.abs(grads[i].value.data[j] - fd)).toBeLessThan(1e-6 * (1 + Math.abs(fd)));
      }
    });
  });

  it('rejects unknown latents, options and doses without a route', () => {
    const m = covidLatentModel('expert');
    expect(() => new LatentDecoder(m, { latents: ['D', 'X'] })).toThrow(
      /latent "X" is not a state.*D, I, A, C, Dose/,
    );
    expect(() => new LatentDecoder(m, { latents: ['D'], rtol: 1 } as never)).toThrow(/unknown option "rtol"/);
    const dec = new LatentDecoder(m, { latents: ['D'] });
    expect(() => dec.trajectories(tensor([[0.1]]), {}, times, [[{ time: 1, amount: 1 }]])).toThrow(
      /no doseRoute/,
    );
    const routed = new LatentDecoder(m, { latents: ['D'], doseRoute: 'dexa' });
    expect(() => routed.trajectories(tensor([[0.1]]), {}, times, [[{ time: 9, amount: 1 }]])).toThrow(
      /dose at t = 9.*within \[0, 3\]/,
    );
  });
});

/** A tiny dataset: 3 patients, T = 4, K = 3, some entries missing. */
function tinyData(): LatentDataset {
  const x = normal(rngKey(11), [3, 12]).data;
  const patients = [0, 1, 2].map((b) => ({
    x: Float64Array.from({ length: 12 }, (_, i) => ((b + i) % 3 === 0 ? Number.NaN : x[b * 12 + i])),
    doses: b === 1 ? [] : [{ time: b, amount: 1 + b }],
  }));
  return { times, nObs: 3, patients };
}

describe('LatentModel', () => {
  const dec = new LatentDecoder(covidLatentModel('lhm', { neuralLatents: 1 }), {
    ...covidLatentOptions('lhm', { neuralLatents: 1 }),
    method: rk4(),
    controller: constantSteps(0.25),
  });
  const lm = new LatentModel(dec, 3, { history: 2, encoderHidden: 3 });
  const data = tinyData();

  it('−ELBO gradient wrt every parameter (encoder, head, networks, readout, noise) equals central differences', () => {
    const p0 = lm.init(rngKey(12));
    // Larger head weights than the initializer's, so the encoder's gradient is not tiny.
    const params: LatentParams = {
      ...p0,
      encoder: {
        ...p0.encoder,
        head: { ...p0.encoder.head, weight: new Tensor(uniform(rngKey(13), [10, 3], -0.5, 0.5)) },
      },
    };
    const eps = new Tensor(normal(rngKey(14), [3, 5]));
    const idx = [0, 1, 2];
    const f = (p: LatentParams) => lm.lossWithNoise(p, data, idx, eps);
    const [, g] = valueAndGrad(f)(params);
    const leaves = treeLeaves(params as Tree);
    const gl = treeLeaves(g as Tree);
    const num = (ls: Tensor[]) => f(treeUnflatten(params as Tree, ls) as LatentParams).item();
    let checked = 0;
    leaves.forEach((leaf, i) => {
      const n = leaf.size;
      for (const j of [0, Math.floor(n / 2), n - 1]) {
        const fd = centralDifference(num, leaves, i, j, 1e-6);
        expect(Math.abs(gl[i].value.data[j] - fd)).toBeLessThan(1e-6 * (1 + Math.abs(fd)));
        checked++;
      }
    });
    expect(checked).toBe(3 * leaves.length);
  });

  it('with every value missing the loss is the Monte Carlo KL, whose mean is KL(lognormal ‖ Exponential(r))', () => {
    const params = lm.init(rngKey(15));
    const empty: LatentDataset = {
      ...data,
      patients: data.patients.map((p) => ({ ...p, x: new Float64Array(p.x.length).fill(Number.NaN) })),
    };
    const { mu, logSigma } = lm.encode(params, empty, [0]);
    const r = lm.priorRate;
    let exact = 0;
    for (let l = 0; l < 5; l++) {
      const m = mu.value.data[l];
      const s = Math.exp(logSigma.value.data[l]);
      // −H(q) − E log p = −(m + ½ log(2πe s²)) − log r + r·e^{m + s²/2}
      exact +=
        -(m + 0.5 * Math.log(2 * Math.PI * Math.E * s * s)) - Math.log(r) + r * Math.exp(m + (s * s) / 2);
    }
    // One call, the same patient 2000 times: the loss is the mean of 2000 independent MC KLs.
    const M = 2000;
    const eps = new Tensor(normal(rngKey(16), [M, 5]));
    const mc = lm.lossWithNoise(params, empty, new Array<number>(M).fill(0), eps).item();
    // One sample's MC KL has a spread of a few units; over 2000 samples ±0.1.
    expect(Math.abs(mc - exact)).toBeLessThan(0.4);
  });

  it('predict uses the posterior median and forecastRmse counts only observed entries after the history', () => {
    const params = lm.init(rngKey(17));
    const pred = lm.predict(params, data);
    expect(pred.length).toBe(3 * 4 * 3);
    let s = 0;
    let n = 0;
    data.patients.forEach((p, b) => {
      for (let i = 2 * 3; i < 12; i++) {
        if (Number.isNaN(p.x[i])) continue;
        s += (p.x[i] - pred[b * 12 + i]) ** 2;
        n++;
      }
    });
    expect(forecastRmse(pred, data, 2)).toBeCloseTo(Math.sqrt(s / n), 14);
    expect(forecastRmse(pred, residualDataset(data, pred), 2)).toBeCloseTo(
      Math.sqrt(
        data.patients.reduce((a, p, b) => {
          let t = 0;
          for (let i = 6; i < 12; i++) if (!Number.isNaN(p.x[i])) t += (p.x[i] - 2 * pred[b * 12 + i]) ** 2;
          return a + t;
        }, 0) / n,
      ),
      12,
    );
  });

  it('rejects bad options and data', () => {
    expect(() => new LatentModel(dec, 3, { history: 0 })).toThrow(/history must be a positive integer/);
    expect(() => new LatentModel(dec, 3, { history: 2, prior: 1 } as never)).toThrow(
      /unknown option "prior"/,
    );
    const params = lm.init(rngKey(0));
    expect(() => lm.encode(params, { ...data, nObs: 4 }, [0])).toThrow(/4 observed dimensions, the model 3/);
  });
});

describe('ensemble and residual baselines', () => {
  it('per-step NNLS weights recover an exact non-negative mixture (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        (a, b) => {
          const T = 2;
          const K = 3;
          const p = normal(rngKey(21), [2 * T * K]).data;
          const q = normal(rngKey(22), [2 * T * K]).data;
          const mix = applyEnsemble(Float64Array.of(a, b, a, b), p, q, T, K);
          const data: LatentDataset = {
            times: Float64Array.of(0, 1),
            nObs: K,
            patients: [0, 1].map((i) => ({ x: mix.slice(i * T * K, (i + 1) * T * K), doses: [] })),
          };
          const w = ensembleWeights(data, p, q);
          for (let j = 0; j < T; j++) {
            expect(w[2 * j]).toBeCloseTo(a, 8);
            expect(w[2 * j + 1]).toBeCloseTo(b, 8);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('clips to one model when the unconstrained fit is negative', () => {
    const p = Float64Array.of(1, 0, 0, 1);
    const q = Float64Array.of(1, 1, 1, 1);
    // x = 2p − q: the unconstrained weights (2, −1) are infeasible; the best with b = 0 is a = 1/2·…
    const x = Float64Array.from(p, (v, i) => 2 * v - q[i]);
    const data: LatentDataset = { times: Float64Array.of(0), nObs: 4, patients: [{ x, doses: [] }] };
    const w = ensembleWeights(data, p, q);
    expect(w[1]).toBe(0);
    // min_a Σ (x − a p)² = (p·x)/(p·p) = (1 + 1)/2
    expect(w[0]).toBeCloseTo(1, 12);
  });

  it('covidLatentSource adds the neural latents to the expert text', () => {
    const src = covidLatentSource('lhm', { neuralLatents: 2 });
    expect(src).toContain('net G(D, I, A, C, z1, z2) -> (g1, g2) : mlp(identity)');
    expect(covidLatentModel('lhm').states.map((s) => s.name)).toEqual([
      'D',
      'I',
      'A',
      'C',
      'Dose',
      'z1',
      'z2',
    ]);
    expect(covidLatentModel('node').nets[0].architecture.hidden).toEqual([60]);
    expect(() => covidLatentSource('lhm', { neuralLatents: -1 })).toThrow(/neuralLatents/);
  });
});
