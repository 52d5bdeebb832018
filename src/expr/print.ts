/**
 * Printing models and expressions: back to the text of the model language (so that
 * `parseModel(printModel(m))` prints identically and evaluates identically), and to LaTeX.
 *
 * Both printers walk the DAG bottom-up once (no recursion, so deep expressions are safe) and
 * keep derived variables: a subexpression that is the very node of a `let` is printed as the
 * variable's name (lets whose expression is a single symbol or number are not substituted).
 * Parentheses are the fewest the precedence of the language needs.
 *
 * Numbers print as the shortest decimal that reads back to the same double (`0.1`, `1e-7`,
 * `1e+21`), `inf`, `-inf`, `pi` for the double nearest π, `-0` for negative zero and
 * `(0/0)` for NaN (which the language cannot write as a literal; `0/0` folds back to NaN).
 */

import { defaultBounds, numberText, reservedNameProblem } from './elaborate.js';
import { type Expr, Op, topologicalOrder } from './ir.js';
import { isValidName } from './lexer.js';
import { type Model, ModelError } from './model.js';

/**
 * The names of a model's symbols, for printing an expression on its own. A {@link Model} is a
 * `NameTable`; so is any object with some of these lists (missing names print as `<state 3>`).
 *
 * @example
 * ```ts
 * const f = new ExprFactory();
 * printExpr(f.mul(f.param(0), f.state(0)), { params: [{ name: 'k' }], states: [{ name: 'x' }] }); // 'k * x'
 * ```
 */
export interface NameTable {
  readonly params?: readonly { readonly name: string }[];
  readonly states?: readonly { readonly name: string }[];
  readonly inputs?: readonly { readonly name: string }[];
  readonly covariates?: readonly { readonly name: string }[];
  /** Derived variables: where one's expression node occurs, its name is printed. */
  readonly derived?: readonly { readonly name: string; readonly expr: Expr }[];
  readonly nets?: readonly { readonly name: string; readonly outputs: readonly string[] }[];
  /**
   * Network calls; call `i < nets.length` is network `i` on its declared inputs. A call with
   * `gradOf` is a gradient call: its output m prints as `grad(F.a, x_m)`.
   */
  readonly calls?: readonly {
    readonly net: number;
    readonly inputs: readonly Expr[];
    readonly gradOf?: number;
  }[];
}

// Precedence levels, loosest first.
const COND = 0;
const OR = 1;
const AND = 2;
const NOT = 3;
const CMP = 4;
const SUM = 5;
const PRODUCT = 6;
const UNARY = 7;
const POWER = 8;
const ATOM = 9;

interface Printed {
  readonly text: string;
  readonly prec: number;
}

/** The shared walk: memoized printing of nodes, derived variables by name, parentheses. */
abstract class Printer {
  private readonly memo = new Map<number, Printed>();
  /** Expression node id → name of the first derived variable with that node. */
  protected readonly derivedNames = new Map<number, string>();

  constructor(protected readonly names: NameTable) {
    for (const d of names.derived ?? []) {
      if (!d.expr.isLeaf && !this.derivedNames.has(d.expr.id)) this.derivedNames.set(d.expr.id, d.name);
    }
  }

  /** `e` as an operand: a derived variable's name where `e` is one. */
  ref(e: Expr): Printed {
    const name = this.derivedNames.get(e.id);
    return name !== undefined ? { text: this.symbol(name), prec: ATOM } : this.expanded(e);
  }

  /** `e` itself (its operands by reference). */
  expanded(e: Expr): Printed {
    const known = this.memo.get(e.id);
    if (known !== undefined) return known;
    for (const n of topologicalOrder([e])) {
      if (!this.memo.has(n.id)) this.memo.set(n.id, this.node(n));
    }
    return this.memo.get(e.id)!;
  }

  /** The definition of derived variable `name`: its expression, or an earlier variable's name. */
  definition(name: string, e: Expr): string {
    const first = this.derivedNames.get(e.id);
    return first !== undefined && first !== name ? this.symbol(first) : this.expanded(e).text;
  }

