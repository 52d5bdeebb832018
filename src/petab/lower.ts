/**
 * Lowers expression syntax trees (from SBML MathML or PEtab formulas) into the model IR of
 * `src/expr`, resolving names through a callback. One lowering for both sources, so SBML
 * kinetic laws, PEtab observables, noise formulas, condition values and network inputs all
 * become nodes of the same expression DAG (no second evaluator).
 */
import type { ExprNode } from '../expr/ast.js';
import { type BinaryOp, type Expr, type ExprFactory, Op } from '../expr/ir.js';
import { parseExpressionText } from '../expr/parse.js';
import type { SbmlFunction } from './sbml.js';

/** Thrown for a formula that cannot be lowered; names the formula and the problem. */
export class FormulaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormulaError';
  }
}

const COMPARE: Record<string, BinaryOp> = {
  '<': Op.Lt,
  '<=': Op.Le,
  '>': Op.Gt,
  '>=': Op.Ge,
  '==': Op.Eq,
  '!=': Op.Ne,
  and: Op.And,
  or: Op.Or,
};

/**
 * Lowers `node` to an IR expression. `resolve(name)` gives the expression of a symbol (a
 * state, parameter, network output…) or throws; `t` is time; `functions` are SBML function
 * definitions, inlined at their calls. Functions: exp, ln, log (natural; with two arguments
 * log(x, base)), log10, log2, sqrt, abs, sign, sin, cos, tan, tanh, sinh, cosh, sigmoid,
 * min, max, pow, piecewise(c₁, v₁, …, otherwise).
 *
 * @example
 * ```ts
 * const f = new ExprFactory();
 * lowerExpr(f, parseExpressionText('2*x'), (n) => f.param(0), 'formula').op; // Op.Mul
 * ```
 */
export function lowerExpr(
  f: ExprFactory,
  node: ExprNode,
  resolve: (name: string) => Expr,
  where: string,
  functions: ReadonlyMap<string, SbmlFunction> = new Map(),
): Expr {
  const go = (n: ExprNode, scope: ReadonlyMap<string, Expr>, depth: number): Expr => {
    if (depth > 100) throw new FormulaError(`${where}: function definitions nest too deeply (recursion?)`);
    const rec = (m: ExprNode) => go(m, scope, depth);
    switch (n.kind) {
      case 'number':
        return f.constant(n.value);
      case 'name': {
        const local = scope.get(n.name);
        if (local !== undefined) return local;
        if (n.name === 't' || n.name === 'time') return f.time();
        if (n.name === 'pi') return f.constant(Math.PI);
        if (n.name === 'inf') return f.constant(Number.POSITIVE_INFINITY);
        if (n.name === 'true') return f.constant(1);
        if (n.name === 'false') return f.constant(0);
        return resolve(n.name);
      }
      case 'unary':
        if (n.op === '-') return f.neg(rec(n.arg));
        if (n.op === '+') return rec(n.arg);
        return f.unary(Op.Not, rec(n.arg));
      case 'binary': {
        const a = rec(n.left);
        const b = rec(n.right);
        switch (n.op) {
          case '+':
            return f.add(a, b);
          case '-':
            return f.sub(a, b);
          case '*':
            return f.mul(a, b);
          case '/':
            return f.div(a, b);
          case '^':
            return f.pow(a, b);
          default:
            return f.binary(COMPARE[n.op], a, b);
        }
      }
      case 'if':
        return f.select(rec(n.cond), rec(n.whenTrue), rec(n.whenFalse));
      case 'netOut':
        throw new FormulaError(`${where}: the network syntax "${n.net}.${n.output}" is not valid here`);
      case 'call': {
        const def = functions.get(n.callee);
        if (def !== undefined) {
          if (def.args.length !== n.args.length)
            throw new FormulaError(
              `${where}: function ${def.id} takes ${def.args.length} arguments, got ${n.args.length}`,
            );
          const inner = new Map(def.args.map((a, i) => [a, rec(n.args[i])]));
          return go(def.body, inner, depth + 1);
        }
        const args = n.args.map(rec);
        const need = (k: number) => {
          if (args.length !== k)
            throw new FormulaError(
              `${where}: ${n.callee} takes ${k} argument${k === 1 ? '' : 's'}, got ${args.length}`,
            );
        };
        switch (n.callee) {
          case 'exp':
            need(1);
            return f.exp(args[0]);
          case 'ln':
            need(1);
            return f.log(args[0]);
          case 'log':
            if (args.length === 2) return f.div(f.log(args[0]), f.log(args[1]));
            need(1);
            return f.log(args[0]);
          case 'log10':
            need(1);
            return f.div(f.log(args[0]), f.constant(Math.LN10));
          case 'log2':
            need(1);
            return f.div(f.log(args[0]), f.constant(Math.LN2));
          case 'sqrt':
            need(1);
            return f.sqrt(args[0]);
          case 'abs':
            need(1);
            return f.unary(Op.Abs, args[0]);
          case 'sign':
            need(1);
            return f.unary(Op.Sign, args[0]);
          case 'sin':
            need(1);
            return f.sin(args[0]);
          case 'cos':
            need(1);
            return f.cos(args[0]);
          case 'tan':
            need(1);
            return f.unary(Op.Tan, args[0]);
          case 'tanh':
            need(1);
            return f.tanh(args[0]);
          case 'sinh':
            need(1);
            return f.div(f.sub(f.exp(args[0]), f.exp(f.neg(args[0]))), f.constant(2));
          case 'cosh':
            need(1);
            return f.div(f.add(f.exp(args[0]), f.exp(f.neg(args[0]))), f.constant(2));
          case 'sigmoid':
            need(1);
            return f.sigmoid(args[0]);
          case 'min':
            need(2);
            return f.binary(Op.Min, args[0], args[1]);
          case 'max':
            need(2);
            return f.binary(Op.Max, args[0], args[1]);
          case 'pow':
            need(2);
            return f.pow(args[0], args[1]);
          case 'bool':
            need(1);
            return f.binary(Op.Ne, args[0], f.constant(0));
          case 'piecewise': {
            if (args.length < 3 || args.length % 2 === 0)
              throw new FormulaError(
                `${where}: piecewise needs condition/value pairs and an otherwise value`,
              );
            let out = args[args.length - 1];
            for (let i = args.length - 3; i >= 0; i -= 2) out = f.select(args[i], args[i + 1], out);
            return out;
          }
          default:
            throw new FormulaError(`${where}: the function "${n.callee}" is not supported`);
        }
      }
    }
  };
  return go(node, new Map(), 0);
}

