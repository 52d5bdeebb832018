/**
 * Shared checks for compiled models: random evaluation points, and the Jacobian, VJP and JVP
 * against Richardson-extrapolated finite differences of the right-hand side.
 */
import { expect } from 'vitest';
import type { CompiledModel } from '../../src/expr/compile.js';
import { maxRelErr, richardsonVec, testRng } from './fd.js';

/** Random evaluation point for a batch with different parameters per trajectory. */
export function point(c: CompiledModel, B: number, seed: number) {
  const rng = testRng(seed);
  const r = (n: number) => Float64Array.from({ length: n }, () => 2 * rng() - 1);
  return { t: r(B), y: r(B * c.dim), p: r(B * c.nParams), u: r(B * c.nInputs), c: r(B * c.nCovariates) };
}

export function checkDerivatives(c: CompiledModel, B: number, seed: number): void {
  const q = point(c, B, seed);
  const D = c.dim;
  const P = c.nParams;
  const f = (y: Float64Array, p: Float64Array) => {
    const out = new Float64Array(B * D);
    c.rhs(q.t, y, p, q.u, q.c, out, B);
    return out;
  };
  const rng = testRng(seed + 1);
  const yDot = Float64Array.from({ length: B * D }, () => rng() - 0.5);
  const pDot = Float64Array.from({ length: B * P }, () => rng() - 0.5);
  const shift = (a: Float64Array, s: number, d: Float64Array) => a.map((v, i) => v + s * d[i]);
  // JVP against the directional finite difference.
  const jvp = new Float64Array(B * D);
  c.jvp(q.t, q.y, q.p, q.u, q.c, yDot, pDot, jvp, B);
  const fdDir = richardsonVec((s) => f(shift(q.y, s, yDot), shift(q.p, s, pDot)));
  expect(maxRelErr(jvp, fdDir, 1e-8)).toBeLessThan(1e-7);
  // Jacobian times yDot equals the state part of the directional derivative.
  const J = new Float64Array(B * D * D);
  c.jac(q.t, q.y, q.p, q.u, q.c, J, B);
  const fdY = richardsonVec((s) => f(shift(q.y, s, yDot), q.p));
  const Jv = new Float64Array(B * D);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < D; i++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += J[(b * D + i) * D + j] * yDot[b * D + j];
      Jv[b * D + i] = s;
    }
  expect(maxRelErr(Jv, fdY, 1e-8)).toBeLessThan(1e-7);
  // VJP: ⟨w, J·v⟩ = ⟨Jᵀw, v⟩ with J·v from finite differences.
  const w = Float64Array.from({ length: B * D }, () => rng() - 0.5);
  const yBar = new Float64Array(B * D);
  const pBar = new Float64Array(B * P);
  c.vjp(q.t, q.y, q.p, q.u, q.c, w, yBar, pBar, B);
  let lhs = 0;
  let rhs = 0;
  for (let i = 0; i < B * D; i++) lhs += w[i] * fdDir[i];
  for (let i = 0; i < B * D; i++) rhs += yBar[i] * yDot[i];
  for (let i = 0; i < B * P; i++) rhs += pBar[i] * pDot[i];
  expect(Math.abs(lhs - rhs) / Math.max(1e-8, Math.abs(lhs))).toBeLessThan(1e-7);
}
