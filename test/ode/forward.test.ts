/**
 * Forward sensitivities against central finite differences and against the discrete adjoint
 * (⟨w, S·e_k⟩ = the adjoint's gradient component) on the pendulum, Lotka–Volterra, a
 * two-compartment PK model with repeated oral doses (including dose amounts) and Robertson's
 * stiff kinetics with rodas5p and kvaerno5.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../src/expr/compile.js';
import { lotkaVolterraModel, pendulumModel } from '../../src/models/index.js';
import { discreteAdjoint } from '../../src/ode/adjoint.js';
import { pid } from '../../src/ode/controller.js';
import { kvaerno5 } from '../../src/ode/esdirk.js';
import type { VectorField } from '../../src/ode/field.js';
import { forwardSensitivities, type SensitivityDirections } from '../../src/ode/forward.js';
import type { Method } from '../../src/ode/method.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { tsit5 } from '../../src/ode/methods/tsit5.js';
import { vern7 } from '../../src/ode/methods/vern7.js';
import { modelField } from '../../src/ode/modelField.js';
import { rodas5p } from '../../src/ode/rosenbrock.js';
import { type SolveOptions, saveAt, solve } from '../../src/ode/solve.js';
import { repeatedDosePk } from '../support/pkScenario.js';
import { rober } from '../support/problems.js';

interface Case {
  field: VectorField;
  y0: Float64Array;
  options: SolveOptions;
  directions: SensitivityDirections;
  /** Central-difference step for a value x of the perturbed quantity. */
  fdStep: (x: number) => number;
}

/** Loss weights on the saved values: w(b, j) for value j of trajectory b. */
const weight = (b: number, j: number) => Math.sin(1 + b + 0.7 * j);

/** Σ_j w(b, j)·ys[b][j] for each trajectory b. */
function losses(ys: readonly Float64Array[]): number[] {
  return ys.map((v, b) => v.reduce((s, x, j) => s + weight(b, j) * x, 0));
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-6, Math.abs(b));

/**
 * The forward gradients ⟨w, S_k⟩ per trajectory and direction, the central finite
 * differences of the same loss, and (for explicit methods and kvaerno5) the discrete adjoint's
 * gradients. Returns the worst relative disagreements (adjoint: null without a discrete adjoint).
 */
function compare(c: Case): { fd: number; adjoint: number | null; states: number } {
  const { field, y0, options, directions } = c;
  const D = field.dim;
  const P = field.nParams;
  const N = y0.length / D;
  const params = options.params ?? new Float64Array(0);
  const doses = options.doses ?? [];
  const r = forwardSensitivities(field, y0, options, directions);
  const K = r.directions.length;
  expect(r.solution.status.every((s) => s === 'success')).toBe(true);
  const plain = solve(field, y0, {
    ...options,
    // Explicit methods and kvaerno5 have a discrete adjoint; the Rosenbrock methods do not.
    recordForAdjoint:
      options.method === undefined ||
      options.method.coefficients !== undefined ||
      options.method.implicitCoefficients !== undefined,
  });
  // The states agree with a plain solve to the tolerance (the steps differ).
  let states = 0;
  plain.ys.forEach((ys, b) => {
    ys.forEach((v, j) => {
      states = Math.max(states, Math.abs(v - r.solution.ys[b][j]) / Math.max(1, Math.abs(v)));
    });
  });
  // ∂L_b/∂θ_k by the forward sensitivities.
  const forward = (b: number, k: number) => {
    const s = r.sensitivities[b];
    let total = 0;
    for (let j = 0; j < s.length / K; j++) total += weight(b, j) * s[j * K + k];
    return total;
  };
  const g =
    plain.records === null
      ? null
      : discreteAdjoint(
          field,
          plain,
          plain.method,
          params,
          plain.ys.map((ys, b) => ys.map((_, j) => weight(b, j))),
        );
  const central = (x: number, perturbed: (s: number) => number) => {
    const h = c.fdStep(x);
    return (perturbed(h) - perturbed(-h)) / (2 * h);
  };
  let fd = 0;
  let adjoint = 0;
  r.directions.forEach((d, k) => {
    for (let b = 0; b < N; b++) {
      let reference: number;
      let adj: number | null = null;
      // The perturbed quantity's value x: compare x·∂L/∂x (the logarithmic sensitivity), so
      // that a rate constant of 3e7 is held to the same relative standard as one of 0.04.
      let x: number;
      if (d.kind === 'param') {
        const i = b * P + d.index;
        x = params[i];
        reference = central(params[i], (s) => {
          const q = params.slice();
          q[i] += s;
          return losses(solve(field, y0, { ...options, params: q }).ys)[b];
        });
        if (g !== null) adj = g.params[i];
      } else if (d.kind === 'y0') {
        const i = b * D + d.index;
        x = y0[i];
        reference = central(y0[i], (s) => {
          const y = y0.slice();
          y[i] += s;
          return losses(solve(field, y, options).ys)[b];
        });
        if (g !== null) adj = g.y0[i];
      } else {
        const dose = doses[d.index];
        if (dose.kind !== 'bolus') throw new Error('test: dose directions are boluses');
        if (dose.trajectory !== b) {
          expect(r.sensitivities[b].every((v, j) => j % K !== k || v === 0)).toBe(true);
          continue;
        }
        x = dose.amount;
        reference = central(dose.amount, (s) => {
          const ds = doses.map((x, j) => (j === d.index ? { ...dose, amount: dose.amount + s } : x));
          return losses(solve(field, y0, { ...options, doses: ds }).ys)[b];
        });
        if (g !== null) adj = g.doses[d.index];
      }
      const scale = Math.max(Math.abs(x), 1);
      const value = scale * forward(b, k);
      fd = Math.max(fd, rel(value, scale * reference));
      if (adj !== null) adjoint = Math.max(adjoint, rel(value, scale * adj));
    }
  });
  return { fd, adjoint: g === null ? null : adjoint, states };
}

