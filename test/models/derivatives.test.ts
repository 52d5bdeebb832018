/**
 * Jacobian, VJP and JVP of every compiled zoo model against Richardson-extrapolated central
 * differences of its compiled right-hand side, at points away from the clamps' kinks, with
 * different parameters per trajectory.
 *
 * Errors are measured in natural units: a state j moves by multiples of its scale
 * hⱼ = max(|yⱼ|, typical magnitude), a parameter k by multiples of |pₖ|, and output i is
 * compared with gᵢ = Σ|additive terms of fᵢ| from the reference. An entry passes when
 * |exact − FD| ≤ 1e-6·max(|exact|, |FD|, 1e-3·g), i.e. relative 1e-6, with an absolute floor of
 * 1e-9 of the output's natural size for entries that are (nearly) zero.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../src/expr/compile.js';
import { type ZooName, zoo } from '../../src/models/index.js';
import { richardsonVec, testRng } from '../support/fd.js';
import { cases, type Point, pack } from './cases.js';
import { magnitude, references } from './reference.js';

const names = Object.keys(zoo) as ZooName[];
const RTOL = 1e-6;
/** Richardson step, in units of each variable's scale. */
const STEP = 1e-4;
const B = 3;

/** |a − b| ≤ RTOL·max(|a|, |b|, 1e-3·g), else a descriptive error. */
function agree(a: number, b: number, g: number, what: string): void {
  if (!(Math.abs(a - b) <= RTOL * Math.max(Math.abs(a), Math.abs(b), 1e-3 * g))) {
    throw new Error(`${what}: exact ${a}, finite differences ${b} (natural scale ${g})`);
  }
}

