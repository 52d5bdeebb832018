import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lasso } from '../../src/discovery/lasso.js';
import { ridgeLeastSquares } from '../../src/discovery/leastSquares.js';
import { evaluateLibrary, functionLibrary, libraryTerm } from '../../src/discovery/library.js';
import {
  coefficientName,
  coefficientOf,
  predictSparse,
  sparseEquations,
  sparseExpression,
  sparseModelText,
} from '../../src/discovery/sparseModel.js';
import { stlsq } from '../../src/discovery/stlsq.js';
import { stlsqSweep } from '../../src/discovery/sweep.js';
import { parseModel } from '../../src/expr/parse.js';
import { normal, rngKey, uniform } from '../../src/tensor/random.js';

/** Lotka–Volterra right-hand sides at scattered points (x, y) ∈ [0.2, 3]². */
function lvData(m: number, seed: number, noise = 0) {
  const u = uniform(rngKey(seed), [m, 2], 0.2, 3).data;
  const e = normal(rngKey(seed + 1), [m, 2]).data;
  const samples: number[][] = [];
  const targets: number[][] = [];
  for (let r = 0; r < m; r++) {
    const x = u[2 * r];
    const y = u[2 * r + 1];
    const dx = 1.3 * x - 0.9 * x * y;
    const dy = 0.8 * x * y - 1.8 * y;
    samples.push([x, y]);
    targets.push([dx * (1 + noise * e[2 * r]), dy * (1 + noise * e[2 * r + 1])]);
  }
  return { samples, targets };
}

const truth: Record<string, Record<string, number>> = {
  dx: { x: 1.3, x·y: -0.9 },
  dy: { y: -1.8, x·y: 0.8 },
};

describe('function libraries', () => {
  it('has the C(n + d, d) monomials in graded order, then trig and own terms', () => {
    const lib = functionLibrary(['x', 'y'], { degree: 2 });
    expect(lib.terms.map((t) => t.name)).toEqual(['1', 'x', 'y', 'x^2', 'x·y', 'y^2']);
    expect(functionLibrary(['x', 'y'], { degree: 5 }).terms.length).toBe(21);
    expect(functionLibrary(['a', 'b', 'c'], { degree: 3, constant: false }).terms.length).toBe(19);
    const trig = functionLibrary(['x'], { degree: 1, sin: true, cos: true, frequencies: [1, 2] });
    expect(trig.terms.map((t) => t.name)).toEqual(['1', 'x', 'sin(x)', 'sin(2*x)', 'cos(x)', 'cos(2*x)']);
    const own = functionLibrary(['x', 'y'], {
      degree: 0,
      terms: [libraryTerm('x/(1+y)', (v) => v[0] / (1 + v[1]), 'x / (1 + y)')],
    });
    expect(Array.from(evaluateLibrary(own, [[2, 3]]))).toEqual([1, 0.5]);
    expect(Array.from(evaluateLibrary(functionLibrary(['x', 'y'], { degree: 3 }), [[2, 3]]))).toEqual([
      1, 2, 3, 4, 6, 9, 8, 12, 18, 27,
    ]);
    expect(Array.from(evaluateLibrary(trig, [[0.5]]))).toEqual([
      1,
      0.5,
      Math.sin(0.5),
      Math.sin(1),
      Math.cos(0.5),
      Math.cos(1),
    ]);
  });

  it('rejects bad names, duplicates, options and samples with clear messages', () => {
    expect(() => functionLibrary(['x', 'x'])).toThrow(/variable "x" is named twice/);
    expect(() => functionLibrary(['2x'])).toThrow(/variable 0 is "2x"/);
    expect(() => functionLibrary(['t'])).toThrow(/not t/);
    expect(() => functionLibrary(['x'], { degre: 2 } as never)).toThrow(/unknown option "degre"/);
    expect(() => functionLibrary(['x'], { degree: 1, terms: [libraryTerm('x', (v) => v[0])] })).toThrow(
      /two terms are named "x"/,
    );
    const lib = functionLibrary(['x', 'y'], { degree: 1 });
    expect(() => evaluateLibrary(lib, [[1, 2], [3]])).toThrow(
      /samples row 1 has 1 values, expected 2 \(x, y\)/,
    );
    expect(() => evaluateLibrary(lib, [[1, Number.NaN]])).toThrow(/samples row 0, column y is NaN/);
    const inv = functionLibrary(['x'], { degree: 0, terms: [libraryTerm('1/x', (v) => 1 / v[0], '1 / x')] });
    expect(() => evaluateLibrary(inv, [[0]])).toThrow(/term "1\/x" is Infinity at sample 0 \(x = 0\)/);
  });
});

