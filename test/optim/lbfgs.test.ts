import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Tensor, tensor } from '../../src/autodiff/tensor.js';

import { lbfgs } from '../../src/optim/lbfgs.js';
import { strongWolfeLineSearch } from '../../src/optim/lineSearch.js';
import { fill, flat, t } from './helpers.js';

/** Chained Rosenbrock Σ 100(x_{i+1} − x_i²)² + (1 − x_i)², minimum 0 at (1, …, 1). */
function rosenbrock(x: readonly number[]): { value: number; grad: number[] } {
  const n = x.length;
  let f = 0;
  const g = new Array<number>(n).fill(0);
  for (let i = 0; i < n - 1; i++) {
    const a = x[i + 1] - x[i] * x[i];
    const b = 1 - x[i];
    f += 100 * a * a + b * b;
    g[i] += -400 * x[i] * a - 2 * b;
    g[i + 1] += 200 * a;
  }
  return { value: f, grad: g };
}

const distanceToOnes = (x: readonly number[]): number => Math.hypot(...x.map((v) => v - 1));

describe('lbfgs', () => {
  it('minimizes 2-d Rosenbrock from (−1.2, 1) to |f| ≤ 1e-10', () => {
    const r = lbfgs(
      (x: Tensor) => {
        const e = rosenbrock(Array.from(x.data));
        return { value: e.value, grad: tensor(e.grad) };
      },
      tensor([-1.2, 1]),
    );
    expect(r.status).toBe('converged');
    expect(r.value).toBeLessThanOrEqual(1e-10);
    expect(distanceToOnes(Array.from(r.x.data))).toBeLessThan(1e-6);
    expect(r.gradNorm).toBeLessThanOrEqual(1e-8);
    expect(r.iterations).toBeLessThan(100);
    expect(r.message).toMatch(/gradTolerance/);
  });

  for (const [name, x0] of [
    ['(−1.2, 1, −1.2, 1, …)', Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? -1.2 : 1))],
    ['(−1.2, …, −1.2)', new Array(10).fill(-1.2)],
  ] as const) {
    it(`minimizes 10-d Rosenbrock from ${name}, parameters as a tree`, () => {
      const tree0 = { a: t(x0.slice(0, 4), [2, 2]), rest: [t(x0.slice(4, 9)), t(x0.slice(9))] };
      let seen = 0;
      const r = lbfgs(
        (x) => {
          const e = rosenbrock(flat(x));
          return { value: e.value, grad: fill(tree0, e.grad) };
        },
        tree0,
        {
          onIteration: (info) => {
            seen = info.iteration;
            return true;
          },
        },
      );
      expect(r.status).toBe('converged');
      expect(r.value).toBeLessThanOrEqual(1e-10);
      expect(distanceToOnes(flat(r.x))).toBeLessThan(1e-6);
      expect(r.x.rest[0].shape).toEqual([5]);
      expect(seen).toBe(r.iterations);
      // The start is untouched.
      expect(flat(tree0)).toEqual(x0);
    });
  }

  it('backtracks out of regions where f is not finite and never returns NaN', () => {
    let nonFinite = 0;
    // f = Σ −x − log(1 − x): minimum 0 at x = 0, NaN for x > 1.
    const r = lbfgs(
      (x: Tensor) => {
        let f = 0;
        const g = x.data.map((v) => v / (1 - v));
        for (const v of x.data) f += -v - Math.log(1 - v);
        if (!Number.isFinite(f)) nonFinite++;
        // Where the model fails there is no gradient: null is allowed at non-finite values.
        return { value: f, grad: Number.isFinite(f) ? tensor(Array.from(g)) : null };
      },
      tensor([-5, -50, 0.9]),
    );
    expect(nonFinite).toBeGreaterThan(0);
    expect(r.status).toBe('converged');
    expect(flat(r.x).every((v) => Math.abs(v) < 1e-6)).toBe(true);
  });

  it('reports limits, a failing line search, a stop request and bad input', () => {
    const f = (x: Tensor) => {
      const e = rosenbrock(Array.from(x.data));
      return { value: e.value, grad: tensor(e.grad) };
    };
    const few = lbfgs(f, tensor([-1.2, 1]), { maxIterations: 3 });
    expect(few.status).toBe('maxIterations');
    expect(few.iterations).toBe(3);
    expect(few.value).toBeLessThan(24.2);
    const evals = lbfgs(f, tensor([-1.2, 1]), { maxEvaluations: 5 });
    expect(evals.status).toBe('maxEvaluations');
    expect(evals.evaluations).toBeLessThanOrEqual(5);
    const stopped = lbfgs(f, tensor([-1.2, 1]), { onIteration: (i) => i.iteration < 2 });
    expect(stopped.status).toBe('stopped');
    expect(stopped.iterations).toBe(2);
    // A wrong gradient (sign flipped): no step decreases f along "descent".
    const wrong = lbfgs(
      (x: Tensor) => ({ value: x.data[0] ** 2, grad: tensor([-2 * x.data[0]]) }),
      tensor([1]),
    );
    expect(wrong.status).toBe('lineSearchFailed');
    expect(wrong.x.data[0]).toBe(1);
    expect(() => lbfgs(() => ({ value: Number.NaN, grad: tensor([0]) }), tensor([1]))).toThrow(
      /f\(x0\) = NaN or its gradient is not finite/,
    );
    expect(() => lbfgs(() => ({ value: 1, grad: tensor([0, 0]) }), tensor([1]))).toThrow(
      /leaf "" has 2 values for 1/,
    );
    expect(() => lbfgs(() => ({ value: 1, grad: null }), tensor([1]))).toThrow(
      /grad null with the finite value 1/,
    );
    expect(() => lbfgs(f, tensor([1, 1]), { history: 0 })).toThrow(/history must be an integer ≥ 1/);
    expect(() => lbfgs(f, tensor([1, 1]), { tol: 1 } as never)).toThrow(/unknown option "tol"/);
  });

  it('stops on small steps or small decreases when asked', () => {
    const f = (x: Tensor) => {
      const e = rosenbrock(Array.from(x.data));
      return { value: e.value, grad: tensor(e.grad) };
    };
    // Relative decrease below 90% of f: the first iteration that does not cut f tenfold.
    const v = lbfgs(f, tensor([-1.2, 1]), { gradTolerance: 0, valueTolerance: 0.9 });
    expect(v.status).toBe('valueTolerance');
    expect(v.message).toMatch(/f decreased by only/);
    const s = lbfgs(f, tensor([-1.2, 1]), { gradTolerance: 0, valueTolerance: 0, stepTolerance: 1e-2 });
    expect(s.status).toBe('stepTolerance');
  });
});

