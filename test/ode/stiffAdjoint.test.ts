/**
 * The discrete adjoint of the stiff ESDIRK method kvaerno5 (implicit-function-theorem reverse
 * of the exactly solved stage equations) against central finite differences of the kvaerno5
 * solution and against forward sensitivities: Robertson's kinetics to t = 1e3 (a batch of
 * trajectories with different step sequences), the two-compartment PK model with repeated oral
 * doses and an infusion, checkpointed recording, and fixed coarse steps where the discrete
 * gradient differs from the exact one. Also the transposed LU solve it relies on.
 */
import { describe, expect, it } from 'vitest';
import { discreteAdjoint } from '../../src/ode/adjoint.js';
import { constantSteps, pid } from '../../src/ode/controller.js';
import { kvaerno5 } from '../../src/ode/esdirk.js';
import type { VectorField } from '../../src/ode/field.js';
import { forwardSensitivities, type SensitivityDirections } from '../../src/ode/forward.js';
import { luFactor, luSolveTransposed } from '../../src/ode/lu.js';
import { rodas5p } from '../../src/ode/rosenbrock.js';
import { type SolveOptions, saveAt, solve } from '../../src/ode/solve.js';
import { testRng } from '../support/fd.js';
import { repeatedDosePk } from '../support/pkScenario.js';
import { rober, vdpol } from '../support/problems.js';

/** Loss weights: w(b, j)·scale[state] for saved value j of trajectory b. */
function weights(sol: { ys: readonly Float64Array[] }, D: number, scale: readonly number[]): Float64Array[] {
  return sol.ys.map((ys, b) => ys.map((_, j) => Math.sin(1 + b + 0.7 * j) * scale[j % D]));
}

/** L = Σ_b Σ_j w(b, j)·ys[b][j]. */
function loss(ys: readonly Float64Array[], w: readonly Float64Array[]): number {
  let total = 0;
  ys.forEach((v, b) => {
    for (let j = 0; j < v.length; j++) total += w[b][j] * v[j];
  });
  return total;
}

interface Quantity {
  /** What is perturbed, for messages. */
  readonly name: string;
  /** Its value x (the comparison is of x·∂L/∂x, relative). */
  readonly value: number;
  /** Its typical size: the finite-difference step is 1e-6·max(|x|, size). */
  readonly size: number;
  /** The solve options with x moved by s. */
  readonly perturb: (s: number) => { y0: Float64Array; options: SolveOptions };
  /** ∂L/∂x from the discrete adjoint. */
  readonly adjoint: number;
  /** ∂L/∂x from forward sensitivities (null: not available, e.g. infusion rates). */
  readonly forward: number | null;
}

/**
 * The discrete adjoint of a kvaerno5 solve, forward sensitivities for the given directions,
 * and every parameter, initial state and dose as a {@link Quantity}.
 */
