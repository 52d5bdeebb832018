import { describe, expect, it } from 'vitest';
import { ModelBuilder } from '../../src/expr/builder.js';
import { type Expr, topologicalOrder } from '../../src/expr/ir.js';
import { type Model, ModelError } from '../../src/expr/model.js';
import { parseModel } from '../../src/expr/parse.js';
import { printModel } from '../../src/expr/print.js';
import { GbxSyntaxError } from '../../src/expr/source.js';
import {
  add,
  div,
  hill,
  ifElse,
  mul,
  neg,
  pow,
  sin,
  sqrt,
  stopgrad,
  sub,
  time,
} from '../../src/expr/terms.js';
import { zoo } from '../../src/models/index.js';

/** A structural fingerprint of an expression, ignoring node ids. */
function shape(e: Expr): string {
  const memo = new Map<number, string>();
  for (const n of topologicalOrder([e])) {
    const head = n.isConst ? `${Object.is(n.value, -0) ? '-0' : n.value}` : `${n.op}#${n.index}.${n.index2}`;
    memo.set(n.id, n.isLeaf ? head : `${head}(${n.args.map((a) => memo.get(a.id)).join(',')})`);
  }
  return memo.get(e.id)!;
}

/** Same printed text, same declarations, structurally identical expressions (and the same node ids). */
function expectSameModel(built: Model, parsed: Model): void {
  expect(printModel(built)).toBe(printModel(parsed));
  const exprs = (m: Model) => [
    ...m.states.map((s) => s.initial),
    ...m.derived.map((d) => d.expr),
    ...m.calls.flatMap((c) => c.inputs),
    ...m.equations,
    ...m.observables.flatMap((o) => [o.expr, o.noise.sigma]),
  ];
  expect(exprs(built).map(shape)).toEqual(exprs(parsed).map(shape));
  expect(exprs(built).map((e) => e.id)).toEqual(exprs(parsed).map((e) => e.id));
  const strip = (m: Model) => ({
    params: m.params.map(({ loc: _, ...p }) => p),
    nets: m.nets.map((n) => [n.name, n.outputs, n.architecture]),
    calls: m.calls.map((c) => c.net),
    doses: m.doses.map(({ loc: _, ...d }) => d),
    observables: m.observables.map((o) => [o.name, o.noise.kind]),
    inputs: m.inputs.map((u) => [u.name, u.interpolation]),
    covariates: m.covariates.map((c) => [c.name, c.defaultValue]),
  });
  expect(strip(built)).toEqual(strip(parsed));
  expect([built.name, built.description]).toEqual([parsed.name, parsed.description]);
}

const PENDULUM_TEXT = `
model pendulum "Damped pendulum with a learned correction"
param w0    = 2.0 in [0.1, 10] scale log
param alpha = 0.1 in [0, 5]    fixed
input u interp linear
state theta = 0.5
state omega = 0
let   acc   = -w0^2 * sin(theta) - alpha * omega
net   F(theta, omega) -> (a, b) : mlp(64, 64, tanh)
d/dt theta = omega
d/dt omega = acc + u + F.b + F(2 * theta, stopgrad(omega)).a
obs angle = theta ~ normal(0.05)
`;

