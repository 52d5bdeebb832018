import { describe, expect, it } from 'vitest';
import { additiveTerms, dependencyGraph } from '../../src/expr/graph.js';
import { ExprFactory, evaluate, Op } from '../../src/expr/ir.js';
import { Model } from '../../src/expr/model.js';

function model(): Model {
  const f = new ExprFactory();
  const [a, b, c] = [f.state(0), f.state(1), f.state(2)];
  const u = f.input(0);
  const arch = { kind: 'mlp' as const, hidden: [4], activation: 'tanh' as const };
  const netIn = [b, u];
  return new Model({
    name: 'g',
    factory: f,
    params: [],
    states: ['a', 'b', 'c'].map((name) => ({ name, initial: f.constant(0) })),
    inputs: [{ name: 'u', interpolation: 'step' }],
    covariates: [],
    derived: [],
    nets: [{ name: 'N', inputs: netIn, outputs: ['o'], architecture: arch }],
    calls: [{ net: 0, inputs: netIn }],
    // a' = −a + 2b − u·a ; b' = N(b, u).o ; c' = a − (b + c)
    equations: [
      f.sub(f.add(f.neg(a), f.mul(f.constant(2), b)), f.mul(u, a)),
      f.netOut(0, 0),
      f.sub(a, f.add(b, c)),
    ],
    observables: [],
    doses: [],
  });
}

describe('dependency graph', () => {
  it('lists state and input edges with the terms they come from, through networks', () => {
    const m = model();
    const g = dependencyGraph(m);
    const key = (e: { from: string; to: string; kind: string }) => `${e.kind}:${e.from}→${e.to}`;
    expect(g.edges.map(key)).toEqual([
      'state:a→a',
      'state:b→a',
      'input:u→a',
      'state:b→b',
      'input:u→b',
      'state:a→c',
      'state:b→c',
      'state:c→c',
    ]);
    const aa = g.edges.find((e) => key(e) === 'state:a→a')!;
    expect(aa.terms.length).toBe(2); // −a and −u·a
    expect(aa.termText).toEqual(['-a', '-u * a']);
    expect(g.edges.find((e) => key(e) === 'state:b→b')!.via).toEqual(['N']);
  });

  it('splits additive terms with their signs', () => {
    const f = new ExprFactory();
    const [x, y, z] = [f.state(0), f.state(1), f.state(2)];
    const terms = additiveTerms(f, f.sub(x, f.sub(y, f.neg(z))));
    const at = (e: ReturnType<typeof f.state>) => evaluate([e], (l) => [1, 10, 100][l.index])[0];
    expect(terms.map(at)).toEqual([1, -10, -100]);
    expect(terms.every((t) => t.op !== Op.Add && t.op !== Op.Sub)).toBe(true);
  });
});