describe('strong Wolfe line search', () => {
  /** A random convex quadratic f(x) = ½xᵀAx − bᵀx (A = MᵀM + δI) and a start. */
  const quadratic = fc.integer({ min: 1, max: 6 }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      m: fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: n * n, maxLength: n * n }),
      delta: fc.double({ min: 1e-3, max: 2, noNaN: true }),
      b: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: n, maxLength: n }),
      x0: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: n, maxLength: n }),
      d: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: n, maxLength: n }),
      alphaInit: fc.double({ min: 1e-4, max: 1e4, noNaN: true }),
      c2: fc.constantFrom(0.9, 0.5, 0.1),
    }),
  );

  it('returns steps satisfying both strong Wolfe conditions on random convex quadratics', () => {
    fc.assert(
      fc.property(quadratic, ({ n, m, delta, b, x0, d, alphaInit, c2 }) => {
        const A = Array.from({ length: n }, (_, i) =>
          Array.from({ length: n }, (_, j) => {
            let s = i === j ? delta : 0;
            for (let k = 0; k < n; k++) s += m[k * n + i] * m[k * n + j];
            return s;
          }),
        );
        const grad = (x: number[]) => A.map((row, i) => row.reduce((s, a, j) => s + a * x[j], 0) - b[i]);
        const value = (x: number[]) =>
          0.5 * x.reduce((s, xi, i) => s + xi * grad(x)[i], 0) -
          0.5 * b.reduce((s, bi, i) => s + bi * x[i], 0);
        const g0 = grad(x0);
        let dir = d.slice();
        let slope0 = dir.reduce((s, di, i) => s + di * g0[i], 0);
        if (Math.abs(slope0) < 1e-8) {
          dir = g0.map((v) => -v);
          slope0 = dir.reduce((s, di, i) => s + di * g0[i], 0);
        } else if (slope0 > 0) {
          dir = dir.map((v) => -v);
          slope0 = -slope0;
        }
        const c1 = 1e-4;
        const phi0 = value(x0);
        // The best decrease along d, slope0²/(2 dᵀAd), must be resolvable next to φ(0) in
        // float64; otherwise no step can be seen to satisfy sufficient decrease.
        const Ad = A.map((row) => row.reduce((s, a, j) => s + a * dir[j], 0));
        const curv = dir.reduce((s, di, i) => s + di * Ad[i], 0);
        // And the minimizer along d must lie below alphaMax (1e10), reachable by doubling from alphaInit.
        fc.pre(slope0 < 0 && (slope0 * slope0) / (2 * curv) > 1e-9 * (Math.abs(phi0) + 1));
        fc.pre(-slope0 / curv < Math.min(1e9, alphaInit * 2 ** 30));
        const r = strongWolfeLineSearch(
          (alpha) => {
            const x = x0.map((xi, i) => xi + alpha * dir[i]);
            const g = grad(x);
            return { value: value(x), slope: g.reduce((s, gi, i) => s + gi * dir[i], 0), payload: x };
          },
          phi0,
          slope0,
          { c1, c2, alphaInit },
        );
        expect(r.status).toBe('wolfe');
        expect(r.value).toBeLessThanOrEqual(phi0 + c1 * r.alpha * slope0);
        expect(Math.abs(r.slope)).toBeLessThanOrEqual(c2 * Math.abs(slope0));
        expect(r.payload).not.toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('backtracks through non-finite values', () => {
    // φ(α) = (α − 0.3)², undefined beyond 0.5.
    const r = strongWolfeLineSearch(
      (a) =>
        a > 0.5
          ? { value: Number.NaN, slope: Number.NaN, payload: a }
          : { value: (a - 0.3) ** 2, slope: 2 * (a - 0.3), payload: a },
      0.09,
      -0.6,
      { alphaInit: 100, c2: 0.1 },
    );
    expect(r.status).toBe('wolfe');
    expect(Math.abs(r.slope)).toBeLessThanOrEqual(0.06);
    expect(r.alpha).toBeLessThanOrEqual(0.5);
  });

  it('extrapolates from a small first step', () => {
    const r = strongWolfeLineSearch(
      (a) => ({ value: (a - 50) ** 2, slope: 2 * (a - 50), payload: null }),
      2500,
      -100,
      {
        alphaInit: 1e-3,
      },
    );
    expect(r.status).toBe('wolfe');
    expect(r.alpha).toBeGreaterThan(1);
  });

  it('rejects an ascent direction and bad constants', () => {
    const ev = (a: number) => ({ value: a, slope: 1, payload: null });
    expect(() => strongWolfeLineSearch(ev, 0, 1)).toThrow(/not a descent direction/);
    expect(() => strongWolfeLineSearch(ev, 0, -1, { c1: 0.5, c2: 0.4 })).toThrow(
      /c2 must be a number in \(0.5, 1\)/,
    );
  });

  it('fails cleanly when nothing decreases', () => {
    const r = strongWolfeLineSearch((a) => ({ value: a, slope: 1, payload: a }), 0, -1, {
      maxEvaluations: 10,
    });
    expect(r.status).toBe('failed');
    expect(r.alpha).toBe(0);
    expect(r.payload).toBeNull();
    expect(r.evaluations).toBe(10);
  });
});
