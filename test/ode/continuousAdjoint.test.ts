/**
 * The continuous adjoint (backsolve and interpolated) against the discrete adjoint and central
 * finite differences: the pendulum and Lotka–Volterra (conservative enough for backsolve), and
 * a two-compartment PK model with repeated oral doses and an infusion (gradients of the dose
 * amounts included).
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../src/expr/compile.js';
import { lotkaVolterraModel, pendulumModel } from '../../src/models/index.js';
import { type AdjointGradients, discreteAdjoint } from '../../src/ode/adjoint.js';
import { type ContinuousAdjointVariant, continuousAdjoint } from '../../src/ode/continuousAdjoint.js';
import { pid } from '../../src/ode/controller.js';
import type { VectorField } from '../../src/ode/field.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { modelField } from '../../src/ode/modelField.js';
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
  const fdDoses = doses.map((dose, k) =>
    dose.kind !== 'bolus'
      ? 0
      : fd(
          (s) =>
            loss(
              y0,
              params,
              doses.map((x, j) => (j === k && x.kind === 'bolus' ? { ...x, amount: x.amount + s } : x)),
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
    // Bolus amounts only: the continuous adjoint does not give infusion-rate gradients (0 there).
    const boluses = (a: Float64Array) => a.map((v, k) => (doses[k].kind === 'bolus' ? v : 0));
    compare('dose', boluses(g.doses), fdDoses, boluses(discrete.doses));
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
      /explicit method/,
    );
    expect(() =>
      continuousAdjoint(field, sol, { ...opts, saveat: saveAt.steps() }, bar, 'backsolve'),
    ).toThrow(/saveAt\.times/);
  });
});
