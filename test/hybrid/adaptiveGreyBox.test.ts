import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autodiff/tensor.js';
import { parseModel } from '../../src/expr/parse.js';
import { estimatePhysical, trainMarginalized } from '../../src/hybrid/adaptiveGreyBox.js';
import { HybridModel, type HybridParams } from '../../src/hybrid/hybridModel.js';
import { objective } from '../../src/hybrid/objective.js';
import type { Subject } from '../../src/hybrid/subject.js';
import { closureNorm } from '../../src/hybrid/trajectoryRegularizers.js';
import { fixParameters, mechanisticOnly } from '../../src/hybrid/variants.js';
import { pid } from '../../src/ode/controller.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { adam } from '../../src/optim/adam.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { rngKey } from '../../src/tensor/random.js';
import { expectDirectionalFd } from './treeFd.js';

const truth = parseModel(`
  param w0 = 1.5 in [0.5, 3] scale log
  param alpha = 0.3 fixed
  state x = 0.8
  state v = 0
  d/dt x = v
  d/dt v = -w0^2*sin(x) - alpha*v
  obs angle = x ~ normal(0.01)
  obs speed = v ~ normal(0.01)
`);

/** The net sees the physical parameter (it adapts to any w0 in the box). */
const adaptive = `
  param w0 = 1.5 in [0.5, 3] scale log
  state x = 0.8
  state v = 0
  net F(x, v, w0) -> (a) : mlp(12, tanh)
  d/dt x = v
  d/dt v = -w0^2*sin(x) + F.a
  obs angle = x ~ normal(0.01)
  obs speed = v ~ normal(0.01)
`;

const times = Float64Array.from({ length: 25 }, (_, k) => 0.25 * (k + 1));

function simulate(w0: number, x0: number, id: string): Subject {
  const hm = new HybridModel(truth);
  const params: HybridParams = {
    mech: new Tensor(new NDArray(Float64Array.of(Math.log(w0)), [1])),
    nets: {},
    shooting: {},
  };
  const s: Subject = {
    id,
    times,
    observations: new Float64Array(times.length * 2),
    y0: Float64Array.of(x0, 0),
  };
  return { ...s, observations: hm.predict(params, [s])[0].observables };
}

