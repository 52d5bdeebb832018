/**
 * Symbolic derivatives against Richardson-extrapolated finite differences on random
 * expressions (fast-check), and the derivative conventions at kinks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { differentiate, jacobianExprs } from '../../src/expr/derivative.js';
import { type Expr, ExprFactory, evaluate, Op } from '../../src/expr/ir.js';
import { relErr, richardson, testRng } from '../support/fd.js';

type Builder = (f: ExprFactory, x: Expr, y: Expr) => Expr;

/** Random smooth expressions in x and y, with arguments kept inside each function's domain. */
const exprArb: fc.Memo<Builder> = fc.memo((depth: number): fc.Arbitrary<Builder> => {
  const leaf = fc.oneof(
    fc.constant<Builder>((_f, x) => x),
    fc.constant<Builder>((_f, _x, y) => y),
    fc.double({ min: -2, max: 2, noNaN: true }).map<Builder>((v) => (f) => f.constant(v)),
  );
  if (depth <= 1) return leaf;
  const sub = exprArb(depth - 1);
  const positive =
    (g: Builder): Builder =>
    (f, x, y) =>
      f.add(f.unary(Op.Softplus, g(f, x, y)), f.constant(0.5));
  const unary = fc
    .tuple(
      fc.constantFrom(
        'neg',
        'exp',
        'sin',
        'cos',
        'tanh',
        'sigmoid',
        'softplus',
        'log',
        'sqrt',
        'log1p',
        'expm1',
        'tan',
      ),
      sub,
    )
    .map<Builder>(([op, g]) => (f, x, y) => {
      const a = g(f, x, y);
      const bounded = f.tanh(a);
      switch (op) {
        case 'log':
          return f.log(positive(g)(f, x, y));
        case 'sqrt':
          return f.sqrt(positive(g)(f, x, y));
        case 'log1p':
          return f.unary(Op.Log1p, positive(g)(f, x, y));
        case 'exp':
          return f.exp(bounded);
        case 'expm1':
          return f.unary(Op.Expm1, bounded);
        case 'tan':
          return f.unary(Op.Tan, bounded);
        default:
          return f.unary(op as Op.Neg, a);
      }
    });
  const binary = fc
    .tuple(fc.constantFrom('add', 'sub', 'mul', 'div', 'pow', 'powc', 'hill'), sub, sub)
    .map<Builder>(([op, g, h]) => (f, x, y) => {
      const a = g(f, x, y);
      const b = h(f, x, y);
      switch (op) {
        case 'add':
          return f.add(a, b);
        case 'sub':
          return f.sub(a, b);
        case 'mul':
          return f.mul(a, b);
        case 'div':
          return f.div(a, positive(h)(f, x, y));
        case 'pow':
          return f.pow(positive(g)(f, x, y), f.tanh(b));
        case 'powc':
          return f.pow(a, f.constant(3));
        default:
          return f.hill(positive(g)(f, x, y), f.constant(2), positive(h)(f, x, y));
      }
    });
  return fc.oneof({ depthSize: 'small' }, leaf, unary, binary);
});

describe('symbolic derivatives', () => {
  it('agree with finite differences on random expressions', () => {
    fc.assert(
      fc.property(exprArb(5), fc.integer({ min: 1, max: 1e9 }), (build, seed) => {
        const f = new ExprFactory();
        const x = f.state(0);
        const y = f.param(0);
        const e = build(f, x, y);
        const rng = testRng(seed);
        const at = [2 * rng() - 1, 2 * rng() - 1];
        const value = (xv: number, yv: number) => evaluate([e], (l) => (l.op === Op.State ? xv : yv))[0];
        for (const [k, v] of [
          [0, x],
          [1, y],
        ] as const) {
          const d = differentiate(f, e, v);
          const got = evaluate([d], (l) => (l.op === Op.State ? at[0] : at[1]))[0];
          const fd = richardson((s) => (k === 0 ? value(at[0] + s, at[1]) : value(at[0], at[1] + s)), 1e-3);
          if (!Number.isFinite(fd)) continue;
          expect(relErr(got, fd, 1e-6)).toBeLessThan(1e-6);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives structural zeros and shares subexpressions with the value', () => {
    const f = new ExprFactory();
    const [x, y] = [f.state(0), f.state(1)];
    const t = f.tanh(f.mul(x, f.constant(3)));
    const J = jacobianExprs(f, [t, f.mul(y, y)], [x, y]);
    expect(J[0][1].isConst && J[0][1].value === 0).toBe(true);
    expect(J[1][0].isConst && J[1][0].value === 0).toBe(true);
    // d tanh(3x)/dx = (1 − tanh²)·3 reuses the node tanh(3x)
    const uses = (e: Expr, target: Expr): boolean => e === target || e.args.some((a) => uses(a, target));
    expect(uses(J[0][0], t)).toBe(true);
  });

  it('follows the conventions at kinks: min/max take the first argument at ties, select its branch', () => {
    const f = new ExprFactory();
    const [x, y] = [f.state(0), f.state(1)];
    const at = (e: Expr, xv: number, yv: number) => evaluate([e], (l) => (l.index === 0 ? xv : yv))[0];
    const dmin = differentiate(f, f.binary(Op.Min, x, y), x);
    expect([at(dmin, 1, 2), at(dmin, 3, 2), at(dmin, 2, 2)]).toEqual([1, 0, 1]);
    const sel = f.select(f.binary(Op.Gt, x, f.constant(0)), f.mul(x, x), f.neg(x));
    const ds = differentiate(f, sel, x);
    expect([at(ds, 3, 0), at(ds, -3, 0)]).toEqual([6, -1]);
    expect(at(differentiate(f, f.unary(Op.Abs, x), x), -2, 0)).toBe(-1);
    expect(differentiate(f, f.unary(Op.Sign, x), x).value).toBe(0);
    // stopgrad: the value passes, the derivative does not: d/dx [x·stopgrad(x)] = stopgrad(x)
    const dsg = differentiate(f, f.mul(x, f.unary(Op.StopGrad, x)), x);
    expect(at(dsg, 3, 0)).toBe(3);
  });
});