describe('stlsq', () => {
  it('recovers Lotka–Volterra exactly from noiseless derivatives (degree-3 library with sin and cos)', () => {
    const { samples, targets } = lvData(200, 1);
    const lib = functionLibrary(['x', 'y'], { degree: 3, sin: true, cos: true });
    const fit = stlsq(lib, samples, targets, { threshold: 0.05, targets: ['dx', 'dy'] });
    expect(fit.converged).toBe(true);
    for (const [c, target] of fit.targets.entries()) {
      fit.terms.forEach((term, j) => {
        const want = truth[target][term] ?? 0;
        if (want === 0) expect(fit.coefficients[c][j]).toBe(0);
        else expect(Math.abs(fit.coefficients[c][j] - want)).toBeLessThan(1e-11);
      });
    }
    expect(Math.max(...fit.residualRms)).toBeLessThan(1e-12);
    expect(sparseEquations(fit)).toEqual(['dx = 1.300·x - 0.900·x·y', 'dy = -1.800·y + 0.800·x·y']);
    expect(coefficientOf(fit, 'dy', 'x·y')).toBeCloseTo(0.8, 12);
    expect(() => coefficientOf(fit, 'dz', 'x')).toThrow(/no target "dz"; the targets are dx, dy/);
  });

  it('recovers the terms under 1 % noise, coefficients within 2 %', () => {
    const { samples, targets } = lvData(400, 7, 0.01);
    const lib = functionLibrary(['x', 'y'], { degree: 3 });
    for (const thresholdOn of ['coefficient', 'contribution'] as const) {
      const fit = stlsq(lib, samples, targets, { threshold: 0.1, thresholdOn, targets: ['dx', 'dy'] });
      for (const [c, target] of fit.targets.entries()) {
        fit.terms.forEach((term, j) => {
          const want = truth[target][term] ?? 0;
          if (want === 0) expect(fit.coefficients[c][j], `${target} ${term}`).toBe(0);
          else expect(Math.abs(fit.coefficients[c][j] / want - 1)).toBeLessThan(0.02);
        });
      }
    }
  });

  it('equals least squares at threshold 0 (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        (seed, degree, normalize) => {
          const m = 40;
          const samples = Array.from({ length: m }, (_, r) => [
            uniform(rngKey(seed + r), [1], 0.5, 2).data[0],
            uniform(rngKey(seed + r + 1000), [1], -1, 1).data[0],
          ]);
          const targets = samples.map((_, r) => [normal(rngKey(seed + 5000 + r), [1]).data[0]]);
          const lib = functionLibrary(['x', 'y'], { degree });
          const fit = stlsq(lib, samples, targets, { threshold: 0, normalize });
          const p = lib.terms.length;
          const theta = evaluateLibrary(lib, samples);
          const ls = ridgeLeastSquares(theta, m, p, Float64Array.from(targets.flat()), 1).x;
          for (let j = 0; j < p; j++)
            expect(Math.abs(fit.coefficients[0][j] - ls[j])).toBeLessThan(
              1e-9 * Math.max(1, Math.abs(ls[j])),
            );
          expect(fit.iterations).toBe(1);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('writes model-language lines that parse and reproduce the recovered right-hand side', () => {
    const { samples, targets } = lvData(100, 3);
    const lib = functionLibrary(['x', 'y'], { degree: 2 });
    const fit = stlsq(lib, samples, targets, { threshold: 0.05, targets: ['x', 'y'] });
    const text = sparseModelText(fit);
    expect(text.split('\n')[0]).toMatch(/^d\/dt x = 1\.3\d* \* x - 0\.[89]\d* \* x \* y$/);
    const model = parseModel(`state x = 1\nstate y = 2\n${text}\nobs o = x ~ normal(1)`);
    expect(model.states.length).toBe(2);
    const pred = predictSparse(fit, lib, [[1.5, 0.7]]);
    expect(pred[0][0]).toBeCloseTo(1.3 * 1.5 - 0.9 * 1.5 * 0.7, 12);
    expect(sparseExpression(fit, 'y')).toMatch(/^-1\.8\d* \* y \+ 0\.8\d* \* x \* y$/);
  });

  it('says what is wrong with the inputs', () => {
    const lib = functionLibrary(['x', 'y'], { degree: 2 });
    const { samples, targets } = lvData(30, 2);
    expect(() => stlsq(lib, samples, targets.slice(1))).toThrow(/30 samples but 29 target rows/);
    expect(() => stlsq(lib, samples, targets, { targets: ['a'] })).toThrow(/2 values but 1 target names/);
    expect(() => stlsq(lib, samples.slice(0, 4), targets.slice(0, 4))).toThrow(
      /4 samples for 6 terms is underdetermined/,
    );
    expect(() => stlsq(lib, samples, targets, { threshold: -1 })).toThrow(/threshold must be finite and ≥ 0/);
    const constant = samples.map(() => [1, 1]);
    expect(() => stlsq(lib, constant, targets)).toThrow(/ill-conditioned.*linear combination/);
    const zero = samples.map(([x]) => [x, 0]);
    expect(() => stlsq(lib, zero, targets)).toThrow(/term "y" is 0 at every sample/);
  });
});

describe('lasso (proximal gradient, FISTA)', () => {
  it('soft-thresholds Θᵀy exactly for an orthonormal library (closed form)', () => {
    // Columns cos(k·s) on an even grid are orthogonal; with normalize the library is orthonormal.
    const m = 64;
    const s = Array.from({ length: m }, (_, r) => [(2 * Math.PI * (r + 0.5)) / m]);
    const lib = functionLibrary(['s'], { degree: 0, cos: true, sin: true, frequencies: [1, 2, 3] });
    const y = s.map(([v]) => [0.5 + 2 * Math.cos(v) - 0.05 * Math.sin(2 * v) + 0.3 * Math.cos(3 * v)]);
    const lambda = 0.1;
    const fit = lasso(lib, s, y, { lambda, tolerance: 1e-14 });
    const theta = evaluateLibrary(lib, s);
    const p = lib.terms.length;
    for (let j = 0; j < p; j++) {
      let norm = 0;
      let dot = 0;
      for (let r = 0; r < m; r++) {
        norm += theta[r * p + j] ** 2;
        dot += theta[r * p + j] * y[r][0];
      }
      norm = Math.sqrt(norm);
      const c = dot / norm; // θ̃ᵀy
      const tau = lambda * Math.sqrt(m);
      const want = (Math.sign(c) * Math.max(Math.abs(c) - tau, 0)) / norm;
      if (want === 0) expect(fit.coefficients[0][j]).toBe(0);
      else expect(Math.abs(fit.coefficients[0][j] - want)).toBeLessThan(1e-10);
    }
    expect(coefficientOf(fit, 'y1', 'sin(2*s)')).toBe(0);
  });

  it('has exact zeros and satisfies the optimality (KKT) conditions (property)', () => {
    let totalZeros = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom(0.01, 0.1, 0.5),
        fc.constantFrom(0, 0.1),
        (seed, lambda, alpha) => {
          const { samples, targets } = lvData(60, seed, 0.05);
          const lib = functionLibrary(['x', 'y'], { degree: 2 });
          const fit = lasso(lib, samples, targets, { lambda, alpha, tolerance: 1e-13 });
          expect(fit.converged).toBe(true);
          const m = samples.length;
          const p = lib.terms.length;
          const theta = evaluateLibrary(lib, samples);
          const norms = Array.from({ length: p }, (_, j) =>
            Math.sqrt(samples.reduce((a, _s, r) => a + theta[r * p + j] ** 2, 0)),
          );
          const lam = lambda * Math.sqrt(m);
          let zeros = 0;
          for (let c = 0; c < 2; c++) {
            const xiT = fit.coefficients[c].map((v, j) => v * norms[j]);
            for (let j = 0; j < p; j++) {
              let g = 0; // θ̃_jᵀ r − α ξ̃_j
              for (let r = 0; r < m; r++) {
                let f = 0;
                for (let i = 0; i < p; i++) f += (theta[r * p + i] / norms[i]) * xiT[i];
                g += (theta[r * p + j] / norms[j]) * (targets[r][c] - f);
              }
              g -= alpha * xiT[j];
              if (fit.coefficients[c][j] === 0) {
                zeros++;
                expect(Math.abs(g)).toBeLessThanOrEqual(lam * (1 + 1e-6));
              } else expect(Math.abs(g - lam * Math.sign(xiT[j]))).toBeLessThan(1e-6 * lam);
            }
          }
          totalZeros += zeros;
        },
      ),
      { numRuns: 15 },
    );
    expect(totalZeros).toBeGreaterThan(0);
  });

  it('with refit finds the Lotka–Volterra terms (plus tiny correlated ones: the lasso is not STLSQ)', () => {
    const { samples, targets } = lvData(200, 11, 0.002);
    const lib = functionLibrary(['x', 'y'], { degree: 2 });
    const fit = lasso(lib, samples, targets, { lambda: 0.05, refit: true, targets: ['dx', 'dy'] });
    for (const [c, target] of fit.targets.entries()) {
      fit.terms.forEach((term, j) => {
        const want = truth[target][term] ?? 0;
        if (want === 0) expect(Math.abs(fit.coefficients[c][j]), `${target} ${term}`).toBeLessThan(2e-3);
        else expect(Math.abs(fit.coefficients[c][j] / want - 1)).toBeLessThan(0.01);
      });
    }
    // A large λ keeps only a few terms, with exact zeros elsewhere.
    const sparse = lasso(lib, samples, targets, { lambda: 0.5 });
    expect(sparse.coefficients.every((xi) => xi.filter((v) => v === 0).length >= 4)).toBe(true);
    expect(() => lasso(lib, samples, targets, { lambda: Number.NaN })).toThrow(/lambda must be finite/);
  });
});