  protected leafName(e: Expr): string {
    const list =
      e.op === Op.State
        ? this.names.states
        : e.op === Op.Param
          ? this.names.params
          : e.op === Op.Input
            ? this.names.inputs
            : this.names.covariates;
    const decl = list?.[e.index];
    return decl !== undefined ? this.symbol(decl.name) : `<${e.op} ${e.index}>`;
  }

  /** The network output leaf: `[net name, output name, call inputs or null for the declared call]`. */
  protected netOutParts(e: Expr): [string, string, readonly Expr[] | null] | undefined {
    const call = this.names.calls?.[e.index];
    const nets = this.names.nets ?? [];
    const net = call !== undefined ? nets[call.net] : e.index < nets.length ? nets[e.index] : undefined;
    if (net === undefined) return undefined;
    const output = net.outputs[e.index2] ?? `<output ${e.index2}>`;
    const declared = e.index < nets.length && (call === undefined || call.net === e.index);
    return [net.name, output, declared || call === undefined ? null : call.inputs];
  }

  /**
   * For output m of a gradient call: `[net name, output name, call inputs or null when they
   * are the declared ones, the input x_m]`; undefined for other leaves.
   */
  protected gradParts(e: Expr): [string, string, readonly Expr[] | null, Expr] | undefined {
    const call = this.names.calls?.[e.index];
    const net = call === undefined ? undefined : this.names.nets?.[call.net];
    if (call?.gradOf === undefined || net === undefined) return undefined;
    const declared = this.names.calls?.[call.net]?.inputs;
    const same =
      declared !== undefined &&
      declared.length === call.inputs.length &&
      declared.every((x, m) => x === call.inputs[m]);
    const output = net.outputs[call.gradOf] ?? `<output ${call.gradOf}>`;
    return [net.name, output, same ? null : call.inputs, call.inputs[e.index2]];
  }

  /** How a symbol's name is written. */
  protected abstract symbol(name: string): string;
  /** One node, its operands already printed. */
  protected abstract node(e: Expr): Printed;
  protected abstract parens(text: string): string;

  protected wrap(p: Printed, min: number): string {
    return p.prec >= min ? p.text : this.parens(p.text);
  }
}

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

const TEXT_FUNCTIONS: Partial<Record<Op, string>> = {
  [Op.Exp]: 'exp',
  [Op.Log]: 'log',
  [Op.Log1p]: 'log1p',
  [Op.Expm1]: 'expm1',
  [Op.Sqrt]: 'sqrt',
  [Op.Sin]: 'sin',
  [Op.Cos]: 'cos',
  [Op.Tan]: 'tan',
  [Op.Tanh]: 'tanh',
  [Op.Sigmoid]: 'sigmoid',
  [Op.Softplus]: 'softplus',
  [Op.Abs]: 'abs',
  [Op.Sign]: 'sign',
  [Op.StopGrad]: 'stopgrad',
  [Op.Min]: 'min',
  [Op.Max]: 'max',
};

const TEXT_INFIX: Partial<Record<Op, [string, number, number, number]>> = {
  // operator, precedence, left operand's minimum, right operand's minimum
  [Op.Add]: ['+', SUM, SUM, PRODUCT],
  [Op.Sub]: ['-', SUM, SUM, PRODUCT],
  [Op.Mul]: ['*', PRODUCT, PRODUCT, UNARY],
  [Op.Div]: ['/', PRODUCT, PRODUCT, UNARY],
  [Op.Lt]: ['<', CMP, SUM, SUM],
  [Op.Le]: ['<=', CMP, SUM, SUM],
  [Op.Gt]: ['>', CMP, SUM, SUM],
  [Op.Ge]: ['>=', CMP, SUM, SUM],
  [Op.Eq]: ['==', CMP, SUM, SUM],
  [Op.Ne]: ['!=', CMP, SUM, SUM],
  [Op.And]: ['and', AND, AND, NOT],
  [Op.Or]: ['or', OR, OR, AND],
};