function quantities(
  field: VectorField,
  y0: Float64Array,
  options: SolveOptions,
  scale: readonly number[],
  directions: SensitivityDirections,
  stateSize: readonly number[] = [],
): { list: Quantity[]; w: Float64Array[] } {
  const D = field.dim;
  const P = field.nParams;
  const params = options.params ?? new Float64Array(0);
  const doses = options.doses ?? [];
  const sol = solve(field, y0, { ...options, recordForAdjoint: true });
  expect(sol.status.every((s) => s === 'success')).toBe(true);
  const w = weights(sol, D, scale);
  const g = discreteAdjoint(field, sol, sol.method, params, w);
  const fwd = forwardSensitivities(field, y0, options, directions);
  const K = fwd.directions.length;
  const viaForward = (b: number, k: number) => {
    const s = fwd.sensitivities[b];
    let total = 0;
    for (let j = 0; j < s.length / K; j++) total += w[b][j] * s[j * K + k];
    return total;
  };
  const N = sol.n;
  const list: Quantity[] = [];
  for (let b = 0; b < N; b++) {
    for (let k = 0; k < P; k++) {
      const i = b * P + k;
      const d = fwd.directions.findIndex((x) => x.kind === 'param' && x.index === k);
      list.push({
        name: `trajectory ${b} parameter ${k}`,
        value: params[i],
        size: 1,
        perturb: (s) => {
          const q = params.slice();
          q[i] += s;
          return { y0, options: { ...options, params: q } };
        },
        adjoint: g.params[i],
        forward: d < 0 ? null : viaForward(b, d),
      });
    }
    for (let k = 0; k < D; k++) {
      const i = b * D + k;
      const d = fwd.directions.findIndex((x) => x.kind === 'y0' && x.index === k);
      list.push({
        name: `trajectory ${b} y0[${k}]`,
        value: y0[i],
        size: stateSize[k] ?? 1,
        perturb: (s) => {
          const y = y0.slice();
          y[i] += s;
          return { y0: y, options };
        },
        adjoint: g.y0[i],
        forward: d < 0 ? null : viaForward(b, d),
      });
    }
  }
  doses.forEach((dose, i) => {
    const d = fwd.directions.findIndex((x) => x.kind === 'dose' && x.index === i);
    const value = dose.kind === 'bolus' ? dose.amount : dose.rate;
    list.push({
      name: `dose ${i} (${dose.kind})`,
      value,
      size: 1,
      perturb: (s) => ({
        y0,
        options: {
          ...options,
          doses: doses.map((x, j) =>
            j !== i ? x : x.kind === 'bolus' ? { ...x, amount: x.amount + s } : { ...x, rate: x.rate + s },
          ),
        },
      }),
      adjoint: g.doses[i],
      forward: d < 0 ? null : viaForward(dose.trajectory, d),
    });
  });
  return { list, w };
}

/**
 * Worst disagreement of x·∂L/∂x between the adjoint and central differences (step
 * 1e-6·max(|x|, size)) and between the adjoint and forward sensitivities, with x replaced by
 * max(|x|, size), relative to the largest such product (so that a gradient that is nearly zero
 * is not held to its own size).
 */
function worst(field: VectorField, list: readonly Quantity[], w: readonly Float64Array[]) {
  const size = Math.max(...list.map((q) => Math.max(Math.abs(q.value), q.size) * Math.abs(q.adjoint)));
  let fd = 0;
  let forward = 0;
  for (const q of list) {
    const x = Math.max(Math.abs(q.value), q.size);
    const h = 1e-6 * x;
    const at = (s: number) => {
      const { y0, options } = q.perturb(s);
      return loss(solve(field, y0, options).ys, w);
    };
    const central = (at(h) - at(-h)) / (2 * h);
    const e = (Math.abs(q.adjoint - central) * x) / Math.max(Math.abs(central) * x, 1e-6 * size);
    fd = Math.max(fd, e);
    expect(e, `${q.name}: adjoint ${q.adjoint}, finite differences ${central}`).toBeLessThan(1e-5);
    if (q.forward !== null) {
      const f = (Math.abs(q.adjoint - q.forward) * x) / Math.max(Math.abs(q.forward) * x, 1e-6 * size);
      forward = Math.max(forward, f);
    }
  }
  return { fd, forward };
}

const tight = { rtol: 1e-10, atol: 1e-14 };

describe('luSolveTransposed', () => {
  it('solves Aᵀx = b with a pivoted factorization of A', () => {
    const rng = testRng(11);
    for (const d of [1, 2, 3, 7, 12]) {
      const a = Float64Array.from({ length: d * d }, () => 2 * rng() - 1);
      const lu = a.slice();
      const piv = new Int32Array(d);
      expect(luFactor(lu, 0, d, piv, 0)).toBe(0);
      const x = Float64Array.from({ length: d }, () => 2 * rng() - 1);
      // b = Aᵀx, then solve it back.
      const b = new Float64Array(d);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) b[i] += a[j * d + i] * x[j];
      luSolveTransposed(lu, 0, d, piv, 0, b, 0);
      for (let i = 0; i < d; i++) expect(Math.abs(b[i] - x[i])).toBeLessThan(1e3 * d * Number.EPSILON);
    }
  });
});

