import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autodiff/tensor.js';
import { parseModel } from '../../src/expr/parse.js';
import { HybridModel, type HybridParams } from '../../src/hybrid/hybridModel.js';
import { SolverInTheLoop, trainUnrolled } from '../../src/hybrid/solverInTheLoop.js';
import type { Subject } from '../../src/hybrid/subject.js';
import { constantSteps } from '../../src/ode/controller.js';
import { eulerTableau } from '../../src/ode/methods/euler.js';
import { rk4 } from '../../src/ode/methods/rk4.js';
import { adam } from '../../src/optim/adam.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { rngKey } from '../../src/tensor/random.js';
import { expectDirectionalFd } from './treeFd.js';

/** A damped oscillator; the corrector C is declared next to the physics. */
const text = `
  param w0 = 2 in [0.1, 10] scale log
  param x0 = 1 in [-5, 5]
  covariate g = 1
  state x = x0
  state v = 0
  net K(x, v) -> (a) : mlp(4, tanh)
  net C(x, v, g) -> (dx, dv) : mlp(5, tanh)
  let cv = 0.1 * C.dv + 0.01 * K.a
  d/dt x = v
  d/dt v = -w0^2*x + 0.1*K.a
  obs pos = x ~ normal(0.05)
  obs vel = v ~ normal(0.05)
`;

function subjectsOf(observations: (t: number) => [number, number], dt: number): Subject[] {
  return [0, 1].map((i) => {
    const times = Float64Array.from({ length: 6 + 2 * i }, (_, k) => dt * (2 * k + 1 + i));
    const obs = new Float64Array(times.length * 2);
    times.forEach((t, k) => {
      const [a, b] = observations(t + i);
      obs[2 * k] = a;
      obs[2 * k + 1] = k === 2 ? Number.NaN : b;
    });
    return { id: `s${i}`, times, observations: obs, covariates: { g: 1 + i } };
  });
}

function zeroOutput(params: HybridParams, net: string): HybridParams {
  const layers = params.nets[net];
  const last = layers[layers.length - 1];
  return {
    ...params,
    nets: {
      ...params.nets,
      [net]: [
        ...layers.slice(0, -1),
        { w: new Tensor(NDArray.zeros(last.w.shape)), b: new Tensor(NDArray.zeros(last.b.shape)) },
      ],
    },
  };
}

describe('solver-in-the-loop correctors', () => {
  const model = parseModel(text);
  const dt = 0.1;
  const subjects = subjectsOf((t) => [Math.cos(2 * t), -2 * Math.sin(2 * t)], dt);

  it('without a correction, equals the library fixed-step RK4 solve', () => {
    const sitl = new SolverInTheLoop(model, { dt, correct: { v: 'cv', x: 'C.dx' } });
    const params = zeroOutput(zeroOutput(sitl.init(rngKey(1)), 'C'), 'K');
    const hm = new HybridModel(model, { method: rk4(), controller: constantSteps(dt) });
    const a = sitl.predict(params, subjects);
    const b = hm.predict(params, subjects);
    a.forEach((pa, i) => {
      for (let j = 0; j < pa.observables.length; j++)
        expect(pa.observables[j]).toBeCloseTo(b[i].observables[j], 12);
    });
  });

  it('has the exact gradient of the unrolled rollout (finite differences; RK4 and Euler; mse and nll)', () => {
    for (const [tableau, loss] of [
      [undefined, 'mse'],
      [eulerTableau, 'nll'],
    ] as const) {
      const sitl = new SolverInTheLoop(model, {
        dt,
        correct: { v: 'cv', x: 'C.dx' },
        ...(tableau === undefined ? {} : { tableau }),
      });
      const params = sitl.init(rngKey(2));
      const ev = sitl.evaluate(params, subjects, { loss });
      expect(ev.failure).toBeNull();
      expect(ev.gradient!.nets.C[0].w.data.some((v) => v !== 0)).toBe(true);
      expectDirectionalFd(
        (q) => sitl.evaluate(q, subjects, { loss, gradient: false }).value,
        ev.gradient!,
        params,
        [1, 2, 3],
        1e-7,
      );
    }
  });

  it('learns to correct a coarse Euler solver through the unrolled steps', () => {
    // Truth: undamped oscillator, ω = 2, sampled at dt = 0.25; Euler at that step spirals out.
    const physics = parseModel(`
      param w0 = 2 fixed
      state x = 1
      state v = 0
      net C(x, v) -> (dx, dv) : mlp(16, tanh)
      d/dt x = v
      d/dt v = -w0^2*x
      obs pos = x ~ normal(0.05)
      obs vel = v ~ normal(0.05)
    `);
    const h = 0.25;
    const times = Float64Array.from({ length: 16 }, (_, k) => h * (k + 1));
    const data: Subject[] = [0.5, 1, 1.5].map((amp, i) => {
      const obs = new Float64Array(times.length * 2);
      times.forEach((t, k) => {
        obs[2 * k] = amp * Math.cos(2 * t);
        obs[2 * k + 1] = -2 * amp * Math.sin(2 * t);
      });
      return { id: `a${i}`, times, observations: obs, y0: Float64Array.of(amp, 0) };
    });
    const sitl = new SolverInTheLoop(physics, {
      dt: h,
      tableau: eulerTableau,
      correct: { x: 'C.dx', v: 'C.dv' },
    });
    const start = zeroOutput(sitl.init(rngKey(3)), 'C');
    const before = sitl.evaluate(start, data, { gradient: false }).value;
    const fit = trainUnrolled(sitl, start, data, { optimizer: adam(5e-3), epochs: 300 });
    expect(fit.failure).toBeNull();
    const after = sitl.evaluate(fit.params, data, { gradient: false }).value;
    expect(after).toBeLessThan(before / 20);
    // And on an amplitude it was not trained on.
    const heldOut: Subject[] = [
      {
        ...data[1],
        id: 'h',
        y0: Float64Array.of(1.2, 0),
        observations: data[1].observations.map((v) => 1.2 * v),
      },
    ];
    expect(sitl.evaluate(fit.params, heldOut, { gradient: false }).value).toBeLessThan(
      sitl.evaluate(start, heldOut, { gradient: false }).value / 5,
    );
  }, 60_000);

  it('explains what it cannot do', () => {
    expect(() => new SolverInTheLoop(model, { dt, correct: { y: 'cv' } })).toThrow(
      /"y", which is not a state.*x, v/,
    );
    expect(() => new SolverInTheLoop(model, { dt, correct: { x: 'C.q' } })).toThrow(/has outputs dx, dv/);
    expect(() => new SolverInTheLoop(model, { dt, correct: { x: 'nope' } })).toThrow(/neither a let \(cv\)/);
    expect(() => new SolverInTheLoop(model, { dt: 0, correct: { x: 'cv' } })).toThrow(/dt must be/);
    const sitl = new SolverInTheLoop(model, { dt: 0.3, correct: { x: 'cv' } });
    expect(() => sitl.predict(sitl.init(), subjects)).toThrow(/not on the grid/);
  });
});