class TextPrinter extends Printer {
  protected symbol(name: string): string {
    return name;
  }

  protected parens(text: string): string {
    return `(${text})`;
  }

  protected node(e: Expr): Printed {
    const [a, b, c] = e.args;
    switch (e.op) {
      case Op.Const:
        return textNumber(e.value);
      case Op.Time:
        return { text: 't', prec: ATOM };
      case Op.State:
      case Op.Param:
      case Op.Input:
      case Op.Covariate:
        return { text: this.leafName(e), prec: ATOM };
      case Op.NetOut: {
        const grad = this.gradParts(e);
        if (grad !== undefined) {
          const [net, output, inputs, wrt] = grad;
          const args = inputs === null ? '' : `(${inputs.map((x) => this.ref(x).text).join(', ')})`;
          return { text: `grad(${net}${args}.${output}, ${this.ref(wrt).text})`, prec: ATOM };
        }
        const parts = this.netOutParts(e);
        if (parts === undefined) return { text: `<net call ${e.index} output ${e.index2}>`, prec: ATOM };
        const [net, output, inputs] = parts;
        const args = inputs === null ? '' : `(${inputs.map((x) => this.ref(x).text).join(', ')})`;
        return { text: `${net}${args}.${output}`, prec: ATOM };
      }
      case Op.Neg:
        return this.negation(a);
      case Op.Not:
        return { text: `not ${this.wrap(this.ref(a), NOT)}`, prec: NOT };
      case Op.Pow:
        return { text: `${this.wrap(this.ref(a), ATOM)}^${this.wrap(this.ref(b), UNARY)}`, prec: POWER };
      case Op.Div: {
        const hill = this.hill(e);
        if (hill !== undefined) return hill;
        return this.infix(e);
      }
      case Op.Select:
        return {
          text: `if ${this.wrap(this.ref(a), OR)} then ${this.wrap(this.ref(b), OR)} else ${this.ref(c).text}`,
          prec: COND,
        };
      default: {
        const fn = TEXT_FUNCTIONS[e.op];
        if (fn !== undefined)
          return { text: `${fn}(${e.args.map((x) => this.ref(x).text).join(', ')})`, prec: ATOM };
        return this.infix(e);
      }
    }
  }

  private infix(e: Expr): Printed {
    const [op, prec, left, right] = TEXT_INFIX[e.op]!;
    return {
      text: `${this.wrap(this.ref(e.args[0]), left)} ${op} ${this.wrap(this.ref(e.args[1]), right)}`,
      prec,
    };
  }

  /**
   * −x. A negated product whose first factor is not a number prints as `-a * b`: the parser
   * reads that as (−a)·b, which the factory turns back into −(a·b), the same node. With a
   * numeric first factor, `-2 * x` would read as the constant −2 times x, so it keeps
   * parentheses.
   */
  private negation(x: Expr): Printed {
    if (!this.derivedNames.has(x.id) && (x.op === Op.Mul || x.op === Op.Div)) {
      let first = x;
      while ((first.op === Op.Mul || first.op === Op.Div) && !this.derivedNames.has(first.id))
        first = first.args[0];
      const inner = this.ref(x);
      if (!first.isConst && inner.prec === PRODUCT) return { text: `-${inner.text}`, prec: PRODUCT };
    }
    return { text: `-${this.wrap(this.ref(x), UNARY)}`, prec: UNARY };
  }

  /** xⁿ/(kⁿ + xⁿ), exactly as the factory's `hill` builds it, prints as `hill(x, n, k)`. */
  private hill(e: Expr): Printed | undefined {
    const [num, den] = e.args;
    if (num.op !== Op.Pow || den.op !== Op.Add || den.args[1] !== num) return undefined;
    const kn = den.args[0];
    if (kn.op !== Op.Pow || kn.args[1] !== num.args[1]) return undefined;
    const [x, n] = num.args;
    const k = kn.args[0];
    return { text: `hill(${this.ref(x).text}, ${this.ref(n).text}, ${this.ref(k).text})`, prec: ATOM };
  }
}