describe('discrete adjoint of kvaerno5', () => {
  it("Robertson's kinetics to t = 1e3, a batch of three with different step sequences", () => {
    const prob = rober();
    const p = prob.p;
    const params = new Float64Array([
      ...p,
      ...p.map((v) => 1.3 * v),
      ...p.map((v, k) => v * (k === 1 ? 0.2 : 1)),
    ]);
    const y0 = new Float64Array([1, 0, 0, 0.9, 1e-6, 0.1, 0.99, 0, 0.01]);
    const options: SolveOptions = {
      method: kvaerno5(tight),
      t1: 1e3,
      params,
      // A fixed first step: the automatic one depends on |y0| against atol, so that finite
      // differences of a zero initial state would see a different step sequence.
      controller: pid({ ...tight, h0: 1e-7 }),
      saveat: saveAt.times(Float64Array.from([1e-3, 0.1, 1, 10, 100, 1e3])),
    };
    const steps = solve(prob.field, y0, { ...options, recordForAdjoint: true }).records!.map(
      (r) => r.t.length,
    );
    expect(new Set(steps).size).toBe(3);
    // Finite-difference steps by state: y₂ lives at 1e-5; y₃(0) = 0 sits on the kink of the
    // error weights atol + rtol·|y₃|, where steps of 1e-6 change the step sequence (noise of
    // 1e-5 relative), so it gets a step of 1e-4, across which L is still nearly linear.
    const { list, w } = quantities(
      prob.field,
      y0,
      options,
      [1, 1e4, 1],
      { params: [0, 1, 2], y0: [0, 1, 2] },
      [1, 1e-4, 100],
    );
    const e = worst(prob.field, list, w);
    expect(e.fd).toBeLessThan(1e-5); // measured 1.2e-6
    expect(e.forward).toBeLessThan(1e-7); // measured 1.5e-8
  });

  it("Robertson's kinetics to t = 1e11 agree with forward sensitivities", () => {
    const prob = rober();
    const p = Float64Array.from(prob.p);
    const y0 = new Float64Array([1, 0, 0]);
    const tol = { rtol: 1e-9, atol: 1e-14 };
    const options: SolveOptions = {
      method: kvaerno5(tol),
      t1: 1e11,
      params: p,
      controller: pid(tol),
      saveat: saveAt.times(Float64Array.from({ length: 12 }, (_, i) => 10 ** (i - 1))),
    };
    const sol = solve(prob.field, y0, { ...options, recordForAdjoint: true });
    const w = weights(sol, 3, [1, 1e4, 1]);
    const g = discreteAdjoint(prob.field, sol, sol.method, p, w);
    const fwd = forwardSensitivities(prob.field, y0, options, { params: [0, 1, 2], y0: [0, 1, 2] });
    const viaForward = (k: number) => w[0].reduce((s, v, j) => s + v * fwd.sensitivities[0][j * 6 + k], 0);
    const adjoint = [...Array.from(g.params, (v, k) => v * p[k]), ...g.y0];
    const forward = [0, 1, 2, 3, 4, 5].map((k) => viaForward(k) * (k < 3 ? p[k] : 1));
    const size = Math.max(...forward.map(Math.abs));
    adjoint.forEach((v, k) => {
      const e = Math.abs(v - forward[k]) / Math.max(Math.abs(forward[k]), 1e-6 * size);
      expect(e, `direction ${k}`).toBeLessThan(1e-7); // measured ≤ 7e-9
    });
    // And the parameters against central differences of the same solve (p·∂L/∂p).
    for (let k = 0; k < 3; k++) {
      const at = (s: number) => {
        const q = p.slice();
        q[k] *= 1 + s;
        return loss(solve(prob.field, y0, { ...options, params: q }).ys, w);
      };
      const central = (at(1e-6) - at(-1e-6)) / 2e-6;
      expect(Math.abs(adjoint[k] - central) / Math.abs(central), `k${k + 1}`).toBeLessThan(1e-5); // measured ≤ 3e-7
    }
  });

  it('the two-compartment PK model with repeated oral doses and an infusion (dose amounts and rate)', () => {
    const { field, params, y0, doses } = repeatedDosePk();
    const options: SolveOptions = {
      method: kvaerno5(tight),
      t1: 24,
      params,
      controller: pid(tight),
      saveat: saveAt.times(Float64Array.from({ length: 12 }, (_, i) => 2 * (i + 1))),
      doses,
    };
    const { list, w } = quantities(field, y0, options, [1, 1, 1], {
      params: [0, 1, 2, 3, 4],
      y0: [1],
      doses: [0, 2, 5],
    });
    const e = worst(field, list, w);
    expect(e.fd).toBeLessThan(1e-5); // measured 2.4e-6
    expect(e.forward).toBeLessThan(1e-8); // measured 3.5e-10
  });

  it('checkpointed recording gives the same gradient', () => {
    const { field, params, y0, doses } = repeatedDosePk();
    const options: SolveOptions = {
      method: kvaerno5(tight),
      t1: 24,
      params,
      controller: pid(tight),
      saveat: saveAt.times(Float64Array.from({ length: 12 }, (_, i) => 2 * (i + 1))),
      doses,
    };
    const full = solve(field, y0, { ...options, recordForAdjoint: true });
    const w = weights(full, field.dim, [1, 1, 1]);
    const a = discreteAdjoint(field, full, full.method, params, w);
    for (const checkpoints of [3, 'sqrt'] as const) {
      const ck = solve(field, y0, { ...options, recordForAdjoint: { checkpoints } });
      expect(ck.records!.every((r) => r.checkpointSteps.length < r.t.length)).toBe(true);
      const b = discreteAdjoint(field, ck, ck.method, params, w);
      for (const [x, y] of [
        [a.params, b.params],
        [a.y0, b.y0],
        [a.doses, b.doses],
      ]) {
        x.forEach((v, i) => {
          expect(Math.abs(v - y[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(v)));
        });
      }
    }
  });

  it('is the gradient of the computed solution: fixed coarse steps on Van der Pol', () => {
    // With the steps fixed, the discrete gradient differs from the exact one by about the
    // global error (2e-6 here); the discrete adjoint agrees with differences of the same scheme
    // a hundred times more closely. (Coarser steps or stiffer ε make kvaerno5's Newton
    // iteration fail at this tight tolerance, which constant steps cannot recover from.)
    const prob = vdpol();
    const y0 = Float64Array.from(prob.y0);
    const params = new Float64Array([0.1]);
    const options: SolveOptions = {
      method: kvaerno5({ rtol: 1e-13, atol: 1e-13 }),
      t1: 1,
      params,
      controller: constantSteps(0.02),
      saveat: saveAt.times(Float64Array.from([0.2, 0.5, 1])),
    };
    const { list, w } = quantities(prob.field, y0, options, [1, 1], { params: [0], y0: [0, 1] });
    const e = worst(prob.field, list, w);
    expect(e.fd).toBeLessThan(1e-7);
    // Forward sensitivities through the same fixed steps are the same discrete derivative.
    expect(e.forward).toBeLessThan(1e-10);
    // The exact gradient (forward sensitivities at a tight tolerance) is measurably different.
    const exact = quantities(
      prob.field,
      y0,
      {
        ...options,
        controller: pid({ rtol: 1e-12, atol: 1e-12 }),
        method: kvaerno5({ rtol: 1e-12, atol: 1e-12 }),
      },
      [1, 1],
      { params: [0], y0: [0, 1] },
    ).list;
    const gap = Math.max(
      ...list.map((q, k) => Math.abs(q.adjoint - exact[k].adjoint) / Math.abs(exact[k].adjoint)),
    );
    expect(gap).toBeGreaterThan(1e-6);
  });

  it('rejects Rosenbrock methods with the alternatives', () => {
    const prob = rober();
    const sol = solve(prob.field, new Float64Array([1, 0, 0]), {
      method: rodas5p(),
      t1: 1,
      params: Float64Array.from(prob.p),
      recordForAdjoint: true,
    });
    const bar = [new Float64Array(3)];
    expect(() => discreteAdjoint(prob.field, sol, sol.method, Float64Array.from(prob.p), bar)).toThrow(
      /rodas5p .*kvaerno5\(\).*forwardSensitivities/,
    );
  });
});