describe.each(names)('derivatives of zoo model %s', (name) => {
  const model = zoo[name].model();
  const c = compileModel(model);
  const D = model.dim;
  const P = model.params.length;
  const ref = references[name];
  const kase = cases[name];

  const setup = (seed: number) => {
    const rng = testRng(seed);
    const points: Point[] = Array.from({ length: B }, () => kase.sample(rng, model, true));
    const a = pack(model, points);
    // Output scales g[b·D + i] and variable scales.
    const g = new Float64Array(B * D);
    points.forEach((q, b) => {
      const terms = ref.rhs(q.t, q.y, q.p, q.u, q.c);
      model.states.forEach((s, i) => {
        g[b * D + i] = Math.max(magnitude(terms[s.name]), 1e-300);
      });
    });
    const hy = a.y.map((v, k) => Math.max(Math.abs(v), kase.scale[model.states[k % D].name]));
    const hp = a.p.map((v) => Math.abs(v) || 1);
    const f = (y: Float64Array, p: Float64Array) => {
      const out = new Float64Array(B * D);
      c.rhs(a.t, y, p, a.u, a.c, out, B);
      return out;
    };
    return { rng, a, g, hy, hp, f };
  };

  it.each([1, 2, 3])('Jacobian against finite differences (seed %i)', (seed) => {
    const { a, g, hy, f } = setup(100 + seed);
    const J = new Float64Array(B * D * D).fill(Number.NaN);
    c.jac(a.t, a.y, a.p, a.u, a.c, J, B);
    for (let j = 0; j < D; j++) {
      // Moves state j of every trajectory by s·hⱼ; column j of each trajectory's Jacobian.
      const col = richardsonVec(
        (s) =>
          f(
            a.y.map((v, k) => (k % D === j ? v + s * hy[k] : v)),
            a.p,
          ),
        STEP,
      );
      for (let b = 0; b < B; b++) {
        const h = hy[b * D + j];
        for (let i = 0; i < D; i++) {
          const exact = J[(b * D + i) * D + j] * h;
          agree(
            exact,
            col[b * D + i],
            g[b * D + i],
            `${name} ∂f_${model.states[i].name}/∂${model.states[j].name}`,
          );
        }
      }
    }
  });

  it.each([1, 2, 3])('VJP against finite differences (seed %i)', (seed) => {
    const { rng, a, g, hy, hp, f } = setup(200 + seed);
    // Cotangents in natural units, so every output contributes on the same footing.
    const outBar = g.map((gi) => (2 * rng() - 1) / gi);
    const yBar = new Float64Array(B * D).fill(7); // must be overwritten
    const pBar0 = Float64Array.from({ length: B * P }, () => rng());
    const pBar = pBar0.slice(); // must be accumulated into
    c.vjp(a.t, a.y, a.p, a.u, a.c, outBar, yBar, pBar, B);
    const dot = (v: Float64Array, b: number) => {
      let s = 0;
      for (let i = 0; i < D; i++) s += outBar[b * D + i] * v[b * D + i];
      return s;
    };
    // Natural size of ⟨outBar, f⟩ per trajectory: Σ|outBar|·g ≈ D/2.
    const scale = (b: number) => {
      let s = 0;
      for (let i = 0; i < D; i++) s += Math.abs(outBar[b * D + i]) * g[b * D + i];
      return s;
    };
    for (let j = 0; j < D; j++) {
      const d = richardsonVec(
        (s) =>
          f(
            a.y.map((v, k) => (k % D === j ? v + s * hy[k] : v)),
            a.p,
          ),
        STEP,
      );
      for (let b = 0; b < B; b++) {
        agree(yBar[b * D + j] * hy[b * D + j], dot(d, b), scale(b), `${name} yBar[${model.states[j].name}]`);
      }
    }
    for (let k = 0; k < P; k++) {
      const d = richardsonVec(
        (s) =>
          f(
            a.y,
            a.p.map((v, m) => (m % P === k ? v + s * hp[m] : v)),
          ),
        STEP,
      );
      for (let b = 0; b < B; b++) {
        const exact = (pBar[b * P + k] - pBar0[b * P + k]) * hp[b * P + k];
        agree(exact, dot(d, b), scale(b), `${name} pBar[${model.params[k].name}]`);
      }
    }
  });

  it.each([1, 2, 3])('JVP against finite differences (seed %i)', (seed) => {
    const { rng, a, g, hy, hp, f } = setup(300 + seed);
    const yDot = hy.map((h) => (2 * rng() - 1) * h);
    const pDot = hp.map((h) => (2 * rng() - 1) * h);
    const out = new Float64Array(B * D).fill(Number.NaN);
    c.jvp(a.t, a.y, a.p, a.u, a.c, yDot, pDot, out, B);
    const fd = richardsonVec(
      (s) =>
        f(
          a.y.map((v, k) => v + s * yDot[k]),
          a.p.map((v, k) => v + s * pDot[k]),
        ),
      STEP,
    );
    for (let i = 0; i < B * D; i++) agree(out[i], fd[i], g[i], `${name} jvp[${model.states[i % D].name}]`);
  });

  it('Jacobian, VJP and JVP agree with each other exactly enough (batch 1)', () => {
    const { a } = setup(400);
    const one = pack(model, [
      {
        t: a.t[0],
        y: Object.fromEntries(model.states.map((s, i) => [s.name, a.y[i]])),
        p: Object.fromEntries(model.params.map((q, k) => [q.name, a.p[k]])),
        u: Object.fromEntries(model.inputs.map((q, k) => [q.name, a.u[k]])),
        c: Object.fromEntries(model.covariates.map((q, k) => [q.name, a.c[k]])),
      },
    ]);
    const J = new Float64Array(D * D);
    c.jac(one.t, one.y, one.p, one.u, one.c, J, 1);
    for (let j = 0; j < D; j++) {
      const e = new Float64Array(D);
      e[j] = 1;
      const col = new Float64Array(D);
      c.jvp(one.t, one.y, one.p, one.u, one.c, e, new Float64Array(P), col, 1);
      const row = new Float64Array(D);
      c.vjp(one.t, one.y, one.p, one.u, one.c, e, row, new Float64Array(P), 1);
      for (let i = 0; i < D; i++) {
        expect(col[i]).toBeCloseTo(J[i * D + j], 12);
        expect(row[i]).toBeCloseTo(J[j * D + i], 12);
      }
    }
  });
});