function textNumber(v: number): Printed {
  if (Number.isNaN(v)) return { text: '(0/0)', prec: ATOM };
  if (v === Math.PI) return { text: 'pi', prec: ATOM };
  if (v === -Math.PI) return { text: '-pi', prec: UNARY };
  const text = numberText(v);
  return { text, prec: text.startsWith('-') ? UNARY : ATOM };
}

/**
 * An expression in the text of the model language, with the symbols' names from `names`.
 * Where a subexpression (other than `expr` itself) is the expression of one of
 * `names.derived`, that variable's name is printed.
 *
 * @example
 * ```ts
 * const m = parseModel('state x = 1\nparam k = 2\nd/dt x = -k * x^2 / (1 + x)');
 * printExpr(m.equations[0], m); // '-k * x^2 / (1 + x)'
 * ```
 */
export function printExpr(expr: Expr, names: NameTable): string {
  return new TextPrinter(names).expanded(expr).text;
}

/**
 * A model in the text of the model language. Sections come in a fixed order (model; params,
 * covariates, inputs, states, lets, nets; equations; observables and doses), options equal
 * to their defaults are left out, and derived variables are kept as `let` lines.
 * `parseModel(printModel(m))` prints identically and evaluates identically.
 *
 * @throws {ModelError} if a name cannot be written in the language (a model built by hand
 *   with a name such as `"my param"`), or a covariate's default is NaN
 *
 * @example
 * ```ts
 * const m = parseModel('state x = 1\nparam k = 0.5 in [0, 1]\nd/dt x = -(k*x)');
 * printModel(m);
 * // 'model model\n\nparam k = 0.5 in [0, 1]\nstate x = 1\n\nd/dt x = -k * x\n'
 * ```
 */
export function printModel(model: Model): string {
  checkWritable(model);
  const p = new TextPrinter(model);
  const ref = (e: Expr) => p.ref(e).text;
  const sections: string[][] = [];
  const description =
    model.description === undefined ? '' : ` "${model.description.replace(/[\\"]/g, '\\$&')}"`;
  sections.push([`model ${model.name}${description}`]);

  const decls: string[] = [];
  for (const q of model.params) {
    let line = `param ${q.name} = ${numberText(q.value)}`;
    const [lower, upper] = defaultBounds(q.scale);
    if (!Object.is(q.lower, lower) || !Object.is(q.upper, upper))
      line += ` in [${numberText(q.lower)}, ${numberText(q.upper)}]`;
    if (q.scale !== 'lin') line += ` scale ${q.scale}`;
    if (q.fixed) line += ' fixed';
    decls.push(line);
  }
  for (const c of model.covariates)
    decls.push(`covariate ${c.name}${c.defaultValue === null ? '' : ` = ${numberText(c.defaultValue)}`}`);
  for (const u of model.inputs)
    decls.push(`input ${u.name}${u.interpolation === 'step' ? '' : ' interp linear'}`);
  for (const s of model.states) decls.push(`state ${s.name} = ${ref(s.initial)}`);
  for (const d of model.derived) decls.push(`let ${d.name} = ${p.definition(d.name, d.expr)}`);
  for (const n of model.nets) {
    const arch = [...n.architecture.hidden.map(String), n.architecture.activation].join(', ');
    decls.push(`net ${n.name}(${n.inputs.map(ref).join(', ')}) -> (${n.outputs.join(', ')}) : mlp(${arch})`);
  }
  sections.push(decls);
  sections.push(model.states.map((s, i) => `d/dt ${s.name} = ${ref(model.equations[i])}`));
  sections.push([
    ...model.observables.map(
      (o) => `obs ${o.name} = ${ref(o.expr)} ~ ${o.noise.kind}(${ref(o.noise.sigma)})`,
    ),
    ...model.doses.map(
      (d) => `dose ${d.name} -> ${model.states[d.target].name}${d.kind === 'infusion' ? ' infusion' : ''}`,
    ),
  ]);
  return `${sections
    .filter((s) => s.length > 0)
    .map((s) => s.join('\n'))
    .join('\n\n')}\n`;
}

