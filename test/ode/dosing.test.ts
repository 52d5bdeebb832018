/**
 * Doses: boluses and infusions against closed-form pharmacokinetics, the convention at dose
 * times, and discrete-adjoint gradients (parameters, initial state, dose amounts) against
 * finite differences for a two-compartment model with repeated oral doses.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../src/expr/compile.js';
import { pkOneCompartmentModel } from '../../src/models/index.js';
import { discreteAdjoint } from '../../src/ode/adjoint.js';
import { pid } from '../../src/ode/controller.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { modelField } from '../../src/ode/modelField.js';
import { rodas5p } from '../../src/ode/rosenbrock.js';
import { type Dose, saveAt, solve } from '../../src/ode/solve.js';
import { repeatedDosePk } from '../support/pkScenario.js';

describe('doses', () => {
  const c = compileModel(pkOneCompartmentModel());
  const field = modelField(c, { n: 1 });
  const p = c.model.defaultParams(); // ka, CL, V, add_sd, prop_sd
  const [ka, CL, V] = [p[0], p[1], p[2]];
  const ke = CL / V;

  /** Central amount after oral boluses (Bateman) and an IV infusion (closed forms, superposed). */
  function exact(t: number, doses: readonly Dose[]): number {
    let a = 0;
    for (const d of doses) {
      if (t <= d.time) continue;
      const s = t - d.time;
      if (d.kind === 'bolus') a += (d.amount * ka * (Math.exp(-ke * s) - Math.exp(-ka * s))) / (ka - ke);
      else {
        const on = Math.min(s, d.duration);
        a += (d.rate / ke) * (1 - Math.exp(-ke * on)) * Math.exp(-ke * (s - on));
      }
    }
    return a;
  }

  const doses: Dose[] = [
    { kind: 'bolus', trajectory: 0, time: 0, state: 0, amount: 100 },
    { kind: 'bolus', trajectory: 0, time: 12, state: 0, amount: 100 },
    { kind: 'bolus', trajectory: 0, time: 24, state: 0, amount: 50 },
    { kind: 'infusion', trajectory: 0, time: 30, state: 1, rate: 20, duration: 2.5 },
  ];
  const times = Float64Array.from({ length: 48 }, (_, i) => i + 0.5);

  for (const method of [dopri5(), rodas5p()]) {
    it(`boluses and an infusion match the closed form (${method.name})`, () => {
      const sol = solve(field, new Float64Array(2), {
        method,
        t1: 48,
        params: p,
        controller: pid({ rtol: 1e-10, atol: 1e-10 }),
        saveat: saveAt.times(times),
        doses,
      });
      times.forEach((t, i) => {
        expect(Math.abs(sol.ys[0][2 * i + 1] - exact(t, doses))).toBeLessThan(1e-6);
      });
    });
  }

  it('a save at a dose time sees the state before the dose', () => {
    const sol = solve(field, new Float64Array(2), {
      method: dopri5(),
      t1: 13,
      params: p,
      saveat: saveAt.times(new Float64Array([0, 12, 13])),
      doses: doses.slice(0, 2),
      controller: pid({ rtol: 1e-10, atol: 1e-10 }),
    });
    expect(sol.ys[0][0]).toBe(0); // depot at t = 0, before the first dose
    expect(sol.ys[0][2]).toBeCloseTo(100 * Math.exp(-ka * 12), 6); // depot at 12, before the second dose
    expect(sol.ys[0][4]).toBeCloseTo(100 * Math.exp(-ka * 13) + 100 * Math.exp(-ka), 6);
  });

  it('every kind of save sees the pre-dose state, also at t0 and t1', () => {
    const ds: Dose[] = [
      { kind: 'bolus', trajectory: 0, time: 0, state: 0, amount: 10 },
      { kind: 'bolus', trajectory: 0, time: 2, state: 0, amount: 10 },
    ];
    const run = (saveat: ReturnType<typeof saveAt.final>) =>
      solve(field, new Float64Array(2), {
        method: dopri5(),
        t1: 2,
        params: p,
        saveat,
        doses: ds,
        recordForAdjoint: true,
      });
    const fin = run(saveAt.final());
    const steps = run(saveAt.steps());
    expect(Array.from(fin.ts[0])).toEqual([2]);
    expect(fin.ys[0][0]).toBeCloseTo(10 * Math.exp(-2 * ka), 6); // before the dose at t1
    expect(steps.ys[0][0]).toBe(0); // at t0, before the dose at t0
    const last = steps.ys[0].length - 2;
    expect(steps.ys[0][last]).toBeCloseTo(10 * Math.exp(-2 * ka), 6);
    // The dose at t1 cannot change anything saved: its gradient is 0.
    const g = discreteAdjoint(field, fin, dopri5(), p, [new Float64Array([1, 1])]);
    expect(g.doses[1]).toBe(0);
    expect(g.doses[0]).not.toBe(0);
  });

  it('rejects doses that cannot be given', () => {
    const bad = (d: Dose) => () =>
      solve(field, new Float64Array(2), { method: dopri5(), t1: 1, params: p, doses: [d] });
    expect(bad({ kind: 'bolus', trajectory: 1, time: 0, state: 0, amount: 1 })).toThrow(
      /dose 0 is for trajectory 1, but there are 1/,
    );
    expect(bad({ kind: 'bolus', trajectory: 0, time: 0, state: 5, amount: 1 })).toThrow(/targets state 5/);
    expect(bad({ kind: 'bolus', trajectory: 0, time: 2, state: 0, amount: 1 })).toThrow(/outside \[t0, t1\]/);
    expect(bad({ kind: 'infusion', trajectory: 0, time: 0, state: 1, rate: 1, duration: 0 })).toThrow(
      /positive duration/,
    );
  });
});

