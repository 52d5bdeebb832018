/**
 * Second derivatives (grad of grad, Hessian–vector products), the transformations'
 * semantics (stopGradient, customVjp, nesting without perturbation confusion), and NaN/Inf,
 * −0 and shape errors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  abs,
  add,
  cos,
  customVjp,
  div,
  elu,
  erf,
  exp,
  expm1,
  gelu,
  grad,
  gt,
  hvp,
  jvp,
  linear,
  log,
  log1p,
  matmul,
  maximum,
  mul,
  neg,
  pow,
  reciprocal,
  relu,
  sigmoid,
  sign,
  silu,
  sin,
  softplus,
  sqrt,
  square,
  stopGradient,
  sub,
  sum,
  type Tensor,
  tan,
  tanh,
  tensor,
  valueAndGrad,
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

describe('second derivatives of every smooth unary primitive', () => {
  const fns: [string, (x: Tensor) => Tensor, number, number][] = [
    ['exp', exp, -2, 2],
    ['expm1', expm1, -2, 2],
    ['log', log, 0.3, 3],
    ['log1p', log1p, -0.5, 3],
    ['sqrt', sqrt, 0.3, 3],
    ['square', square, -2, 2],
    ['reciprocal', reciprocal, 0.4, 3],
    ['sin', sin, -2, 2],
    ['cos', cos, -2, 2],
    ['tan', tan, -1.1, 1.1],
    ['tanh', tanh, -2, 2],
    ['sigmoid', sigmoid, -4, 4],
    ['softplus', softplus, -4, 4],
    ['gelu', gelu, -3, 3],
    ['silu', silu, -4, 4],
    ['elu (x < 0)', (x) => elu(x, 0.7), -3, -0.1],
    ['erf', erf, -2, 2],
    ['pow (base)', (x) => pow(x, 2.5), 0.3, 2],
    ['pow (exponent)', (x) => pow(1.7, x), -2, 2],
  ];
  for (const [name, f, lo, hi] of fns) {
    it(name, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
          const rng = testRng(seed);
          const x = randomTensor(rng, [5], lo, hi);
          // d²/dx² f elementwise: grad of Σ f'(x) = f''(x)
          const d1 = grad((z: Tensor) => sum(f(z)));
          const d2 = grad((z: Tensor) => sum(d1(z)))(x);
          const ones = tensor(new Float64Array(5).fill(1), [5]);
          const fd = richardsonVec((s) => d1(axpy(x, s, ones)).data, 1e-3);
          expect(maxRelErr(d2.data, fd, 1e-6)).toBeLessThan(1e-6);
        }),
        { numRuns: 8 },
      );
    });
  }
});

/** A small MLP with tanh, as used in the benchmarks. */
function mlp(p: { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor }, x: Tensor): Tensor {
  return add(matmul(tanh(add(matmul(x, p.w1), p.b1)), p.w2), p.b2);
}

describe('Hessian-vector products of an MLP loss', () => {
  it('agree with finite differences of the gradient', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const rng = testRng(seed);
        const p = {
          w1: randomTensor(rng, [3, 6], -1, 1),
          b1: randomTensor(rng, [6], -1, 1),
          w2: randomTensor(rng, [6, 2], -1, 1),
          b2: randomTensor(rng, [2], -1, 1),
        };
        const x = randomTensor(rng, [4, 3]);
        const y = randomTensor(rng, [4, 2]);
        const loss = (q: typeof p) => sum(square(sub(mlp(q, x), y)));
        const v = {
          w1: randomTensor(rng, [3, 6]),
          b1: randomTensor(rng, [6]),
          w2: randomTensor(rng, [6, 2]),
          b2: randomTensor(rng, [2]),
        };
        const hv = hvp(loss, p, v);
        const g = grad(loss);
        const keys = ['w1', 'b1', 'w2', 'b2'] as const;
        const shifted = (s: number) => {
          const q = {
            w1: axpy(p.w1, s, v.w1),
            b1: axpy(p.b1, s, v.b1),
            w2: axpy(p.w2, s, v.w2),
            b2: axpy(p.b2, s, v.b2),
          };
          const gq = g(q);
          return Float64Array.from(keys.flatMap((k) => Array.from(gq[k].data)));
        };
        const fd = richardsonVec(shifted, 1e-3);
        const analytic = Float64Array.from(keys.flatMap((k) => Array.from(hv[k].data)));
        expect(maxRelErr(analytic, fd, 1e-6)).toBeLessThan(1e-6);
      }),
      { numRuns: 10 },
    );
  });

  it('fused linear activations have the second derivatives of their composition', () => {
    const rng = testRng(11);
    const x = randomTensor(rng, [4, 3]);
    const w = randomTensor(rng, [5, 3], -1, 1);
    const b = randomTensor(rng, [5], -1, 1);
    const v = randomTensor(rng, [5, 3]);
    for (const [act, ref] of [
      ['tanh', (z: Tensor) => tanh(z)],
      ['sigmoid', (z: Tensor) => sigmoid(z)],
      ['identity', (z: Tensor) => z],
    ] as const) {
      const fused = (q: Tensor) => sum(square(linear(x, q, b, act)));
      const composed = (q: Tensor) => sum(square(ref(add(matmul(x, q, { transB: true }), b))));
      const h1 = hvp(fused, w, v);
      const h2 = hvp(composed, w, v);
      expect(maxRelErr(h1.data, h2.data, 1e-12), act).toBeLessThan(1e-12);
      expect(maxRelErr(grad(fused)(w).data, grad(composed)(w).data, 1e-12), act).toBeLessThan(1e-12);
    }
  });

  it('third derivatives: grad of grad of grad of a composition', () => {
    // f(x) = sin(x)·exp(x) ⇒ f''' = 2eˣ(cos x − sin x)
    const f = (x: Tensor) => sum(mul(sin(x), exp(x)));
    const d3 = grad((a: Tensor) => sum(grad((b: Tensor) => sum(grad(f)(b)))(a)));
    const x = tensor([0.3, -1.2, 2]);
    const got = d3(x).data;
    x.data.forEach((v, i) => {
      expect(relErr(got[i], 2 * Math.exp(v) * (Math.cos(v) - Math.sin(v)))).toBeLessThan(1e-13);
    });
  });
});

