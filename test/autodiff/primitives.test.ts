/**
 * Every primitive's VJP and JVP against Richardson-extrapolated central differences, on
 * random shapes with broadcasting (fast-check), and second derivatives of each through
 * grad-of-grad.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fold1d, fold2d, unfold1d, unfold2d } from '../../src/autodiff/ops/conv.js';
import { padAdjoint, sliceAdjoint } from '../../src/autodiff/ops/layout.js';
import { tanhGrad } from '../../src/autodiff/ops/unary.js';
import {
  abs,
  add,
  broadcastShapes,
  broadcastTo,
  concat,
  conv1d,
  conv2d,
  cos,
  div,
  elu,
  erf,
  exp,
  expm1,
  gather,
  gelu,
  jvp,
  linear,
  log,
  log1p,
  logsumexp,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mul,
  neg,
  norm,
  pad,
  permute,
  pow,
  reciprocal,
  relu,
  reshape,
  scatterAdd,
  sigmoid,
  sign,
  silu,
  sin,
  slice,
  softplus,
  sqrt,
  square,
  stack,
  sub,
  sum,
  sumTo,
  Tensor,
  tan,
  tanh,
  tensor,
  vjp,
  where,
} from '../../src/index.js';
import {
  axpy,
  dot,
  maxRelErr,
  randomTensor,
  relErr,
  richardson,
  richardsonVec,
  testRng,
} from '../support/fd.js';

type Fn = (xs: Tensor[]) => Tensor;

interface Case {
  name: string;
  /** Input shapes for a random draw. */
  shapes: (rng: () => number) => number[][];
  f: Fn;
  /** Domain of the inputs and the smallest |x| allowed (keeps FD away from kinks). */
  lo?: number;
  hi?: number;
  gap?: number;
  /** Custom input values (for kinked functions: keep FD steps away from ties). */
  gen?: (rng: () => number, shapes: number[][]) => Tensor[];
}

/** Distinct values 0.1·k in random order: no ties within a reduction. */
function distinct(rng: () => number, shapes: number[][]): Tensor[] {
  return shapes.map((s) => {
    const t = randomTensor(rng, s);
    const order = Array.from(t.data, (_, i) => i).sort(() => rng() - 0.5);
    const d = new Float64Array(t.size);
    order.forEach((k, i) => {
      d[k] = 0.1 * (i - order.length / 2);
    });
    return tensor(d, s);
  });
}

/** Values on two interleaved grids, so every pair across inputs differs by at least 0.04. */
function separated(rng: () => number, shapes: number[][]): Tensor[] {
  return shapes.map((s, j) => {
    const t = randomTensor(rng, s);
    return tensor(
      t.data.map(() => 0.1 * Math.floor(rng() * 40 - 20) + (j === 0 ? 0.03 : 0.07)),
      s,
    );
  });
}

const shape = (rng: () => number, rank: number, maxDim = 4): number[] =>
  Array.from({ length: rank }, () => 1 + Math.floor(rng() * maxDim));

/** Two shapes that broadcast: drop leading axes and set some extents to 1 in the second. */
function broadcastPair(rng: () => number): number[][] {
  const a = shape(rng, Math.floor(rng() * 4));
  let b = a.slice(Math.floor(rng() * (a.length + 1)));
  b = b.map((d) => (rng() < 0.3 ? 1 : d));
  return rng() < 0.5 ? [a, b] : [b, a];
}

const anyShape = (rng: () => number): number[][] => [shape(rng, Math.floor(rng() * 4))];

const unary = (name: string, f: (x: Tensor) => Tensor, lo = -2, hi = 2, gap = 0): Case => ({
  name,
  shapes: anyShape,
  f: ([x]) => f(x),
  lo,
  hi,
  gap,
});
const binary = (name: string, f: (a: Tensor, b: Tensor) => Tensor, lo = -2, hi = 2, gap = 0): Case => ({
  name,
  shapes: broadcastPair,
  f: ([a, b]) => f(a, b),
  lo,
  hi,
  gap,
});

