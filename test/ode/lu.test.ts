import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LU_OK, luFactor, luFactorBatch, luSolve, luSolveBatch } from '../../src/ode/lu.js';
import { testRng } from '../support/fd.js';

const EPS = Number.EPSILON;

/** A random d×d matrix with entries uniform in [−1, 1), row-major. */
function randomMatrix(rng: () => number, d: number): Float64Array {
  const a = new Float64Array(d * d);
  for (let i = 0; i < a.length; i++) a[i] = 2 * rng() - 1;
  return a;
}

/**
 * A well-conditioned matrix that needs pivoting: a strictly diagonally dominant matrix (entries
 * in [−1, 1), diagonal ±(d + 1)) with its rows shuffled, so its diagonal is mostly small.
 */
function shuffledDominant(rng: () => number, d: number): Float64Array {
  const m = randomMatrix(rng, d);
  for (let i = 0; i < d; i++) m[i * d + i] = (rng() < 0.5 ? -1 : 1) * (d + 1);
  const order = Array.from({ length: d }, (_, i) => i);
  for (let i = d - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const a = new Float64Array(d * d);
  order.forEach((src, dst) => {
    a.set(m.subarray(src * d, (src + 1) * d), dst * d);
  });
  return a;
}

function matVec(a: Float64Array, d: number, x: Float64Array): Float64Array {
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += a[i * d + j] * x[j];
    y[i] = s;
  }
  return y;
}

const maxAbs = (v: Float64Array) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

function normInf(a: Float64Array, d: number): number {
  let m = 0;
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += Math.abs(a[i * d + j]);
    m = Math.max(m, s);
  }
  return m;
}

/** Factorizes a copy of a and solves A·x = b; returns x and the status. */
function solveCopy(a: Float64Array, d: number, b: Float64Array): { x: Float64Array; status: number } {
  const lu = Float64Array.from(a);
  const piv = new Int32Array(d);
  const status = luFactor(lu, 0, d, piv, 0);
  const x = Float64Array.from(b);
  if (status === LU_OK) luSolve(lu, 0, d, piv, 0, x, 0);
  return { x, status };
}

describe('luFactor / luSolve', () => {
  it('solves well-conditioned systems that need pivoting to ~1e-12 (sizes 1..40)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (d, seed) => {
        const rng = testRng(seed);
        const a = shuffledDominant(rng, d);
        const xTrue = randomMatrix(rng, d).subarray(0, d);
        const b = matVec(a, d, xTrue);
        const { x, status } = solveCopy(a, d, b);
        expect(status).toBe(LU_OK);
        const r = matVec(a, d, x).map((v, i) => v - b[i]);
        expect(maxAbs(r)).toBeLessThanOrEqual(1e-12 * maxAbs(b));
        expect(maxAbs(x.map((v, i) => v - xTrue[i]))).toBeLessThanOrEqual(1e-12);
      }),
      { numRuns: 200 },
    );
  });

  it('is backward stable on arbitrary random matrices: ‖b − A·x̂‖ ≤ c·d·ε·‖A‖·‖x̂‖', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (d, seed) => {
        const rng = testRng(seed);
        const a = randomMatrix(rng, d);
        const b = randomMatrix(rng, d).subarray(0, d);
        const { x, status } = solveCopy(a, d, b);
        expect(status).toBe(LU_OK);
        const r = matVec(a, d, x).map((v, i) => v - b[i]);
        expect(maxAbs(r)).toBeLessThanOrEqual(10 * d * EPS * normInf(a, d) * maxAbs(x));
      }),
      { numRuns: 200 },
    );
  });

  it('pivots past a zero leading entry', () => {
    // [[0, 1], [1, 0]]·x = [2, 3] → x = [3, 2]
    expect(Array.from(solveCopy(new Float64Array([0, 1, 1, 0]), 2, new Float64Array([2, 3])).x)).toEqual([
      3, 2,
    ]);
    // [[0, 2, 1], [1, 1, 1], [2, 1, 0]] with x = [1, 2, 3]: b = [7, 6, 4]
    const a = new Float64Array([0, 2, 1, 1, 1, 1, 2, 1, 0]);
    const lu = Float64Array.from(a);
    const piv = new Int32Array(3);
    expect(luFactor(lu, 0, 3, piv, 0)).toBe(LU_OK);
    expect(piv[0]).toBe(2); // the largest entry of column 0 is in row 2
    const x = new Float64Array([7, 6, 4]);
    luSolve(lu, 0, 3, piv, 0, x, 0);
    expect(maxAbs(x.map((v, i) => v - [1, 2, 3][i]))).toBeLessThanOrEqual(4 * EPS);
  });

  it('solves a 1×1 system and reports a zero 1×1 matrix as singular', () => {
    expect(solveCopy(new Float64Array([4]), 1, new Float64Array([2])).x[0]).toBe(0.5);
    expect(solveCopy(new Float64Array([0]), 1, new Float64Array([2])).status).toBe(1);
  });

  it('reports singular matrices by the column of the zero pivot, without throwing', () => {
    // A zero column 1.
    expect(luFactor(new Float64Array([1, 0, 2, 3, 0, 4, 5, 0, 7]), 0, 3, new Int32Array(3), 0)).toBe(2);
    // Two equal rows: elimination cancels one exactly.
    expect(
      luFactor(new Float64Array([1, 2, 3, 4, 5, 6, 1, 2, 3]), 0, 3, new Int32Array(3), 0),
    ).toBeGreaterThan(0);
    // The zero matrix fails at the first column.
    expect(luFactor(new Float64Array(16), 0, 4, new Int32Array(4), 0)).toBe(1);
    // Rank 1: [[1, 2], [2, 4]].
    expect(luFactor(new Float64Array([1, 2, 2, 4]), 0, 2, new Int32Array(2), 0)).toBe(2);
  });

  it('reports NaN and infinite entries as −1, wherever they are', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      for (let k = 0; k < 9; k++) {
        const a = new Float64Array([4, 1, 0, 1, 4, 1, 0, 1, 4]);
        a[k] = bad;
        expect(luFactor(a, 0, 3, new Int32Array(3), 0)).toBe(-1);
      }
    }
  });

  it('solves several right-hand sides at once, as separate solves would', () => {
    const rng = testRng(7);
    const d = 12;
    const a = shuffledDominant(rng, d);
    const lu = Float64Array.from(a);
    const piv = new Int32Array(d);
    expect(luFactor(lu, 0, d, piv, 0)).toBe(LU_OK);
    const B = randomMatrix(rng, d).subarray(0, 3 * d); // three right-hand sides
    const X = Float64Array.from(B);
    luSolve(lu, 0, d, piv, 0, X, 0, 3);
    for (let r = 0; r < 3; r++) {
      const x = B.slice(r * d, (r + 1) * d);
      luSolve(lu, 0, d, piv, 0, x, 0);
      expect(Array.from(X.subarray(r * d, (r + 1) * d))).toEqual(Array.from(x));
    }
    // With the identity as right-hand sides, A·X = I.
    const I = new Float64Array(d * d);
    for (let i = 0; i < d; i++) I[i * d + i] = 1;
    luSolve(lu, 0, d, piv, 0, I, 0, d);
    for (let c = 0; c < d; c++) {
      const col = matVec(a, d, I.subarray(c * d, (c + 1) * d));
      col[c] -= 1;
      expect(maxAbs(col)).toBeLessThanOrEqual(1e-14);
    }
  });

  it('works on slices at offsets and skips zero multipliers exactly (banded matrices)', () => {
    const d = 30;
    // A tridiagonal (−1, 4, −1) matrix placed after 5 unrelated values, with x = 1..d.
    const a = new Float64Array(5 + d * d).fill(99);
    for (let i = 0; i < d * d; i++) a[5 + i] = 0;
    for (let i = 0; i < d; i++) {
      a[5 + i * d + i] = 4;
      if (i > 0) a[5 + i * d + i - 1] = -1;
      if (i < d - 1) a[5 + i * d + i + 1] = -1;
    }
    const xTrue = Float64Array.from({ length: d }, (_, i) => i + 1);
    const b = matVec(a.subarray(5), d, xTrue);
    const piv = new Int32Array(3 + d);
    expect(luFactor(a, 5, d, piv, 3)).toBe(LU_OK);
    expect(Array.from(a.subarray(0, 5))).toEqual([99, 99, 99, 99, 99]);
    const x = new Float64Array(2 + d);
    x.set(b, 2);
    luSolve(a, 5, d, piv, 3, x, 2);
    expect(maxAbs(x.subarray(2).map((v, i) => v - xTrue[i]))).toBeLessThanOrEqual(1e-13);
  });
});

