import { describe, expect, it } from 'vitest';
import { type Expr, type ExprFactory, evaluate, Op } from '../../src/expr/ir.js';
import { ModelError } from '../../src/expr/model.js';
import { parseModel } from '../../src/expr/parse.js';
import type { GbxSyntaxError } from '../../src/expr/source.js';
import { at, errorOf } from '../support/syntax.js';

/** Asserts the error's position (at `needle`) and that its message matches `what`. */
function expectError(src: string, needle: string, what: RegExp, occurrence = 1): GbxSyntaxError {
  const e = errorOf(src);
  expect(e.message, src).toMatch(what);
  expect(e.loc, src).toEqual(at(src, needle, occurrence));
  expect(e).toBeInstanceOf(ModelError);
  return e;
}

const PENDULUM = `# Damped pendulum with a learned correction
model pendulum "Damped pendulum, θ'' = −ω0² sin θ − α θ'"

param w0    = 2.0 in [0.1, 10] scale log
param alpha = 0.1 in [0, 5]    fixed
input u interp linear           # a time-varying forcing, linearly interpolated
state theta = 0.5
state omega = 0
let   acc   = -w0^2 * sin(theta) - alpha * omega
net   F(theta, omega) -> (a, b) : mlp(64, 64, tanh)

d/dt theta = omega
d/dt omega = acc + u + F.b

obs angle = theta ~ normal(0.05)
`;

/** A model with states x, y and parameters k, m around one equation, for expression tests. */
function rhsOf(expr: string, extra = ''): { e: Expr; f: ExprFactory } {
  const m = parseModel(
    `param k = 2\nparam m = 3\nstate x = 1\nstate y = 2\n${extra}\nd/dt x = ${expr}\nd/dt y = 0`,
  );
  return { e: m.equations[0], f: m.factory };
}

function evalRhs(expr: string, x = 0.7, y = -1.3, t = 0.25): number {
  const { e } = rhsOf(expr);
  return evaluate([e], (leaf) => {
    if (leaf.op === Op.State) return leaf.index === 0 ? x : y;
    if (leaf.op === Op.Param) return leaf.index === 0 ? 2 : 3;
    if (leaf.op === Op.Time) return t;
    return Number.NaN;
  })[0];
}

describe('parseModel: the language reference example', () => {
  const m = parseModel(PENDULUM, { file: 'pendulum.gbx' });

  it('reads every declaration', () => {
    expect(m.name).toBe('pendulum');
    expect(m.description).toBe("Damped pendulum, θ'' = −ω0² sin θ − α θ'");
    expect(m.params).toEqual([
      {
        name: 'w0',
        value: 2,
        lower: 0.1,
        upper: 10,
        scale: 'log',
        fixed: false,
        loc: { line: 4, column: 7 },
      },
      {
        name: 'alpha',
        value: 0.1,
        lower: 0,
        upper: 5,
        scale: 'lin',
        fixed: true,
        loc: { line: 5, column: 7 },
      },
    ]);
    expect(m.inputs).toEqual([{ name: 'u', interpolation: 'linear', loc: { line: 6, column: 7 } }]);
    expect(m.states.map((s) => [s.name, s.initial.value])).toEqual([
      ['theta', 0.5],
      ['omega', 0],
    ]);
    expect(m.derived.map((d) => d.name)).toEqual(['acc']);
    expect(m.nets).toHaveLength(1);
    expect(m.nets[0].outputs).toEqual(['a', 'b']);
    expect(m.nets[0].architecture).toEqual({ kind: 'mlp', hidden: [64, 64], activation: 'tanh' });
    expect(m.calls).toEqual([{ net: 0, inputs: [m.factory.state(0), m.factory.state(1)] }]);
    expect(m.observables[0].name).toBe('angle');
    expect(m.observables[0].noise.kind).toBe('normal');
    expect(m.observables[0].noise.sigma.value).toBe(0.05);
  });

  it('builds the equations through the factory, sharing the derived variable', () => {
    const f = m.factory;
    const [w0, alpha] = [f.param(0), f.param(1)];
    const [theta, omega] = [f.state(0), f.state(1)];
    const acc = f.sub(f.mul(f.neg(f.pow(w0, f.constant(2))), f.sin(theta)), f.mul(alpha, omega));
    expect(m.derived[0].expr).toBe(acc);
    expect(m.equations[0]).toBe(omega);
    expect(m.equations[1]).toBe(f.add(f.add(acc, f.input(0)), f.netOut(0, 1)));
  });
});