const cases: Case[] = [
  unary('neg', neg),
  unary('abs', abs, -2, 2, 0.05),
  unary('exp', exp),
  unary('expm1', expm1),
  unary('log', log, 0.2, 3),
  unary('log1p', log1p, -0.7, 3),
  unary('sqrt', sqrt, 0.2, 3),
  unary('square', square),
  unary('reciprocal', reciprocal, -3, 3, 0.3),
  unary('sin', sin),
  unary('cos', cos),
  unary('tan', tan, -1.2, 1.2),
  unary('tanh', tanh),
  unary('sigmoid', sigmoid, -6, 6),
  unary('softplus', softplus, -6, 6),
  unary('relu', relu, -2, 2, 0.05),
  unary('gelu', gelu, -4, 4),
  unary('silu', silu, -6, 6),
  unary('elu', (x) => elu(x, 1.3), -2, 2, 0.05),
  unary('erf', erf, -3, 3),
  binary('add', add),
  binary('sub', sub),
  binary('mul', mul),
  binary('div', div, -2, 2, 0.3),
  binary('pow', pow, 0.3, 2),
  { ...binary('maximum', maximum), gen: separated },
  { ...binary('minimum', minimum), gen: separated },
  {
    name: 'where',
    shapes: (rng) => {
      const [a, b] = broadcastPair(rng);
      return [a, b];
    },
    f: ([a, b]) => {
      const c = randomTensor(testRng(7), broadcastShapes(a.shape, b.shape, 'test'));
      return where(new Tensor(c.value), a, b);
    },
  },
  {
    name: 'sum over random axes',
    shapes: (rng) => [shape(rng, 1 + Math.floor(rng() * 3))],
    f: ([x]) => sum(x, x.rank > 1 ? [0, x.rank - 1] : 0, x.rank === 3),
  },
  { name: 'mean', shapes: (rng) => [shape(rng, 2)], f: ([x]) => mean(x, 1) },
  { name: 'max', shapes: (rng) => [shape(rng, 2)], f: ([x]) => max(x, 0), gen: distinct },
  { name: 'min', shapes: (rng) => [shape(rng, 3)], f: ([x]) => min(x, [1, 2], true), gen: distinct },
  {
    name: 'norm ∞',
    shapes: (rng) => [shape(rng, 2)],
    f: ([x]) => norm(x, Number.POSITIVE_INFINITY, 0),
    gen: distinct,
  },
  { name: 'logsumexp', shapes: (rng) => [shape(rng, 2)], f: ([x]) => logsumexp(x, -1) },
  { name: 'norm 2', shapes: (rng) => [shape(rng, 2)], f: ([x]) => norm(x, 2, 1), gap: 0.1 },
  { name: 'norm 3', shapes: (rng) => [shape(rng, 2)], f: ([x]) => norm(x, 3), gap: 0.1 },
  { name: 'reshape', shapes: () => [[2, 3, 2]], f: ([x]) => mul(reshape(x, [3, -1]), reshape(x, [3, 4])) },
  { name: 'permute', shapes: (rng) => [shape(rng, 3)], f: ([x]) => square(permute(x, [2, 0, 1])) },
  {
    name: 'slice',
    shapes: () => [[5, 4]],
    f: ([x]) => square(slice(x, [{ start: 1, stop: 5, step: 2 }, { start: -3 }])),
  },
  {
    name: 'concat and stack',
    shapes: () => [
      [2, 3],
      [4, 3],
    ],
    f: ([a, b]) => mul(concat([a, b], 0), concat([b, a], 0)),
  },
  {
    name: 'stack',
    shapes: () => [
      [2, 3],
      [2, 3],
    ],
    f: ([a, b]) => square(stack([a, b, mul(a, b)], 1)),
  },
  { name: 'gather', shapes: () => [[4, 3]], f: ([x]) => square(gather(x, [3, 0, 3, 1], 0)) },
  { name: 'scatterAdd', shapes: () => [[4, 2]], f: ([v]) => square(scatterAdd([3, 2], [2, 0, 2, 1], v, 0)) },
  {
    name: 'pad zero',
    shapes: () => [[2, 5]],
    f: ([x]) =>
      square(
        pad(
          x,
          [
            [0, 0],
            [2, 1],
          ],
          'zero',
        ),
      ),
  },
  {
    name: 'pad periodic',
    shapes: () => [[2, 5]],
    f: ([x]) =>
      square(
        pad(
          x,
          [
            [1, 0],
            [3, 2],
          ],
          'periodic',
        ),
      ),
  },
  {
    name: 'pad replicate',
    shapes: () => [[2, 5]],
    f: ([x]) =>
      square(
        pad(
          x,
          [
            [0, 1],
            [2, 3],
          ],
          'replicate',
        ),
      ),
  },
  {
    name: 'matmul (batched, broadcast)',
    shapes: (rng) => {
      const m = 1 + Math.floor(rng() * 4);
      const k = 1 + Math.floor(rng() * 4);
      const n = 1 + Math.floor(rng() * 4);
      return [
        [2, m, k],
        [k, n],
      ];
    },
    f: ([a, b]) => matmul(a, b),
  },
  {
    name: 'matmul transA',
    shapes: () => [
      [3, 2],
      [3, 4],
    ],
    f: ([a, b]) => matmul(a, b, { transA: true }),
  },
  {
    name: 'matmul transB',
    shapes: () => [
      [2, 3],
      [4, 3],
    ],
    f: ([a, b]) => matmul(a, b, { transB: true }),
  },
  {
    name: 'matmul transA transB',
    shapes: () => [
      [3, 2],
      [4, 3],
    ],
    f: ([a, b]) => matmul(a, b, { transA: true, transB: true }),
  },
  { name: 'broadcastTo', shapes: () => [[3, 1]], f: ([x]) => square(broadcastTo(x, [2, 3, 4])) },
  { name: 'sumTo', shapes: () => [[2, 3, 4]], f: ([x]) => square(sumTo(x, [3, 1])) },
  { name: 'sign (zero derivative)', shapes: anyShape, f: ([x]) => mul(sign(x), x), gap: 0.05 },
  {
    name: 'tanhGrad (fused)',
    shapes: () => [
      [3, 4],
      [3, 4],
    ],
    f: ([y, g]) => tanhGrad(y, g),
  },
  {
    name: 'sliceAdjoint',
    shapes: () => [[2, 2]],
    f: ([g]) => square(sliceAdjoint(g, [5, 4], [1, 0], [5, 4], [2, 3])),
  },
  {
    name: 'padAdjoint periodic',
    shapes: () => [[2, 9]],
    f: ([g]) =>
      square(
        padAdjoint(
          g,
          [2, 5],
          [
            [0, 0],
            [3, 1],
          ],
          'periodic',
        ),
      ),
  },
  {
    name: 'padAdjoint replicate',
    shapes: () => [[4, 6]],
    f: ([g]) =>
      square(
        padAdjoint(
          g,
          [2, 5],
          [
            [1, 1],
            [0, 1],
          ],
          'replicate',
        ),
      ),
  },
  {
    name: 'unfold1d and fold1d',
    shapes: () => [[1, 2, 7]],
    f: ([x]) => mul(fold1d(square(unfold1d(x, 3, 2, 1)), [1, 2, 7], 3, 2, 1), x),
  },
  {
    name: 'unfold2d and fold2d',
    shapes: () => [[1, 2, 4, 5]],
    f: ([x]) =>
      mul(fold2d(square(unfold2d(x, [2, 3], [1, 2], [2, 1])), [1, 2, 4, 5], [2, 3], [1, 2], [2, 1]), x),
  },
  { name: 'linear with bias', shapes: () => [[2, 3, 4], [5, 4], [5]], f: ([x, w, b]) => linear(x, w, b) },
  { name: 'linear + tanh', shapes: () => [[3, 4], [5, 4], [5]], f: ([x, w, b]) => linear(x, w, b, 'tanh') },
  {
    name: 'linear + sigmoid',
    shapes: () => [[3, 4], [5, 4], [5]],
    f: ([x, w, b]) => linear(x, w, b, 'sigmoid'),
  },
  {
    name: 'linear + relu',
    shapes: () => [[3, 4], [5, 4], [5]],
    f: ([x, w, b]) => linear(x, w, b, 'relu'),
    gen: (rng, shapes) => {
      // keep pre-activations away from the kink at 0
      const [x, w] = shapes.slice(0, 2).map((s) => randomTensor(rng, s));
      const z = linear(x, w);
      const b = tensor(
        Float64Array.from({ length: 5 }, (_, j) => 0.3 * (j % 2 === 0 ? 1 : -1)),
        [5],
      );
      const ok = Array.from(linear(x, w, b).data).every((v) => Math.abs(v) > 0.05);
      return ok && z.size > 0 ? [x, w, b] : [x, w, tensor([9, 9, 9, 9, 9], [5])];
    },
  },
  { name: 'linear without bias, vector input', shapes: () => [[4], [3, 4]], f: ([x, w]) => linear(x, w) },
  {
    name: 'conv1d periodic, stride 2, dilation 2, bias',
    shapes: () => [[2, 2, 7], [3, 2, 3], [3]],
    f: ([x, w, b]) => conv1d(x, w, { bias: b, padding: 2, paddingMode: 'periodic', stride: 2, dilation: 2 }),
  },
  {
    name: 'conv2d replicate same',
    shapes: () => [
      [1, 2, 4, 5],
      [2, 2, 3, 3],
    ],
    f: ([x, w]) => conv2d(x, w, { padding: 'same', paddingMode: 'replicate' }),
  },
];

