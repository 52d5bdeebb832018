/**
 * The ODE test problems of test/support/problems.ts: hand-written Jacobians, VJPs and JVPs
 * against Richardson-extrapolated central differences of f, the batched-rows contract, and
 * the reference fixtures (shapes, and agreement of their definitions with the TypeScript ones).
 *
 * Derivatives are compared in natural units: state j moves by multiples of its scale
 * sⱼ = max(|yⱼ|, 1e-2·max|y|) (1 when y = 0), a parameter k by multiples of |pₖ|, and an entry passes when
 * |exact − FD| ≤ 1e-6·max(|exact|, |FD|, 1e-3·g) with g the natural size of its row
 * (|fᵢ| plus Σ of the row's scaled entries), i.e. relative 1e-6 with a small floor for entries that are
 * (nearly) zero.
 */
import { describe, expect, it } from 'vitest';
import { richardson, testRng } from '../support/fd.js';
import {
  allProblems,
  DETEST_IDS,
  type DetestId,
  detest,
  detestReferences,
  maxComponentRelErr,
  type OdeProblem,
  STIFF_IDS,
  stiff,
  stiffReferences,
  tile,
} from '../support/problems.js';

const RTOL = 1e-6;
const STEP = 1e-4;

function agree(exact: number, fd: number, g: number, what: string): void {
  if (!(Math.abs(exact - fd) <= RTOL * Math.max(Math.abs(exact), Math.abs(fd), 1e-3 * g))) {
    throw new Error(`${what}: exact ${exact}, finite differences ${fd} (natural scale ${g})`);
  }
}

const detestRefs = detestReferences();
const stiffRefs = stiffReferences();

function referenceFinal(prob: OdeProblem): number[] {
  return prob.stiff
    ? stiffRefs.problems[prob.id as (typeof STIFF_IDS)[number]].final
    : detestRefs.problems[prob.id as DetestId].final;
}

/** Evaluation points: near y0 at t0 and near the reference final state at t1. */
function points(prob: OdeProblem, seed: number): { t: number; y: Float64Array }[] {
  const rng = testRng(seed);
  const perturb = (base: ArrayLike<number>): Float64Array => {
    let m = 0;
    for (let i = 0; i < base.length; i++) m = Math.max(m, Math.abs(base[i]));
    return Float64Array.from(
      base,
      (v) => v + 0.05 * (2 * rng() - 1) * (Math.max(Math.abs(v), 1e-2 * m) || 1),
    );
  };
  return [
    { t: prob.t0, y: perturb(prob.y0) },
    { t: prob.t1, y: perturb(referenceFinal(prob)) },
  ];
}

function evalF(prob: OdeProblem, t: number, y: Float64Array, p: Float64Array): Float64Array {
  const out = new Float64Array(prob.field.dim);
  prob.field.f(Float64Array.of(t), y, p, out, 1, null);
  return out;
}

function scales(v: ArrayLike<number>): number[] {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return Array.from({ length: v.length }, (_, i) => Math.max(Math.abs(v[i]), 1e-2 * m) || 1);
}

/**
 * Finite-difference Jacobians in natural units: fdY[i][j] = ∂fᵢ/∂yⱼ·sⱼ, fdP[i][k] = ∂fᵢ/∂pₖ·|pₖ|.
 */
function fdJacobians(prob: OdeProblem, t: number, y: Float64Array) {
  const D = prob.field.dim;
  const P = prob.field.nParams;
  const sy = scales(y);
  const sp = Array.from(prob.p, (v) => Math.abs(v));
  const fdY: number[][] = Array.from({ length: D }, () => new Array<number>(D).fill(0));
  const fdP: number[][] = Array.from({ length: D }, () => new Array<number>(P).fill(0));
  for (let j = 0; j < D; j++) {
    for (let i = 0; i < D; i++) {
      fdY[i][j] = richardson((s) => {
        const yy = Float64Array.from(y);
        yy[j] += s * sy[j];
        return evalF(prob, t, yy, prob.p)[i];
      }, STEP);
    }
  }
  for (let k = 0; k < P; k++) {
    for (let i = 0; i < D; i++) {
      fdP[i][k] = richardson((s) => {
        const pp = Float64Array.from(prob.p);
        pp[k] += s * sp[k];
        return evalF(prob, t, y, pp)[i];
      }, STEP);
    }
  }
  // Natural size of each row: |fᵢ| plus Σ of the scaled entries (state and parameter parts).
  const f0 = evalF(prob, t, y, prob.p);
  const g = fdY.map(
    (row, i) =>
      Math.abs(f0[i]) +
      row.reduce((a, v) => a + Math.abs(v), 0) +
      fdP[i].reduce((a, v) => a + Math.abs(v), 0),
  );
  return { sy, sp, fdY, fdP, g };
}

const problems = allProblems();