describe('parseModel: lexical rules', () => {
  it('accepts empty input and comments only', () => {
    for (const src of ['', '\n\n', '# nothing here\n   # nor here', '\uFEFF# with a byte-order mark']) {
      const m = parseModel(src);
      expect(m.name).toBe('model');
      expect(m.states).toHaveLength(0);
    }
  });

  it('reads CRLF and CR line endings and counts lines the same way', () => {
    const m = parseModel('state x = 1\r\nd/dt x = -x\r\n');
    expect(m.equations[0].op).toBe(Op.Neg);
    const e = errorOf('state x = 1\r\n\rd/dt x = -y\r\n');
    expect(e.loc).toEqual({ line: 3, column: 11 });
  });

  it('counts a tab as one column and keeps it in the caret line', () => {
    const e = errorOf('state x = 1\nd/dt x =\t-\tzz');
    expect(e.loc).toEqual({ line: 2, column: 12 });
    expect(e.message.split('\n').slice(1)).toEqual(['  d/dt x =\t-\tzz', `  ${' '.repeat(8)}\t \t^`]);
  });

  it('counts a non-ASCII character as one column', () => {
    const e = errorOf('model m "θ and ω"  $');
    expect(e.loc).toEqual({ line: 1, column: 20 });
    const e2 = errorOf('model m "😀" 1');
    expect(e2.loc).toEqual({ line: 1, column: 13 });
  });

  it('continues a declaration inside brackets and after a trailing backslash', () => {
    const m = parseModel('param k = 1 in [\n 0,\n 2]\nstate x = 1\nd/dt x = -(k *\n  x) \\ # comment\n  + 1');
    const f = m.factory;
    expect(m.params[0].upper).toBe(2);
    expect(m.equations[0]).toBe(f.add(f.constant(1), f.neg(f.mul(f.param(0), f.state(0)))));
  });

  it('reads every number format', () => {
    for (const [text, value] of [
      ['12', 12],
      ['1.5', 1.5],
      ['.5', 0.5],
      ['1.', 1],
      ['1e-3', 1e-3],
      ['2.5E+4', 2.5e4],
      ['1e400', Number.POSITIVE_INFINITY],
      ['0.1', 0.1],
    ] as const) {
      expect(rhsOf(text).e.value).toBe(value);
    }
  });
});