describe('adaptive grey-box nets (stopgrad inputs, marginalized physics)', () => {
  it('stopgrad: the gradient in w0 is the one with the network input held fixed', () => {
    // The same model with the net's input on a duplicate, fixed copy of w0 has the same
    // value; its gradient in w0 is the physics path only — as stopgrad must give.
    const withStop = adaptive.replace('F(x, v, w0)', 'F(x, v, -stopgrad(w0)^2*sin(x))');
    const held = withStop
      .replace('-stopgrad(w0)^2*sin(x)', '-w0c^2*sin(x)')
      .replace('param w0 = 1.5', 'param w0c = 1.3 fixed\n  param w0 = 1.5');
    const opts = { method: dopri5(), controller: pid({ rtol: 1e-11, atol: 1e-12 }) };
    const a = new HybridModel(parseModel(withStop.replace('param w0 = 1.5', 'param w0 = 1.3')), opts);
    const b = new HybridModel(parseModel(held.replace('param w0 = 1.5', 'param w0 = 1.3')), opts);
    const subjects = [simulate(1.4, 0.8, 'a'), simulate(1.1, -0.5, 'b')];
    const p = a.init(rngKey(2));
    const ga = a.evaluate(p, subjects).gradient!;
    const gb = b.evaluate(p, subjects).gradient!;
    expect(a.evaluate(p, subjects).value).toBeCloseTo(b.evaluate(p, subjects).value, 12);
    expect(ga.mech.data[0]).toBeCloseTo(gb.mech.data[0], 9);
    // …which is the finite difference of the held model, and differs from that of the adaptive one.
    expectDirectionalFd((q) => b.evaluate(q, subjects, { gradient: false }).value, gb, p, [1, 2], 1e-6);
    const h = 1e-5;
    const at = (z: number) =>
      a.evaluate({ ...p, mech: new Tensor(new NDArray(Float64Array.of(z), [1])) }, subjects, {
        gradient: false,
      }).value;
    const fullFd = (at(p.mech.data[0] + h) - at(p.mech.data[0] - h)) / (2 * h);
    expect(Math.abs(fullFd - ga.mech.data[0])).toBeGreaterThan(1e-6 * Math.abs(fullFd));
  });

  it('trains the net for every w0 in the box (marginalized), without learning w0', () => {
    const hm = new HybridModel(parseModel(adaptive));
    const omegas = [1.05, 1.2, 1.35, 1.5, 1.65, 1.8, 1.95];
    const data = omegas.map((w, i) => simulate(w, 0.4 + 0.1 * i, `t${i}`));
    const prior = { w0: [1, 2] as const };
    const fit = trainMarginalized(hm, hm.init(rngKey(1)), data, {
      prior,
      optimizer: adam(2e-2),
      epochs: 150,
      samples: 2,
      seed: 3,
    });
    expect(fit.skipped).toHaveLength(0);
    expect(fit.history[fit.history.length - 1]).toBeLessThan(fit.history[0] / 20);
    // The boxed parameter was not learned.
    expect(fit.params.mech.data[0]).toBe(hm.init().mech.data[0]);
    // At any w0 of the box the adapted model fits the mixed data far better than the physics.
    const physics = new HybridModel(mechanisticOnly(hm.model));
    for (const w of [1.1, 1.5, 1.9]) {
      const z = new Tensor(new NDArray(Float64Array.of(Math.log(w)), [1]));
      const adapted = hm.evaluate({ ...fit.params, mech: z }, data, { gradient: false }).value;
      const alone = physics.evaluate({ mech: z, nets: {}, shooting: {} }, data, { gradient: false }).value;
      expect(adapted).toBeLessThan(alone / 2);
    }
    // Estimating w0 with the adapted net frozen, under a regularizer (the smallest closure):
    // the estimate lies in the box and its objective is no worse than at the box's ends.
    const test = [simulate(1.42, 0.7, 'new')];
    const regularizers = [closureNorm({ weight: 1 })];
    const est = estimatePhysical(hm, fit.params, test, {
      prior,
      optimizer: adam(5e-2),
      epochs: 60,
      regularizers,
    });
    expect(est.values.w0).toBeGreaterThanOrEqual(1);
    expect(est.values.w0).toBeLessThanOrEqual(2);
    expect(est.params.nets.F[0].w.data).toEqual(fit.params.nets.F[0].w.data);
    for (const w of [1, 2]) {
      const z = new Tensor(new NDArray(Float64Array.of(Math.log(w)), [1]));
      const end = objective(hm, { ...fit.params, mech: z }, test, { loss: 'mse', regularizers }).value;
      expect(est.loss).toBeLessThanOrEqual(end);
    }
  }, 60_000);

  it('estimatePhysical recovers a parameter where the model is right', () => {
    const exact = new HybridModel(fixParameters(truth, { alpha: 0.3 }));
    const test = [simulate(1.42, 0.7, 'new')];
    const est = estimatePhysical(exact, exact.init(), test, {
      prior: { w0: [1, 2] },
      optimizer: adam(5e-2),
      epochs: 150,
      starts: 2,
    });
    expect(Math.abs(est.values.w0 - 1.42)).toBeLessThan(1e-3);
  });

  it('explains a bad prior box', () => {
    const hm = new HybridModel(parseModel(adaptive));
    const base = { optimizer: adam(1e-2), epochs: 1 };
    expect(() => trainMarginalized(hm, hm.init(), [], { ...base, prior: { k: [0, 1] } })).toThrow(
      /"k" is not an estimated parameter.*w0/,
    );
    expect(() => trainMarginalized(hm, hm.init(), [], { ...base, prior: { w0: [2, 1] } })).toThrow(/lo < hi/);
    expect(() => trainMarginalized(hm, hm.init(), [], { ...base, prior: { w0: [0.1, 1] } })).toThrow(
      /leaves its declared bounds/,
    );
  });
});
