/**
 * Expression helpers for the TypeScript builder: each returns a {@link Term}, a piece of
 * model-language syntax that the builder resolves when the model is built. Every argument may
 * be a term, a number, or a string of expression text (`'k*x'`), parsed with the grammar of
 * the text format.
 *
 * Exported from the package as the namespace `ex`:
 *
 * ```ts
 * import { ex } from 'greybox';
 * const { mul, neg, pow, sin } = ex;
 * ```
 */
import type { BinaryOperator, ExprNode } from './ast.js';
import { parseExpressionText } from './parse.js';

/**
 * An expression of the model language, not yet resolved against declarations (a syntax tree).
 *
 * @example
 * ```ts
 * const e: Term = mul(2, 'x'); // 2 * x
 * ```
 */
export type Term = ExprNode;

/**
 * What the helpers accept: a term, a number, or expression text such as `'-k*x'`.
 *
 * @example
 * ```ts
 * const parts: TermLike[] = [1.5, 'k*x', sin('x')];
 * ```
 */
export type TermLike = Term | number | string;

/**
 * A term from a number, expression text or term. `label` names the text in error messages.
 *
 * @example
 * ```ts
 * term('k * x').kind; // 'binary'
 * term(2);            // { kind: 'number', value: 2 }
 * ```
 */
export function term(x: TermLike, label = '<expression>'): Term {
  if (typeof x === 'number') return { kind: 'number', value: x };
  if (typeof x === 'string') return parseExpressionText(x, label);
  return x;
}

function binary(op: BinaryOperator, a: TermLike, b: TermLike): Term {
  return { kind: 'binary', op, left: term(a), right: term(b) };
}

function call(callee: string, args: readonly TermLike[]): Term {
  return { kind: 'call', callee, args: args.map((a) => term(a)) };
}

function chain(op: '+' | '*', unit: number, terms: readonly TermLike[]): Term {
  if (terms.length === 0) return term(unit);
  let e = term(terms[0]);
  for (let i = 1; i < terms.length; i++) e = binary(op, e, terms[i]);
  return e;
}

/**
 * The time t.
 *
 * @example
 * ```ts
 * const forcing = sin(mul(2, time)); // sin(2 * t)
 * ```
 */
export const time: Term = { kind: 'name', name: 't' };

/**
 * A numeric constant (any double, including −0 and ±∞).
 *
 * @example
 * ```ts
 * num(0.5); // 0.5
 * ```
 */
export function num(value: number): Term {
  return { kind: 'number', value };
}

/**
 * Sum a + b + … (left to right, as the text `a + b + c` reads); 0 for no terms.
 *
 * @example
 * ```ts
 * add('x', 'y', 1); // x + y + 1
 * ```
 */
export function add(...terms: TermLike[]): Term {
  return chain('+', 0, terms);
}

/**
 * Difference a − b.
 *
 * @example
 * ```ts
 * sub('x', 1); // x - 1
 * ```
 */
export function sub(a: TermLike, b: TermLike): Term {
  return binary('-', a, b);
}

/**
 * Product a · b · … (left to right); 1 for no terms.
 *
 * @example
 * ```ts
 * mul(2, 'k', 'x'); // 2 * k * x
 * ```
 */
export function mul(...terms: TermLike[]): Term {
  return chain('*', 1, terms);
}

/**
 * Quotient a / b.
 *
 * @example
 * ```ts
 * div('x', add(1, 'x')); // x / (1 + x)
 * ```
 */
export function div(a: TermLike, b: TermLike): Term {
  return binary('/', a, b);
}

/**
 * Power a^b.
 *
 * @example
 * ```ts
 * pow('w0', 2); // w0^2
 * ```
 */
export function pow(a: TermLike, b: TermLike): Term {
  return binary('^', a, b);
}

/**
 * Negation −a.
 *
 * @example
 * ```ts
 * neg(mul(pow('w0', 2), sin('theta'))); // -w0^2 * sin(theta)
 * ```
 */
export function neg(a: TermLike): Term {
  return { kind: 'unary', op: '-', arg: term(a) };
}