describe('parseModel: expressions', () => {
  it('follows the precedence table', () => {
    const { e, f } = rhsOf('-x^2');
    expect(e).toBe(f.neg(f.pow(f.state(0), f.constant(2))));
    expect(rhsOf('2^-1').e.value).toBe(0.5);
    expect(evalRhs('2^3^2')).toBe(512);
    expect(evalRhs('10 - 4 - 3')).toBe(3);
    expect(evalRhs('12 / 3 / 2')).toBe(2);
    expect(evalRhs('1 + 2 * 3 ^ 2')).toBe(19);
    expect(evalRhs('1 < 2 and 3 < 2 or not 0')).toBe(1);
    expect(evalRhs('not 1 == 2')).toBe(1);
    expect(evalRhs('if x > 0 then 5 else 6')).toBe(5);
    expect(evalRhs('if x < 0 then 5 else if y < 0 then 7 else 8')).toBe(7);
    expect(evalRhs('-(x + 1) * 2')).toBeCloseTo(-3.4, 14);
    expect(evalRhs('+x')).toBe(0.7);
  });

  it('resolves t, pi and inf', () => {
    const { e, f } = rhsOf('t * pi + inf');
    expect(e).toBe(f.add(f.mul(f.time(), f.constant(Math.PI)), f.constant(Number.POSITIVE_INFINITY)));
  });

  it('lowers hill, piecewise, pow, min, max and stopgrad', () => {
    const { e, f } = rhsOf('hill(x, k, m) + stopgrad(y) * pow(x, 2) + min(x, 1) - max(0, y)');
    const x = f.state(0);
    const y = f.state(1);
    const hill = f.hill(x, f.param(0), f.param(1));
    const expected = f.sub(
      f.add(
        f.add(hill, f.mul(f.unary(Op.StopGrad, y), f.pow(x, f.constant(2)))),
        f.binary(Op.Min, x, f.constant(1)),
      ),
      f.binary(Op.Max, f.constant(0), y),
    );
    expect(e).toBe(expected);
    const pw = rhsOf('piecewise(x < 0, 1, x < 1, 2, 3)');
    const g = pw.f;
    const px = g.state(0);
    expect(pw.e).toBe(
      g.select(
        g.binary(Op.Lt, px, g.constant(0)),
        g.constant(1),
        g.select(g.binary(Op.Lt, px, g.constant(1)), g.constant(2), g.constant(3)),
      ),
    );
    expect(evalRhs('piecewise(x < 0, 1, x < 1, 2, 3)')).toBe(2);
  });

  it('evaluates every function like Math', () => {
    const cases: [string, number][] = [
      ['exp(x)', Math.exp(0.7)],
      ['log(x)', Math.log(0.7)],
      ['log1p(x)', Math.log1p(0.7)],
      ['expm1(x)', Math.expm1(0.7)],
      ['sqrt(x)', Math.sqrt(0.7)],
      ['sin(x)', Math.sin(0.7)],
      ['cos(x)', Math.cos(0.7)],
      ['tan(x)', Math.tan(0.7)],
      ['tanh(x)', Math.tanh(0.7)],
      ['sigmoid(x)', 1 / (1 + Math.exp(-0.7))],
      ['softplus(x)', Math.log1p(Math.exp(0.7))],
      ['abs(y)', 1.3],
      ['sign(y)', -1],
    ];
    for (const [text, value] of cases) expect(evalRhs(text)).toBeCloseTo(value, 15);
  });
});

describe('parseModel: declarations', () => {
  it('allows names before their declaration, except model which comes first', () => {
    const m = parseModel(
      'model late\nd/dt x = -k * r\nlet r = x + c\nstate x = x0\nparam k = 1\nparam x0 = 2\ncovariate c = 70',
    );
    const f = m.factory;
    expect(m.equations[0]).toBe(f.neg(f.mul(f.param(0), f.add(f.state(0), f.covariate(0)))));
    expect(m.states[0].initial).toBe(f.param(1));
    expect(m.covariates[0].defaultValue).toBe(70);
  });

  it('reads signed numbers, inf bounds, all scales, covariates without default and doses', () => {
    const m = parseModel(
      [
        'param a = -1.5 in [-inf, inf]',
        'param b = +2 scale log fixed',
        'param c = 0.5 fixed in [0, 1] scale logit',
        'covariate WT',
        'input u',
        'state A = 1',
        'state C = 0',
        'd/dt A = -a * A',
        'd/dt C = A + u',
        'dose oral -> A',
        'dose iv -> C infusion',
        'obs conc = C ~ lognormal(b)',
      ].join('\n'),
    );
    expect(m.params.map((p) => [p.value, p.lower, p.upper, p.scale, p.fixed])).toEqual([
      [-1.5, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 'lin', false],
      [2, 0, Number.POSITIVE_INFINITY, 'log', true],
      [0.5, 0, 1, 'logit', true],
    ]);
    expect(m.covariates[0].defaultValue).toBeNull();
    expect(m.inputs[0].interpolation).toBe('step');
    expect(m.doses.map((d) => [d.name, d.kind, d.target])).toEqual([
      ['oral', 'bolus', 0],
      ['iv', 'infusion', 1],
    ]);
    expect(m.observables[0].noise).toEqual({ kind: 'lognormal', sigma: m.factory.param(1) });
  });

  it('allows an observable to share a name with a state', () => {
    const m = parseModel('state x = 1\nd/dt x = -x\nobs x = x ~ normal(0.1)');
    expect(m.observables[0].name).toBe('x');
  });
});

