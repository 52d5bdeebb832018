/**
 * The continuous adjoint (backsolve and interpolated) against the discrete adjoint and central
 * finite differences: the pendulum and Lotka–Volterra (conservative enough for backsolve), a
 * two-compartment PK model with repeated oral doses and an infusion (gradients of the dose
 * amounts and the infusion rate included), and a model driven by piecewise-constant and piecewise-linear inputs
 * from data (jumps). Stiff methods: stiffContinuousAdjoint.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../src/expr/compile.js';
import { parseModel } from '../../src/expr/parse.js';
import { lotkaVolterraModel, pendulumModel } from '../../src/models/index.js';
import { type AdjointGradients, discreteAdjoint } from '../../src/ode/adjoint.js';
import { type ContinuousAdjointVariant, continuousAdjoint } from '../../src/ode/continuousAdjoint.js';
import { pid } from '../../src/ode/controller.js';
import type { VectorField } from '../../src/ode/field.js';
import type { Method } from '../../src/ode/method.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { tsit5 } from '../../src/ode/methods/tsit5.js';
import { inputSeries, modelField } from '../../src/ode/modelField.js';
import { rodas5p } from '../../src/ode/rosenbrock.js';
import { type Dose, type SolveOptions, saveAt, solve } from '../../src/ode/solve.js';
import { repeatedDosePk } from '../support/pkScenario.js';

const rel = (a: number, b: number, floor: number) => Math.abs(a - b) / Math.max(floor, Math.abs(b));
const fd = (f: (s: number) => number, h: number) => (f(h) - f(-h)) / (2 * h);

/**
 * L = Σ w(b, j)·(saved value j of trajectory b); checks every variant's gradient of L against
 * the discrete adjoint and central differences (relative 1e-5; measured: 1e-9 to 1e-7).
 */
function check(
  field: VectorField,
  y0: Float64Array,
  params: Float64Array,
  opts: Omit<SolveOptions, 'params' | 'doses'>,
  doses: readonly Dose[],
  variants: readonly ContinuousAdjointVariant[],
  steps: { y0: number; params: number; dose: number },
): void {
  const N = y0.length / field.dim;
  const w = (b: number, j: number) => Math.sin(1 + b + 0.7 * j);
  const loss = (y: Float64Array, p: Float64Array, ds: readonly Dose[]) => {
    const s = solve(field, y, { ...opts, params: p, doses: ds });
    let total = 0;
    for (let b = 0; b < N; b++) {
      s.ys[b].forEach((v, j) => {
        total += w(b, j) * v;
      });
    }
    return total;
  };
  const sol = solve(field, y0, { ...opts, params, doses, recordForAdjoint: true });
  const bar = sol.ys.map((ys, b) => ys.map((_, j) => w(b, j)));
  const discrete = discreteAdjoint(field, sol, sol.method, params, bar);
  const fdParams = Array.from(params, (v, k) =>
    fd(
      (s) => {
        const q = params.slice();
        q[k] += s;
        return loss(y0, q, doses);
      },
      steps.params * Math.max(1, Math.abs(v)),
    ),
  );
  const fdY0 = Array.from(y0, (_, k) =>
    fd((s) => {
      const y = y0.slice();
      y[k] += s;
      return loss(y, params, doses);
    }, steps.y0),
  );
  // Bolus amounts and infusion rates.
  const fdDoses = doses.map((_, k) =>
    fd(
      (s) =>
        loss(
          y0,
          params,
          doses.map((x, j) =>
            j !== k ? x : x.kind === 'bolus' ? { ...x, amount: x.amount + s } : { ...x, rate: x.rate + s },
          ),
        ),
      steps.dose,
    ),
  );
  for (const variant of variants) {
    const g: AdjointGradients = continuousAdjoint(field, sol, { ...opts, params, doses, y0 }, bar, variant);
    const compare = (name: string, got: Float64Array, ref: readonly number[], disc: Float64Array) => {
      got.forEach((v, k) => {
        const floor = 1e-6 * Math.max(1, ...ref.map(Math.abs));
        expect(rel(v, ref[k], floor), `${variant} ${name} ${k} vs finite differences`).toBeLessThan(1e-5);
        expect(rel(v, disc[k], floor), `${variant} ${name} ${k} vs discrete adjoint`).toBeLessThan(1e-5);
      });
    };
    compare('param', g.params, fdParams, discrete.params);
    compare('y0', g.y0, fdY0, discrete.y0);
    compare('dose', g.doses, fdDoses, discrete.doses);
  }
}

