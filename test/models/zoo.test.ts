/**
 * Every zoo model, compiled, against its independent reference (test/models/reference.ts):
 * right-hand side, initial values and observables at many random points, for a single
 * trajectory and for batches with different parameters per trajectory.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../src/expr/compile.js';
import { type ZooName, zoo } from '../../src/models/index.js';
import { testRng } from '../support/fd.js';
import { cases, type Point, pack } from './cases.js';
import { magnitude, references, total } from './reference.js';

const names = Object.keys(zoo) as ZooName[];

/** Relative tolerance of a sum against Σ|terms|: 1e-13 ≈ 450 ulp. */
const RTOL = 1e-13;

describe.each(names)('zoo model %s', (name) => {
  const model = zoo[name].model();
  const compiled = compileModel(model);
  const ref = references[name];
  const kase = cases[name];

  it('parses, and its states, parameters and observables are those of the reference', () => {
    expect(model.dim).toBeGreaterThan(0);
    const rng = testRng(1);
    const q = kase.sample(rng, model, false);
    expect(Object.keys(ref.rhs(q.t, q.y, q.p, q.u, q.c)).sort()).toEqual(
      model.states.map((s) => s.name).sort(),
    );
    expect(Object.keys(ref.observe(q.t, q.y, q.p, q.u, q.c)).sort()).toEqual(
      model.observables.map((o) => o.name).sort(),
    );
    expect(zoo[name].description.length).toBeGreaterThan(10);
    expect(zoo[name].source).toContain('d/dt');
  });

  it.each([1, 2, 7])('rhs equals the reference at random points (batch %i)', (B) => {
    const rng = testRng(1000 + B);
    const out = new Float64Array(B * model.dim);
    for (let rep = 0; rep < 300 / B; rep++) {
      const points: Point[] = Array.from({ length: B }, () => kase.sample(rng, model, false));
      const a = pack(model, points);
      out.fill(Number.NaN);
      compiled.rhs(a.t, a.y, a.p, a.u, a.c, out, B);
      points.forEach((q, b) => {
        const terms = ref.rhs(q.t, q.y, q.p, q.u, q.c);
        model.states.forEach((s, i) => {
          const want = total(terms[s.name]);
          const got = out[b * model.dim + i];
          const tol = RTOL * magnitude(terms[s.name]);
          if (!(Math.abs(got - want) <= tol)) {
            throw new Error(
              `${name}: d${s.name}/dt = ${got}, reference ${want} (tolerance ${tol}), batch ${b}`,
            );
          }
        });
      });
    }
  });

  it('initial values equal the reference (batch 4, different parameters)', () => {
    const rng = testRng(7);
    const points = Array.from({ length: 4 }, () => kase.sample(rng, model, false));
    const a = pack(model, points);
    const y0 = new Float64Array(4 * model.dim);
    compiled.initial(a.p, a.c, y0, 4);
    points.forEach((q, b) => {
      const want = ref.initial(q.p, q.c);
      model.states.forEach((s, i) => {
        expect(y0[b * model.dim + i]).toBeCloseTo(want[s.name], 14);
      });
    });
  });

  it('initial values at the default parameters are the documented ones', () => {
    const p = model.defaultParams();
    const c = Float64Array.from(model.covariates, (x) => x.defaultValue ?? Number.NaN);
    const y0 = new Float64Array(model.dim);
    compiled.initial(p, c, y0, 1);
    const named = Object.fromEntries(model.params.map((d) => [d.name, d.value]));
    const cov = Object.fromEntries(model.covariates.map((d) => [d.name, d.defaultValue ?? Number.NaN]));
    const want = ref.initial(named, cov);
    model.states.forEach((s, i) => {
      expect(y0[i]).toBe(want[s.name]);
    });
  });

  it('observables equal the reference (batch 3)', () => {
    const K = model.observables.length;
    const rng = testRng(11);
    for (let rep = 0; rep < 20; rep++) {
      const points = Array.from({ length: 3 }, () => kase.sample(rng, model, false));
      const a = pack(model, points);
      const out = new Float64Array(3 * K);
      compiled.observe(a.t, a.y, a.p, a.u, a.c, out, 3);
      points.forEach((q, b) => {
        const want = ref.observe(q.t, q.y, q.p, q.u, q.c);
        model.observables.forEach((o, k) => {
          const got = out[b * K + k];
          expect(Math.abs(got - want[o.name])).toBeLessThanOrEqual(4e-16 * Math.abs(want[o.name]));
        });
      });
    }
  });
});
