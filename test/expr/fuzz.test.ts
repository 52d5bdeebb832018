import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Model } from '../../src/expr/model.js';
import { parseModel } from '../../src/expr/parse.js';
import { printModel } from '../../src/expr/print.js';
import { GbxSyntaxError } from '../../src/expr/source.js';
import { zoo } from '../../src/models/index.js';

/**
 * parseModel either returns a Model (which then prints and re-parses to the same text) or
 * throws a GbxSyntaxError whose line and column lie within the source — never another
 * exception, never a hang.
 */
function checkParse(src: string): void {
  let model: Model;
  try {
    model = parseModel(src, { file: 'fuzz.gbx' });
  } catch (e) {
    if (!(e instanceof GbxSyntaxError)) throw e;
    const lines = src.split(/\r\n|\r|\n/);
    const { line, column } = e.loc;
    expect(line).toBeGreaterThanOrEqual(1);
    expect(line).toBeLessThanOrEqual(lines.length);
    expect(column).toBeGreaterThanOrEqual(1);
    expect(column).toBeLessThanOrEqual(Array.from(lines[line - 1]).length + 1);
    expect(e.message.startsWith(`fuzz.gbx line ${line}, column ${column}: `)).toBe(true);
    expect(e.message.split('\n')).toHaveLength(3);
    expect(e.message.split('\n')[2].trimEnd().endsWith('^')).toBe(true);
    return;
  }
  expect(model).toBeInstanceOf(Model);
  const text = printModel(model);
  expect(printModel(parseModel(text))).toBe(text);
}

const VOCABULARY = [
  'model',
  'param',
  'covariate',
  'input',
  'state',
  'let',
  'd/dt',
  'd',
  'dt',
  'obs',
  'dose',
  'net',
  'in',
  'scale',
  'log',
  'logit',
  'lin',
  'fixed',
  'interp',
  'step',
  'linear',
  'normal',
  'lognormal',
  'bolus',
  'infusion',
  'mlp',
  'tanh',
  'relu',
  'if',
  'then',
  'else',
  'and',
  'or',
  'not',
  't',
  'pi',
  'inf',
  'x',
  'y',
  'k',
  'F',
  'a',
  'b',
  'exp',
  'sin',
  'hill',
  'piecewise',
  'stopgrad',
  'min',
  '0',
  '1',
  '2.5',
  '.5',
  '1e-3',
  '64',
  '"text"',
  '(',
  ')',
  '[',
  ']',
  ',',
  '=',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '+',
  '-',
  '->',
  '*',
  '/',
  '^',
  '~',
  '.',
  ':',
  '\\',
  '#',
  '\n',
  '\r\n',
  '\t',
  'θ',
  '$',
];

const SEEDS = [
  ...Object.values(zoo).map((entry) => entry.source),
  `model pendulum "Damped pendulum"
param w0    = 2.0 in [0.1, 10] scale log
param alpha = 0.1 in [0, 5]    fixed
input u interp linear
state theta = 0.5
state omega = 0
let   acc   = -w0^2 * sin(theta) - alpha * omega
net   F(theta, omega) -> (a, b) : mlp(64, 64, tanh)
d/dt theta = omega
d/dt omega = acc + u + F.b + F(2*theta, omega).a
obs angle = theta ~ normal(0.05)
dose kick -> omega
`,
];

type Mutation =
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'swap'; readonly a: number; readonly b: number; readonly length: number }
  | { readonly kind: 'duplicateLine'; readonly line: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...VOCABULARY), fc.string({ maxLength: 3 })),
  }),
  fc.record({
    kind: fc.constant('swap' as const),
    a: fc.nat(),
    b: fc.nat(),
    length: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({ kind: fc.constant('duplicateLine' as const), line: fc.nat() }),
);

function mutate(src: string, m: Mutation): string {
  const n = src.length;
  switch (m.kind) {
    case 'delete': {
      const at = m.at % (n + 1);
      return src.slice(0, at) + src.slice(at + m.length);
    }
    case 'insert': {
      const at = m.at % (n + 1);
      return src.slice(0, at) + m.text + src.slice(at);
    }
    case 'swap': {
      const [i, j] = [m.a % (n + 1), m.b % (n + 1)].sort((p, q) => p - q);
      const len = Math.min(m.length, j - i);
      if (len <= 0) return src;
      return (
        src.slice(0, i) +
        src.slice(j, j + len) +
        src.slice(i + len, j) +
        src.slice(i, i + len) +
        src.slice(j + len)
      );
    }
    case 'duplicateLine': {
      const lines = src.split('\n');
      const k = m.line % lines.length;
      lines.splice(k, 0, lines[k]);
      return lines.join('\n');
    }
  }
}

describe('parseModel never fails in an unexpected way', () => {
  it('on random strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: 'binary' }), (s) => checkParse(s)),
      { numRuns: 300 },
    );
  });

  it('on random token soups from the language vocabulary', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...VOCABULARY), fc.constantFrom(' ', '', ' ', '\n')), {
          maxLength: 60,
        }),
        (tokens) => checkParse(tokens.map(([t, sep]) => t + sep).join('')),
      ),
      { numRuns: 300 },
    );
  });

  it('on token soups shaped like declarations', () => {
    const line = fc
      .tuple(
        fc.constantFrom(
          'param k =',
          'state x =',
          'let r =',
          'd/dt x =',
          'obs y =',
          'net F(x) ->',
          'input u',
          'dose d ->',
        ),
        fc.array(fc.constantFrom(...VOCABULARY.filter((t) => t !== '\n' && t !== '\r\n')), { maxLength: 10 }),
      )
      .map(([head, rest]) => `${head} ${rest.join(' ')}`);
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), (lines) => checkParse(lines.join('\n'))),
      { numRuns: 300 },
    );
  });

  it('on mutations (deletions, insertions, swaps, duplicated lines) of valid models', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SEEDS),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (seed, mutations) => checkParse(mutations.reduce(mutate, seed)),
      ),
      { numRuns: 300 },
    );
  });

  it('on special inputs: empty, comments, CRLF, tabs, non-ASCII, long lines, deep nesting', () => {
    const specials = [
      '',
      '#',
      '\n\n\n',
      '# only a comment\r\n# and another\r\n',
      'state x = 1\r\nd/dt x = -x\r\n',
      '\tstate\tx\t=\t1\n\td/dt x =\t-x',
      'state 😀 = 1',
      'model m "日本語"\nstate x = 1\nd/dt x = x',
      `state x = 1\nd/dt x = ${'x+'.repeat(50000)}x`,
      `state x = 1\nd/dt x = ${'('.repeat(100000)}`,
      `state x = 1\nd/dt x = ${'-'.repeat(100000)}x`,
      `state x = 1\nd/dt x = ${'sin('.repeat(300)}x${')'.repeat(300)}`,
      '\\',
      '\\\n',
      'state x = 1 \\',
      '"',
      '\u0000\u0001\u007f',
      '\uFEFF',
      '\uD800',
      'param k = 1e99999 in [0, inf]',
      'd/dt',
      'net',
      'net F(',
      'obs y = 1 ~',
    ];
    for (const s of specials) checkParse(s);
  });
});
