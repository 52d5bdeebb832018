import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ridgeLeastSquares } from '../../src/discovery/leastSquares.js';
import { luFactor, luSolve } from '../../src/ode/lu.js';

/** (AᵀA + αI)⁻¹AᵀB by LU of the normal equations: an independent method. */
function normalEquations(A: Float64Array, m: number, p: number, B: Float64Array, k: number, alpha: number) {
  const G = new Float64Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) {
      let s = i === j ? alpha : 0;
      for (let r = 0; r < m; r++) s += A[r * p + i] * A[r * p + j];
      G[i * p + j] = s;
    }
  const piv = new Int32Array(p);
  expect(luFactor(G, 0, p, piv, 0)).toBe(0);
  const X = new Float64Array(p * k);
  for (let c = 0; c < k; c++) {
    const rhs = new Float64Array(p);
    for (let i = 0; i < p; i++) for (let r = 0; r < m; r++) rhs[i] += A[r * p + i] * B[r * k + c];
    luSolve(G, 0, p, piv, 0, rhs, 0);
    for (let i = 0; i < p; i++) X[i * k + c] = rhs[i];
  }
  return X;
}

const problem = fc
  .record({
    p: fc.integer({ min: 1, max: 6 }),
    extra: fc.integer({ min: 0, max: 12 }),
    k: fc.integer({ min: 1, max: 3 }),
  })
  .chain(({ p, extra, k }) =>
    fc.record({
      p: fc.constant(p),
      m: fc.constant(p + extra),
      k: fc.constant(k),
      A: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), {
        minLength: (p + extra) * p,
        maxLength: (p + extra) * p,
      }),
      B: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), {
        minLength: (p + extra) * k,
        maxLength: (p + extra) * k,
      }),
      alpha: fc.constantFrom(0, 1e-3, 0.5),
    }),
  );

describe('ridgeLeastSquares (pivoted Householder QR)', () => {
  it('agrees with the normal equations solved by LU (property, well-conditioned cases)', () => {
    fc.assert(
      fc.property(problem, ({ p, m, k, A, B, alpha }) => {
        const a = Float64Array.from(A);
        for (let i = 0; i < Math.min(m, p); i++) a[i * p + i] += 3; // keep away from singular
        const b = Float64Array.from(B);
        const { x, condition } = ridgeLeastSquares(a, m, p, b, k, { alpha });
        const ref = normalEquations(a, m, p, b, k, alpha);
        const tol = 1e-13 * condition * condition * Math.max(1, ...Array.from(ref, Math.abs));
        for (let i = 0; i < x.length; i++)
          expect(Math.abs(x[i] - ref[i])).toBeLessThanOrEqual(Math.max(tol, 1e-11));
      }),
      { numRuns: 150 },
    );
  });

  it('recovers an exact solution and leaves an orthogonal residual', () => {
    const m = 20;
    const A = Float64Array.from({ length: m * 3 }, (_, i) => Math.sin(1 + 7 * i) + (i % 3 === 0 ? 1 : 0));
    const truth = [0.5, -2, 3];
    const b = Float64Array.from({ length: m }, (_, r) => truth.reduce((s, t, j) => s + t * A[r * 3 + j], 0));
    const { x } = ridgeLeastSquares(A, m, 3, b, 1);
    truth.forEach((t, j) => {
      expect(Math.abs(x[j] - t)).toBeLessThan(1e-13);
    });
    const noisy = Float64Array.from(b, (v, r) => v + Math.cos(3 * r));
    const fit = ridgeLeastSquares(A, m, 3, noisy, 1).x;
    for (let j = 0; j < 3; j++) {
      let dot = 0;
      for (let r = 0; r < m; r++)
        dot +=
          A[r * 3 + j] * (noisy[r] - (A[r * 3] * fit[0] + A[r * 3 + 1] * fit[1] + A[r * 3 + 2] * fit[2]));
      expect(Math.abs(dot)).toBeLessThan(1e-12);
    }
  });

  it('names a (nearly) dependent column and explains the fix', () => {
    const m = 10;
    const A = new Float64Array(m * 3);
    for (let r = 0; r < m; r++) {
      A[r * 3] = 1;
      A[r * 3 + 1] = r;
      A[r * 3 + 2] = 2 * r + 1; // = 2·col1 + col0
    }
    const b = Float64Array.from({ length: m }, (_, r) => r);
    expect(() => ridgeLeastSquares(A, m, 3, b, 1, { names: ['1', 'x', 'z'], where: 'test' })).toThrow(
      /test: the matrix is ill-conditioned .*linear combination.*alpha > 0/,
    );
    // Ridge makes the same problem well posed.
    const { x } = ridgeLeastSquares(A, m, 3, b, 1, { alpha: 1e-6 });
    expect(x.every(Number.isFinite)).toBe(true);
  });

  it('rejects underdetermined problems and mismatched shapes', () => {
    expect(() => ridgeLeastSquares(new Float64Array(6), 2, 3, new Float64Array(2), 1)).toThrow(
      /2 samples for 3 terms is underdetermined/,
    );
    expect(() => ridgeLeastSquares(new Float64Array(5), 2, 3, new Float64Array(2), 1)).toThrow(
      /A has 5 entries, expected 2·3/,
    );
    expect(() => ridgeLeastSquares(new Float64Array(6), 3, 2, new Float64Array(2), 1)).toThrow(
      /B has 2 entries/,
    );
    expect(() => ridgeLeastSquares(new Float64Array(6), 3, 2, new Float64Array(3), 1, { alpha: -1 })).toThrow(
      /alpha/,
    );
  });
});
