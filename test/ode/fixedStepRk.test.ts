/**
 * The constant-step fast path of solve and discreteAdjoint (src/ode/fixedStepRk.ts) against
 * the general solve loop: bit-identical saved states, final states, counters, step records and
 * gradients on random problems, methods, step sizes, time spans and save points; failures
 * handed back to the general loop.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { discreteAdjoint } from '../../src/ode/adjoint.js';
import { constantSteps } from '../../src/ode/controller.js';
import type { VectorField } from '../../src/ode/field.js';
import type { Method } from '../../src/ode/method.js';
import { bosh3 } from '../../src/ode/methods/bosh3.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { euler } from '../../src/ode/methods/euler.js';
import { heun } from '../../src/ode/methods/heun.js';
import { midpoint } from '../../src/ode/methods/midpoint.js';
import { rk4 } from '../../src/ode/methods/rk4.js';
import { tsit5 } from '../../src/ode/methods/tsit5.js';
import { vern7 } from '../../src/ode/methods/vern7.js';
import { type SaveAt, type Solution, type SolveOptions, saveAt, solve } from '../../src/ode/solve.js';

const METHODS = [euler, midpoint, heun, rk4, bosh3, dopri5, tsit5, vern7];

/**
 * The same method hidden behind a plain object: not an ExplicitRungeKutta, so solve takes the
 * general loop (and the adjoint its general path), with the very same stepper and coefficients.
 */
function general(m: Method): Method {
  return {
    name: m.name,
    order: m.order,
    embeddedOrder: m.embeddedOrder,
    stiff: false,
    create: (field, n, tol) => m.create(field, n, tol),
    coefficients: m.coefficients,
  };
}

/**
 * A non-autonomous nonlinear field of dimension D with two parameters per trajectory:
 * fᵢ = p₀·sin(y₍ᵢ₊₁₎ mod D) − p₁·yᵢ + 0.3·cos(2t + i). It records its beginStep calls.
 */
function field(D: number): VectorField & { log: number[] } {
  const log: number[] = [];
  return {
    dim: D,
    nParams: 2,
    log,
    f(t, y, p, out, n, rows) {
      for (let q = 0; q < n; q++) {
        const b = rows === null ? q : rows[q];
        for (let i = 0; i < D; i++) {
          const j = (i + 1) % D;
          out[b * D + i] =
            p[2 * b] * Math.sin(y[b * D + j]) - p[2 * b + 1] * y[b * D + i] + 0.3 * Math.cos(2 * t[b] + i);
        }
      }
    },
    vjp(_t, y, p, ob, yb, pb, n, rows) {
      for (let q = 0; q < n; q++) {
        const b = rows === null ? q : rows[q];
        for (let i = 0; i < D; i++) yb[b * D + i] = -p[2 * b + 1] * ob[b * D + i];
        for (let i = 0; i < D; i++) {
          const j = (i + 1) % D;
          const g = ob[b * D + i];
          yb[b * D + j] += p[2 * b] * Math.cos(y[b * D + j]) * g;
          pb[2 * b] += Math.sin(y[b * D + j]) * g;
          pb[2 * b + 1] -= y[b * D + i] * g;
        }
      }
    },
    beginStep(tStart, tEnd, n, rows) {
      for (let q = 0; q < n; q++) {
        const b = rows === null ? q : rows[q];
        log.push(b, tStart[b], tEnd[b]);
      }
    },
  };
}

const bits = (a: ArrayLike<number>) => Array.from(a);

function expectSame(fast: Solution, slow: Solution): void {
  expect(fast.ts.map(bits)).toEqual(slow.ts.map(bits));
  expect(fast.ys.map(bits)).toEqual(slow.ys.map(bits));
  expect(bits(fast.yFinal)).toEqual(bits(slow.yFinal));
  expect(fast.stats).toEqual(slow.stats);
  expect(fast.status).toEqual(slow.status);
  expect(fast.failures).toEqual(slow.failures);
}

const problem = fc.record({
  method: fc.integer({ min: 0, max: METHODS.length - 1 }),
  D: fc.integer({ min: 1, max: 3 }),
  N: fc.integer({ min: 1, max: 4 }),
  dt: fc.double({ min: 0.02, max: 0.6, noNaN: true }),
  t0: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
  span: fc.array(fc.double({ min: 0, max: 2, noNaN: true }), { minLength: 4, maxLength: 4 }),
  sameSpan: fc.boolean(),
  saves: fc.constantFrom('shared', 'perRow', 'steps', 'final'),
  fractions: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
  seed: fc.integer({ min: 1, max: 1000 }),
});

