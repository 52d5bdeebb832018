import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BinaryOp,
  type Expr,
  ExprFactory,
  evaluate,
  Op,
  topologicalOrder,
  type UnaryOp,
} from '../../src/expr/ir.js';
import { Model, ModelError } from '../../src/expr/model.js';
import { parseModel } from '../../src/expr/parse.js';
import { exprToLatex, latexName, printExpr, printLatex, printModel } from '../../src/expr/print.js';
import { zoo } from '../../src/models/index.js';

/** A structural fingerprint of an expression (op, constants, symbol indices), ignoring node ids. */
function shape(e: Expr): string {
  const memo = new Map<number, string>();
  for (const n of topologicalOrder([e])) {
    const head =
      n.op === Op.Const ? `${Object.is(n.value, -0) ? '-0' : n.value}` : `${n.op}#${n.index}.${n.index2}`;
    memo.set(n.id, n.args.length === 0 ? head : `${head}(${n.args.map((a) => memo.get(a.id)).join(',')})`);
  }
  return memo.get(e.id)!;
}

/** Every expression of a model, in a fixed order. */
function roots(m: Model): Expr[] {
  return [
    ...m.states.map((s) => s.initial),
    ...m.derived.map((d) => d.expr),
    ...m.calls.flatMap((c) => c.inputs),
    ...m.equations,
    ...m.observables.flatMap((o) => [o.expr, o.noise.sigma]),
  ];
}

const LEAF_VALUES: Record<string, number[]> = {
  [Op.State]: [0.3, -1.2, 2.5, 0.9, 1.1, -0.7, 0.2, 0.4, 0.6, 0.8, 1.3, 1.7, 2.1, 0.05],
  [Op.Param]: [0.7, -0.4, 1.9, 2.2, 0.15, 0.35, 3.1, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95, 1.05, 1.15, 1.25],
  [Op.Input]: [1.5, 0.25],
  [Op.Covariate]: [-2, 70],
};

function leafValue(e: Expr): number {
  if (e.op === Op.Time) return 0.25;
  if (e.op === Op.NetOut) return 0.1 * (e.index + 1) + e.index2;
  return LEAF_VALUES[e.op]?.[e.index] ?? 0.5;
}

/** Asserts that two models have the same structure and the same values, bit for bit. */
function expectSameModel(a: Model, b: Model): void {
  const ra = roots(a);
  const rb = roots(b);
  expect(rb.map(shape)).toEqual(ra.map(shape));
  const va = evaluate(ra, leafValue);
  const vb = evaluate(rb, leafValue);
  va.forEach((v, i) => {
    expect(Object.is(v, vb[i]) || (Number.isNaN(v) && Number.isNaN(vb[i]))).toBe(true);
  });
}

/** print → parse → print is the identity on the text and on the model. */
function expectRoundTrip(m: Model): string {
  const text = printModel(m);
  const again = parseModel(text);
  expect(printModel(again)).toBe(text);
  expectSameModel(m, again);
  return text;
}

/** The right-hand side of `d/dt x` in a small model, printed back. */
function reprint(rhs: string): string {
  const m = parseModel(
    `param k = 2\nparam m = 3\ninput u\nstate x = 1\nstate y = 2\nd/dt x = ${rhs}\nd/dt y = 0`,
  );
  return printExpr(m.equations[0], m);
}