const tight = { method: dopri5(), controller: pid({ rtol: 1e-10, atol: 1e-10 }) };
const times = Float64Array.from({ length: 10 }, (_, i) => 0.3 * (i + 1));

describe('continuous adjoint', () => {
  it('agrees with the discrete adjoint and finite differences on the damped pendulum', () => {
    const c = compileModel(pendulumModel());
    const field = modelField(c, { n: 3 });
    const p = c.model.defaultParams();
    const params = Float64Array.from(
      { length: 3 * p.length },
      (_, i) => p[i % p.length] * (1 + 0.1 * Math.floor(i / 2)),
    );
    check(
      field,
      new Float64Array([0.5, 0, -0.8, 0.3, 1.2, -1]),
      params,
      { ...tight, t1: 3, saveat: saveAt.times(times) },
      [],
      ['interpolated', 'backsolve'],
      { y0: 1e-6, params: 1e-6, dose: 1e-3 },
    );
  });

  it('agrees on Lotka–Volterra, with per-trajectory end times and a final-state loss', () => {
    const c = compileModel(lotkaVolterraModel());
    const field = modelField(c, { n: 2 });
    const p = c.model.defaultParams();
    const params = new Float64Array([...p, ...p.map((v) => v * 1.1)]);
    const y0 = new Float64Array([0.44249296, 4.6280594, 1, 2]);
    const variants: ContinuousAdjointVariant[] = ['interpolated', 'backsolve'];
    const steps = { y0: 1e-6, params: 1e-6, dose: 1e-3 };
    check(field, y0, params, { ...tight, t1: 3, saveat: saveAt.times(times) }, [], variants, steps);
    check(field, y0, params, { ...tight, t0: 0.5, t1: new Float64Array([3, 4]) }, [], variants, steps);
  });

  it('gives gradients of parameters, initial state and bolus amounts through repeated oral doses', () => {
    const { field, params, y0, doses } = repeatedDosePk();
    const pkTimes = Float64Array.from({ length: 12 }, (_, i) => 2 * (i + 1));
    check(
      field,
      y0,
      params,
      {
        method: dopri5(),
        controller: pid({ rtol: 1e-11, atol: 1e-11 }),
        t1: 24,
        saveat: saveAt.times(pkTimes),
      },
      doses,
      ['interpolated'],
      { y0: 1e-4, params: 1e-6, dose: 1e-3 },
    );
  });

  it('splits the backward pass at the jumps of piecewise inputs, taking one-sided values there', () => {
    // x′ = −k·x + u·(1 − x/5) − a·x·z, z′ = c·(v·x − z): u steps (jumps at different times per
    // trajectory, none at a save time), v piecewise linear (kinks only). u multiplies x, so the
    // adjoint sees the jumps. Without the splits and the one-sided values the interpolated
    // variant is off by 7e-8–3e-7 from the discrete adjoint and backsolve by 3e-5–5e-5.
    const model = parseModel(`
      param k = 0.7
      param a = 0.4
      param c = 2
      input u
      input v interp linear
      state x = 1
      state z = 0.5
      d/dt x = -k*x + u*(1 - 0.2*x) - a*x*z
      d/dt z = c*(v*x - z)
    `);
    const v = { times: [0, 2, 5], values: [0.2, 1.5, 0.3], interpolation: 'linear' as const };
    const { inputs, jumps } = inputSeries([
      [{ times: [0, 1.3, 2.9, 4.2], values: [0, 2, 0.5, 0], interpolation: 'step' }, v],
      [{ times: [0, 0.7, 3.1], values: [1, 0, 3], interpolation: 'step' }, v],
    ]);
    const field = modelField(compileModel(model), { n: 2, inputs, jumps });
    const y0 = new Float64Array([1, 0.5, 0.8, 0.2]);
    const params = new Float64Array([0.7, 0.4, 2, 0.9, 0.3, 1.5]);
    const w = [0, 1].map((b) => Float64Array.from({ length: 20 }, (_, j) => Math.cos(j + b)));
    const tol = pid({ rtol: 1e-10, atol: 1e-12 });
    const base = {
      t1: 5,
      params,
      controller: tol,
      saveat: saveAt.times(Float64Array.from({ length: 10 }, (_, i) => 0.5 * (i + 1))),
    };
    const loss = (method: Method, y: Float64Array, p: Float64Array) =>
      solve(field, y, { ...base, method, params: p }).ys.reduce(
        (total, ys, b) => total + ys.reduce((s, x, j) => s + w[b][j] * x, 0),
        0,
      );
    // The discrete adjoint of tsit5 as the reference for every method (the gradients of the
    // exact solution agree to the tolerance).
    const recorded = solve(field, y0, { ...base, method: tsit5(), recordForAdjoint: true });
    const discrete = discreteAdjoint(field, recorded, recorded.method, params, w);
    const cases: [Method, ContinuousAdjointVariant, number][] = [
      [dopri5(), 'interpolated', 1e-8], // measured 6.4e-10
      [dopri5(), 'backsolve', 1e-6], // measured 2.2e-7
      [tsit5(), 'interpolated', 1e-8], // measured 2.8e-10
      [rodas5p(), 'interpolated', 1e-8], // measured 1.8e-10
    ];
    for (const [method, variant, bound] of cases) {
      const sol = solve(field, y0, { ...base, method });
      const g = continuousAdjoint(field, sol, { ...base, method, y0 }, w, variant);
      const got = [...g.params, ...g.y0];
      const ref = [...discrete.params, ...discrete.y0];
      const fdRef = got.map((_, k) => {
        const move = (s: number) => {
          const p = params.slice();
          const y = y0.slice();
          if (k < p.length) p[k] += s;
          else y[k - p.length] += s;
          return loss(method, y, p);
        };
        return fd(move, 1e-6);
      });
      const size = Math.max(...ref.map(Math.abs));
      got.forEach((x, k) => {
        const what = `${method.name} ${variant} entry ${k}`;
        expect(
          Math.abs(x - ref[k]) / Math.max(Math.abs(ref[k]), 1e-6 * size),
          `${what} vs discrete`,
        ).toBeLessThan(bound);
        expect(
          Math.abs(x - fdRef[k]) / Math.max(Math.abs(fdRef[k]), 1e-6 * size),
          `${what} vs FD`,
        ).toBeLessThan(1e-6);
      });
    }
  });

  it('rejects what it cannot differentiate, saying what to do instead', () => {
    const c = compileModel(pendulumModel());
    const field = modelField(c, { n: 1 });
    const params = c.model.defaultParams();
    const y0 = new Float64Array([0.5, 0]);
    const opts = { ...tight, t1: 1, params };
    const sol = solve(field, y0, opts);
    const bar = [new Float64Array(2)];
    expect(() => continuousAdjoint(field, sol, opts, bar, 'interpolated')).toThrow(/options\.y0/);
    expect(() => continuousAdjoint(field, sol, { ...opts, method: rodas5p() }, bar, 'backsolve')).toThrow(
      /rodas5p is for stiff problems.*use 'interpolated'/,
    );
    expect(() =>
      continuousAdjoint(field, sol, { ...opts, saveat: saveAt.steps() }, bar, 'backsolve'),
    ).toThrow(/saveAt\.times/);
  });
});