describe('luFactorBatch / luSolveBatch', () => {
  it('factorizes and solves only the listed rows, each as if alone', () => {
    const rng = testRng(11);
    const d = 5;
    const N = 4;
    const a = new Float64Array(N * d * d);
    for (let b = 0; b < N; b++) a.set(shuffledDominant(rng, d), b * d * d);
    a.fill(0, 3 * d * d, 4 * d * d); // row 3 is singular
    a[0] = Number.NaN; // so is row 0, but it is not listed
    const lu = Float64Array.from(a);
    const piv = new Int32Array(N * d).fill(-7);
    const status = new Int32Array(N).fill(42);
    const rows = new Int32Array([3, 1, 2]);
    expect(luFactorBatch(lu, d, piv, 3, rows, status)).toBe(1);
    expect(Array.from(status)).toEqual([42, LU_OK, LU_OK, 1]);
    // Row 0 untouched.
    expect(Array.from(lu.subarray(0, d * d))).toEqual(Array.from(a.subarray(0, d * d)));
    expect(Array.from(piv.subarray(0, d))).toEqual([-7, -7, -7, -7, -7]);

    const rhs = randomMatrix(rng, N * d).subarray(0, N * d);
    const x = Float64Array.from(rhs);
    luSolveBatch(lu, d, piv, x, 2, new Int32Array([2, 1]));
    for (let b = 0; b < N; b++) {
      const mine = x.subarray(b * d, (b + 1) * d);
      if (b === 1 || b === 2) {
        const alone = solveCopy(
          a.subarray(b * d * d, (b + 1) * d * d),
          d,
          rhs.subarray(b * d, (b + 1) * d),
        ).x;
        expect(Array.from(mine)).toEqual(Array.from(alone));
      } else expect(Array.from(mine)).toEqual(Array.from(rhs.subarray(b * d, (b + 1) * d)));
    }
  });

  it('takes all rows in order when rows is null', () => {
    const a = new Float64Array([2, 0, 0, 2, 0, 1, 1, 0]);
    const piv = new Int32Array(4);
    const status = new Int32Array(2);
    expect(luFactorBatch(a, 2, piv, 2, null, status)).toBe(0);
    const x = new Float64Array([2, 4, 5, 7]);
    luSolveBatch(a, 2, piv, x, 2, null);
    expect(Array.from(x)).toEqual([1, 2, 7, 5]);
  });
});