describe('ODE test problems: derivatives against finite differences', () => {
  for (const prob of problems) {
    it(`${prob.id}: jac, vjp and jvp`, () => {
      const F = prob.field;
      const D = F.dim;
      const P = F.nParams;
      expect(prob.y0.length).toBe(D);
      expect(prob.p.length).toBe(P);
      expect(prob.paramNames.length).toBe(P);
      expect(typeof F.jac).toBe('function');
      let seed = 11;
      for (const { t, y } of points(prob, 7 * prob.id.length + prob.id.charCodeAt(0))) {
        const { sy, sp, fdY, fdP, g } = fdJacobians(prob, t, y);
        const tt = Float64Array.of(t);
        // Dense Jacobian, entry by entry.
        const J = new Float64Array(D * D).fill(Number.NaN);
        F.jac?.(tt, y, prob.p, J, 1, null);
        for (let i = 0; i < D; i++)
          for (let j = 0; j < D; j++)
            agree(J[i * D + j] * sy[j], fdY[i][j], g[i], `${prob.id} J[${i}][${j}] at t=${t}`);
        // VJP: yBar = Jᵀw overwritten, pBar += J_pᵀw.
        const rng = testRng(seed++);
        const w = Float64Array.from({ length: D }, () => 2 * rng() - 1);
        const yBar = new Float64Array(D).fill(123);
        const pBar0 = Float64Array.from({ length: P }, () => rng());
        const pBar = Float64Array.from(pBar0);
        F.vjp(tt, y, prob.p, w, yBar, pBar, 1, null);
        for (let j = 0; j < D; j++) {
          let fd = 0;
          let gj = 0;
          for (let i = 0; i < D; i++) {
            fd += w[i] * fdY[i][j];
            gj += Math.abs(w[i]) * g[i];
          }
          agree(yBar[j] * sy[j], fd, gj, `${prob.id} yBar[${j}] at t=${t}`);
        }
        for (let k = 0; k < P; k++) {
          let fd = 0;
          let gk = 0;
          for (let i = 0; i < D; i++) {
            fd += w[i] * fdP[i][k];
            gk += Math.abs(w[i]) * g[i];
          }
          agree((pBar[k] - pBar0[k]) * sp[k], fd, gk, `${prob.id} pBar[${k}] at t=${t}`);
        }
        // JVP along a random direction in natural units.
        if (F.jvp !== undefined) {
          const dy = Float64Array.from({ length: D }, (_, j) => (2 * rng() - 1) * sy[j]);
          const dp = Float64Array.from({ length: P }, (_, k) => (2 * rng() - 1) * sp[k]);
          const out = new Float64Array(D);
          F.jvp(tt, y, prob.p, dy, dp, out, 1, null);
          for (let i = 0; i < D; i++) {
            let fd = 0;
            for (let j = 0; j < D; j++) fd += fdY[i][j] * (dy[j] / sy[j]);
            for (let k = 0; k < P; k++) fd += fdP[i][k] * (dp[k] / sp[k]);
            agree(out[i], fd, g[i], `${prob.id} jvp[${i}] at t=${t}`);
          }
        }
      }
    });
  }
});

describe('ODE test problems: batched rows', () => {
  for (const prob of problems) {
    it(`${prob.id}: a subset of rows gives the single-row results and leaves other rows alone`, () => {
      const F = prob.field;
      const D = F.dim;
      const P = F.nParams;
      const N = 3;
      const rng = testRng(99);
      const { t, y, p } = tile(prob, N);
      for (let b = 0; b < N; b++) {
        t[b] = prob.t0 + 0.1 * b;
        for (let j = 0; j < D; j++) y[b * D + j] *= 1 + 0.01 * (2 * rng() - 1);
        for (let k = 0; k < P; k++) p[b * P + k] *= 1 + 0.01 * (2 * rng() - 1);
      }
      const rows = Int32Array.of(2, 0);
      const w = Float64Array.from({ length: N * D }, () => 2 * rng() - 1);
      const out = new Float64Array(N * D).fill(7);
      const J = new Float64Array(N * D * D).fill(7);
      const yBar = new Float64Array(N * D).fill(7);
      const pBar = new Float64Array(N * P).fill(7);
      F.f(t, y, p, out, 2, rows);
      F.jac?.(t, y, p, J, 2, rows);
      F.vjp(t, y, p, w, yBar, pBar, 2, rows);
      for (let j = 0; j < D; j++) {
        expect(out[D + j]).toBe(7);
        expect(yBar[D + j]).toBe(7);
      }
      for (let k = 0; k < P; k++) expect(pBar[P + k]).toBe(7);
      for (let e = 0; e < D * D; e++) expect(J[D * D + e]).toBe(7);
      for (const b of [0, 2]) {
        const one = (a: Float64Array, size: number) => a.slice(b * size, (b + 1) * size);
        const o1 = new Float64Array(D);
        const J1 = new Float64Array(D * D);
        const yb1 = new Float64Array(D);
        const pb1 = new Float64Array(P).fill(7);
        const t1 = Float64Array.of(t[b]);
        F.f(t1, one(y, D), one(p, P), o1, 1, null);
        F.jac?.(t1, one(y, D), one(p, P), J1, 1, null);
        F.vjp(t1, one(y, D), one(p, P), one(w, D), yb1, pb1, 1, null);
        expect(Array.from(one(out, D))).toEqual(Array.from(o1));
        expect(Array.from(one(J, D * D))).toEqual(Array.from(J1));
        expect(Array.from(one(yBar, D))).toEqual(Array.from(yb1));
        expect(Array.from(one(pBar, P))).toEqual(Array.from(pb1));
      }
    });
  }
});