const DOC_PENDULUM = `# Damped pendulum with a learned correction
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

describe('printModel', () => {
  it('prints the reference example in canonical form, keeping the derived variable', () => {
    const text = expectRoundTrip(parseModel(DOC_PENDULUM));
    expect(text).toBe(
      [
        `model pendulum "Damped pendulum, θ'' = −ω0² sin θ − α θ'"`,
        '',
        'param w0 = 2 in [0.1, 10] scale log',
        'param alpha = 0.1 in [0, 5] fixed',
        'input u interp linear',
        'state theta = 0.5',
        'state omega = 0',
        'let acc = -w0^2 * sin(theta) - alpha * omega',
        'net F(theta, omega) -> (a, b) : mlp(64, 64, tanh)',
        '',
        'd/dt theta = omega',
        'd/dt omega = acc + u + F.b',
        '',
        'obs angle = theta ~ normal(0.05)',
        '',
      ].join('\n'),
    );
  });

  it('round-trips every model of the zoo', () => {
    for (const [name, entry] of Object.entries(zoo)) {
      const m = entry.model();
      const text = expectRoundTrip(m);
      expect(text.startsWith(`model ${name}`)).toBe(true);
    }
  });

  it('round-trips covariates, doses, extra network calls, lognormal noise and escaped descriptions', () => {
    const m = parseModel(
      [
        'model pk "a \\"quoted\\" \\\\ description"',
        'param ka = 1 in [0, inf] scale log',
        'param f = 0.5 scale logit',
        'param s = 0.1 in [0, 1]',
        'covariate WT = 70',
        'covariate AGE',
        'state depot = f * WT',
        'state central = 0',
        'net N(central, depot) -> (r) : mlp(8, 8, softplus)',
        'let rate = ka * depot',
        'd/dt depot = -rate',
        'd/dt central = rate - N.r * central + N(2 * central, depot).r + N(depot, central).r',
        'obs c = central / WT ~ lognormal(s)',
        'dose oral -> depot',
        'dose iv -> central infusion',
      ].join('\n'),
    );
    const text = expectRoundTrip(m);
    expect(text).toContain('model pk "a \\"quoted\\" \\\\ description"');
    expect(text).toContain('param ka = 1 scale log\nparam f = 0.5 scale logit\nparam s = 0.1 in [0, 1]\n');
    expect(text).toContain('covariate WT = 70\ncovariate AGE\n');
    expect(text).toContain(
      'd/dt central = rate - N.r * central + N(2 * central, depot).r + N(depot, central).r',
    );
    expect(text).toContain('dose oral -> depot\ndose iv -> central infusion\n');
    expect(m.description).toBe('a "quoted" \\ description');
  });

  it('prints a derived variable that repeats another as its name, without a cycle', () => {
    const m = parseModel('state x = 1\nlet a = 2 * x\nlet b = x * 2\nlet c = 3\nd/dt x = -a + c * x');
    const text = expectRoundTrip(m);
    expect(text).toContain('let a = 2 * x\nlet b = a\nlet c = 3\n');
    expect(text).toContain('d/dt x = 3 * x - a');
  });

  it('refuses models whose names the language cannot write', () => {
    const f = new ExprFactory();
    const parts = {
      name: 'my model',
      factory: f,
      params: [],
      states: [{ name: 'x', initial: f.constant(1) }],
      inputs: [],
      covariates: [],
      derived: [],
      nets: [],
      calls: [],
      equations: [f.state(0)],
      observables: [],
      doses: [],
    };
    expect(() => printModel(new Model(parts))).toThrow(/not a valid name/);
    expect(() =>
      printModel(new Model({ ...parts, name: 'm', states: [{ name: 'exp', initial: f.constant(1) }] })),
    ).toThrow(ModelError);
  });
});

describe('printExpr: parentheses and numbers', () => {
  it('uses the fewest parentheses the precedence needs', () => {
    const cases: [string, string][] = [
      ['x - (y - k)', 'x - (y - k)'],
      ['(x - y) - k', 'x - y - k'],
      ['x + (y + k)', 'x + (y + k)'],
      ['(x + y) * k', '(x + y) * k'],
      ['x / (y * k)', 'x / (y * k)'],
      ['(x / y) * k', 'x / y * k'],
      ['(-x)^2', '(-x)^2'],
      ['-x^2', '-x^2'],
      ['x^-2', 'x^-2'],
      ['(x^y)^k', '(x^y)^k'],
      ['x^y^k', 'x^y^k'],
      ['(-2)^x', '(-2)^x'],
      ['-(2 * x)', '-(2 * x)'],
      ['-2 * x', '-2 * x'],
      ['-(k * x)', '-k * x'],
      ['-(k / x)', '-k / x'],
      ['x / -(k * y)', 'x / (-k * y)'],
      ['-(x + y)', '-(x + y)'],
      ['x - -2', 'x - -2'],
      ['k * (x < y)', 'k * (x < y)'],
      ['(x < y) == (y < k)', '(x < y) == (y < k)'],
      ['not (x < y) and y or not k', 'not x < y and y or not k'],
      ['x and (y or k)', 'x and (y or k)'],
      ['(if x > 0 then x else 0) + 1', '1 + (if x > 0 then x else 0)'],
      ['(if x > 0 then x else 0) * y', '(if x > 0 then x else 0) * y'],
      [
        'if x then (if y then 1 else 2) else if k then 3 else 4',
        'if x then (if y then 1 else 2) else if k then 3 else 4',
      ],
      ['piecewise(x < 0, 1, x < 1, 2, 3)', 'if x < 0 then 1 else if x < 1 then 2 else 3'],
      ['hill(x, 2, k)', 'hill(x, 2, k)'],
      ['hill(x, 2, 3)', 'x^2 / (9 + x^2)'],
      ['min(x, 1) + max(2, y) + pow(x, k)', 'min(1, x) + max(2, y) + x^k'],
      ['stopgrad(exp(x)) * log1p(y) - expm1(u)', 'stopgrad(exp(x)) * log1p(y) - expm1(u)'],
      ['t * 2 + u', '2 * t + u'],
    ];
    for (const [input, printed] of cases) expect(reprint(input), input).toBe(printed);
  });

  it('prints numbers exactly: shortest round trip, inf, -inf, pi, -0 and NaN as (0/0)', () => {
    const cases: [string, string][] = [
      ['0.1 * x', '0.1 * x'],
      ['1e21 * x', '1e+21 * x'],
      ['1.5e-7 * x', '1.5e-7 * x'],
      ['5e-324 * x', '5e-324 * x'],
      ['x + inf', 'inf + x'],
      ['x * -inf', '-inf * x'],
      ['pi * x', 'pi * x'],
      ['-pi * x', '-pi * x'],
      ['max(x, -0)', 'max(-0, x)'],
      ['log(-1) * x', '(0/0) * x'],
      ['0/0 + x', '(0/0) + x'],
      ['0.30000000000000004 + x', '0.30000000000000004 + x'],
    ];
    for (const [input, printed] of cases) expect(reprint(input), input).toBe(printed);
  });
});

// ---------------------------------------------------------------------------------------------
// Random expressions built through the factory
// ---------------------------------------------------------------------------------------------

type Recipe =
  | { readonly kind: 'leaf'; readonly leaf: number }
  | { readonly kind: 'const'; readonly value: number }
  | { readonly kind: 'unary'; readonly op: UnaryOp; readonly a: Recipe }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly a: Recipe; readonly b: Recipe }
  | { readonly kind: 'select'; readonly c: Recipe; readonly a: Recipe; readonly b: Recipe };

const UNARY: UnaryOp[] = [
  Op.Neg,
  Op.Exp,
  Op.Log,
  Op.Log1p,
  Op.Expm1,
  Op.Sqrt,
  Op.Sin,
  Op.Cos,
  Op.Tan,
  Op.Tanh,
  Op.Sigmoid,
  Op.Softplus,
  Op.Abs,
  Op.Sign,
  Op.Not,
  Op.StopGrad,
];
const BINARY: BinaryOp[] = [
  Op.Add,
  Op.Sub,
  Op.Mul,
  Op.Div,
  Op.Pow,
  Op.Min,
  Op.Max,
  Op.Lt,
  Op.Le,
  Op.Gt,
  Op.Ge,
  Op.Eq,
  Op.Ne,
  Op.And,
  Op.Or,
];
const SPECIAL = [
  0,
  -0,
  1,
  -1,
  2,
  -2,
  0.5,
  0.1,
  3,
  1e21,
  1e-7,
  5e-324,
  Number.NaN,
  Infinity,
  -Infinity,
  Math.PI,
  -Math.PI,
];

const recipe: fc.Arbitrary<Recipe> = fc.letrec<{ node: Recipe }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    fc.record({ kind: fc.constant('leaf' as const), leaf: fc.integer({ min: 0, max: 11 }) }),
    fc.record({
      kind: fc.constant('const' as const),
      value: fc.oneof(fc.constantFrom(...SPECIAL), fc.double()),
    }),
    fc.record({ kind: fc.constant('unary' as const), op: fc.constantFrom(...UNARY), a: tie('node') }),
    fc.record({
      kind: fc.constant('binary' as const),
      op: fc.constantFrom(...BINARY),
      a: tie('node'),
      b: tie('node'),
    }),
    fc.record({ kind: fc.constant('select' as const), c: tie('node'), a: tie('node'), b: tie('node') }),
  ),
})).node;

/** x, y, z, a, b, u, c, t, F.p, F.q, G.o, F(2 * x, y).p */
function buildLeaf(f: ExprFactory, i: number): Expr {
  const leaves = [
    () => f.state(0),
    () => f.state(1),
    () => f.state(2),
    () => f.param(0),
    () => f.param(1),
    () => f.input(0),
    () => f.covariate(0),
    () => f.time(),
    () => f.netOut(0, 0),
    () => f.netOut(0, 1),
    () => f.netOut(1, 0),
    () => f.netOut(2, 0),
  ];
  return leaves[i]();
}

function build(f: ExprFactory, r: Recipe): Expr {
  switch (r.kind) {
    case 'leaf':
      return buildLeaf(f, r.leaf);
    case 'const':
      return f.constant(r.value);
    case 'unary':
      return f.unary(r.op, build(f, r.a));
    case 'binary':
      return f.binary(r.op, build(f, r.a), build(f, r.b));
    case 'select':
      return f.select(build(f, r.c), build(f, r.a), build(f, r.b));
  }
}

/** A model whose equations and observable are random expressions and whose lets are random subexpressions. */
function randomModel(recipes: Recipe[], picks: number[]): Model {
  const f = new ExprFactory();
  const [e0, e1, e2, obs] = recipes.map((r) => build(f, r));
  const nodes = topologicalOrder([e0, e1, e2, obs]).filter((n) => !n.isLeaf);
  const derived = picks.filter((p) => p < nodes.length).map((p, i) => ({ name: `d${i}`, expr: nodes[p] }));
  const [x, y, z] = [f.state(0), f.state(1), f.state(2)];
  const usesExtra = topologicalOrder([e0, e1, e2, obs]).some((n) => n.op === Op.NetOut && n.index === 2);
  return new Model({
    name: 'random',
    factory: f,
    params: [
      { name: 'a', value: 0.7, lower: -1, upper: 1, scale: 'lin', fixed: false },
      { name: 'b', value: 2, lower: 0, upper: Number.POSITIVE_INFINITY, scale: 'log', fixed: true },
    ],
    states: [
      { name: 'x', initial: f.constant(1) },
      { name: 'y', initial: f.mul(f.param(0), f.covariate(0)) },
      { name: 'z', initial: f.constant(-0.5) },
    ],
    inputs: [{ name: 'u', interpolation: 'linear' }],
    covariates: [{ name: 'c', defaultValue: 70 }],
    derived,
    nets: [
      {
        name: 'F',
        inputs: [x, y],
        outputs: ['p', 'q'],
        architecture: { kind: 'mlp', hidden: [4], activation: 'tanh' },
      },
      {
        name: 'G',
        inputs: [z],
        outputs: ['o'],
        architecture: { kind: 'mlp', hidden: [], activation: 'relu' },
      },
    ],
    // The extra call F(2 * x, y) exists only where it is used (the parser creates calls on use).
    calls: [
      { net: 0, inputs: [x, y] },
      { net: 1, inputs: [z] },
      ...(usesExtra ? [{ net: 0, inputs: [f.mul(f.constant(2), x), y] }] : []),
    ],
    equations: [e0, e1, e2],
    observables: [{ name: 'w', expr: obs, noise: { kind: 'normal', sigma: f.param(1) } }],
    doses: [],
  });
}

describe('printModel: round trip on random expressions built through the factory', () => {
  it('parseModel(printModel(m)) prints identically, has the same structure and the same values', () => {
    fc.assert(
      fc.property(
        fc.array(recipe, { minLength: 4, maxLength: 4 }),
        fc.array(fc.nat({ max: 30 }), { maxLength: 3 }),
        (recipes, picks) => {
          expectRoundTrip(randomModel(recipes, picks));
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// LaTeX
// ---------------------------------------------------------------------------------------------

describe('LaTeX', () => {
  const latexOf = (rhs: string, extra = '') => {
    const m = parseModel(
      `param w0 = 2\nparam alpha = 1\nparam k_a = 1\nparam omega_max = 1\nparam CL = 1\nstate theta = 1\nstate x1 = 0\n${extra}\nd/dt theta = ${rhs}\nd/dt x1 = 0`,
    );
    return exprToLatex(m.equations[0], m);
  };

  it('writes names with Greek letters and subscripts', () => {
    expect(latexName('alpha')).toBe('\\alpha');
    expect(latexName('Omega')).toBe('\\Omega');
    expect(latexName('w0')).toBe('w_{0}');
    expect(latexName('theta12')).toBe('\\theta_{12}');
    expect(latexName('k_a')).toBe('k_{a}');
    expect(latexName('omega_max')).toBe('\\omega_{\\mathrm{max}}');
    expect(latexName('x_1_beta')).toBe('x_{1,\\beta}');
    expect(latexName('CL')).toBe('\\mathrm{CL}');
    expect(latexName('_tmp')).toBe('\\mathrm{\\_tmp}');
  });

  it('writes expressions with \\frac, ^{}, functions and cases', () => {
    expect(latexOf('-w0^2 * sin(theta)')).toBe('-w_{0}^{2} \\cdot \\sin\\left(\\theta\\right)');
    expect(latexOf('(alpha + theta) / (k_a * x1)')).toBe('\\frac{\\alpha + \\theta}{k_{a} \\cdot x_{1}}');
    expect(latexOf('exp(-theta/2) + sigmoid(x1) - softplus(CL)')).toBe(
      '\\exp\\left(-\\frac{\\theta}{2}\\right) + \\sigma\\left(x_{1}\\right) - \\operatorname{softplus}\\left(\\mathrm{CL}\\right)',
    );
    expect(latexOf('sqrt(abs(theta)) * (theta + 1)^omega_max')).toBe(
      '\\sqrt{\\left|\\theta\\right|} \\cdot \\left(1 + \\theta\\right)^{\\omega_{\\mathrm{max}}}',
    );
    expect(latexOf('if theta > 0 then theta else 0')).toBe(
      '\\begin{cases} \\theta & \\text{if } \\theta > 0 \\\\ 0 & \\text{otherwise} \\end{cases}',
    );
    expect(latexOf('piecewise(theta < 1, 1, theta <= 2, x1, 3) * 2')).toBe(
      '2 \\cdot \\begin{cases} 1 & \\text{if } \\theta < 1 \\\\ x_{1} & \\text{if } \\theta \\le 2 \\\\ 3 & \\text{otherwise} \\end{cases}',
    );
    expect(latexOf('1.5e-7 * theta + inf + pi')).toBe(
      '\\pi + \\left(\\infty + 1.5 \\cdot 10^{-7} \\cdot \\theta\\right)',
    );
    expect(latexOf('theta * -x1')).toBe('-\\theta \\cdot x_{1}');
  });

  it('writes a model as an aligned environment with dotted derivatives and noise models', () => {
    const m = parseModel(
      'param k = 0.5\nparam sigma_y = 0.1\nstate x = 1\nlet r = k * x\nd/dt x = -r\nobs y = x ~ lognormal(sigma_y)',
    );
    expect(printLatex(m)).toBe(
      [
        '\\begin{aligned}',
        'x(0) &= 1 \\\\',
        'r &= k \\cdot x \\\\',
        '\\dot{x} &= -r \\\\',
        'y &\\sim \\operatorname{LogNormal}\\left(\\log\\left(x\\right), \\sigma_{y}^{2}\\right)',
        '\\end{aligned}',
      ].join('\n'),
    );
  });
});
