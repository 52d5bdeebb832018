import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autodiff/tensor.js';
import { parseModel } from '../../src/expr/parse.js';
import { printModel } from '../../src/expr/print.js';
import { HybridModel, type HybridParams } from '../../src/hybrid/hybridModel.js';
import { applyMlp } from '../../src/hybrid/netRuntime.js';
import type { Subject } from '../../src/hybrid/subject.js';
import { train } from '../../src/hybrid/trainer.js';
import {
  baselines,
  fixParameters,
  mechanisticOnly,
  neuralOnly,
  withResidual,
} from '../../src/hybrid/variants.js';
import { pid } from '../../src/ode/controller.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { adam } from '../../src/optim/adam.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { rngKey } from '../../src/tensor/random.js';
import { expectDirectionalFd } from './treeFd.js';

const tight = { method: dopri5(), controller: pid({ rtol: 1e-11, atol: 1e-12 }) };

/** A hybrid with two networks, a shared-weight second call, a let, a covariate and a dose. */
const hybrid = parseModel(`
  model pk "one compartment with learned absorption and elimination corrections"
  param ka = 1.2 in [0.01, 20] scale log
  param CL = 2 in [0.01, 50] scale log
  param V  = 10 in [0.1, 500] scale log
  param s  = 0.05 in [0.001, 1] scale log
  covariate WT = 70
  state gut = 0
  state central = 0
  let conc = central / V
  net F(conc) -> (a) : mlp(4, tanh)
  net G(conc, WT/70) -> (b) : mlp(3, tanh)
  d/dt gut = -ka*gut
  d/dt central = ka*gut - CL/V*central*exp(G.b) + F.a + 0.1*F(2*conc).a
  obs c = conc ~ normal(s)
  dose oral -> gut
`);

const subjects: Subject[] = [
  {
    id: 'a',
    times: Float64Array.of(0.5, 1, 2, 4, 8),
    observations: Float64Array.of(3, 5, 6, 4, 2),
    doses: [{ time: 0, route: 'oral', amount: 100 }],
    covariates: { WT: 60 },
  },
  {
    id: 'b',
    times: Float64Array.of(1, 3, 6),
    observations: Float64Array.of(4, 5, 3),
    doses: [{ time: 0.5, route: 'oral', amount: 80 }],
    covariates: { WT: 90 },
  },
];

/** The params with the output layer of each named network set to zero. */
function silence(params: HybridParams, names: readonly string[]): HybridParams {
  const nets = Object.fromEntries(
    Object.entries(params.nets).map(([n, layers]) => [
      n,
      names.includes(n)
        ? layers.map((l, i) =>
            i === layers.length - 1
              ? { w: new Tensor(NDArray.zeros(l.w.shape)), b: new Tensor(NDArray.zeros(l.b.shape)) }
              : l,
          )
        : layers,
    ]),
  );
  return { ...params, nets };
}