describe('ModelBuilder gives the same model as the text', () => {
  it('the pendulum of the language reference, with expression helpers', () => {
    const b = new ModelBuilder('pendulum', 'Damped pendulum with a learned correction');
    const w0 = b.param('w0', 2, { bounds: [0.1, 10], scale: 'log' });
    const alpha = b.param('alpha', 0.1, { bounds: [0, 5], fixed: true });
    const u = b.input('u', { interp: 'linear' });
    const theta = b.state('theta', 0.5);
    const omega = b.state('omega', 0);
    const acc = b.let('acc', sub(mul(neg(pow(w0, 2)), sin(theta)), mul(alpha, omega)));
    const F = b.net('F', [theta, omega], ['a', 'b'], { hidden: [64, 64], activation: 'tanh' });
    b.ddt(theta, omega);
    b.ddt(omega, add(acc, u, F.out('b'), F.call(mul(2, theta), stopgrad(omega)).out('a')));
    b.observe('angle', theta, { noise: 'normal', sigma: 0.05 });
    expectSameModel(b.build(), parseModel(PENDULUM_TEXT));
  });

  it('the pendulum with expression text', () => {
    const b = new ModelBuilder('pendulum', 'Damped pendulum with a learned correction');
    b.param('w0', 2, { bounds: [0.1, 10], scale: 'log' });
    b.param('alpha', 0.1, { bounds: [0, 5], fixed: true });
    b.input('u', { interp: 'linear' });
    const theta = b.state('theta', 0.5);
    b.state('omega', 0);
    b.let('acc', '-w0^2 * sin(theta) - alpha * omega');
    b.net('F', ['theta', 'omega'], ['a', 'b'], { hidden: [64, 64], activation: 'tanh' });
    b.ddt(theta, 'omega');
    b.ddt('omega', 'acc + u + F.b + F(2 * theta, stopgrad(omega)).a');
    b.observe('angle', 'theta', { sigma: '0.05' });
    expectSameModel(b.build(), parseModel(PENDULUM_TEXT));
  });

  it('Lotka–Volterra of the model zoo', () => {
    const b = new ModelBuilder(
      'lotkaVolterra',
      "Lotka-Volterra predator-prey: x' = alpha x - beta x y, y' = gamma x y - delta y",
    );
    const positive = { bounds: [0, Number.POSITIVE_INFINITY], scale: 'log' } as const;
    const alpha = b.param('alpha', 1.3, positive);
    const beta = b.param('beta', 0.9, positive);
    const gamma = b.param('gamma', 0.8, positive);
    const delta = b.param('delta', 1.8, positive);
    const x = b.state('x', 0.44249296);
    const y = b.state('y', 4.6280594);
    b.ddt(x, sub(mul(alpha, x), mul(beta, x, y)));
    b.ddt(y, sub(mul(gamma, x, y), mul(delta, y)));
    b.observe('prey', x, { sigma: 0.0025361 });
    b.observe('predator', y, { sigma: 0.0050663 });
    expectSameModel(b.build(), zoo.lotkaVolterra.model());
  });

  it('two-compartment pharmacokinetics of the model zoo, helpers and text mixed', () => {
    const b = new ModelBuilder(
      'pkTwoCompartment',
      'Two-compartment pharmacokinetics with first-order absorption',
    );
    const log = { scale: 'log' } as const; // bounds default to [0, inf] on the log scale
    const ka = b.param('ka', 1, log);
    const CL = b.param('CL', 5, log);
    const V1 = b.param('V1', 20, log);
    const Q = b.param('Q', 10, log);
    const V2 = b.param('V2', 50, log);
    b.param('add_sd', 0.05, log);
    b.param('prop_sd', 0.1, log);
    const depot = b.state('depot', 0);
    const central = b.state('central', 0);
    const peripheral = b.state('peripheral', 0);
    const conc = b.let('conc', div(central, V1));
    b.ddt(depot, mul(neg(ka), depot));
    b.ddt(
      central,
      add(
        sub(sub(mul(ka, depot), mul(div(CL, V1), central)), mul(div(Q, V1), central)),
        mul(div(Q, V2), peripheral),
      ),
    );
    b.ddt(peripheral, 'Q / V1 * central - Q / V2 * peripheral');
    b.dose('oral', depot);
    b.dose('iv', central, 'infusion');
    b.observe('concentration', conc, { sigma: sqrt(add(pow('add_sd', 2), pow(mul('prop_sd', conc), 2))) });
    expectSameModel(b.build(), zoo.pkTwoCompartment.model());
  });

  it('conditionals, hill, time and names used before their declaration', () => {
    const text = `
      state x = k0
      d/dt x = (if t > 1 then hill(x, 2, K) else 0) - r
      let r = 0.5 * x
      param k0 = 1
      param K = 2
    `;
    const b = new ModelBuilder();
    const x = b.state('x', 'k0');
    b.ddt(x, sub(ifElse('t > 1', hill(x, 2, 'K'), 0), 'r'));
    b.let('r', mul(0.5, x));
    b.param('k0', 1);
    b.param('K', 2);
    expectSameModel(b.build(), parseModel(text));
    expect(ifElse(1, time, 0)).toEqual({
      kind: 'if',
      cond: { kind: 'number', value: 1 },
      whenTrue: { kind: 'name', name: 't' },
      whenFalse: { kind: 'number', value: 0 },
    });
  });

  it('builds again after more declarations, independently', () => {
    const b = new ModelBuilder('m');
    const x = b.state('x', 1);
    b.ddt(x, neg(x));
    const first = b.build();
    b.observe('y', x, { sigma: 0.1 });
    const second = b.build();
    expect(first.observables).toHaveLength(0);
    expect(second.observables).toHaveLength(1);
    expect(first.factory).not.toBe(second.factory);
  });
});

