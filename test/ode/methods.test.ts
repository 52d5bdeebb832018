/**
 * Explicit Runge–Kutta methods through the shared engine: empirical convergence orders of the
 * solution, the embedded solution and the dense output (fitted slopes of log error against
 * log step), batching (a row's results do not depend on the other rows, bit for bit), and the
 * work counters (first-same-as-last, reuse after rejection and reset, lazy extra stages).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ExplicitRungeKutta, explicitRungeKutta } from '../../src/ode/explicitRk.js';
import type { VectorField } from '../../src/ode/field.js';
import { bosh3 } from '../../src/ode/methods/bosh3.js';
import { dopri5 } from '../../src/ode/methods/dopri5.js';
import { euler } from '../../src/ode/methods/euler.js';
import { heun } from '../../src/ode/methods/heun.js';
import { midpoint } from '../../src/ode/methods/midpoint.js';
import { rk4 } from '../../src/ode/methods/rk4.js';
import { rk38 } from '../../src/ode/methods/rk38.js';
import { tsit5 } from '../../src/ode/methods/tsit5.js';
import { vern7 } from '../../src/ode/methods/vern7.js';
import { ButcherTableau } from '../../src/ode/tableau.js';

// The test problem, four states and two parameters per trajectory, with a known solution:
//   y₀' = −2p₀·t·y₀²            y₀(t) = 1/(1/y₀(0) + p₀t²)        (nonlinear, non-autonomous)
//   y₁' = p₁·y₁(1 − y₁)          y₁(t) = 1/(1 + (1/y₁(0) − 1)e^(−p₁t))   (logistic)
//   y₂' = y₃, y₃' = −y₂          a rotation
const D = 4;
const P = 2;

/** The test field; `seen` collects every row it is asked to evaluate. */
function testField(seen: Set<number> | null = null): VectorField {
  return {
    dim: D,
    nParams: P,
    f(t, y, p, out, n, rows) {
      for (let q = 0; q < n; q++) {
        const b = rows === null ? q : rows[q];
        seen?.add(b);
        const o = b * D;
        out[o] = -2 * p[b * P] * t[b] * y[o] * y[o];
        out[o + 1] = p[b * P + 1] * y[o + 1] * (1 - y[o + 1]);
        out[o + 2] = y[o + 3];
        out[o + 3] = -y[o + 2];
      }
    },
    vjp() {
      throw new Error('not needed');
    },
  };
}

function exact(t: number, y0: ArrayLike<number>, p: ArrayLike<number>, out: Float64Array): void {
  out[0] = 1 / (1 / y0[0] + p[0] * t * t);
  out[1] = 1 / (1 + (1 / y0[1] - 1) * Math.exp(-p[1] * t));
  out[2] = y0[2] * Math.cos(t) + y0[3] * Math.sin(t);
  out[3] = -y0[2] * Math.sin(t) + y0[3] * Math.cos(t);
}

