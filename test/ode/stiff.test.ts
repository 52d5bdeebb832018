import { describe, expect, it } from 'vitest';
import { constantSteps } from '../../src/ode/controller.js';
import { checkEsdirkTableau, KVAERNO5, kvaerno5 } from '../../src/ode/esdirk.js';
import type { VectorField } from '../../src/ode/field.js';
import type { Method, Stepper } from '../../src/ode/method.js';
import { checkRosenbrockTableau, RODAS4, RODAS5P, rodas4, rodas5p } from '../../src/ode/rosenbrock.js';
import { solve } from '../../src/ode/solve.js';

// ---------------------------------------------------------------------------------------------
// Test problems, written as batched vector fields with hand-written Jacobians.
// ---------------------------------------------------------------------------------------------

function rowOf(rows: Int32Array | null, q: number): number {
  return rows === null ? q : rows[q];
}

function noVjp(): void {
  throw new Error('not needed by these tests');
}

/** y′ = A·y with a constant matrix A (no parameters). */
function linearField(A: readonly (readonly number[])[]): VectorField {
  const D = A.length;
  const flat = Float64Array.from(A.flat());
  return {
    dim: D,
    nParams: 0,
    f(_t, y, _p, out, n, rows) {
      for (let q = 0; q < n; q++) {
        const o = rowOf(rows, q) * D;
        for (let i = 0; i < D; i++) {
          let s = 0;
          for (let j = 0; j < D; j++) s += flat[i * D + j] * y[o + j];
          out[o + i] = s;
        }
      }
    },
    vjp: noVjp,
    jac(_t, _y, _p, J, n, rows) {
      for (let q = 0; q < n; q++) J.set(flat, rowOf(rows, q) * D * D);
    },
  };
}

/**
 * Prothero–Robinson: y′ = λ·(y − φ(t)) + φ′(t) with φ = sin and λ = p[b]; y(t) = sin t when
 * y(0) = 0. Non-stiff for λ = −1, stiff for λ = −10⁶.
 */
const proth: VectorField = {
  dim: 1,
  nParams: 1,
  f(t, y, p, out, n, rows) {
    for (let q = 0; q < n; q++) {
      const b = rowOf(rows, q);
      out[b] = p[b] * (y[b] - Math.sin(t[b])) + Math.cos(t[b]);
    }
  },
  vjp: noVjp,
  jac(_t, _y, p, J, n, rows) {
    for (let q = 0; q < n; q++) {
      const b = rowOf(rows, q);
      J[b] = p[b];
    }
  },
};

/**
 * Kaps' problem: y₁′ = −(2 + 1/ε)·y₁ + y₂²/ε, y₂′ = y₁ − y₂ − y₂², with ε = p[b];
 * y = (e^{−2t}, e^{−t}) from (1, 1). Nonlinear; non-stiff for ε = 1.
 */
const kaps: VectorField = {
  dim: 2,
  nParams: 1,
  f(_t, y, p, out, n, rows) {
    for (let q = 0; q < n; q++) {
      const b = rowOf(rows, q);
      const [y1, y2, e] = [y[2 * b], y[2 * b + 1], p[b]];
      out[2 * b] = -(2 + 1 / e) * y1 + (y2 * y2) / e;
      out[2 * b + 1] = y1 - y2 - y2 * y2;
    }
  },
  vjp: noVjp,
  jac(_t, y, p, J, n, rows) {
    for (let q = 0; q < n; q++) {
      const b = rowOf(rows, q);
      const [y2, e] = [y[2 * b + 1], p[b]];
      J.set([-(2 + 1 / e), (2 * y2) / e, 1, -1 - 2 * y2], 4 * b);
    }
  },
};
const kapsExact = (t: number) => [Math.exp(-2 * t), Math.exp(-t)];