function checkWritable(model: Model): void {
  const bad = (what: string) => {
    throw new ModelError(`model ${model.name} cannot be written as text: ${what}`);
  };
  if (!isValidName(model.name)) bad(`its name "${model.name}" is not a valid name`);
  if (model.description !== undefined && /[\r\n]/.test(model.description))
    bad('its description has a line break');
  const symbols = [
    ...model.params,
    ...model.states,
    ...model.inputs,
    ...model.covariates,
    ...model.derived,
    ...model.nets,
  ];
  for (const s of symbols) {
    const problem = reservedNameProblem(s.name);
    if (problem !== undefined) bad(problem[0]);
  }
  for (const s of [...model.observables, ...model.doses])
    if (!isValidName(s.name)) bad(`"${s.name}" is not a valid name`);
  for (const n of model.nets)
    for (const o of n.outputs) if (!isValidName(o)) bad(`"${o}" is not a valid output name`);
  for (const c of model.covariates) {
    if (c.defaultValue !== null && Number.isNaN(c.defaultValue))
      bad(`covariate "${c.name}" has the default NaN`);
  }
}

// ---------------------------------------------------------------------------------------------
// LaTeX
// ---------------------------------------------------------------------------------------------

const GREEK_LETTERS: ReadonlySet<string> = new Set([
  'alpha',
  'beta',
  'gamma',
  'delta',
  'epsilon',
  'varepsilon',
  'zeta',
  'eta',
  'theta',
  'vartheta',
  'iota',
  'kappa',
  'lambda',
  'mu',
  'nu',
  'xi',
  'rho',
  'sigma',
  'tau',
  'upsilon',
  'phi',
  'varphi',
  'chi',
  'psi',
  'omega',
  'Gamma',
  'Delta',
  'Theta',
  'Lambda',
  'Xi',
  'Pi',
  'Sigma',
  'Upsilon',
  'Phi',
  'Psi',
  'Omega',
]);

function latexWord(w: string): string {
  if (GREEK_LETTERS.has(w)) return `\\${w}`;
  if (w.length === 1 || /^\d+$/.test(w)) return w;
  return `\\mathrm{${w}}`;
}

/**
 * A name in LaTeX: Greek letter names become letters, what follows the first `_` (or trailing
 * digits) becomes a subscript, longer words are upright: `omega` → `\omega`, `w0` → `w_{0}`,
 * `k_a` → `k_{a}`, `omega_max` → `\omega_{\mathrm{max}}`, `CL` → `\mathrm{CL}`.
 *
 * @example
 * ```ts
 * latexName('theta_0'); // '\\theta_{0}'
 * ```
 */
export function latexName(name: string): string {
  if (name.includes('_')) {
    const parts = name.split('_');
    if (parts.some((x) => x === '')) return `\\mathrm{${name.replace(/_/g, '\\_')}}`;
    return `${latexWord(parts[0])}_{${parts.slice(1).map(latexWord).join(',')}}`;
  }
  const m = /^([A-Za-z]+?)(\d+)$/.exec(name);
  if (m !== null) return `${latexWord(m[1])}_{${m[2]}}`;
  return latexWord(name);
}

const LATEX_FUNCTIONS: Partial<Record<Op, string>> = {
  [Op.Exp]: '\\exp',
  [Op.Log]: '\\log',
  [Op.Log1p]: '\\operatorname{log1p}',
  [Op.Expm1]: '\\operatorname{expm1}',
  [Op.Sin]: '\\sin',
  [Op.Cos]: '\\cos',
  [Op.Tan]: '\\tan',
  [Op.Tanh]: '\\tanh',
  [Op.Sigmoid]: '\\sigma',
  [Op.Softplus]: '\\operatorname{softplus}',
  [Op.Sign]: '\\operatorname{sign}',
  [Op.StopGrad]: '\\operatorname{stopgrad}',
  [Op.Min]: '\\min',
  [Op.Max]: '\\max',
};

