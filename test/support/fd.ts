/**
 * Finite-difference checking for gradient tests: Richardson-extrapolated central differences
 * (error O(h⁴)) along random directions, and a small deterministic generator for test data.
 */

import { Tensor } from '../../src/autodiff/tensor.js';
import { NDArray } from '../../src/tensor/ndarray.js';

/** mulberry32: a tiny deterministic generator for test data (not the library's PRNG). */
export function testRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A tensor of the given shape with entries uniform in [lo, hi), avoiding |x| < gap. */
export function randomTensor(rng: () => number, shape: readonly number[], lo = -2, hi = 2, gap = 0): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = lo + (hi - lo) * rng();
    while (Math.abs(v) < gap) v = lo + (hi - lo) * rng();
    data[i] = v;
  }
  return new Tensor(new NDArray(data, shape.slice()));
}

/** x + s·d elementwise (a constant tensor). */
export function axpy(x: Tensor, s: number, d: Tensor): Tensor {
  const o = new Float64Array(x.size);
  for (let i = 0; i < o.length; i++) o[i] = x.data[i] + s * d.data[i];
  return new Tensor(new NDArray(o, x.shape));
}

/** ⟨a, b⟩ over all elements. */
export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Derivative of a scalar function of one real variable by Richardson-extrapolated central
 * differences: (4·D(h/2) − D(h))/3 with D(h) = (φ(h) − φ(−h))/(2h).
 */
export function richardson(phi: (s: number) => number, h = 1e-3): number {
  const d = (k: number): number => (phi(k) - phi(-k)) / (2 * k);
  return (4 * d(h / 2) - d(h)) / 3;
}

/** Same for a vector-valued function: elementwise derivative. */
export function richardsonVec(phi: (s: number) => Float64Array, h = 1e-3): Float64Array {
  const d = (k: number): Float64Array => {
    const a = phi(k);
    const b = phi(-k);
    const o = new Float64Array(a.length);
    for (let i = 0; i < o.length; i++) o[i] = (a[i] - b[i]) / (2 * k);
    return o;
  };
  const d1 = d(h);
  const d2 = d(h / 2);
  const o = new Float64Array(d1.length);
  for (let i = 0; i < o.length; i++) o[i] = (4 * d2[i] - d1[i]) / 3;
  return o;
}

/** |a − b| / max(|a|, |b|, floor): relative error with an absolute floor. */
export function relErr(a: number, b: number, floor = 1e-8): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), floor);
}

/** Largest elementwise relative error between two arrays, scaled by the larger norm. */
export function maxRelErr(a: Float64Array, b: Float64Array, floor = 1e-8): number {
  let scale = floor;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]), Math.abs(b[i]));
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]) / scale);
  return e;
}