describe('parseModel: networks', () => {
  const src = (eq: string) =>
    `state x = 1\nstate y = 0\nnet F(x, y) -> (a, b) : mlp(8, tanh)\nnet G(x) -> (o) : mlp(relu)\nd/dt x = ${eq}\nd/dt y = 0`;

  it('numbers declared calls by network and extra calls after them, merging identical ones', () => {
    const m = parseModel(src('F.a + F(y, x).b * F(y, x).a + G(2*x).o + G.o'));
    const f = m.factory;
    const [x, y] = [f.state(0), f.state(1)];
    expect(m.calls).toEqual([
      { net: 0, inputs: [x, y] },
      { net: 1, inputs: [x] },
      { net: 0, inputs: [y, x] },
      { net: 1, inputs: [f.mul(f.constant(2), x)] },
    ]);
    expect(m.nets[1].architecture).toEqual({ kind: 'mlp', hidden: [], activation: 'relu' });
    expect(m.equations[0]).toBe(
      f.add(
        f.add(f.add(f.netOut(0, 0), f.mul(f.netOut(2, 1), f.netOut(2, 0))), f.netOut(3, 0)),
        f.netOut(1, 0),
      ),
    );
  });

  it('merges an explicit call on the declared inputs with the declared call', () => {
    const m = parseModel(src('F(x, y).b + G(x).o'));
    expect(m.calls).toHaveLength(2);
    expect(m.equations[0]).toBe(m.factory.add(m.factory.netOut(0, 1), m.factory.netOut(1, 0)));
  });

  it('lets a network use another network and stopgrad in its inputs', () => {
    const m = parseModel(
      'state x = 1\nnet F(x) -> (a) : mlp(4, tanh)\nnet G(F.a, stopgrad(x)) -> (b) : mlp(4, tanh)\nd/dt x = G.b',
    );
    expect(m.nets[1].inputs[0]).toBe(m.factory.netOut(0, 0));
    expect(m.nets[1].inputs[1].op).toBe(Op.StopGrad);
  });
});

