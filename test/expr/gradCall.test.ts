/**
 * `grad(F.a, x)` in the model language: how it elaborates (gradient calls, merged like other
 * calls), the located errors for every misuse, printing back, and the TypeScript builder.
 */
import { describe, expect, it } from 'vitest';
import { ModelBuilder } from '../../src/expr/builder.js';
import { callOutputCount, ModelError } from '../../src/expr/model.js';
import { parseModel } from '../../src/expr/parse.js';
import { printLatex, printModel } from '../../src/expr/print.js';
import * as ex from '../../src/expr/terms.js';
import { at, errorOf } from '../support/syntax.js';

function expectError(src: string, needle: string, what: RegExp, occurrence = 1): void {
  const e = errorOf(src);
  expect(e.message, src).toMatch(what);
  expect(e.loc, src).toEqual(at(src, needle, occurrence));
  expect(e).toBeInstanceOf(ModelError);
}

/** Three states q, p, r; a network H(q, p) -> (e, f); d/dt q = EQ. */
const withEquation = (eq: string, extra = '') =>
  `state q = 1\nstate p = 0\nstate r = 0\n${extra}net H(q, p) -> (e, f) : mlp(4, tanh)\nd/dt q = ${eq}\nd/dt p = 0\nd/dt r = 0\n`;

describe('grad(F.a, x): elaboration', () => {
  it('is a gradient call of F on the same inputs, one output per input', () => {
    const m = parseModel(withEquation('grad(H.e, p) - grad(H.e, q) + grad(H(q, p).e, q)'));
    expect(m.calls.map((c) => c.gradOf)).toEqual([undefined, 0]); // the explicit call is merged
    expect(m.calls[1].inputs).toEqual(m.calls[0].inputs);
    expect(m.calls.map((c) => callOutputCount(m, c))).toEqual([2, 2]);
  });

  it('keeps calls of different outputs and different inputs apart', () => {
    const m = parseModel(withEquation('grad(H.e, p) + grad(H.f, p) + grad(H(q, r).e, r)'));
    expect(m.calls.map((c) => c.gradOf)).toEqual([undefined, 0, 1, 0]);
  });

  it('differentiates by an input written as a derived variable or a parameter', () => {
    const m = parseModel(`
      param s = 2
      state q = 1
      let v = s * q
      net H(v, s) -> (e) : mlp(4, tanh)
      d/dt q = grad(H.e, v) + grad(H.e, s)
    `);
    expect(m.calls.map((c) => c.gradOf)).toEqual([undefined, 0]);
  });

  it('may be used in an initial value when the network is static (parameters, covariates)', () => {
    const m = parseModel(`
      param a = 1
      state q = grad(P.k, a)
      net P(a) -> (k) : mlp(4, tanh)
      d/dt q = -q
    `);
    expect(m.calls[1].gradOf).toBe(0);
  });
});