describe('transformations', () => {
  it('grad over a parameter tree keeps its structure and matches finite differences', () => {
    const rng = testRng(3);
    const p = { a: randomTensor(rng, [2, 2]), list: [randomTensor(rng, [3]), randomTensor(rng, [])] };
    const f = (q: typeof p) => add(sum(mul(q.a, q.a)), mul(sum(sin(q.list[0])), q.list[1]));
    const [value, g] = valueAndGrad(f)(p);
    expect(value.item()).toBeCloseTo(f(p).item(), 14);
    expect(g.a.shape).toEqual([2, 2]);
    expect(g.list[1].shape).toEqual([]);
    const d = { a: randomTensor(rng, [2, 2]), list: [randomTensor(rng, [3]), randomTensor(rng, [])] };
    const analytic =
      dot(g.a.data, d.a.data) + dot(g.list[0].data, d.list[0].data) + dot(g.list[1].data, d.list[1].data);
    const numeric = richardson((s) =>
      f({
        a: axpy(p.a, s, d.a),
        list: [axpy(p.list[0], s, d.list[0]), axpy(p.list[1], s, d.list[1])],
      }).item(),
    );
    expect(relErr(analytic, numeric)).toBeLessThan(1e-9);
  });

  it('unused inputs get zero gradients, not errors', () => {
    const g = grad((p: { a: Tensor; b: Tensor }) => sum(p.a))({ a: tensor([1, 2]), b: tensor([3]) });
    expect(g.b.toArray()).toEqual([0]);
    expect(g.a.toArray()).toEqual([1, 1]);
  });

  it('repeated uses accumulate', () => {
    const g = grad((x: Tensor) => sum(add(mul(x, x), add(x, x))))(tensor([3]));
    expect(g.item()).toBe(8);
  });

  it('stopGradient blocks derivatives', () => {
    expect(grad((x: Tensor) => sum(mul(x, stopGradient(x))))(tensor([3])).item()).toBe(3);
  });

  it('nested transformations do not confuse perturbations', () => {
    // d/dx [x · (d/dy (x + y))] = d/dx [x · 1] = 1   (Siskind & Pearlmutter's test)
    const inner = (x: Tensor) => grad((y: Tensor) => sum(add(x, y)))(x);
    expect(grad((x: Tensor) => sum(mul(x, inner(x))))(tensor([2])).item()).toBe(1);
    // d/dx [d/dy (x·y) at y = x] = d/dx [x] = 1
    expect(grad((x: Tensor) => sum(grad((y: Tensor) => sum(mul(x, y)))(x)))(tensor([5])).item()).toBe(1);
  });

  it('jvp equals the Jacobian applied to the tangent, for several outputs', () => {
    const f = (x: Tensor) => mul(sin(x), sum(square(x)));
    const x = tensor([0.1, 0.7, -1.3]);
    const v = tensor([1, -2, 0.5]);
    const [y, dy] = jvp(f, x, v);
    expect(y.toArray()).toEqual(f(x).toArray());
    const fd = richardsonVec((s) => f(axpy(x, s, v)).data);
    expect(maxRelErr(dy.data, fd)).toBeLessThan(1e-9);
  });

  it('vjp pullback can be called several times and with any cotangent', () => {
    const [y, back] = vjp((x: Tensor) => mul(x, tensor([1, 2, 3])), tensor([1, 1, 1]));
    expect(y.toArray()).toEqual([1, 2, 3]);
    expect(back(tensor([1, 0, 0])).toArray()).toEqual([1, 0, 0]);
    expect(back(tensor([1, 1, 1])).toArray()).toEqual([1, 2, 3]);
    expect(() => back(tensor([1, 1]))).toThrow(/cotangent of shape \[2\] for an output of shape \[3\]/);
  });

  it('customVjp uses the supplied rule, also under grad of grad', () => {
    // A deliberately distinguishable rule: the true derivative of x³ (3x²), written by hand.
    const cube = customVjp(
      'cube',
      ([x]) => mul(x, mul(x, x)),
      (g, _out, [x]) => [mul(g, mul(square(x), 3))],
    );
    const x = tensor([2]);
    expect(grad((z: Tensor) => sum(cube(z)))(x).item()).toBe(12);
    expect(grad((z: Tensor) => sum(grad((w: Tensor) => sum(cube(w)))(z)))(x).item()).toBe(12);
    const wrongArity = customVjp(
      'bad',
      ([a]) => a,
      () => [],
    );
    expect(() => grad((z: Tensor) => sum(wrongArity(z)))(x)).toThrow(
      /bad: the rule returned 0 cotangents for 1 inputs/,
    );
  });

  it('grad of a non-scalar function explains what to do', () => {
    expect(() => grad((x: Tensor) => mul(x, 2))(tensor([1, 2]))).toThrow(/single value.*reduce it/);
  });
});