describe('stlsqSweep and model text with parameters', () => {
  it('picks the sparsest equation within the tolerance, per target', () => {
    const { samples, targets } = lvData(150, 21, 0.01);
    const lib = functionLibrary(['x', 'y'], { degree: 3, sin: true });
    const sweep = stlsqSweep(lib, samples, targets, { targets: ['dx', 'dy'], tolerance: 0.05 });
    expect(sweep.withinTolerance).toEqual([true, true]);
    expect(sweep.chosen.map((c) => c.terms)).toEqual([2, 2]);
    for (const [c, target] of sweep.fit.targets.entries()) {
      sweep.fit.terms.forEach((term, j) => {
        const want = truth[target][term] ?? 0;
        if (want === 0) expect(sweep.fit.coefficients[c][j]).toBe(0);
        else expect(Math.abs(sweep.fit.coefficients[c][j] / want - 1)).toBeLessThan(0.02);
      });
    }
    // Every chosen candidate is the sparsest among those within the tolerance.
    for (const chosen of sweep.chosen) {
      const ok = sweep.candidates.filter((k) => k.target === chosen.target && k.relativeResidual <= 0.05);
      expect(Math.min(...ok.map((k) => k.terms))).toBe(chosen.terms);
    }
    // An impossible tolerance falls back to the best fit and says so.
    const strict = stlsqSweep(lib, samples, targets, { tolerance: 1e-9, alphas: [1e-6] });
    expect(strict.withinTolerance).toEqual([false, false]);
    expect(() => stlsqSweep(lib, samples, targets, { tolerance: 0 })).toThrow(/tolerance must be/);
  });

  it('writes the coefficients as parameters that parse', () => {
    const { samples, targets } = lvData(100, 5);
    const lib = functionLibrary(['x', 'y'], { degree: 2 });
    const fit = stlsq(lib, samples, targets, { threshold: 0.05, targets: ['U1', 'U2'] });
    expect(coefficientName('U1', 'x·y')).toBe('U1_xy');
    expect(coefficientName('U1', 'x^2·y')).toBe('U1_x2y');
    expect(coefficientName('U2', 'sin(2*x)')).toBe('U2_sin_2_x');
    expect(coefficientName('U2', '1')).toBe('U2_const');
    const text = sparseModelText(fit, { lhs: (t) => `let ${t}`, parameters: true });
    expect(text.split('\n')).toEqual([
      `param U1_x = ${fit.coefficients[0][1]}`,
      `param U1_xy = ${fit.coefficients[0][4]}`,
      `param U2_y = ${fit.coefficients[1][2]}`,
      `param U2_xy = ${fit.coefficients[1][4]}`,
      'let U1 = U1_x * x + U1_xy * x * y',
      'let U2 = U2_y * y + U2_xy * x * y',
    ]);
    const model = parseModel(
      `state x = 1\nstate y = 2\n${text}\nd/dt x = U1\nd/dt y = U2\nobs o = x ~ normal(1)`,
    );
    expect(model.params.map((p) => p.name)).toEqual(['U1_x', 'U1_xy', 'U2_y', 'U2_xy']);
    expect(model.params[1].value).toBe(fit.coefficients[0][4]);
  });
});
