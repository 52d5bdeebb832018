/**
 * The hybrid design patterns written in the model language (docs/hybrid.md): each one's
 * gradient through the solve equals finite differences, and the structure is what the pattern
 * says (an additive closure adds exactly the net; parameter nets give per-subject values from
 * covariates; initial-state nets give per-subject initial values).
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autodiff/tensor.js';
import { parseModel } from '../../src/expr/parse.js';
import { HybridModel } from '../../src/hybrid/hybridModel.js';
import { applyMlp } from '../../src/hybrid/netRuntime.js';
import type { Subject } from '../../src/hybrid/subject.js';
import { mechanisticOnly } from '../../src/hybrid/variants.js';
import { pid } from '../../src/ode/controller.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { rngKey } from '../../src/tensor/random.js';
import { expectDirectionalFd } from './treeFd.js';

const tight = { method: dopri5(), controller: pid({ rtol: 1e-11, atol: 1e-12 }) };

function checkGradient(text: string, subjects: Subject[], loss: 'mse' | 'nll' = 'nll', seed = 1) {
  const hm = new HybridModel(parseModel(text), tight);
  const params = hm.init(rngKey(seed));
  const ev = hm.evaluate(params, subjects, { loss });
  expect(ev.failure).toBeNull();
  for (const [name, layers] of Object.entries(ev.gradient!.nets)) {
    expect(
      layers.some((l) => l.w.data.some((v) => v !== 0)),
      `network ${name} gets a gradient`,
    ).toBe(true);
  }
  expectDirectionalFd(
    (q) => hm.evaluate(q, subjects, { loss, gradient: false }).value,
    ev.gradient!,
    params,
    [1, 2, 3],
    1e-6,
  );
  return { hm, params };
}

const times = Float64Array.of(0.5, 1, 2, 3, 5);
const wave = (k: number) => Float64Array.from(times, (t, i) => 1 + 0.5 * Math.sin(t + k) + 0.1 * i);

describe('hybrid patterns in the model language', () => {
  it('additive closure (APHYNITY): the hybrid field is the physics plus exactly the net', () => {
    const text = `
      param w0 = 1.3 in [0.1, 10] scale log
      state x = 0.7
      state v = 0
      net F(x, v) -> (a) : mlp(8, tanh)
      d/dt x = v
      d/dt v = -w0^2*sin(x) + F.a
      obs angle = x ~ normal(0.1)
    `;
    const subjects: Subject[] = [0, 1].map((k) => ({
      id: `p${k}`,
      times,
      observations: wave(k).map((v) => v - 1),
    }));
    const { hm, params } = checkGradient(text, subjects);
    const physics = new HybridModel(mechanisticOnly(hm.model), tight);
    const y = Float64Array.of(0.3, -0.2, -1.1, 0.8);
    const t = new Float64Array(2);
    const p = Float64Array.of(1.3, 1.3);
    const full = new Float64Array(4);
    const phys = new Float64Array(4);
    hm.nets.setWeights(params.nets);
    hm.compiled.rhs(t, y, p, new Float64Array(0), new Float64Array(0), full, 2);
    physics.compiled.rhs(t, y, p, new Float64Array(0), new Float64Array(0), phys, 2);
    const net = applyMlp(
      params.nets.F,
      hm.model.nets[0].architecture,
      new Tensor(new NDArray(y, [2, 2])),
    ).data;
    for (let b = 0; b < 2; b++) {
      expect(full[b * 2]).toBe(phys[b * 2]);
      expect(full[b * 2 + 1] - phys[b * 2 + 1]).toBeCloseTo(net[b], 14);
    }
  });

  it('universal differential equation: an unknown interaction term', () => {
    const text = `
      param alpha = 1.3 in [0, 5] scale log
      param delta = 1.8 in [0, 5] scale log
      state prey = 1
      state pred = 0.8
      net U(prey, pred) -> (a, b) : mlp(6, tanh)
      d/dt prey = alpha*prey + U.a
      d/dt pred = -delta*pred + U.b
      obs n1 = prey ~ lognormal(0.1)
      obs n2 = pred ~ lognormal(0.1)
    `;
    const subjects: Subject[] = [0, 1].map((k) => {
      const obs = new Float64Array(times.length * 2);
      wave(k).forEach((v, i) => {
        obs[2 * i] = v;
        obs[2 * i + 1] = 2 - 0.5 * v;
      });
      return { id: `lv${k}`, times, observations: obs, y0: Float64Array.of(1 + 0.2 * k, 0.8) };
    });
    checkGradient(text, subjects);
  });

  const pk = (extra: string, central = 'central', init = '0') => `
    param CLpop = 2 in [0.01, 50] scale log
    param V = 10 in [0.1, 500] scale log
    param ka = 1 in [0.01, 20] scale log
    covariate WT = 70
    covariate AGE = 40
    ${extra}
    state gut = ${init}
    state central = 0
    d/dt gut = -ka*gut
    d/dt central = ka*gut - CL/V*central
    obs c = ${central} ~ normal(0.2)
    dose oral -> gut
  `;
  const pkSubjects: Subject[] = [
    { id: 'a', times, observations: wave(0).map((v) => 3 * v), covariates: { WT: 55, AGE: 30 } },
    { id: 'b', times, observations: wave(1).map((v) => 2 * v), covariates: { WT: 90, AGE: 70 } },
  ].map((s) => ({ ...s, doses: [{ time: 0, route: 'oral', amount: 100 }] }));

  it('ML first: covariates → per-subject mechanistic parameters, trained end to end', () => {
    const text = pk(`
      net P(WT/70, AGE/40) -> (cl) : mlp(5, tanh)
      let CL = CLpop * exp(P.cl)
    `);
    const { hm, params } = checkGradient(text, pkSubjects);
    // Different covariates give different clearances, hence different predictions, while the
    // same covariates give the same ones.
    const [a, b] = hm.predict(params, pkSubjects);
    expect(a.observables[4]).not.toBeCloseTo(b.observables[4], 3);
    const twin = hm.predict(params, [{ ...pkSubjects[0], id: 'twin' }])[0];
    expect(Array.from(twin.observables)).toEqual(Array.from(a.observables));
  });

  it('ML first: time-varying inputs → parameters', () => {
    const text = `
      param k0 = 0.5 in [0.01, 10] scale log
      input temp interp linear
      state x = 1
      net K(temp) -> (k) : mlp(4, tanh)
      d/dt x = -k0*exp(K.k)*x
      obs y = x ~ normal(0.1)
    `;
    const subjects: Subject[] = [0, 1].map((k) => ({
      id: `u${k}`,
      times,
      observations: wave(k).map((v) => v / 2),
      inputs: {
        temp: {
          times: [0, 2, 5],
          values: [20, 25 + k, 22],
          interpolation: 'linear' as const,
        },
      },
    }));
    checkGradient(text, subjects);
  });

  it('ML first: covariates → per-subject initial states', () => {
    const text = pk(
      `
      param CL = 2 in [0.01, 50] scale log
      param G0 = 50 in [0, 1000]
      net E(WT/70, AGE/40) -> (g) : mlp(5, tanh)
    `,
      'central',
      'G0 * exp(E.g)',
    ).replace('param CLpop = 2 in [0.01, 50] scale log', '');
    const subjects = pkSubjects.map((s) => ({ ...s, doses: [] }));
    const { hm, params } = checkGradient(text, subjects);
    const [a, b] = hm.predict(params, subjects);
    expect(a.states[0]).not.toBeCloseTo(b.states[0], 3);
    // A subject with its own y0 bypasses the network (and still differentiates).
    const mixed = [subjects[0], { ...subjects[1], y0: Float64Array.of(40, 0) }];
    const ev = hm.evaluate(params, mixed, { loss: 'nll' });
    expectDirectionalFd(
      (q) => hm.evaluate(q, mixed, { loss: 'nll', gradient: false }).value,
      ev.gradient!,
      params,
      [4],
      1e-6,
    );
  });

  it('ML last: an output network maps states (and time, covariates) to the observable', () => {
    const text = pk(
      `
      param CL = 2 in [0.01, 50] scale log
      net O(central/V, t, WT/70) -> (c) : mlp(4, tanh)
    `,
      'central/V + O.c',
    ).replace('param CLpop = 2 in [0.01, 50] scale log', '');
    checkGradient(text, pkSubjects);
  });
});