/**
 * Parses a PEtab math expression (PEtab v2 syntax: `+ - * / ^` (also `**`), comparisons,
 * `&&`, `||`, `!`, `true`, `false`, functions as in {@link lowerExpr}, and
 * `piecewise(value₁, condition₁, …, otherwise)` in PEtab's order) into a syntax tree in the
 * model language's conventions.
 *
 * @example
 * ```ts
 * parsePetabFormula('2 ** x', 'observables.tsv row 2').kind; // 'binary'
 * ```
 */
export function parsePetabFormula(text: string, where: string): ExprNode {
  const src = text
    .replace(/\*\*/g, '^')
    .replace(/&&/g, ' and ')
    .replace(/\|\|/g, ' or ')
    .replace(/!(?!=)/g, ' not ');
  let node: ExprNode;
  try {
    node = parseExpressionText(src, where);
  } catch (e) {
    throw new FormulaError(`${where}: cannot read the formula "${text}": ${(e as Error).message}`);
  }
  return reorderPiecewise(node);
}

/** PEtab's piecewise(v₁, c₁, …, otherwise) → the model language's piecewise(c₁, v₁, …, otherwise). */
function reorderPiecewise(n: ExprNode): ExprNode {
  switch (n.kind) {
    case 'unary':
      return { ...n, arg: reorderPiecewise(n.arg) };
    case 'binary':
      return { ...n, left: reorderPiecewise(n.left), right: reorderPiecewise(n.right) };
    case 'if':
      return {
        ...n,
        cond: reorderPiecewise(n.cond),
        whenTrue: reorderPiecewise(n.whenTrue),
        whenFalse: reorderPiecewise(n.whenFalse),
      };
    case 'call': {
      const args = n.args.map(reorderPiecewise);
      if (n.callee !== 'piecewise') return { ...n, args };
      const out: ExprNode[] = [];
      for (let i = 0; i + 1 < args.length; i += 2) out.push(args[i + 1], args[i]);
      if (args.length % 2 === 1) out.push(args[args.length - 1]);
      return { ...n, args: out };
    }
    default:
      return n;
  }
}