/** @example `exp(neg('x'))` — e^(−x) */
export const exp = (x: TermLike): Term => call('exp', [x]);
/** @example `log('x')` — natural logarithm */
export const log = (x: TermLike): Term => call('log', [x]);
/** @example `log1p('x')` — log(1 + x), accurate for small x */
export const log1p = (x: TermLike): Term => call('log1p', [x]);
/** @example `expm1('x')` — eˣ − 1, accurate for small x */
export const expm1 = (x: TermLike): Term => call('expm1', [x]);
/** @example `sqrt('x')` */
export const sqrt = (x: TermLike): Term => call('sqrt', [x]);
/** @example `sin('theta')` */
export const sin = (x: TermLike): Term => call('sin', [x]);
/** @example `cos('theta')` */
export const cos = (x: TermLike): Term => call('cos', [x]);
/** @example `tan('theta')` */
export const tan = (x: TermLike): Term => call('tan', [x]);
/** @example `tanh('x')` */
export const tanh = (x: TermLike): Term => call('tanh', [x]);
/** @example `sigmoid('x')` — 1/(1 + e^(−x)) */
export const sigmoid = (x: TermLike): Term => call('sigmoid', [x]);
/** @example `softplus('x')` — log(1 + eˣ) */
export const softplus = (x: TermLike): Term => call('softplus', [x]);
/** @example `abs('x')` */
export const abs = (x: TermLike): Term => call('abs', [x]);
/** @example `sign('x')` — −1, 0 or 1 */
export const sign = (x: TermLike): Term => call('sign', [x]);
/** @example `stopgrad('x')` — the value of x with zero derivative */
export const stopgrad = (x: TermLike): Term => call('stopgrad', [x]);
/** @example `min('x', 1)` */
export const min = (a: TermLike, b: TermLike): Term => call('min', [a, b]);
/** @example `max('x', 0)` */
export const max = (a: TermLike, b: TermLike): Term => call('max', [a, b]);
/** @example `hill('x', 2, 'K')` — xⁿ/(kⁿ + xⁿ) */
export const hill = (x: TermLike, n: TermLike, k: TermLike): Term => call('hill', [x, n, k]);

/**
 * The derivative of a network output by one of the network's inputs, the text's
 * `grad(F.a, x)`: ∂F_a/∂x_m where x_m is the input of the call whose value is `input` (a name).
 * The symplectic gradient of a Hamiltonian network is written with it.
 *
 * @example
 * ```ts
 * const H = b.net('H', [q, p], ['e'], { hidden: [64, 64], activation: 'tanh' });
 * b.ddt(q, grad(H.out('e'), p));        // q' = ∂H/∂p
 * b.ddt(p, neg(grad(H.out('e'), q)));   // p' = −∂H/∂q
 * ```
 */
export const grad = (output: TermLike, input: TermLike): Term => call('grad', [output, input]);

/**
 * The first value whose condition is true: `piecewise(c1, v1, c2, v2, …, otherwise)`.
 *
 * @example
 * ```ts
 * piecewise(lt('t', 1), 0, lt('t', 2), 1, 2);
 * ```
 */
export function piecewise(...args: TermLike[]): Term {
  return call('piecewise', args);
}

/**
 * `if cond then a else b`.
 *
 * @example
 * ```ts
 * ifElse(gt('x', 0), 'x', 0); // if x > 0 then x else 0
 * ```
 */
export function ifElse(cond: TermLike, a: TermLike, b: TermLike): Term {
  return { kind: 'if', cond: term(cond), whenTrue: term(a), whenFalse: term(b) };
}

/** @example `lt('x', 1)` — 1 if x < 1, else 0 */
export const lt = (a: TermLike, b: TermLike): Term => binary('<', a, b);
/** @example `le('x', 1)` — 1 if x ≤ 1, else 0 */
export const le = (a: TermLike, b: TermLike): Term => binary('<=', a, b);
/** @example `gt('x', 1)` — 1 if x > 1, else 0 */
export const gt = (a: TermLike, b: TermLike): Term => binary('>', a, b);
/** @example `ge('x', 1)` — 1 if x ≥ 1, else 0 */
export const ge = (a: TermLike, b: TermLike): Term => binary('>=', a, b);
/** @example `eq('x', 1)` — 1 if x = 1, else 0 */
export const eq = (a: TermLike, b: TermLike): Term => binary('==', a, b);
/** @example `ne('x', 1)` — 1 if x ≠ 1, else 0 */
export const ne = (a: TermLike, b: TermLike): Term => binary('!=', a, b);
/** @example `and(gt('x', 0), lt('x', 1))` */
export const and = (a: TermLike, b: TermLike): Term => binary('and', a, b);
/** @example `or(lt('x', 0), gt('x', 1))` */
export const or = (a: TermLike, b: TermLike): Term => binary('or', a, b);
/** @example `not(gt('x', 0))` */
export const not = (a: TermLike): Term => ({ kind: 'unary', op: 'not', arg: term(a) });