describe('special values', () => {
  it('NaN and ±Inf propagate through operations and gradients', () => {
    const x = tensor([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1]);
    expect(Array.from(exp(x).data)).toEqual([Number.NaN, Number.POSITIVE_INFINITY, 0, Math.E]);
    expect(Number.isNaN(relu(x).data[0])).toBe(true);
    expect(Number.isNaN(maximum(x, 0).data[0])).toBe(true);
    expect(Number.isNaN(sum(x).item())).toBe(true);
    const g = grad((z: Tensor) => sum(mul(z, z)))(x);
    expect(Number.isNaN(g.data[0])).toBe(true);
    expect(g.data[1]).toBe(Number.POSITIVE_INFINITY);
    expect(tanh(tensor([Number.POSITIVE_INFINITY])).item()).toBe(1);
    expect(sigmoid(tensor([-1000, 1000])).toArray()).toEqual([0, 1]);
    expect(softplus(tensor([1000])).item()).toBe(1000);
  });

  it('−0 is kept where IEEE 754 keeps it', () => {
    expect(Object.is(neg(tensor([0])).item(), -0)).toBe(true);
    expect(Object.is(sign(tensor([-0])).item(), -0)).toBe(true);
    expect(Object.is(mul(tensor([-0]), 1).item(), -0)).toBe(true);
    expect(Object.is(abs(tensor([-0])).item(), 0)).toBe(true);
    expect(Object.is(sqrt(tensor([-0])).item(), -0)).toBe(true);
    expect(div(1, tensor([-0])).item()).toBe(Number.NEGATIVE_INFINITY);
  });

  it('where routes cotangents without multiplying by a mask', () => {
    // An infinite cotangent is routed to the selected branch, not multiplied by a 0/1 mask
    // (which would give Inf·0 = NaN in the other branch).
    const cond = tensor([1, 0]);
    const f = (p: { a: Tensor; b: Tensor }) => sum(mul(where(cond, p.a, p.b), Number.POSITIVE_INFINITY));
    const g = grad(f)({ a: tensor([1, 2]), b: tensor([3, 4]) });
    expect(g.a.toArray()).toEqual([Number.POSITIVE_INFINITY, 0]);
    expect(g.b.toArray()).toEqual([0, Number.POSITIVE_INFINITY]);
    // The "double where" idiom keeps a singular branch out of the derivative altogether:
    // sqrt's derivative at 0 is infinite, so guard its input as well as its output.
    const safe = (x: Tensor) => sum(where(gt(x, 0), sqrt(where(gt(x, 0), x, 1)), 0));
    expect(grad(safe)(tensor([4, 0])).toArray()).toEqual([0.25, 0]);
  });

  it('pow handles the exponent derivative at a zero base', () => {
    const g = grad((p: { a: Tensor; b: Tensor }) => sum(pow(p.a, p.b)))({
      a: tensor([0, 2]),
      b: tensor([2, 3]),
    });
    expect(g.b.toArray()).toEqual([0, 8 * Math.LN2]);
    expect(g.a.toArray()).toEqual([0, 12]);
  });
});

describe('shape errors name the operation and the shapes', () => {
  it('broadcasting', () => {
    expect(() => add(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(
      /add: shapes \[3\] and \[2\] do not broadcast/,
    );
  });
  it('matmul', () => {
    expect(() => matmul(tensor([[1, 2]]), tensor([[1, 2]]))).toThrow(/matmul.*\[1, 2\].*\[1, 2\]/);
  });
  it('reductions', () => {
    expect(() => sum(tensor([1, 2]), 3)).toThrow(/sum: axis 3 is out of range for an array of rank 1/);
  });
});