describe('constant-step fast path', () => {
  it('solves and differentiates bit-identically to the general loop (random problems)', () => {
    fc.assert(
      fc.property(problem, (pr) => {
        const m = METHODS[pr.method]();
        const { D, N } = pr;
        const t0 = Float64Array.from({ length: N }, (_, b) => (pr.sameSpan ? pr.t0[0] : pr.t0[b]));
        const t1 = Float64Array.from(
          { length: N },
          (_, b) => t0[b] + (pr.sameSpan ? pr.span[0] : pr.span[b]),
        );
        // Save times inside each row's span, sorted, with the ends and a repeat now and then.
        const timesFor = (b: number) => {
          const ts = pr.fractions.map((f) => t0[b] + f * (t1[b] - t0[b]));
          if (pr.fractions.length > 2) ts.push(t1[b], ts[0]);
          return Float64Array.from(ts.sort((a, c) => a - c));
        };
        let saveat: SaveAt;
        if (pr.saves === 'steps') saveat = saveAt.steps();
        else if (pr.saves === 'final') saveat = saveAt.final();
        else if (pr.saves === 'shared' && pr.sameSpan) saveat = saveAt.times(timesFor(0));
        else saveat = saveAt.times(Array.from({ length: N }, (_, b) => timesFor(b)));
        let r = pr.seed;
        const rand = () => {
          r = (r * 16807) % 2147483647;
          return r / 2147483647 - 0.5;
        };
        const y0 = Float64Array.from({ length: N * D }, rand);
        const params = Float64Array.from({ length: N * 2 }, () => 1 + rand());
        const options: SolveOptions = {
          t0,
          t1,
          params,
          controller: constantSteps(pr.dt),
          saveat,
          recordForAdjoint: true,
        };
        const fFast = field(D);
        const fSlow = field(D);
        const fast = solve(fFast, y0, { ...options, method: m });
        const slow = solve(fSlow, y0, { ...options, method: general(m) });
        expectSame(fast, slow);
        expect(fFast.log).toEqual(fSlow.log);
        const fr = fast.records!;
        const sr = slow.records!;
        expect(fr.map((x) => [x.t, x.h, x.y, x.saveStep])).toEqual(
          sr.map((x) => [x.t, x.h, x.y, x.saveStep]),
        );
        const bar = slow.ys.map((ys) => Float64Array.from(ys, () => rand()));
        const gFast = discreteAdjoint(fFast, fast, m, params, bar);
        const gSlow = discreteAdjoint(fSlow, slow, m, params, bar);
        expect(bits(gFast.y0)).toEqual(bits(gSlow.y0));
        expect(bits(gFast.params)).toEqual(bits(gSlow.params));
        expect(gFast.doses.length).toBe(0);
        // The fast adjoint makes the same beginStep calls as the general one.
        expect(fFast.log).toEqual(fSlow.log);
      }),
      { numRuns: 150 },
    );
  });

  it("uses the recorded stages only for the solve's own field, coefficients and parameters", () => {
    const y0 = new Float64Array([0.3, -0.2, 0.5, 0.1]);
    const params = new Float64Array([1.2, 0.4, 0.8, 0.3]);
    const other = new Float64Array([1.1, 0.5, 0.7, 0.2]);
    const options: SolveOptions = {
      t1: new Float64Array([1, 1.3]),
      params,
      controller: constantSteps(0.07),
      saveat: saveAt.steps(),
      recordForAdjoint: true,
    };
    const f = field(2);
    const g = field(2);
    const fast = solve(f, y0, { ...options, method: rk4() });
    const slow = solve(g, y0, { ...options, method: general(rk4()) });
    const bar = slow.ys.map((ys) => ys.map((v, i) => v - 0.1 * i));
    // Another rk4() instance (equal coefficients), other parameters, another field object.
    const cases: [VectorField, Method, Float64Array][] = [
      [f, rk4(), params],
      [f, rk4(), other],
      [field(2), rk4(), params],
      [f, heun(), params],
    ];
    for (const [fld, m, p] of cases) {
      const a = discreteAdjoint(fld, fast, m, p, bar);
      const b = discreteAdjoint(fld, slow, m, p, bar);
      expect(bits(a.y0)).toEqual(bits(b.y0));
      expect(bits(a.params)).toEqual(bits(b.params));
    }
  });

  it('hands a non-finite state and too many steps back to the general loop', () => {
    const blowup: VectorField = {
      dim: 1,
      nParams: 0,
      f(_t, y, _p, out, n, rows) {
        for (let q = 0; q < n; q++) {
          const b = rows === null ? q : rows[q];
          out[b] = y[b] * y[b];
        }
      },
      vjp(_t, y, _p, ob, yb, _pb, n, rows) {
        for (let q = 0; q < n; q++) {
          const b = rows === null ? q : rows[q];
          yb[b] = 2 * y[b] * ob[b];
        }
      },
    };
    const y0 = new Float64Array([1, 0.1]);
    const options: SolveOptions = { t1: 2, controller: constantSteps(0.01), saveat: saveAt.steps() };
    for (const make of [rk4, tsit5]) {
      const fast = solve(blowup, y0, { ...options, method: make() });
      const slow = solve(blowup, y0, { ...options, method: general(make()) });
      expect(fast.status).toEqual(['nonFinite', 'success']);
      expectSame(fast, slow);
      const few = { ...options, maxSteps: 50, method: make() };
      const capped = solve(blowup, new Float64Array([0.1]), few);
      expect(capped.status).toEqual(['maxSteps']);
      expectSame(capped, solve(blowup, new Float64Array([0.1]), { ...few, method: general(make()) }));
    }
  });

  it('rebuilds a record that a later solve reused: same adjoint and records, bit for bit', () => {
    // solve A → adjoint A lets the next recorded solve B reuse A's record; asking for A's
    // adjoint or records again must rerun A's solve, not read B's values.
    const f = field(2);
    const options: SolveOptions = {
      method: rk4(),
      t1: 1.5,
      controller: constantSteps(0.1),
      saveat: saveAt.times(new Float64Array([0.5, 1, 1.5])),
      recordForAdjoint: true,
    };
    const y0 = new Float64Array([0.3, -0.2, 0.5, 0.1]);
    const pA = new Float64Array([1.2, 0.4, 0.8, 0.3]);
    const pB = new Float64Array([0.7, 0.9, 1.1, 0.2]);
    const bar = (sol: Solution) => sol.ys.map((ys) => ys.map((v) => 2 * v - 0.1));
    const a = solve(f, y0, { ...options, params: pA });
    const recordsA = structuredClone(a.records);
    const gA = discreteAdjoint(f, a, rk4(), pA, bar(a));
    const b = solve(f, new Float64Array([0.1, 0.4, -0.3, 0.2]), { ...options, params: pB });
    const gA2 = discreteAdjoint(f, a, rk4(), pA, bar(a));
    expect(Array.from(gA2.params)).toEqual(Array.from(gA.params));
    expect(Array.from(gA2.y0)).toEqual(Array.from(gA.y0));
    // B's record is A's rebuilt one no more: B's adjoint matches a solve of B alone.
    const gB = discreteAdjoint(f, b, rk4(), pB, bar(b));
    const bAlone = solve(field(2), new Float64Array([0.1, 0.4, -0.3, 0.2]), { ...options, params: pB });
    const gBAlone = discreteAdjoint(field(2), bAlone, rk4(), pB, bar(bAlone));
    expect(Array.from(gB.params)).toEqual(Array.from(gBAlone.params));
    // Records first asked for after a later solve reused the memory: rebuilt, as A's.
    const r = solve(f, y0, { ...options, params: pA });
    discreteAdjoint(f, r, rk4(), pA, bar(r));
    solve(f, y0, { ...options, params: pB });
    expect(r.records).toEqual(recordsA);
  });

  it('keeps the gradient exact: discrete adjoint against central differences', () => {
    const f = field(2);
    const y0 = new Float64Array([0.3, -0.2, 0.5, 0.1]);
    const params = new Float64Array([1.2, 0.4, 0.8, 0.3]);
    const options: SolveOptions = {
      method: rk4(),
      t1: new Float64Array([1, 1.7]),
      controller: constantSteps(0.1),
      saveat: saveAt.times([new Float64Array([0.25, 1]), new Float64Array([0.5, 1.2, 1.7])]),
    };
    const loss = (p: Float64Array) =>
      solve(f, y0, { ...options, params: p }).ys.reduce(
        (acc, ys) => acc + ys.reduce((a, v) => a + v * v, 0),
        0,
      );
    const sol = solve(f, y0, { ...options, params, recordForAdjoint: true });
    const g = discreteAdjoint(
      f,
      sol,
      rk4(),
      params,
      sol.ys.map((ys) => ys.map((v) => 2 * v)),
    );
    for (let k = 0; k < params.length; k++) {
      const e = 1e-6;
      const up = Float64Array.from(params);
      const down = Float64Array.from(params);
      up[k] += e;
      down[k] -= e;
      const fd = (loss(up) - loss(down)) / (2 * e);
      expect(Math.abs(g.params[k] - fd)).toBeLessThan(1e-7 * Math.max(1, Math.abs(fd)));
    }
  });
});