const Y0 = [1, 0.2, 1, 0];
const PARAMS = [0.25, 1];
const T_END = 4;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Least-squares slope of log(err) against log(h). */
function slope(hs: readonly number[], errs: readonly number[]): number {
  const x = hs.map(Math.log);
  const y = errs.map(Math.log);
  const mx = x.reduce((s, v) => s + v, 0) / x.length;
  const my = y.reduce((s, v) => s + v, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxy / sxx;
}

type Mode = 'solution' | 'embedded' | 'dense';

/**
 * Fixed-step driver: M steps of size T/M from the known initial value. Returns the error at the
 * end ('solution'; 'embedded' propagates ŷ = y₁ − err instead), or the largest error of the dense
 * output at θ over all steps ('dense').
 */
function globalError(method: ExplicitRungeKutta, M: number, mode: Mode, theta = 0.3): number {
  const stepper = method.create(testField(), 1);
  const t = new Float64Array(1);
  const y = Float64Array.from(Y0);
  const p = Float64Array.from(PARAMS);
  const h = Float64Array.of(T_END / M);
  const yNew = new Float64Array(D);
  const err = new Float64Array(D);
  const rows = Int32Array.of(0);
  const want = new Float64Array(D);
  const got = new Float64Array(D);
  let worst = 0;
  for (let m = 0; m < M; m++) {
    stepper.attempt(t, y, p, h, yNew, err, 1, rows);
    stepper.accept(1, rows);
    if (mode === 'dense') {
      stepper.interpolate(0, theta, got, 0);
      exact(t[0] + theta * h[0], Y0, PARAMS, want);
      worst = Math.max(worst, maxAbsDiff(got, want));
    }
    t[0] = ((m + 1) * T_END) / M;
    for (let i = 0; i < D; i++) y[i] = mode === 'embedded' ? yNew[i] - err[i] : yNew[i];
    if (mode === 'embedded') stepper.reset(0);
  }
  if (mode === 'dense') return worst;
  exact(T_END, Y0, PARAMS, want);
  return maxAbsDiff(y, want);
}

/** One step of size h from the exact solution at t = 0.5: the error of the dense output at θ, or of err. */
function localError(method: ExplicitRungeKutta, h: number, what: 'dense' | 'estimate', theta = 0.3): number {
  const t0 = 0.5;
  const stepper = method.create(testField(), 1);
  const y = new Float64Array(D);
  exact(t0, Y0, PARAMS, y);
  const yNew = new Float64Array(D);
  const err = new Float64Array(D);
  stepper.attempt(
    Float64Array.of(t0),
    y,
    Float64Array.from(PARAMS),
    Float64Array.of(h),
    yNew,
    err,
    1,
    Int32Array.of(0),
  );
  if (what === 'estimate') return maxAbsDiff(err, new Float64Array(D));
  stepper.accept(1, Int32Array.of(0));
  const got = new Float64Array(D);
  const want = new Float64Array(D);
  stepper.interpolate(0, theta, got, 0);
  exact(t0 + theta * h, Y0, PARAMS, want);
  return maxAbsDiff(got, want);
}

interface Case {
  method: ExplicitRungeKutta;
  /** Step counts for the global tests (errors well above roundoff, asymptotic regime). */
  steps: number[];
  /** Step sizes for the one-step tests. */
  local: number[];
}

const cases: Case[] = [
  { method: euler(), steps: [100, 200, 400, 800, 1600], local: [0.2, 0.1, 0.05, 0.025] },
  { method: midpoint(), steps: [50, 100, 200, 400, 800], local: [0.2, 0.1, 0.05, 0.025] },
  { method: heun(), steps: [50, 100, 200, 400, 800], local: [0.2, 0.1, 0.05, 0.025] },
  { method: rk4(), steps: [20, 40, 80, 160, 320], local: [0.2, 0.1, 0.05, 0.025] },
  { method: rk38(), steps: [20, 40, 80, 160, 320], local: [0.2, 0.1, 0.05, 0.025] },
  { method: bosh3(), steps: [20, 40, 80, 160, 320], local: [0.2, 0.1, 0.05, 0.025] },
  { method: dopri5(), steps: [20, 40, 80, 160, 320], local: [0.4, 0.2, 0.1, 0.05] },
  { method: tsit5(), steps: [40, 80, 160, 320], local: [0.4, 0.2, 0.1, 0.05] },
  { method: vern7(), steps: [8, 11, 16, 23, 32], local: [0.8, 0.57, 0.4, 0.28] },
];

describe('empirical convergence orders (fitted slope of log error vs log h)', () => {
  for (const { method, steps, local } of cases) {
    const hs = steps.map((M) => T_END / M);
    it(`${method.name}: solution of order ${method.order}`, () => {
      const errs = steps.map((M) => globalError(method, M, 'solution'));
      expect(Math.min(...errs)).toBeGreaterThan(2e-14); // roundoff over these runs is below 1e-15
      expect(Math.abs(slope(hs, errs) - method.order)).toBeLessThan(0.3);
    });
    if (method.embeddedOrder > 0) {
      it(`${method.name}: embedded solution of order ${method.embeddedOrder}, estimate err = O(h^${method.embeddedOrder + 1})`, () => {
        const errs = steps.map((M) => globalError(method, M, 'embedded'));
        expect(Math.abs(slope(hs, errs) - method.embeddedOrder)).toBeLessThan(0.3);
        const est = local.map((h) => localError(method, h, 'estimate'));
        expect(Math.abs(slope(local, est) - (method.embeddedOrder + 1))).toBeLessThan(0.3);
      });
    }
    for (const theta of [0.3, 0.7]) {
      it(`${method.name}: dense output at θ = ${theta} of order ${method.denseOrder}`, () => {
        // Along a solve: global error min(p, p* + 1) ≥ p*.
        const errs = steps.map((M) => globalError(method, M, 'dense', theta));
        expect(slope(hs, errs)).toBeGreaterThan(method.denseOrder - 0.3);
        // On one step from the exact solution: local error O(h^(p* + 1)).
        const loc = local.map((h) => localError(method, h, 'dense', theta));
        expect(Math.abs(slope(local, loc) - (method.denseOrder + 1))).toBeLessThan(0.3);
      });
    }
  }
});

describe("Kutta's 3/8 rule", () => {
  it('takes the step written out in its formula (not the classical rule)', () => {
    const f = (t: number, y: Float64Array) => {
      const out = new Float64Array(D);
      testField().f(Float64Array.of(t), y, Float64Array.from(PARAMS), out, 1, null);
      return out;
    };
    const axpy = (y: Float64Array, h: number, terms: [number, Float64Array][]) =>
      y.map((v, i) => v + h * terms.reduce((s, [c, k]) => s + c * k[i], 0));
    const t0 = 0.5;
    const h = 0.3;
    const y = new Float64Array(D);
    exact(t0, Y0, PARAMS, y);
    const k1 = f(t0, y);
    const k2 = f(t0 + h / 3, axpy(y, h, [[1 / 3, k1]]));
    const k3 = f(
      t0 + (2 * h) / 3,
      axpy(y, h, [
        [-1 / 3, k1],
        [1, k2],
      ]),
    );
    const k4 = f(
      t0 + h,
      axpy(y, h, [
        [1, k1],
        [-1, k2],
        [1, k3],
      ]),
    );
    const want = axpy(y, h / 8, [
      [1, k1],
      [3, k2],
      [3, k3],
      [1, k4],
    ]);
    const got = new Float64Array(D);
    const classical = new Float64Array(D);
    for (const [method, out] of [
      [rk38(), got],
      [rk4(), classical],
    ] as const) {
      method
        .create(testField(), 1)
        .attempt(
          Float64Array.of(t0),
          y,
          Float64Array.from(PARAMS),
          Float64Array.of(h),
          out,
          new Float64Array(D),
          1,
          Int32Array.of(0),
        );
    }
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-15);
    expect(maxAbsDiff(classical, want)).toBeGreaterThan(1e-7);
  });
});