describe('ModelBuilder errors', () => {
  it('names: invalid, reserved, declared twice', () => {
    const b = new ModelBuilder('m');
    b.param('k', 1);
    expect(() => b.state('k', 0)).toThrow(
      /the name "k" is declared twice: as a parameter and as a state — rename one/,
    );
    expect(() => b.param('exp', 1)).toThrow(/"exp" is a built-in function and cannot be declared/);
    expect(() => b.state('t', 1)).toThrow(/"t" is the time/);
    expect(() => b.state('my x', 1)).toThrow(/"my x" is not a valid name/);
    expect(() => new ModelBuilder('my model')).toThrow(ModelError);
  });

  it('options: unknown keys and values are refused', () => {
    const b = new ModelBuilder('m');
    expect(() => Reflect.apply(b.param, b, ['k', 1, { bound: [0, 1] }])).toThrow(
      /unknown option "bound" of param k — the options are bounds, scale, fixed/,
    );
    expect(() => Reflect.apply(b.param, b, ['k2', 1, { scale: 'exp' }])).toThrow(/unknown scale "exp"/);
    expect(() => Reflect.apply(b.input, b, ['u', { interp: 'cubic' }])).toThrow(/unknown interpolation/);
    const x = b.state('x', 1);
    expect(() => b.net('F', [x], ['a'], { hidden: [0], activation: 'tanh' })).toThrow(
      /invalid hidden width 0/,
    );
    expect(() => Reflect.apply(b.net, b, ['G', [x], ['a'], { hidden: [], activation: 'tahn' }])).toThrow(
      /unknown activation "tahn"/,
    );
    expect(() => b.net('H', [x], ['a', 'a'], { hidden: [], activation: 'relu' })).toThrow(/output "a" twice/);
    expect(() => b.net('I', [], ['a'], { hidden: [], activation: 'relu' })).toThrow(/has no inputs/);
  });

  it('networks: unknown outputs and wrong input counts', () => {
    const b = new ModelBuilder('m');
    const x = b.state('x', 1);
    const F = b.net('F', [x], ['a', 'b'], { hidden: [4], activation: 'tanh' });
    expect(() => Reflect.apply(F.out, F, ['c'])).toThrow(
      /network "F" has no output "c" — its outputs are a, b/,
    );
    expect(() => F.call(x, x)).toThrow(/network "F" takes 1 inputs but is called with 2/);
  });

  it('expression text: syntax errors at the call, unknown names at build, located in the text', () => {
    const b = new ModelBuilder('m');
    b.param('k', 1);
    const x = b.state('x', 1);
    let syntax: unknown;
    try {
      b.ddt(x, '2 +');
    } catch (e) {
      syntax = e;
    }
    expect(syntax).toBeInstanceOf(GbxSyntaxError);
    expect((syntax as GbxSyntaxError).message).toMatch(/^<d\/dt x> line 1, column 4: expected a value/);

    b.ddt(x, '-kk * x');
    let unknown: unknown;
    try {
      b.build();
    } catch (e) {
      unknown = e;
    }
    expect(unknown).toBeInstanceOf(GbxSyntaxError);
    expect((unknown as GbxSyntaxError).message).toBe(
      '<d/dt x> line 1, column 2: unknown name "kk" — did you mean "k"?\n  -kk * x\n   ^',
    );
  });

  it('model-level problems at build, naming the declaration', () => {
    const noEquation = new ModelBuilder('m');
    noEquation.state('x', 1);
    expect(() => noEquation.build()).toThrow(
      'model m, state x: state "x" has no equation — add a line d/dt x = …',
    );
    const bounds = new ModelBuilder('m');
    bounds.param('k', 20, { bounds: [0, 10] });
    expect(() => bounds.build()).toThrow(/the value 20 of parameter "k" lies outside its bounds \[0, 10\]/);
    const cycle = new ModelBuilder('m');
    cycle.let('a', 'b + 1');
    cycle.let('b', mul(2, 'a'));
    expect(() => cycle.build()).toThrow(/derived variables form a cycle: a → b → a/);
    const dose = new ModelBuilder('m');
    const x = dose.state('x', 0);
    dose.ddt(x, 0);
    dose.dose('d', 'y');
    expect(() => dose.build()).toThrow(
      /model m, dose d: dose "d" goes into "y", which is not a declared state/,
    );
  });
});