describe('parseModel: errors the reference lists', () => {
  it('reproduces the example message exactly', () => {
    const src =
      'model pendulum\nparam w0 = 2\nstate theta = 0.5\nstate omega = 0\n\n\nd/dt theta = omgea\nd/dt omega = -w0^2 * sin(theta)';
    const e = errorOf(src, 'model.gbx');
    expect(e.message).toBe(
      'model.gbx line 7, column 14: unknown name "omgea" — did you mean "omega"?\n' +
        '  d/dt theta = omgea\n' +
        '               ^',
    );
    expect(e.file).toBe('model.gbx');
    expect(e.what).toBe('unknown name "omgea"');
    expect(e.fix).toBe('did you mean "omega"?');
  });

  it('unexpected characters', () => {
    expectError('state x = 1\nd/dt x = 2 $ x', '$', /line 2, column 12: unexpected character "\$"/);
    expectError(
      'state θ = 1',
      'θ',
      /unexpected character "θ" \(U\+03B8\) — names use ASCII letters: write theta/,
    );
    expectError('state x = 1\nd/dt x = x−1', '−', /Unicode minus sign/);
    expectError('state x = 1\nd/dt x = x ** 2', '**', /write \^ for a power/);
    expectError(
      'state x = 1\nd/dt x = 2x',
      'x',
      /a name follows the number 2 without an operator — write 2\*x/,
      3,
    );
    expectError('model m "open', '"', /unterminated string/);
    expectError('state x = 1\nd/dt x = 1e+', '1e+', /incomplete exponent/);
  });

  it('unexpected tokens', () => {
    expectError('state x = 1\nd/dt x = 2 + * x', '*', /expected a value, found "\*"/);
    expect(errorOf('state x = 1\nd/dt x = (x + 1').message).toMatch(
      /^line 2, column 16: expected "\)" to close the "\(" at column 10, found the end of the text/,
    );
    expectError('state x = 1\nd/dt x = sin(x\nd/dt y = 1', 'd/dt y', /close the "\(" at line 2, column 13/);
    expectError(
      'state x = 1\nd/dt x = x)',
      ')',
      /unexpected "\)" after the end of the declaration — it closes no bracket/,
    );
    expectError('state x = 1\nd/dt x = x y', 'y', /an operator \(\+ - \* \/ \^\) is missing/);
    expectError('state x = 1\nd/dt x = 0 < x < 1', '<', /comparisons cannot be chained/, 2);
    expectError(
      'state x = 1\nd/dt x = 1 + if x then 1 else 2',
      'if',
      /needs parentheses — write \(if C then A else B\)/,
    );
    expectError(
      'state x = 1\nd/dt x = if x = 1 then 1 else 2',
      '= 1 then',
      /expected "then".* — to compare, write ==/,
    );
    expectError('state x = 1\nd/dt x = if x then 1\n', '\n', /expected "else"/, 2);
    expectError('parm k = 1', 'parm', /unknown declaration "parm" — did you mean "param"\?/);
    expectError('k = 1', 'k', /"k" is assigned without a declaration keyword — declare it: let k = …/);
    expectError('state x = 1\ndx/dt = 1', 'dx', /write d\/dt x = …/);
    expectError('param k = 2 * 3', '*', /in the declaration of parameter "k"/);
    expectError('param k = x', 'x', /expected a number for the value of parameter "k"/);
    expectError('param k = 1 in [0, 2] in [0, 3]', 'in', /the bounds of parameter "k" given twice/, 2);
    expectError('param k = 1 scale log2', 'log2', /unknown scale "log2" — did you mean "log"\?/);
    expectError('state x = 1\nobs y = x\n', '\n', /expected "~" and a noise model/, 2);
    expectError('state x = 1\nobs y = x ~ gaussian(1)', 'gaussian', /unknown noise model/);
    expectError('input u interp cubic', 'cubic', /unknown interpolation "cubic"/);
    expectError(
      'state x = 1\nnet F(x) -> (a) : mlp(8, tahn)',
      'tahn',
      /unknown activation "tahn" — did you mean "tanh"\?/,
    );
    expectError('state x = 1\nnet F(x) -> (a) : mlp(8.5, tanh)', '8.5', /invalid hidden width 8.5/);
    expectError('state x = 1\nnet F(x) -> (a) : mlp(8)', ')', /expected "," and the activation/, 3);
    expectError('state x = 1\nnet F(x) -> (a) : cnn(8, tanh)', 'cnn', /unknown architecture "cnn"/);
    expectError('state x = 1\nnet F() -> (a) : mlp(tanh)', ')', /network "F" has no inputs/);
    expectError('state x = 1\nnet F(x) -> (a, a) : mlp(tanh)', 'a)', /declares the output "a" twice/);
    expectError(
      'state x = 1\nmodel m',
      'model',
      /model must be the first declaration — move this line to the top/,
    );
    expectError('model m\nmodel n', 'model', /the model is named twice \(first at line 1\)/, 2);
    expectError('dose d -> x bolux', 'bolux', /did you mean "bolus"\?/);
  });

  it('undefined names, with and without a suggestion', () => {
    expectError(
      'state omega = 1\nd/dt omega = -Omega',
      'Omega',
      /unknown name "Omega" — did you mean "omega"\?/,
    );
    expectError('state x = 1\nd/dt x = -zeta', 'zeta', /unknown name "zeta" — declare it with param, state/);
    expectError('state x = 1\nd/dt x = sine(x)', 'sine', /unknown function "sine" — did you mean "sin"\?/);
    expectError('state x = 1\nd/dt x = exp', 'exp', /"exp" is a function — call it: exp\(x\)/);
    expectError(
      'state x = 1\nd/dt x = x\nobs y = x ~ normal(1)\nobs z = y ~ normal(1)',
      'y ~',
      /"y" is an observable/,
    );
    expectError(
      'param k = 1\nstate x = 1\nd/dt x = k(x)',
      'k(',
      /"k" is a parameter, not a function — write k \* \(…\)/,
    );
  });

  it('names declared twice, and reserved names', () => {
    expectError(
      'param k = 1\nstate k = 0',
      'k',
      /the name "k" is declared twice: as a parameter \(line 1, column 7\) and as a state — rename one/,
      2,
    );
    expectError(
      'state x = 1\nd/dt x = -x\nobs y = x ~ normal(1)\nobs y = x ~ normal(2)',
      'y',
      /observable "y" is declared twice \(first at line 3\)/,
      2,
    );
    expectError(
      'state x = 1\nd/dt x = -x\ndose d -> x\ndose d -> x',
      'd ->',
      /dose "d" is declared twice/,
      2,
    );
    expectError('param t = 1', 't', /"t" is the time and cannot be declared/);
    expectError('param pi = 3', 'pi', /built-in constant/);
    expectError('state exp = 1', 'exp', /"exp" is a built-in function and cannot be declared/);
    expectError('let if = 1', 'if', /"if" is a keyword/);
  });

  it('a state without an equation, or with two', () => {
    expectError(
      'state x = 1\nstate y = 2\nd/dt x = y',
      'y',
      /state "y" has no equation — add a line d\/dt y = …/,
    );
    expectError(
      'state x = 1\nd/dt x = 1\nd/dt x = 2',
      'x',
      /state "x" has two equations \(the first at line 2\) — remove one/,
      3,
    );
  });

  it('an equation for an undeclared state', () => {
    expectError(
      'state x = 1\nd/dt x = 1\nd/dt xx = 2',
      'xx',
      /equation for "xx", which is not a declared state — did you mean "x"\?/,
    );
    expectError(
      'param k = 1\nd/dt k = 2',
      'k',
      /which is a parameter, not a state — only states have equations/,
      2,
    );
  });

  it('cycles among derived variables, listing the cycle', () => {
    expectError(
      'let a = b + 1\nlet b = c * 2\nlet c = a',
      'a',
      /derived variables form a cycle: a → b → c → a/,
      2,
    );
    expectError('let a = a', 'a', /cycle: a → a/, 2);
  });

  it('network outputs that are not declared, and wrong input counts', () => {
    const base = 'state x = 1\nstate y = 1\nnet F(x, y) -> (a, b) : mlp(8, tanh)\nd/dt y = 0\n';
    expectError(`${base}d/dt x = F.c`, 'c', /network "F" has no output "c" — its outputs are a, b/);
    expectError(`${base}d/dt x = F.bb`, 'bb', /did you mean "b"\?/);
    expectError(`${base}d/dt x = F(x).a`, 'F(x)', /network "F" takes 2 inputs but is given 1/);
    expectError(`${base}d/dt x = F`, 'F', /"F" is a network — use one of its outputs: F.a, F.b/, 2);
    expectError(
      `${base}d/dt x = F(x, y)`,
      'F(x, y)',
      /called without choosing an output — write F\(…\).a/,
      2,
    );
    expectError(`${base}d/dt x = G.a`, 'G', /unknown network "G"/);
    expectError(`${base}d/dt x = x.a`, 'x.a', /"x" is a state, not a network/);
  });

  it('networks in a cycle', () => {
    const e = errorOf(
      'state x = 1\nnet F(G.b) -> (a) : mlp(tanh)\nnet G(F.a) -> (b) : mlp(tanh)\nd/dt x = F.a',
    );
    expect(e.message).toMatch(/networks form a cycle: F → G → F/);
    expect(e.loc).toEqual({ line: 2, column: 5 });
  });

  it('initial values that depend on states, inputs, time or networks', () => {
    expectError(
      'state x = 1\nstate y = x\nd/dt x = 0\nd/dt y = 0',
      'x\n',
      /the initial value of state "y" depends on state "x"/,
    );
    expectError(
      'input u\nstate y = u\nd/dt y = 0',
      'u\n',
      /depends on input "u" — an initial value may use only parameters, covariates and numbers/,
      2,
    );
    expectError('state y = 2*t\nd/dt y = 0', 't', /depends on the time t/, 3);
    expectError(
      'state x = 0\nlet r = 2*x\nstate y = r + 1\nd/dt x = 0\nd/dt y = 0',
      'r +',
      /depends on "r", which depends on state "x"/,
    );
    expectError(
      'state x = 0\nnet F(x) -> (a) : mlp(tanh)\nstate y = F.a\nd/dt x = 0\nd/dt y = 0',
      'F.a',
      /depends on network "F"/,
    );
    const ok = parseModel('param V = 2\ncovariate WT = 70\nlet dose0 = V * WT\nstate A = dose0\nd/dt A = -A');
    expect(ok.states[0].initial).toBe(ok.factory.mul(ok.factory.param(0), ok.factory.covariate(0)));
  });

  it('bounds that do not contain the default, and scales that do not fit the bounds', () => {
    expectError(
      'param k = 20 in [0.1, 10]',
      '20',
      /the value 20 of parameter "k" lies outside its bounds \[0.1, 10\]/,
    );
    expectError('param k = -1 in [0, 10]', '-1', /lies outside/);
    expectError(
      'param k = 1 in [5, 0]',
      '[',
      /the bounds \[5, 0\] of parameter "k" are reversed — write \[0, 5\]/,
    );
    expectError('param k = 1 in [-1, 2] scale log', 'scale', /scale log but its lower bound -1 is negative/);
    expectError('param k = 0 in [0, 2] scale log', '0', /scale log but its value is 0/);
    expectError('param k = 0.5 in [0, 2] scale logit', 'scale', /not within \[0, 1\]/);
  });

  it('a dose into an unknown state', () => {
    expectError(
      'state depot = 0\nd/dt depot = -depot\ndose oral -> dept',
      'dept',
      /dose "oral" goes into "dept", which is not a declared state — did you mean "depot"\?/,
    );
    expectError(
      'param k = 1\nstate x = 0\nd/dt x = 0\ndose d -> k',
      'k',
      /which is a parameter, not a state/,
      2,
    );
  });

  it('functions called with the wrong number of arguments', () => {
    expectError(
      'state x = 1\nd/dt x = sin(x, 1)',
      'sin',
      /sin takes 1 argument but is given 2 — write sin\(x\)/,
    );
    expectError('state x = 1\nd/dt x = hill(x, 2)', 'hill', /hill takes 3 arguments but is given 2/);
    expectError('state x = 1\nd/dt x = piecewise(x < 1, 2)', 'piecewise', /an odd number ≥ 3 of arguments/);
    expectError('state x = 1\nd/dt x = max()', 'max', /max takes 2 arguments but is given 0/);
  });
});