describe('dense output ends', () => {
  for (const { method } of cases) {
    it(`${method.name}: θ = 0 gives y and θ = 1 gives y₁ exactly`, () => {
      const stepper = method.create(testField(), 2);
      const y = Float64Array.from([...Y0, 0.5, 0.7, -0.3, 0.2]);
      const yNew = new Float64Array(2 * D);
      const err = new Float64Array(2 * D);
      const rows = Int32Array.of(1, 0);
      stepper.attempt(
        Float64Array.of(0, 0.3),
        y,
        Float64Array.of(0.25, 1, 0.5, 2),
        Float64Array.of(0.1, 0.2),
        yNew,
        err,
        2,
        rows,
      );
      stepper.accept(2, rows);
      const out = new Float64Array(3 * D);
      for (const b of [0, 1]) {
        stepper.interpolate(b, 0, out, D);
        expect(Array.from(out.subarray(D, 2 * D))).toEqual(Array.from(y.subarray(b * D, b * D + D)));
        stepper.interpolate(b, 1, out, 2 * D);
        expect(Array.from(out.subarray(2 * D))).toEqual(Array.from(yNew.subarray(b * D, b * D + D)));
      }
      expect(Array.from(out.subarray(0, D))).toEqual([0, 0, 0, 0]);
    });
  }
});