/** max |a − b| / max |b| (normwise relative difference). */
function normRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m === 0 ? d : d / m;
}

/**
 * Largest |f_ts − f_py| over the natural size of each component, |fᵢ| + Σⱼ|Jᵢⱼ·yⱼ| (the
 * size of fᵢ's terms, so that cancellation in fᵢ does not count against the comparison).
 */
function fDifference(prob: OdeProblem, t: number, y: ArrayLike<number>, fPy: readonly number[]): number {
  const D = prob.field.dim;
  const yy = Float64Array.from(y);
  const f = evalF(prob, t, yy, prob.p);
  const J = new Float64Array(D * D);
  prob.field.jac?.(Float64Array.of(t), yy, prob.p, J, 1, null);
  let worst = 0;
  for (let i = 0; i < D; i++) {
    let g = Math.abs(f[i]);
    for (let j = 0; j < D; j++) g += Math.abs(J[i * D + j] * yy[j]);
    const d = Math.abs(f[i] - fPy[i]);
    worst = Math.max(worst, d === 0 ? 0 : d / g);
  }
  return worst;
}

describe('ODE test problems: reference fixtures', () => {
  it('detest-references.json has every DETEST problem with its shape and definition', () => {
    expect(Object.keys(detestRefs.problems).sort()).toEqual([...DETEST_IDS].sort());
    for (const id of DETEST_IDS) {
      const prob = detest(id);
      const ref = detestRefs.problems[id];
      const D = prob.field.dim;
      expect(ref.t0).toBe(prob.t0);
      expect(ref.t1).toBe(prob.t1);
      expect(ref.y0).toHaveLength(D);
      expect(normRel(prob.y0, ref.y0)).toBeLessThan(4e-16);
      expect(ref.params).toHaveLength(prob.field.nParams);
      expect(normRel(prob.p, ref.params)).toBeLessThan(4e-16);
      expect(ref.final).toHaveLength(D);
      for (const v of ref.final) expect(Number.isFinite(v)).toBe(true);
      expect(typeof ref.method).toBe('string');
      expect(ref.est_rel_err).toBeLessThan(1e-12);
      // The generating script's f agrees with ours at the initial and final points.
      expect(ref.f_y0).toHaveLength(D);
      expect(fDifference(prob, prob.t0, prob.y0, ref.f_y0)).toBeLessThan(1e-13);
      expect(fDifference(prob, prob.t1, ref.final, ref.f_final)).toBeLessThan(1e-13);
    }
  });

  it('stiff-references.json has the published references and the benchmark settings', () => {
    expect(Object.keys(stiffRefs.problems).sort()).toEqual([...STIFF_IDS].sort());
    for (const id of STIFF_IDS) {
      const prob = stiff(id);
      const ref = stiffRefs.problems[id];
      const D = prob.field.dim;
      expect(ref.t0).toBe(prob.t0);
      expect(ref.t1).toBe(prob.t1);
      expect(Array.from(prob.y0)).toEqual(ref.y0);
      expect(Array.from(prob.p)).toEqual(ref.params);
      expect(ref.final).toHaveLength(D);
      expect(ref.final_published).toHaveLength(D);
      expect(ref.final).toEqual(ref.final_published.map(Number));
      expect(ref.source).toMatch(/Test Set for Initial Value Problem Solvers/);
      const check = ref.scipy_radau_check as { final: number[]; rel_diff_componentwise: number } | undefined;
      expect(check).toBeDefined();
      expect(maxComponentRelErr(check?.final ?? [], ref.final)).toBeLessThan(1e-6);
      expect(ref.f_y0).toHaveLength(D);
      expect(fDifference(prob, prob.t0, prob.y0, ref.f_y0)).toBeLessThan(1e-13);
      expect(fDifference(prob, prob.t1, ref.final, ref.f_final)).toBeLessThan(1e-13);
    }
    const bench = stiffRefs.benchmark;
    expect(bench.rtol).toBe(1e-8);
    expect(bench.atol.stiff_rober).toBeDefined();
    expect(bench.atol.stiff_hires).toBeDefined();
  });
});