/** y′ = c(y) for a scalar function c with derivative dc (no parameters). */
function scalarField(c: (y: number) => number, dc: (y: number) => number): VectorField {
  return {
    dim: 1,
    nParams: 0,
    f(_t, y, _p, out, n, rows) {
      for (let q = 0; q < n; q++) out[rowOf(rows, q)] = c(y[rowOf(rows, q)]);
    },
    vjp: noVjp,
    jac(_t, y, _p, J, n, rows) {
      for (let q = 0; q < n; q++) J[rowOf(rows, q)] = dc(y[rowOf(rows, q)]);
    },
  };
}

/** Robertson's chemical kinetics (Hairer & Wanner II, IV.1). */
const robertson: VectorField = {
  dim: 3,
  nParams: 0,
  f(_t, y, _p, out, n, rows) {
    for (let q = 0; q < n; q++) {
      const o = 3 * rowOf(rows, q);
      const [y1, y2, y3] = [y[o], y[o + 1], y[o + 2]];
      out[o] = -0.04 * y1 + 1e4 * y2 * y3;
      out[o + 1] = 0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2 * y2;
      out[o + 2] = 3e7 * y2 * y2;
    }
  },
  vjp: noVjp,
  jac(_t, y, _p, J, n, rows) {
    for (let q = 0; q < n; q++) {
      const b = rowOf(rows, q);
      const [y2, y3] = [y[3 * b + 1], y[3 * b + 2]];
      // biome-ignore format: a 3×3 matrix
      J.set([
        -0.04, 1e4 * y3, 1e4 * y2,
        0.04, -1e4 * y3 - 6e7 * y2, -1e4 * y2,
        0, 6e7 * y2, 0,
      ], 9 * b);
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Drivers: fixed steps, one step, and a basic PI-controlled loop.
// ---------------------------------------------------------------------------------------------

interface Case {
  /** The method with its iteration tolerances (if any) set to rtol/atol. */
  make: (rtol: number, atol: number) => Method;
  /** Order on linear constant-coefficient problems (the order of the stability function). */
  linearOrder: number;
  /** Order of the dense output. */
  denseOrder: number;
}

const stiffMethods: Case[] = [
  { make: () => rodas5p(), linearOrder: 6, denseOrder: 4 },
  { make: () => rodas4(), linearOrder: 4, denseOrder: 3 },
  { make: (rtol, atol) => kvaerno5({ rtol, atol }), linearOrder: 5, denseOrder: 3 },
];
const cases = stiffMethods.map((c) => ({
  ...c,
  // Newton tolerances far below the errors measured, so that they do not pollute them.
  method: c.make(1e-14, 1e-14),
}));

/** Integrates one trajectory with `steps` equal steps; every attempt must succeed. */
function fixedSteps(
  method: Method,
  field: VectorField,
  y0: number[],
  p: number[],
  t1: number,
  steps: number,
) {
  const stepper = method.create(field, 1);
  const D = field.dim;
  const t = new Float64Array(1);
  const y = Float64Array.from(y0);
  const h = new Float64Array([t1 / steps]);
  const yNew = new Float64Array(D);
  const err = new Float64Array(D);
  const rows = new Int32Array([0]);
  const params = Float64Array.from(p);
  for (let i = 0; i < steps; i++) {
    stepper.attempt(t, y, params, h, yNew, err, 1, rows);
    if (!err.every(Number.isFinite)) throw new Error(`${method.name}: step ${i} failed`);
    stepper.accept(1, rows);
    t[0] = ((i + 1) * t1) / steps;
    y.set(yNew);
  }
  return { y, counters: stepper.counters };
}

/** One step of size h from (t0, y0) of one trajectory; the stepper is kept for interpolation. */
function oneStep(method: Method, field: VectorField, t0: number, y0: number[], p: number[], h: number) {
  const stepper = method.create(field, 1);
  const yNew = new Float64Array(field.dim);
  const err = new Float64Array(field.dim);
  const rows = new Int32Array([0]);
  stepper.attempt(
    new Float64Array([t0]),
    Float64Array.from(y0),
    Float64Array.from(p),
    new Float64Array([h]),
    yNew,
    err,
    1,
    rows,
  );
  stepper.accept(1, rows);
  return { yNew, err, stepper };
}

/** Least-squares slope of log(error) against log(h). */
function slope(hs: readonly number[], errors: readonly number[]): number {
  const x = hs.map(Math.log);
  const y = errors.map(Math.log);
  const mx = x.reduce((a, b) => a + b) / x.length;
  const my = y.reduce((a, b) => a + b) / y.length;
  let sxy = 0;
  let sxx = 0;
  x.forEach((xi, i) => {
    sxy += (xi - mx) * (y[i] - my);
    sxx += (xi - mx) ** 2;
  });
  return sxy / sxx;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/**
 * A basic adaptive loop for the tests: weighted RMS error norm with weights
 * atol + rtol·max(|y₀|, |y₁|), PI control h ← h·0.9·ε_n^(−0.7/k)·ε_{n−1}^(0.4/k), k = embedded
 * order + 1, step ratios clamped to [0.2, 5].
 */
function adaptive(method: Method, field: VectorField, y0: number[], t1: number, rtol: number, atol: number) {
  const D = field.dim;
  const stepper: Stepper = method.create(field, 1);
  const t = new Float64Array(1);
  const y = Float64Array.from(y0);
  const h = new Float64Array([1e-6]);
  const yNew = new Float64Array(D);
  const err = new Float64Array(D);
  const rows = new Int32Array([0]);
  const k = method.embeddedOrder + 1;
  let errPrev = 1;
  let accepted = 0;
  let rejected = 0;
  while (t[0] < t1) {
    const hTry = Math.min(h[0], t1 - t[0]);
    h[0] = hTry;
    stepper.attempt(t, y, new Float64Array(0), h, yNew, err, 1, rows);
    let s = 0;
    for (let i = 0; i < D; i++) {
      const r = err[i] / (atol + rtol * Math.max(Math.abs(y[i]), Math.abs(yNew[i])));
      s += r * r;
    }
    const e = Math.sqrt(s / D);
    let factor: number;
    if (e <= 1) {
      stepper.accept(1, rows);
      t[0] = hTry === t1 - t[0] ? t1 : t[0] + hTry;
      y.set(yNew);
      accepted++;
      const eSafe = Math.max(e, 1e-10);
      factor = 0.9 * eSafe ** (-0.7 / k) * errPrev ** (0.4 / k);
      errPrev = eSafe;
    } else {
      rejected++;
      factor = Number.isFinite(e) ? 0.9 * e ** (-1 / k) : 0.2;
    }
    h[0] = hTry * Math.min(5, Math.max(0.2, factor));
    if (accepted + rejected > 100_000 || h[0] < 1e-14)
      throw new Error(`${method.name}: adaptive loop failed`);
  }
  return { y, accepted, rejected, counters: stepper.counters };
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('tableaux', () => {
  it('satisfy their order conditions (checked when built) and reject a transcription error', () => {
    expect(() => checkRosenbrockTableau(RODAS5P)).not.toThrow();
    expect(() => checkRosenbrockTableau(RODAS4)).not.toThrow();
    expect(() => checkEsdirkTableau(KVAERNO5)).not.toThrow();
    const typo = {
      ...RODAS5P,
      C: RODAS5P.C.map((row, i) => (i === 3 ? [row[0], row[1] * 1.0001, row[2]] : row)),
    };
    expect(() => checkRosenbrockTableau(typo)).toThrow(/Rosenbrock tableau rodas5p/);
    const a = KVAERNO5.a.map((row, i) => (i === 4 ? row.map((v, j) => (j === 1 ? v + 1e-9 : v)) : row));
    expect(() => checkEsdirkTableau({ ...KVAERNO5, a })).toThrow(/ESDIRK tableau kvaerno5/);
  });

  it('reject unknown options and fields without a Jacobian', () => {
    expect(() => rodas5p({ autonomus: true } as never)).toThrow(/unknown option "autonomus"/);
    expect(() => kvaerno5({ tol: 1 } as never)).toThrow(/unknown option "tol"/);
    const { jac: _, ...noJac } = kaps;
    expect(() => rodas5p().create(noJac, 1)).toThrow(/no jac/);
    expect(() => kvaerno5().create(noJac, 1)).toThrow(/no jac/);
  });
});

describe.each(cases)('$method.name', ({ make, method, linearOrder, denseOrder }) => {
  it(`converges with order ${linearOrder} on y′ = A·y with eigenvalues −1 and −1000`, () => {
    // A = [[−500.5, 499.5], [499.5, −500.5]]: y = e^{−t}·(1, 1) + e^{−1000t}·(1, −1) from (2, 0).
    const field = linearField([
      [-500.5, 499.5],
      [499.5, -500.5],
    ]);
    const T = 2;
    const exact = [Math.exp(-T) + Math.exp(-1000 * T), Math.exp(-T) - Math.exp(-1000 * T)];
    const steps = [8, 16, 32];
    const errors = steps.map((n) => maxAbsDiff(fixedSteps(method, field, [2, 0], [], T, n).y, exact));
    const p = slope(
      steps.map((n) => T / n),
      errors,
    );
    expect(Math.abs(p - linearOrder)).toBeLessThanOrEqual(0.3);
  });

  it(`converges with order ${method.order} on Prothero–Robinson in the non-stiff limit (λ = −1)`, () => {
    const steps = [8, 16, 32, 64];
    const errors = steps.map((n) => Math.abs(fixedSteps(method, proth, [0], [-1], 1, n).y[0] - Math.sin(1)));
    const p = slope(
      steps.map((n) => 1 / n),
      errors,
    );
    expect(Math.abs(p - method.order)).toBeLessThanOrEqual(0.3);
  });

  it('stays stable and accurate on Prothero–Robinson in the stiff limit (λ = −10⁶)', () => {
    // Order reduction is expected here (hλ ≫ 1); only stability and accuracy are checked.
    for (const n of [2, 4, 8, 16, 32, 64]) {
      const y = fixedSteps(method, proth, [0], [-1e6], 1, n).y[0];
      expect(Math.abs(y - Math.sin(1))).toBeLessThan(1e-7);
    }
  });

  it('damps y′ = −10⁶·y with h = 1 (A- and L-stability)', () => {
    const field = linearField([[-1e6]]);
    let previous = 1;
    for (let n = 1; n <= 5; n++) {
      const y = fixedSteps(method, field, [1], [], n, n).y[0];
      expect(Math.abs(y)).toBeLessThanOrEqual(n === 1 ? 1e-4 : Math.abs(previous));
      previous = y;
    }
    // A-stability near the imaginary axis: eigenvalues −1 ± 10⁴i, h = 1, the norm never grows.
    const rotation = linearField([
      [-1, -1e4],
      [1e4, -1],
    ]);
    let norm = 1;
    for (let n = 1; n <= 5; n++) {
      const y = fixedSteps(method, rotation, [1, 0], [], n, n).y;
      const next = Math.hypot(y[0], y[1]);
      expect(next).toBeLessThanOrEqual(norm);
      norm = next;
    }
    expect(norm).toBeLessThan(1e-3);
  });

  it(`has local error O(h^${method.order + 1}) and an error estimate O(h^${method.embeddedOrder + 1}) that matches ŷ's error`, () => {
    // One step from the exact solution of Kaps' problem (ε = 1, non-stiff and nonlinear).
    const hs = [0.05, 0.025, 0.0125];
    const local: number[] = [];
    const estimates: number[] = [];
    for (const h of hs) {
      const { yNew, err } = oneStep(method, kaps, 0.3, kapsExact(0.3), [1], h);
      const exact = kapsExact(0.3 + h);
      local.push(maxAbsDiff(yNew, exact));
      estimates.push(Math.max(Math.abs(err[0]), Math.abs(err[1])));
      // The estimate y₁ − ŷ₁ is ŷ₁'s error up to y₁'s (much smaller) error.
      const hatError = maxAbsDiff(
        yNew.map((v, i) => v - err[i]),
        exact,
      );
      expect(Math.abs(estimates[estimates.length - 1] / hatError - 1)).toBeLessThan(0.1);
    }
    expect(Math.abs(slope(hs, local) - (method.order + 1))).toBeLessThanOrEqual(0.3);
    expect(Math.abs(slope(hs, estimates) - (method.embeddedOrder + 1))).toBeLessThanOrEqual(0.3);
  });

  it(`has a dense output of order ${denseOrder} that passes through both ends`, () => {
    const hs = [0.05, 0.025, 0.0125];
    const errors = hs.map((h) => {
      const { yNew, stepper } = oneStep(method, kaps, 0.3, kapsExact(0.3), [1], h);
      const out = new Float64Array(3);
      stepper.interpolate(0, 0, out, 1);
      expect(Array.from(out.subarray(1))).toEqual(kapsExact(0.3));
      stepper.interpolate(0, 1, out, 1);
      expect(Array.from(out.subarray(1))).toEqual(Array.from(yNew));
      let worst = 0;
      for (const theta of [0.25, 0.5, 0.75]) {
        stepper.interpolate(0, theta, out, 1);
        worst = Math.max(worst, maxAbsDiff(out.subarray(1), kapsExact(0.3 + theta * h)));
      }
      return worst;
    });
    expect(Math.abs(slope(hs, errors) - (denseOrder + 1))).toBeLessThanOrEqual(0.3);
  });

  it('computes a row identically alone or among others and leaves unlisted rows untouched', () => {
    const N = 4;
    const t = new Float64Array([0.1, 0.2, 0.3, 0.4]);
    const y = new Float64Array([0.5, 0.9, 0.3, 0.7, 1.0, 1.0, 0.2, 0.4]);
    const p = new Float64Array([1, 1e-3, 0.5, 1e-6]);
    const h = new Float64Array([0.1, 0.05, 0.2, 0.01]);
    const run = (rows: number[]) => {
      const stepper = method.create(kaps, N);
      const yNew = new Float64Array(2 * N).fill(-123);
      const err = new Float64Array(2 * N).fill(-456);
      const r = Int32Array.from(rows);
      stepper.attempt(t, y, p, h, yNew, err, r.length, r);
      stepper.accept(r.length, r);
      const dense = new Float64Array(2 * N);
      for (const b of rows) stepper.interpolate(b, 0.4, dense, 2 * b);
      return { yNew, err, dense, counters: { ...stepper.counters } };
    };
    const all = run([3, 0, 1, 2]);
    const alone = run([1]);
    const pair = run([2, 0]);
    expect(Array.from(alone.yNew.subarray(2, 4))).toEqual(Array.from(all.yNew.subarray(2, 4)));
    expect(Array.from(alone.err.subarray(2, 4))).toEqual(Array.from(all.err.subarray(2, 4)));
    expect(Array.from(alone.dense.subarray(2, 4))).toEqual(Array.from(all.dense.subarray(2, 4)));
    for (const b of [0, 2]) {
      expect(Array.from(pair.yNew.subarray(2 * b, 2 * b + 2))).toEqual(
        Array.from(all.yNew.subarray(2 * b, 2 * b + 2)),
      );
    }
    // Unlisted rows keep what was there.
    expect(Array.from(alone.yNew.subarray(0, 2))).toEqual([-123, -123]);
    expect(Array.from(alone.err.subarray(4))).toEqual([-456, -456, -456, -456]);
    expect(Array.from(pair.yNew.subarray(2, 4))).toEqual([-123, -123]);
    expect(all.yNew.every(Number.isFinite) && all.err.every(Number.isFinite)).toBe(true);
    // Work is counted per listed trajectory.
    expect(alone.counters.njev).toBe(1);
    expect(all.counters.njev).toBe(4);
    expect(all.counters.nlu).toBe(4);
  });

  it('writes an infinite error for a row whose iteration matrix is singular, and goes on with the others', () => {
    // y′ = λ(y − sin t) + cos t with λ = 1/(hγ): W = I/(hγ) − J = 0.
    const gamma =
      method.name === 'kvaerno5' ? KVAERNO5.gamma : method.name === 'rodas4' ? RODAS4.gamma : RODAS5P.gamma;
    const h = new Float64Array([0.1, 0.1]);
    const p = new Float64Array([1 / (0.1 * gamma), -1]);
    const stepper = method.create(proth, 2);
    const y = new Float64Array([0.3, 0.3]);
    const yNew = new Float64Array(2);
    const err = new Float64Array(2);
    stepper.attempt(new Float64Array([0, 0]), y, p, h, yNew, err, 2, new Int32Array([0, 1]));
    expect(err[0]).toBe(Number.POSITIVE_INFINITY);
    expect(yNew[0]).toBe(0.3);
    expect(Number.isFinite(err[1]) && Number.isFinite(yNew[1])).toBe(true);
  });

  it('writes an infinite error when f is not finite at a stage', () => {
    // y′ = −√y from y = 0.01 with h = 1: the stages go below zero, where √y is NaN.
    const root = scalarField(
      (y) => -Math.sqrt(y),
      (y) => -0.5 / Math.sqrt(y),
    );
    const { yNew, err } = oneStep(method, root, 0, [0.01], [], 1);
    expect(err[0]).toBe(Number.POSITIVE_INFINITY);
    expect(yNew[0]).toBe(0.01);
  });

  it('reuses f(t₀, y₀) and J when a step is retried, and forgets them on reset', () => {
    const stepper = method.create(kaps, 1);
    const rows = new Int32Array([0]);
    const y = Float64Array.from(kapsExact(0));
    const yNew = new Float64Array(2);
    const err = new Float64Array(2);
    const attempt = (h: number) =>
      stepper.attempt(
        new Float64Array([0]),
        y,
        new Float64Array([1]),
        new Float64Array([h]),
        yNew,
        err,
        1,
        rows,
      );
    attempt(0.2);
    const first = { ...stepper.counters };
    attempt(0.1);
    const second = { ...stepper.counters };
    expect(first.njev).toBe(1);
    expect(second.njev).toBe(1);
    expect(second.nlu).toBe(2);
    // The retry evaluates f at the stages only.
    expect(second.nfev - first.nfev).toBeLessThan(first.nfev);
    stepper.reset(0);
    attempt(0.1);
    expect(stepper.counters.njev).toBe(2);
    // A Rosenbrock step's work is fixed: after the reset it is the first attempt's again.
    if (method.name !== 'kvaerno5') expect(stepper.counters.nfev - second.nfev).toBe(first.nfev);
  });

  it("integrates Robertson's problem to t = 40 at rtol 1e-6 within 1e-5 of the reference", () => {
    // Reference y(40) from Hairer & Wanner (0.7158270687193185e+00, 0.9185534764494450e-05,
    // 0.2841637457458373e+00, written here as the same float64 values); independent
    // tight-tolerance Radau and BDF runs give 0.71582706871940…, within 1e-13.
    const reference = [0.7158270687193184, 0.918553476449445e-5, 0.2841637457458373];
    const { y, accepted, rejected } = adaptive(make(1e-6, 1e-10), robertson, [1, 0, 0], 40, 1e-6, 1e-10);
    expect(Math.abs(y[0] / reference[0] - 1)).toBeLessThan(1e-5);
    expect(Math.abs(y[1] / reference[1] - 1)).toBeLessThan(1e-4);
    expect(Math.abs(y[2] / reference[2] - 1)).toBeLessThan(1e-5);
    expect(Math.abs(y[0] + y[1] + y[2] - 1)).toBeLessThan(1e-12);
    // Work (see the report in the commit): 61–124 accepted steps, no rejections.
    expect(accepted).toBeLessThan(200);
    expect(rejected).toBeLessThan(20);
  });
});

describe('first same as last (kvaerno5)', () => {
  it('starts the next step from the last stage, without evaluating f at the step start', () => {
    const { counters } = fixedSteps(kvaerno5({ rtol: 1e-10, atol: 1e-10 }), kaps, kapsExact(0), [1], 1, 10);
    const once = fixedSteps(kvaerno5({ rtol: 1e-10, atol: 1e-10 }), kaps, kapsExact(0), [1], 0.1, 1).counters;
    // Ten steps cost ten times one step's Newton evaluations but only one evaluation of f(t₀, y₀).
    expect(counters.njev).toBe(10);
    expect(counters.nfev).toBeLessThan(10 * once.nfev);
  });
});

describe('Newton iterations (kvaerno5)', () => {
  it('fail the attempt with an infinite error when they diverge', () => {
    // y′ = y² from 1 with h = 2 (past the blow-up at t = 1): the stage equations diverge.
    const square = scalarField(
      (y) => y * y,
      (y) => 2 * y,
    );
    const { yNew, err } = oneStep(kvaerno5(), square, 0, [1], [], 2);
    expect(err[0]).toBe(Number.POSITIVE_INFINITY);
    expect(yNew[0]).toBe(1);
  });

  it('fail the attempt when they need more iterations than allowed', () => {
    const tight = kvaerno5({ rtol: 1e-14, atol: 1e-14, maxIterations: 1 });
    expect(oneStep(tight, kaps, 0, kapsExact(0), [1], 0.1).err[0]).toBe(Number.POSITIVE_INFINITY);
    const enough = kvaerno5({ rtol: 1e-14, atol: 1e-14 });
    expect(Number.isFinite(oneStep(enough, kaps, 0, kapsExact(0), [1], 0.1).err[0])).toBe(true);
  });

  it('with constant steps, a failed attempt stops the trajectory instead of being accepted', () => {
    // The Newton iteration needs more iterations than allowed (as above). A failed attempt
    // leaves y unchanged with an infinite error estimate; constant steps cannot be shortened,
    // so the solve must report it rather than step on with the old state.
    const sol = solve(kaps, new Float64Array([1, 1]), {
      method: kvaerno5({ rtol: 1e-14, atol: 1e-14, maxIterations: 1 }),
      t1: 1,
      params: new Float64Array([1]),
      controller: constantSteps(0.1),
    });
    expect(sol.status).toEqual(['stepUnderflow']);
    expect(sol.failures).toHaveLength(1);
    const f = sol.failures[0];
    expect(f).toMatchObject({ trajectory: 0, time: 0, state: null });
    expect(f.message).toMatch(/^trajectory 0 at t = 0: kvaerno5 could not complete a step of 0\.1 .*pid\(\)/);
    expect(sol.yFinal[0]).toBe(1);
  });
});

describe('rodas5p({ autonomous: true })', () => {
  it('skips the two evaluations of ∂f/∂t and gives the same result when f does not depend on t', () => {
    const full = fixedSteps(rodas5p(), kaps, kapsExact(0), [1], 1, 10);
    const autonomous = fixedSteps(rodas5p({ autonomous: true }), kaps, kapsExact(0), [1], 1, 10);
    expect(full.counters.nfev).toBe(10 * 10);
    expect(autonomous.counters.nfev).toBe(10 * 8);
    expect(maxAbsDiff(full.y, autonomous.y)).toBe(0);
  });
});