/** Runs `steps` attempt/accept rounds on the listed rows with per-row step sizes; records everything a caller can see. */
function runRows(
  method: ExplicitRungeKutta,
  N: number,
  rows: readonly number[],
  y0: Float64Array,
  p: Float64Array,
  h: Float64Array,
  steps: number,
  rejectFirst: boolean,
) {
  const seen = new Set<number>();
  const stepper = method.create(testField(seen), N);
  const t = new Float64Array(N).fill(0.1);
  const y = Float64Array.from(y0);
  const sentinel = -12345.678;
  const yNew = new Float64Array(N * D).fill(sentinel);
  const err = new Float64Array(N * D).fill(sentinel);
  const r = Int32Array.from(rows);
  const dense: number[] = [];
  const out = new Float64Array(D);
  for (let s = 0; s < steps; s++) {
    if (rejectFirst && s === 0) {
      const hBig = h.map((v) => 3 * v);
      stepper.attempt(t, y, p, hBig, yNew, err, r.length, r);
    }
    stepper.attempt(t, y, p, h, yNew, err, r.length, r);
    stepper.accept(r.length, r);
    for (const b of rows) {
      stepper.interpolate(b, 0.37, out, 0);
      dense.push(...out);
      t[b] += h[b];
      for (let i = 0; i < D; i++) y[b * D + i] = yNew[b * D + i];
    }
  }
  return { y, yNew, err, dense, seen, nfev: stepper.counters.nfev, sentinel };
}