describe('model variants for baselines', () => {
  it('mechanisticOnly: the physics alone, equal to the hybrid with silent networks', () => {
    const mech = mechanisticOnly(hybrid);
    expect(mech.nets).toHaveLength(0);
    expect(printModel(mech)).toContain('d/dt central = ka * gut - CL / V * central');
    const full = new HybridModel(hybrid, tight);
    const p = full.init(rngKey(2));
    const a = full.predict(silence(p, ['F', 'G']), subjects);
    const mm = new HybridModel(mech, tight);
    const b = mm.predict({ mech: p.mech, nets: {}, shooting: {} }, subjects);
    a.forEach((pa, i) => {
      for (let j = 0; j < pa.observables.length; j++)
        expect(b[i].observables[j]).toBeCloseTo(pa.observables[j], 12);
    });
  });

  it('mechanisticOnly of some networks renumbers the remaining calls', () => {
    for (const off of [['F'], ['G']]) {
      const partial = mechanisticOnly(hybrid, { nets: off });
      expect(partial.nets.map((n) => n.name)).toEqual(['F', 'G'].filter((n) => !off.includes(n)));
      const full = new HybridModel(hybrid, tight);
      const p = full.init(rngKey(5));
      const part = new HybridModel(partial, tight);
      const kept = Object.fromEntries(Object.entries(p.nets).filter(([n]) => !off.includes(n)));
      const a = full.predict(silence(p, off), subjects);
      const b = part.predict({ mech: p.mech, nets: kept, shooting: {} }, subjects);
      a.forEach((pa, i) => {
        for (let j = 0; j < pa.observables.length; j++)
          expect(b[i].observables[j]).toBeCloseTo(pa.observables[j], 12);
      });
      // Reads back from its text.
      expect(printModel(parseModel(printModel(partial)))).toBe(printModel(partial));
    }
  });

  it('neuralOnly: one network for the dynamics; unused parameters fixed; gradient = finite differences', () => {
    const node = neuralOnly(hybrid, { hidden: [5], activation: 'tanh' });
    expect(node.nets.map((n) => n.name)).toEqual(['NN']);
    expect(node.nets[0].inputs).toHaveLength(3); // gut, central, WT
    const hm = new HybridModel(node, tight);
    expect(hm.estimatedNames).toEqual(['V', 's']); // ka, CL only appeared in the replaced equations
    expect(printModel(node)).toContain('d/dt gut = NN.gut');
    const p = hm.init(rngKey(1));
    const ev = hm.evaluate(p, subjects, { loss: 'nll' });
    expectDirectionalFd(
      (q) => hm.evaluate(q, subjects, { loss: 'nll', gradient: false }).value,
      ev.gradient!,
      p,
      [1, 2],
      1e-6,
    );
  });

  it('withResidual ("ML last"): observable = mechanistic prediction + R(states, covariates, t)', () => {
    const mech = mechanisticOnly(hybrid);
    const res = withResidual(mech, { hidden: [4] });
    expect(printModel(res)).toContain('obs c = conc + R.c ~ normal(s)');
    const hm = new HybridModel(res, tight);
    const p = hm.init(rngKey(3));
    const mm = new HybridModel(mech, tight);
    const base = mm.predict({ mech: p.mech, nets: {}, shooting: {} }, subjects);
    const pred = hm.predict(p, subjects);
    subjects.forEach((s, i) => {
      const T = s.times.length;
      const x = new Float64Array(T * 4);
      for (let k = 0; k < T; k++) {
        x.set(pred[i].states.subarray(k * 2, k * 2 + 2), k * 4);
        x[k * 4 + 2] = s.covariates!.WT;
        x[k * 4 + 3] = s.times[k];
      }
      const r = applyMlp(p.nets.R, res.nets[0].architecture, new Tensor(new NDArray(x, [T, 4]))).data;
      for (let k = 0; k < T; k++)
        expect(pred[i].observables[k]).toBeCloseTo(base[i].observables[k] + r[k], 12);
    });
    const ev = hm.evaluate(p, subjects, { loss: 'nll' });
    expect(ev.gradient!.nets.R[0].w.data.some((v) => v !== 0)).toBe(true);
    expectDirectionalFd(
      (q) => hm.evaluate(q, subjects, { loss: 'nll', gradient: false }).value,
      ev.gradient!,
      p,
      [3, 4],
      1e-6,
    );
  });

  it('withResidual keeps the hybrid networks and their extra calls', () => {
    const res = withResidual(hybrid, { hidden: [2], time: false, covariates: false });
    expect(res.nets.map((n) => n.name)).toEqual(['F', 'G', 'R']);
    const hm = new HybridModel(res, tight);
    const full = new HybridModel(hybrid, tight);
    const p = hm.init(rngKey(6));
    const a = hm.predict(silence(p, ['R']), subjects);
    const b = full.predict({ ...p, nets: { F: p.nets.F, G: p.nets.G } }, subjects);
    a.forEach((pa, i) => {
      for (let j = 0; j < pa.observables.length; j++)
        expect(pa.observables[j]).toBeCloseTo(b[i].observables[j], 12);
    });
  });

  it('baselines: two-stage residual freezes the first-stage estimates', () => {
    const b = baselines(hybrid, { hidden: [3] });
    const values = { ka: 0.9, CL: 3, V: 12 };
    const stage2 = new HybridModel(b.residual(values));
    expect(stage2.estimatedNames).toEqual(['s']);
    expect(stage2.parameterValues(stage2.init())).toMatchObject(values);
    expect(b.mechanistic.nets).toHaveLength(0);
    expect(b.neural.nets[0].name).toBe('NN');
    const fixed = fixParameters(hybrid, { V: 20 });
    expect(new HybridModel(fixed).estimatedNames).toEqual(['ka', 'CL', 's']);
  });

  it('two-stage residual baseline: the Δ net on the frozen stage-1 physics lowers the loss', () => {
    const decay = parseModel(`
      param k = 0.3 in [0.01, 5] scale log
      state x = 1
      net F(x) -> (a) : mlp(4, tanh)
      d/dt x = -k*x + F.a
      obs y = x ~ normal(0.1)
    `);
    const times = Float64Array.from({ length: 12 }, (_, i) => 0.5 * (i + 1));
    const data: Subject[] = [
      { id: 'd', times, observations: times.map((t) => Math.exp(-0.7 * t) + 0.2 * Math.sin(2 * t)) },
    ];
    const b = baselines(decay, { hidden: [16] });
    const stage1 = new HybridModel(b.mechanistic);
    const fit1 = train(stage1, stage1.init(), data, { optimizer: adam(5e-2), epochs: 150 });
    const loss1 = stage1.evaluate(fit1.params, data, { gradient: false }).value;
    expect(Math.abs(stage1.parameterValues(fit1.params).k - 0.7)).toBeLessThan(0.15);
    const stage2 = new HybridModel(b.residual(stage1.parameterValues(fit1.params)));
    expect(stage2.estimatedNames).toEqual([]);
    const fit2 = train(stage2, stage2.init(rngKey(1)), data, { optimizer: adam(3e-2), epochs: 800 });
    const loss2 = stage2.evaluate(fit2.params, data, { gradient: false }).value;
    expect(loss2).toBeLessThan(loss1 / 3);
    // Stage 2 did not move the physics.
    expect(stage2.parameterValues(fit2.params).k).toBe(stage1.parameterValues(fit1.params).k);
  }, 30_000);

  it('explain bad requests', () => {
    expect(() => mechanisticOnly(hybrid, { nets: ['H'] })).toThrow(/no network "H".*F, G/);
    expect(() => fixParameters(hybrid, { k: 1 })).toThrow(/unknown parameter "k"/);
    expect(() => neuralOnly(hybrid, { hidden: [0] })).toThrow(/whole numbers ≥ 1/);
  });
});