const LATEX_INFIX: Partial<Record<Op, [string, number, number, number]>> = {
  [Op.Add]: ['+', SUM, SUM, PRODUCT],
  [Op.Sub]: ['-', SUM, SUM, PRODUCT],
  [Op.Mul]: ['\\cdot', PRODUCT, PRODUCT, POWER],
  [Op.Lt]: ['<', CMP, SUM, SUM],
  [Op.Le]: ['\\le', CMP, SUM, SUM],
  [Op.Gt]: ['>', CMP, SUM, SUM],
  [Op.Ge]: ['\\ge', CMP, SUM, SUM],
  [Op.Eq]: ['=', CMP, SUM, SUM],
  [Op.Ne]: ['\\ne', CMP, SUM, SUM],
  [Op.And]: ['\\land', AND, AND, NOT],
  [Op.Or]: ['\\lor', OR, OR, AND],
};

class LatexPrinter extends Printer {
  protected symbol(name: string): string {
    return latexName(name);
  }

  protected parens(text: string): string {
    return `\\left(${text}\\right)`;
  }

  protected node(e: Expr): Printed {
    const [a, b] = e.args;
    switch (e.op) {
      case Op.Const:
        return latexNumber(e.value);
      case Op.Time:
        return { text: 't', prec: ATOM };
      case Op.State:
      case Op.Param:
      case Op.Input:
      case Op.Covariate:
        return { text: this.leafName(e), prec: ATOM };
      case Op.NetOut: {
        const grad = this.gradParts(e);
        if (grad !== undefined) {
          const [net, output, inputs, wrt] = grad;
          const base = latexName(net);
          const sub = `${base.includes('_') ? `{${base}}` : base}_{${latexName(output)}}`;
          const args = inputs === null ? '' : this.parens(inputs.map((x) => this.ref(x).text).join(', '));
          return { text: `\\frac{\\partial ${sub}${args}}{\\partial ${this.ref(wrt).text}}`, prec: ATOM };
        }
        const parts = this.netOutParts(e);
        if (parts === undefined) return { text: `\\mathrm{net}_{${e.index},${e.index2}}`, prec: ATOM };
        const [net, output, inputs] = parts;
        const base = latexName(net);
        const sub = `${base.includes('_') ? `{${base}}` : base}_{${latexName(output)}}`;
        const args = inputs === null ? '' : this.parens(inputs.map((x) => this.ref(x).text).join(', '));
        return { text: `${sub}${args}`, prec: ATOM };
      }
      case Op.Neg:
        return { text: `-${this.wrap(this.ref(a), PRODUCT)}`, prec: UNARY };
      case Op.Not:
        return { text: `\\lnot ${this.wrap(this.ref(a), NOT)}`, prec: NOT };
      case Op.Div:
        return { text: `\\frac{${this.ref(a).text}}{${this.ref(b).text}}`, prec: POWER };
      case Op.Pow:
        return { text: `${this.wrap(this.ref(a), ATOM)}^{${this.ref(b).text}}`, prec: POWER };
      case Op.Sqrt:
        return { text: `\\sqrt{${this.ref(a).text}}`, prec: ATOM };
      case Op.Abs:
        return { text: `\\left|${this.ref(a).text}\\right|`, prec: ATOM };
      case Op.Select:
        return this.cases(e);
      default: {
        const fn = LATEX_FUNCTIONS[e.op];
        if (fn !== undefined)
          return { text: `${fn}${this.parens(e.args.map((x) => this.ref(x).text).join(', '))}`, prec: ATOM };
        const [op, prec, left, right] = LATEX_INFIX[e.op]!;
        return { text: `${this.wrap(this.ref(a), left)} ${op} ${this.wrap(this.ref(b), right)}`, prec };
      }
    }
  }