describe('parseModel: robustness', () => {
  it('refuses expressions nested deeper than 200 levels with a located error', () => {
    const deep = `state x = 1\nd/dt x = ${'('.repeat(5000)}x${')'.repeat(5000)}`;
    const e = errorOf(deep);
    expect(e.message).toMatch(
      /expression nested too deeply \(more than 200 levels\) — split it into smaller parts with let/,
    );
    expect(e.loc.line).toBe(2);
    expect(e.loc.column).toBeLessThan(220);
    expect(e.message.split('\n')[1].length).toBeLessThan(120); // the excerpt is cut around the column
    expect(errorOf(`state x = 1\nd/dt x = ${'-'.repeat(5000)}x`).message).toMatch(/nested too deeply/);
    expect(errorOf(`state x = 1\nd/dt x = ${'not '.repeat(5000)}x`).message).toMatch(/nested too deeply/);
    expect(errorOf(`state x = 1\nd/dt x = ${'x^'.repeat(5000)}x`).message).toMatch(/nested too deeply/);
    // 150 levels are fine, for parentheses and for function calls alike.
    expect(parseModel(`state x = 1\nd/dt x = ${'sin('.repeat(150)}x${')'.repeat(150)}`).equations[0].op).toBe(
      Op.Sin,
    );
    expect(parseModel(`state x = 1\nd/dt x = ${'('.repeat(150)}x${')'.repeat(150)}`).equations[0].op).toBe(
      Op.State,
    );
  });

  it('handles very long flat expressions and long chains of lets without recursion', () => {
    const n = 20000;
    const m = parseModel(`state x = 1\nd/dt x = ${Array.from({ length: n }, () => 'x').join(' + ')}`);
    expect(m.equations[0].op).toBe(Op.Add);
    const lets = Array.from({ length: 3000 }, (_, i) => `let v${i + 1} = v${i} + 1`).join('\n');
    const chain = parseModel(`${lets}\nlet v0 = x\nstate x = 1\nd/dt x = v3000`);
    const value = evaluate([chain.equations[0]], () => 1)[0];
    expect(value).toBe(3001);
  });

  it('cuts the excerpt of a very long line around the column', () => {
    const e = errorOf(`state x = 1\nd/dt x = ${'x + '.repeat(1000)}$`);
    const [, line, caret] = e.message.split('\n');
    expect(line.startsWith('  …')).toBe(true);
    expect(line.length).toBeLessThan(110);
    expect(line[caret.length - 1]).toBe('$');
  });

  it('rejects a non-string argument with a TypeError', () => {
    expect(() => Reflect.apply(parseModel, undefined, [42])).toThrow(TypeError);
  });
});