const times = (count: number, dt: number) => Float64Array.from({ length: count }, (_, i) => dt * (i + 1));

describe('forward sensitivities', () => {
  it('agree with finite differences and the discrete adjoint on the damped pendulum (batch of 3)', () => {
    const c = compileModel(pendulumModel());
    const field = modelField(c, { n: 3 });
    const p = c.model.defaultParams();
    const params = Float64Array.from({ length: 3 * p.length }, (_, i) => p[i % p.length] * (1 + 0.1 * i));
    for (const method of [dopri5(), vern7()]) {
      const e = compare({
        field,
        y0: new Float64Array([0.5, 0, -0.8, 0.3, 1.2, -1]),
        options: {
          method,
          t1: 3,
          params,
          controller: pid({ rtol: 1e-11, atol: 1e-12 }),
          saveat: saveAt.times(times(10, 0.3)),
        },
        directions: { params: [0, 1], y0: [0, 1] },
        fdStep: (x) => 1e-6 * Math.max(Math.abs(x), 1),
      });
      expect(e.fd).toBeLessThan(1e-6);
      expect(e.adjoint).toBeLessThan(1e-8);
      expect(e.states).toBeLessThan(1e-8);
    }
  });

  it('agree with finite differences and the discrete adjoint on Lotka–Volterra', () => {
    const c = compileModel(lotkaVolterraModel());
    const field = modelField(c, { n: 2 });
    const p = c.model.defaultParams();
    const e = compare({
      field,
      y0: new Float64Array([0.44249296, 4.6280594, 1, 2]),
      options: {
        method: tsit5(),
        t1: 5,
        params: new Float64Array([...p, ...p.map((v) => v * 1.1)]),
        controller: pid({ rtol: 1e-11, atol: 1e-12 }),
        saveat: saveAt.times(times(20, 0.25)),
      },
      directions: { params: [0, 1, 2, 3], y0: [1] },
      fdStep: (x) => 1e-6 * Math.max(Math.abs(x), 1),
    });
    expect(e.fd).toBeLessThan(1e-6);
    expect(e.adjoint).toBeLessThan(1e-8);
  });

  it('follow repeated oral doses in a two-compartment PK model, including dose amounts', () => {
    const { field, params, doses } = repeatedDosePk();
    const e = compare({
      field,
      y0: new Float64Array([0, 5, 0, 0, 0, 1]),
      options: {
        method: dopri5(),
        t1: 24,
        params,
        controller: pid({ rtol: 1e-11, atol: 1e-11 }),
        saveat: saveAt.times(times(12, 2)),
        doses,
      },
      // ka, CL, V1, Q, V2; the central amount; the first dose (t = 0), a later one of each row.
      directions: { params: [0, 1, 2, 3, 4], y0: [1], doses: [0, 2, 5] },
      fdStep: (x) => 1e-6 * Math.max(Math.abs(x), 1),
    });
    expect(e.fd).toBeLessThan(1e-5);
    expect(e.adjoint).toBeLessThan(1e-8);
  });

  for (const method of [rodas5p(), kvaerno5({ rtol: 1e-10, atol: 1e-14 }), vern7()] as Method[]) {
    it(`agree with finite differences on Robertson's stiff kinetics to t = 40 (${method.name})`, () => {
      const prob = rober();
      const e = compare({
        field: prob.field,
        y0: new Float64Array([1, 0, 0, 1, 0, 0]),
        options: {
          method,
          t1: method.stiff ? 40 : 1,
          params: new Float64Array([...prob.p, ...prob.p.map((v) => 1.1 * v)]),
          controller: pid({ rtol: 1e-10, atol: 1e-14 }),
          saveat: saveAt.times(method.stiff ? times(8, 5) : times(4, 0.25)),
        },
        directions: { params: [0, 1, 2], y0: [0] },
        fdStep: (x) => 1e-6 * Math.max(Math.abs(x), 1),
      });
      expect(e.fd).toBeLessThan(1e-5);
      // The discrete adjoint of vern7 and kvaerno5 (measured 6e-13 and 3e-11); rodas5p has none.
      if (method.name === 'rodas5p') expect(e.adjoint).toBeNull();
      else expect(e.adjoint).toBeLessThan(1e-8);
    });
  }

  it('from rodas5p (approximate augmented Jacobian) match kvaerno5 (Newton converges regardless)', () => {
    const prob = rober();
    const run = (method: Method) => {
      const r = forwardSensitivities(
        prob.field,
        new Float64Array([1, 0, 0]),
        {
          method,
          t1: 40,
          params: prob.p,
          controller: pid({ rtol: 1e-10, atol: 1e-14 }),
          saveat: saveAt.times(times(8, 5)),
        },
        { params: [0, 1, 2] },
      );
      expect(r.solution.status).toEqual(['success']);
      expect(r.sensitivities[0].length).toBe(8 * 3 * 3);
      return r.sensitivities[0];
    };
    const a = run(rodas5p());
    const b = run(kvaerno5({ rtol: 1e-10, atol: 1e-14 }));
    // ∂y_j/∂k_i scaled by k_i, relative to the largest entry of its state row.
    let worst = 0;
    for (let r = 0; r < a.length / 3; r++) {
      const s = (m: Float64Array, i: number) => m[r * 3 + i] * prob.p[i];
      const size = Math.max(...[0, 1, 2].map((i) => Math.abs(s(b, i))));
      for (let i = 0; i < 3; i++) worst = Math.max(worst, Math.abs(s(a, i) - s(b, i)) / size);
    }
    expect(worst).toBeLessThan(1e-7);
  });

  it('reject what they cannot do, saying what to write instead', () => {
    const prob = rober();
    const base: SolveOptions = { method: dopri5(), t1: 1, params: prob.p };
    const y0 = new Float64Array([1, 0, 0]);
    expect(() => forwardSensitivities(prob.field, y0, base, {})).toThrow(/at least one direction/);
    expect(() => forwardSensitivities(prob.field, y0, base, { params: [3] })).toThrow(
      /directions.params has 3, but there are 3 parameters/,
    );
    const bad: SensitivityDirections & { param: number[] } = { param: [0] };
    expect(() => forwardSensitivities(prob.field, y0, base, bad)).toThrow(/unknown option "param"/);
    const { jvp: _, ...noJvp } = prob.field;
    expect(() => forwardSensitivities(noJvp, y0, base, { y0: [0] })).toThrow(/has no jvp/);
    expect(() =>
      forwardSensitivities(prob.field, y0, { ...base, recordForAdjoint: true }, { y0: [0] }),
    ).toThrow(/recordForAdjoint is not supported/);
  });
});
