/**
 * Synthetic systems with known edges for the HGS benchmark: a sparse nonlinear ODE
 *
 *     x_v' = −k_v·x_v + Σ_{u→v} c_uv·tanh(x_u) + Σ_{i→v} b_iv·u_i(t),
 *
 * on a graph with one observed state, driven by random pulse inputs, integrated by classical
 * RK4 at h = 0.05 and sampled every time unit with Gaussian observation noise. "True"
 * sparsity: the starting graph has edges whose coefficient is exactly 0; "quasi" sparsity:
 * those edges have small coefficients (|c| = 0.05) instead.
 */

import type { StructureGraph } from '../../../src/sparsity/graph.js';
import { structureGraph } from '../../../src/sparsity/graph.js';
import type { ForecastSet } from '../../../src/sparsity/mnode.js';

/** A synthetic system: its coefficients, the starting graph and the true edges. */
export interface SyntheticSystem {
  readonly states: readonly string[];
  readonly inputs: readonly string[];
  readonly observed: string;
  readonly decay: Readonly<Record<string, number>>;
  /** Coefficient of every edge of the starting graph (0 for redundant edges under true sparsity). */
  readonly coef: ReadonlyMap<string, number>;
  /** The edges with a non-negligible true effect (`from→to`). */
  readonly trueEdges: ReadonlySet<string>;
  /** The starting graph handed to HGS. */
  readonly graph: StructureGraph;
}

/**
 * The benchmark system. The true pathways are u1 → a → b → y and u2 → c → y (plus decay);
 * the refined starting graph adds the redundant state d (u1 → d → y) and the redundant edge
 * c → b; the redundant starting graph further adds the states e, f (u2 → e → f → y, e → b)
 * and the edges a → c, d → b.
 */
export function syntheticSystem(kind: 'true' | 'quasi', start: 'refined' | 'redundant'): SyntheticSystem {
  const weak = kind === 'true' ? 0 : 0.05;
  const base: [string, string, number][] = [
    ['u1', 'a', 1.0],
    ['a', 'b', 1.2],
    ['b', 'y', 1.0],
    ['u2', 'c', 0.8],
    ['c', 'y', -0.9],
  ];
  const refined: [string, string, number][] = [
    ['u1', 'd', weak],
    ['d', 'y', weak],
    ['c', 'b', weak],
  ];
  const redundant: [string, string, number][] = [
    ['u2', 'e', weak],
    ['e', 'f', weak],
    ['f', 'y', weak],
    ['e', 'b', weak],
    ['a', 'c', weak],
    ['d', 'b', weak],
  ];
  const edges = [...base, ...refined, ...(start === 'redundant' ? redundant : [])];
  const states = start === 'redundant' ? ['a', 'b', 'c', 'd', 'e', 'f', 'y'] : ['a', 'b', 'c', 'd', 'y'];
  const inputs = ['u1', 'u2'];
  const decay: Record<string, number> = { a: 0.5, b: 0.4, c: 0.6, d: 0.5, e: 0.5, f: 0.5, y: 0.3 };
  const selfLoops: [string, string][] = states.map((s) => [s, s]);
  const graph = structureGraph({
    states,
    inputs,
    edges: [...edges.map(([a, b]) => [a, b] as [string, string]), ...selfLoops],
    observed: ['y'],
  });
  return {
    states,
    inputs,
    observed: 'y',
    decay,
    coef: new Map(edges.map(([a, b, c]) => [`${a}→${b}`, c])),
    trueEdges: new Set(base.map(([a, b]) => `${a}→${b}`)),
    graph,
  };
}

/** A small deterministic generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller). */
export function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/**
 * `n` forecast windows of the system: each from a fresh random initial state and pulse inputs
 * (each input on for a random 1–3 time units with probability 0.15 per unit, amplitude 0.5–2),
 * history `historyLength` samples, `horizon` samples ahead, noise SD `noise` on y.
 */
export function syntheticWindows(
  sys: SyntheticSystem,
  n: number,
  options: { historyLength: number; horizon: number; noise: number; seed: number },
): ForecastSet {
  const { historyLength: H, horizon: T, noise, seed } = options;
  const r = rng(seed);
  const S = sys.states.length;
  const M = sys.inputs.length;
  const idx = new Map(sys.states.map((s, i) => [s, i]));
  const inIdx = new Map(sys.inputs.map((u, i) => [u, i]));
  const terms = [...sys.coef].map(([key, c]) => {
    const [from, to] = key.split('→');
    return { from, to: idx.get(to)!, c, input: inIdx.has(from), src: inIdx.get(from) ?? idx.get(from)! };
  });
  const k = Float64Array.from(sys.states, (s) => sys.decay[s]);
  const f = (x: Float64Array, u: Float64Array, out: Float64Array) => {
    for (let i = 0; i < S; i++) out[i] = -k[i] * x[i];
    for (const t of terms) out[t.to] += t.c * (t.input ? u[t.src] : Math.tanh(x[t.src]));
  };
  const total = H + T;
  const history = new Float64Array(n * H * (1 + M));
  const future = new Float64Array(n * T * M);
  const target = new Float64Array(n * T);
  const yIdx = idx.get(sys.observed)!;
  const k1 = new Float64Array(S);
  const k2 = new Float64Array(S);
  const k3 = new Float64Array(S);
  const k4 = new Float64Array(S);
  const tmp = new Float64Array(S);
  const h = 0.05;
  const sub = Math.round(1 / h);
  for (let w = 0; w < n; w++) {
    const x = Float64Array.from({ length: S }, () => gauss(r) * 0.5);
    // Inputs per unit interval.
    const u = new Float64Array(total * M);
    for (let j = 0; j < M; j++) {
      let t = 0;
      while (t < total) {
        if (r() < 0.15) {
          const len = 1 + Math.floor(r() * 3);
          const amp = 0.5 + 1.5 * r();
          for (let q = t; q < Math.min(total, t + len); q++) u[q * M + j] = amp;
          t += len;
        } else t++;
      }
    }
    const ys = new Float64Array(total + 1);
    ys[0] = x[yIdx];
    for (let step = 0; step < total; step++) {
      const uu = u.subarray(step * M, (step + 1) * M);
      for (let s = 0; s < sub; s++) {
        f(x, uu, k1);
        for (let i = 0; i < S; i++) tmp[i] = x[i] + (h / 2) * k1[i];
        f(tmp, uu, k2);
        for (let i = 0; i < S; i++) tmp[i] = x[i] + (h / 2) * k2[i];
        f(tmp, uu, k3);
        for (let i = 0; i < S; i++) tmp[i] = x[i] + h * k3[i];
        f(tmp, uu, k4);
        for (let i = 0; i < S; i++) x[i] += (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
      }
      ys[step + 1] = x[yIdx];
    }
    // History: samples 1..H (observation then the input over the interval ending there);
    // the forecast starts at sample H: inputs of intervals H..H+T−1, targets at H+1..H+T.
    for (let q = 0; q < H; q++) {
      const row = (w * H + q) * (1 + M);
      history[row] = ys[q + 1] + noise * gauss(r);
      for (let j = 0; j < M; j++) history[row + 1 + j] = u[q * M + j];
    }
    for (let q = 0; q < T; q++) {
      for (let j = 0; j < M; j++) future[(w * T + q) * M + j] = u[(H + q) * M + j];
      target[w * T + q] = ys[H + q + 1] + noise * gauss(r);
    }
  }
  return {
    observed: [sys.observed],
    inputs: [...sys.inputs],
    n,
    historyLength: H,
    horizon: T,
    history,
    future,
    target,
  };
}