  /** A chain of selects (`if … else if … else …`) as one `cases` environment. */
  private cases(e: Expr): Printed {
    const rows: string[] = [];
    let s = e;
    while (s.op === Op.Select && (s === e || !this.derivedNames.has(s.id))) {
      rows.push(`${this.ref(s.args[1]).text} & \\text{if } ${this.ref(s.args[0]).text}`);
      s = s.args[2];
    }
    rows.push(`${this.ref(s).text} & \\text{otherwise}`);
    return { text: `\\begin{cases} ${rows.join(' \\\\ ')} \\end{cases}`, prec: POWER };
  }
}

function latexNumber(v: number): Printed {
  if (Number.isNaN(v)) return { text: '\\mathrm{NaN}', prec: ATOM };
  if (v === Number.POSITIVE_INFINITY) return { text: '\\infty', prec: ATOM };
  if (v === Number.NEGATIVE_INFINITY) return { text: '-\\infty', prec: UNARY };
  if (Math.abs(v) === Math.PI) return v > 0 ? { text: '\\pi', prec: ATOM } : { text: '-\\pi', prec: UNARY };
  const negative = v < 0 || Object.is(v, -0);
  const s = String(Math.abs(v));
  const e = s.indexOf('e');
  const magnitude: Printed =
    e < 0
      ? { text: s, prec: ATOM }
      : { text: `${s.slice(0, e)} \\cdot 10^{${Number(s.slice(e + 1))}}`, prec: PRODUCT };
  return negative ? { text: `-${magnitude.text}`, prec: UNARY } : magnitude;
}

/**
 * An expression in LaTeX: `\frac` for divisions, `^{}` for powers, `\sin`, `\exp`, `\sigma`
 * (logistic), `\operatorname{softplus}`, `cases` for conditionals; names as {@link latexName}
 * writes them. Where a subexpression (other than `expr` itself) is the expression of one of
 * `names.derived`, that variable's name is printed.
 *
 * @example
 * ```ts
 * const m = parseModel('state theta = 1\nparam w0 = 2\nd/dt theta = -w0^2 * sin(theta)');
 * exprToLatex(m.equations[0], m); // '-w_{0}^{2} \\cdot \\sin\\left(\\theta\\right)'
 * ```
 */
export function exprToLatex(expr: Expr, names: NameTable): string {
  return new LatexPrinter(names).expanded(expr).text;
}

/**
 * A model's equations in LaTeX, as one `aligned` environment: initial values, derived
 * variables, the equations (`\dot{x} = …`) and the observables with their noise models.
 *
 * @example
 * ```ts
 * printLatex(parseModel('state x = 1\nparam k = 2\nd/dt x = -k*x'));
 * // '\\begin{aligned}\nx(0) &= 1 \\\\\n\\dot{x} &= -k \\cdot x\n\\end{aligned}'
 * ```
 */
export function printLatex(model: Model): string {
  const p = new LatexPrinter(model);
  const ref = (e: Expr) => p.ref(e).text;
  const rows: string[] = [];
  for (const s of model.states) rows.push(`${latexName(s.name)}(0) &= ${ref(s.initial)}`);
  for (const d of model.derived) rows.push(`${latexName(d.name)} &= ${p.definition(d.name, d.expr)}`);
  model.states.forEach((s, i) => {
    rows.push(`\\dot{${latexName(s.name)}} &= ${ref(model.equations[i])}`);
  });
  for (const o of model.observables) {
    const sigma = `${p.ref(o.noise.sigma).prec >= ATOM ? ref(o.noise.sigma) : `\\left(${ref(o.noise.sigma)}\\right)`}^{2}`;
    const mean = o.noise.kind === 'normal' ? ref(o.expr) : `\\log\\left(${ref(o.expr)}\\right)`;
    const dist = o.noise.kind === 'normal' ? '\\mathcal{N}' : '\\operatorname{LogNormal}';
    rows.push(`${latexName(o.name)} &\\sim ${dist}\\left(${mean}, ${sigma}\\right)`);
  }
  return `\\begin{aligned}\n${rows.join(' \\\\\n')}\n\\end{aligned}`;
}