describe('batching', () => {
  const methods = cases.map((c) => c.method);
  it('a row gives bit-identical results alone or among others, in any order; unlisted rows are untouched', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: methods.length - 1 }),
        fc.integer({ min: 1, max: 6 }).chain((N) =>
          fc.record({
            N: fc.constant(N),
            rows: fc.shuffledSubarray(
              Array.from({ length: N }, (_, b) => b),
              { minLength: 1 },
            ),
            y0: fc.array(fc.double({ min: 0.1, max: 0.9, noNaN: true }), {
              minLength: N * D,
              maxLength: N * D,
            }),
            p: fc.array(fc.double({ min: 0, max: 2, noNaN: true }), { minLength: N * P, maxLength: N * P }),
            h: fc.array(fc.double({ min: 0.01, max: 0.3, noNaN: true }), { minLength: N, maxLength: N }),
          }),
        ),
        fc.boolean(),
        (m, { N, rows, y0, p, h }, rejectFirst) => {
          const method = methods[m];
          const Y = Float64Array.from(y0);
          const Pm = Float64Array.from(p);
          const H = Float64Array.from(h);
          const all = runRows(method, N, rows, Y, Pm, H, 3, rejectFirst);
          // Only listed rows are evaluated; the others keep their outputs and states.
          expect([...all.seen].every((b) => rows.includes(b))).toBe(true);
          for (let b = 0; b < N; b++) {
            if (rows.includes(b)) continue;
            for (let i = 0; i < D; i++) {
              expect(all.yNew[b * D + i]).toBe(all.sentinel);
              expect(all.err[b * D + i]).toBe(all.sentinel);
              expect(all.y[b * D + i]).toBe(Y[b * D + i]);
            }
          }
          // Each listed row alone, in a batch of the same size.
          rows.forEach((b, q) => {
            const alone = runRows(method, N, [b], Y, Pm, H, 3, rejectFirst);
            const o = b * D;
            expect(Array.from(alone.yNew.subarray(o, o + D))).toEqual(
              Array.from(all.yNew.subarray(o, o + D)),
            );
            expect(Array.from(alone.err.subarray(o, o + D))).toEqual(Array.from(all.err.subarray(o, o + D)));
            for (let s = 0; s < 3; s++) {
              const mine = all.dense.slice((s * rows.length + q) * D, (s * rows.length + q + 1) * D);
              expect(alone.dense.slice(s * D, s * D + D)).toEqual(mine);
            }
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('work counters (evaluations of f per trajectory)', () => {
  const N = 3;
  const rows = Int32Array.of(0, 1, 2);
  function stepper(method: ExplicitRungeKutta) {
    const s = method.create(testField(), N);
    const t = new Float64Array(N);
    const y = Float64Array.from({ length: N * D }, (_, i) => Y0[i % D]);
    const p = Float64Array.from({ length: N * P }, (_, i) => PARAMS[i % P]);
    const h = new Float64Array(N).fill(0.1);
    const yNew = new Float64Array(N * D);
    const err = new Float64Array(N * D);
    const out = new Float64Array(D);
    return {
      s,
      y,
      attempt: () => s.attempt(t, y, p, h, yNew, err, N, rows),
      accept: () => {
        s.accept(N, rows);
        for (let b = 0; b < N; b++) t[b] += h[b];
        y.set(yNew);
      },
      interpolate: () => {
        for (let b = 0; b < N; b++) s.interpolate(b, 0.5, out, 0);
      },
    };
  }

  it('FSAL methods save one evaluation per step; the first stage survives a rejection', () => {
    for (const [method, stages] of [
      [dopri5(), 7],
      [tsit5(), 7],
      [bosh3(), 4],
    ] as const) {
      const x = stepper(method);
      x.attempt();
      expect(x.s.counters.nfev).toBe(N * stages);
      x.accept();
      for (let k = 0; k < 4; k++) {
        x.attempt();
        x.accept();
      }
      expect(x.s.counters.nfev).toBe(N * (stages + 4 * (stages - 1)));
      // A rejected attempt and its retry both start from the kept first stage.
      x.attempt();
      x.attempt();
      expect(x.s.counters.nfev).toBe(N * (stages + 6 * (stages - 1)));
      // Dense output is free (no extra stages).
      x.accept();
      x.interpolate();
      expect(x.s.counters.nfev).toBe(N * (stages + 6 * (stages - 1)));
    }
  });

  it('non-FSAL methods evaluate every stage each step, but not the first stage again after a rejection', () => {
    for (const [method, stages] of [
      [rk4(), 4],
      [rk38(), 4],
      [heun(), 2],
      [vern7(), 10],
    ] as const) {
      const x = stepper(method);
      for (let k = 0; k < 3; k++) {
        x.attempt();
        x.accept();
      }
      expect(x.s.counters.nfev).toBe(N * 3 * stages);
      x.attempt();
      x.attempt();
      expect(x.s.counters.nfev).toBe(N * (5 * stages - 1));
    }
  });

  it('reset drops the kept first stage', () => {
    const x = stepper(dopri5());
    x.attempt();
    x.accept();
    x.s.reset(1);
    x.attempt();
    expect(x.s.counters.nfev).toBe(N * 7 + N * 6 + 1);
  });

  it('extra dense-output stages are evaluated once per step, lazily; f(t + h, y₁) among them is reused', () => {
    // rk4's Hermite end slope: one evaluation when interpolating, one fewer on the next step.
    const r = stepper(rk4());
    r.attempt();
    r.accept();
    expect(r.s.counters.nfev).toBe(N * 4);
    r.interpolate();
    r.interpolate();
    expect(r.s.counters.nfev).toBe(N * 5);
    r.attempt();
    expect(r.s.counters.nfev).toBe(N * 8);
    // vern7: six extra stages, the first of them f(t + h, y₁).
    const v = stepper(vern7());
    v.attempt();
    v.accept();
    v.interpolate();
    expect(v.s.counters.nfev).toBe(N * 16);
    v.attempt();
    expect(v.s.counters.nfev).toBe(N * 25);
    // After a reset the end slope is not reused.
    v.accept();
    v.interpolate();
    for (let b = 0; b < N; b++) v.s.reset(b);
    v.attempt();
    expect(v.s.counters.nfev).toBe(N * (25 + 6 + 10));
  });

  it('reusing the end slope changes no result', () => {
    const interpolated = stepper(vern7());
    const plain = stepper(vern7());
    for (let k = 0; k < 3; k++) {
      interpolated.attempt();
      plain.attempt();
      interpolated.accept();
      plain.accept();
      interpolated.interpolate();
    }
    expect(Array.from(interpolated.y)).toEqual(Array.from(plain.y));
    expect(plain.s.counters.nfev).toBe(N * 30);
    expect(interpolated.s.counters.nfev).toBe(N * (10 + 6 + 9 + 6 + 9 + 6));
  });
});

describe('messages', () => {
  it('interpolating before any accepted step, or at a non-finite θ, throws', () => {
    const s = dopri5().create(testField(), 2);
    expect(() => s.interpolate(0, 0.5, new Float64Array(D), 0)).toThrow(/no accepted step/);
    expect(() => s.interpolate(7, 0.5, new Float64Array(D), 0)).toThrow(/trajectory 7/);
    s.attempt(
      new Float64Array(2),
      new Float64Array(2 * D).fill(0.5),
      new Float64Array(2 * P),
      Float64Array.of(0.1, 0.1),
      new Float64Array(2 * D),
      new Float64Array(2 * D),
      1,
      Int32Array.of(0),
    );
    s.accept(1, Int32Array.of(0));
    expect(() => s.interpolate(0, Number.NaN, new Float64Array(D), 0)).toThrow(/θ = NaN/);
  });

  it('arrays of the wrong size are named', () => {
    const s = tsit5().create(testField(), 2);
    expect(() =>
      s.attempt(
        new Float64Array(2),
        new Float64Array(D),
        new Float64Array(2 * P),
        new Float64Array(2),
        new Float64Array(2 * D),
        new Float64Array(2 * D),
        1,
        Int32Array.of(0),
      ),
    ).toThrow(/y, yNew, err of length 8/);
    expect(() => tsit5().create(testField(), 0)).toThrow(/positive integer/);
  });
});

describe('methods from user tableaux', () => {
  it("Ralston's method through the engine has order 2", () => {
    const ralston = explicitRungeKutta(
      new ButcherTableau({ name: 'ralston', c: [0, 2 / 3], a: [[], [2 / 3]], b: [1 / 4, 3 / 4], order: 2 }),
    );
    expect(ralston.denseOrder).toBe(1);
    expect(ralston.coefficients.b).toEqual([1 / 4, 3 / 4]);
    const steps = [50, 100, 200, 400];
    const errs = steps.map((M) => globalError(ralston, M, 'solution'));
    expect(
      Math.abs(
        slope(
          steps.map((M) => T_END / M),
          errs,
        ) - 2,
      ),
    ).toBeLessThan(0.3);
  });

  it('methods describe themselves', () => {
    const table = cases.map(({ method: m }) => [
      m.name,
      m.order,
      m.embeddedOrder,
      m.denseOrder,
      m.stiff,
      m.tableau.fsal,
    ]);
    expect(table).toEqual([
      ['euler', 1, 0, 1, false, false],
      ['midpoint', 2, 0, 2, false, false],
      ['heun', 2, 1, 2, false, false],
      ['rk4', 4, 0, 3, false, false],
      ['rk38', 4, 0, 3, false, false],
      ['bosh3', 3, 2, 3, false, true],
      ['dopri5', 5, 4, 4, false, true],
      ['tsit5', 5, 4, 4, false, true],
      ['vern7', 7, 6, 7, false, false],
    ]);
    expect(Object.isFrozen(dopri5())).toBe(true);
  });
});