describe('gradients through repeated oral doses (two-compartment PK)', () => {
  it('discrete adjoint = finite differences for parameters, initial state and dose amounts', () => {
    const { field, params, y0, doses } = repeatedDosePk();
    const N = 2;
    const times = Float64Array.from({ length: 12 }, (_, i) => 2 * (i + 1));
    const opts = {
      method: dopri5(),
      t1: 24,
      controller: pid({ rtol: 1e-11, atol: 1e-11 }),
      saveat: saveAt.times(times),
    };
    const w = (b: number, j: number) => Math.cos(0.3 * j + b);
    const loss = (y: Float64Array, p: Float64Array, ds: Dose[]) => {
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
    const g = discreteAdjoint(
      field,
      sol,
      opts.method,
      params,
      sol.ys.map((ys, b) => ys.map((_, j) => w(b, j))),
    );
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-6, Math.abs(b));
    const fd = (f: (s: number) => number, h: number) => (f(h) - f(-h)) / (2 * h);
    for (let i = 0; i < 5; i++) {
      // ka, CL, V1, Q, V2 of trajectory 0 and of trajectory 1
      for (const k of [i, params.length / 2 + i]) {
        const d = fd((s) => {
          const q = params.slice();
          q[k] += s;
          return loss(y0, q, doses);
        }, 1e-6 * Math.abs(params[k]));
        expect(rel(g.params[k], d), `param ${k}`).toBeLessThan(1e-5);
      }
    }
    for (let k = 0; k < y0.length; k++) {
      const d = fd((s) => {
        const y = y0.slice();
        y[k] += s;
        return loss(y, params, doses);
      }, 1e-4);
      expect(rel(g.y0[k], d), `y0 ${k}`).toBeLessThan(1e-5);
    }
    doses.forEach((dose, k) => {
      // ∂L/∂amount for boluses, ∂L/∂rate for the infusion.
      const d = fd(
        (s) =>
          loss(
            y0,
            params,
            doses.map((x, j) =>
              j !== k ? x : x.kind === 'bolus' ? { ...x, amount: x.amount + s } : { ...x, rate: x.rate + s },
            ),
          ),
        1e-3,
      );
      expect(rel(g.doses[k], d), `dose ${k} (${dose.kind})`).toBeLessThan(1e-5);
    });
  });
});