describe('grad(F.a, x): errors name the line and column', () => {
  it('of something that is not a network output', () => {
    const src = withEquation('grad(q, p)');
    expectError(src, 'q, p)\n', /first argument of grad must be a network output/);
    expectError(withEquation('grad(H, p)'), 'H, p)', /"H" is a network — use one of its outputs: H\.e, H\.f/);
    expectError(withEquation('grad(G.e, p)'), 'G.e', /unknown network "G"/);
    expectError(withEquation('grad(H.x, p)'), 'x, p', /network "H" has no output "x"/);
  });

  it('by a name that is not among the inputs, or not a name', () => {
    expectError(withEquation('grad(H.e, r)'), 'r)', /"r" is not an input of network "H".*"q", "p"/);
    expectError(withEquation('grad(H.e, zz)'), 'zz', /unknown name "zz"/);
    expectError(withEquation('grad(H(q, 2*p).e, p)'), 'p)\nd/dt p', /"p" is not an input of this call of H/);
    const e = errorOf(withEquation('grad(H.e, 2*p)'));
    expect(e.message).toMatch(/second argument of grad must be the name of one of the inputs of network "H"/);
    expect(e.loc.line).toBe(5);
  });

  it('by an input that appears twice (ambiguous)', () => {
    const src = 'state q = 1\nnet H(q, q) -> (e) : mlp(4, tanh)\nd/dt q = grad(H.e, q)\n';
    expectError(src, 'q)\n', /"q" is 2 of the inputs of network "H".*ambiguous/);
  });

  it('with the wrong number of arguments, or of network inputs', () => {
    expectError(withEquation('grad(H.e)'), 'grad', /grad takes 2 arguments but is given 1/);
    expectError(withEquation('grad(H.e, p, q)'), 'grad', /grad takes 2 arguments but is given 3/);
    expectError(withEquation('grad(H(q).e, q)'), 'H(q)', /network "H" takes 2 inputs but is given 1/);
    expectError(withEquation('grad'), 'grad', /"grad" is a function — call it: grad\(NET\.OUTPUT, INPUT\)/);
  });

  it('when a network depends on its own gradient', () => {
    expectError(
      'state q = 1\nnet H(q, grad(H.e, q)) -> (e) : mlp(4, tanh)\nd/dt q = H.e\n',
      'grad(H.e',
      /inputs of network "H" depend on its own gradient/,
    );
    expectError(
      'state q = 1\nlet v = grad(H.e, q)\nnet H(q, v) -> (e) : mlp(4, tanh)\nd/dt q = v\n',
      'v) ->',
      /inputs of network "H" depend on its own gradient through v → v/,
    );
  });

  it('in an initial value of a time-dependent network', () => {
    expectError(
      'state q = grad(H.e, p)\nstate p = 0\nnet H(q, p) -> (e) : mlp(4, tanh)\nd/dt q = 0\nd/dt p = 0\n',
      'p)\n',
      /initial value of state "q" depends on state "p"/,
    );
  });

  it('"grad" cannot be declared', () => {
    expectError(
      'param grad = 1\nstate q = 1\nd/dt q = 0\n',
      'grad',
      /"grad" is a built-in function and cannot be declared/,
    );
  });
});

describe('grad(F.a, x): printing and the builder', () => {
  const text = `model hnn
param alpha = 0.1
state q = 1
state p = 0
let v = 2 * p
net H(q, v) -> (e) : mlp(8, tanh)

d/dt q = grad(H.e, v)
d/dt p = -grad(H.e, q) - alpha * p + grad(H(p, q).e, p)

obs E = H.e ~ normal(0.1)
`;

  it('prints back to text that parses to the same model', () => {
    const m = parseModel(text);
    const printed = printModel(m);
    expect(printed).toContain('d/dt q = grad(H.e, v)');
    expect(printed).toContain('grad(H(p, q).e, p)');
    expect(printModel(parseModel(printed))).toBe(printed);
  });

  it('prints as a partial derivative in LaTeX', () => {
    expect(printLatex(parseModel(text))).toContain('\\frac{\\partial H_{e}}{\\partial q}');
  });

  it('works in the builder through expression text', () => {
    const b = new ModelBuilder('hnn');
    const q = b.state('q', 1);
    const p = b.state('p', 0);
    b.net('H', [q, p], ['e'], { hidden: [8], activation: 'tanh' });
    b.ddt(q, 'grad(H.e, p)');
    b.ddt(p, '-grad(H.e, q)');
    const m = b.build();
    expect(m.calls.map((c) => c.gradOf)).toEqual([undefined, 0]);
    expect(printModel(m)).toContain('d/dt p = -grad(H.e, q)');
  });

  it('works in the builder through ex.grad, giving the same model as the text', () => {
    const b = new ModelBuilder('hnn');
    const q = b.state('q', 1);
    const p = b.state('p', 0);
    const H = b.net('H', [q, p], ['e'], { hidden: [8], activation: 'tanh' });
    b.ddt(q, ex.grad(H.out('e'), p));
    b.ddt(p, ex.neg(ex.grad(H.out('e'), q)));
    const fromText = parseModel(
      'model hnn\nstate q = 1\nstate p = 0\nnet H(q, p) -> (e) : mlp(8, tanh)\nd/dt q = grad(H.e, p)\nd/dt p = -grad(H.e, q)\n',
    );
    expect(printModel(b.build())).toBe(printModel(fromText));
  });
});