/** Checks the VJP along random directions and the JVP elementwise, at one random point. */
function checkCase(c: Case, seed: number): void {
  const rng = testRng(seed);
  const shapes = c.shapes(rng);
  const xs = c.gen
    ? c.gen(rng, shapes)
    : shapes.map((s) => randomTensor(rng, s, c.lo ?? -2, c.hi ?? 2, c.gap ?? 0));
  const out = c.f(xs);
  const w = randomTensor(rng, out.shape);
  const [y, pullback] = vjp((p: Tensor[]) => c.f(p), xs);
  expect(maxRelErr(y.data, out.data, 1e-300)).toBe(0);
  const grads = pullback(w);
  const dirs = xs.map((x) => randomTensor(rng, x.shape));
  // ⟨x̄, d⟩ = d/ds ⟨f(x + s·d), w⟩
  const analytic = grads.reduce((s, g, i) => s + dot(g.data, dirs[i].data), 0);
  const h = 1e-3 * (c.gap && c.gap < 0.3 ? c.gap : 1);
  const numeric = richardson((s) => dot(c.f(xs.map((x, i) => axpy(x, s, dirs[i]))).data, w.data), h);
  expect(relErr(analytic, numeric, 1e-6), `${c.name} VJP, seed ${seed}`).toBeLessThan(1e-6);
  // JVP: f'(x)·d elementwise
  const [, tangent] = jvp((p: Tensor[]) => c.f(p), xs, dirs);
  const fdTangent = richardsonVec((s) => c.f(xs.map((x, i) => axpy(x, s, dirs[i]))).data, h);
  expect(maxRelErr(tangent.data, fdTangent, 1e-6), `${c.name} JVP, seed ${seed}`).toBeLessThan(1e-6);
}

describe('VJP and JVP of every primitive agree with finite differences', () => {
  for (const c of cases) {
    it(c.name, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => checkCase(c, seed)),
        { numRuns: 12 },
      );
    });
  }
});
