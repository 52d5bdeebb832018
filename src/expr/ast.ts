/**
 * The syntax tree of the model language, before names are resolved.
 *
 * The parser produces it from text (every node then carries its 1-based position); the
 * builder produces the same nodes from TypeScript (without positions, except for expressions
 * it was given as strings). One elaboration step (`elaborate.ts`) turns either into a
 * {@link Model}, so text and builder yield the same expression DAG.
 */
import type { Interpolation, MlpArchitecture, ParamScale } from './model.js';
import type { Pos } from './source.js';

/** Prefix operators. */
export type UnaryOperator = '-' | '+' | 'not';

/** Infix operators. */
export type BinaryOperator =
  | '+'
  | '-'
  | '*'
  | '/'
  | '^'
  | '<'
  | '<='
  | '>'
  | '>='
  | '=='
  | '!='
  | 'and'
  | 'or';

/** A number literal (also `inf`, `pi` are names resolved later). */
export interface NumberNode {
  readonly kind: 'number';
  readonly value: number;
  readonly pos?: Pos;
}

/** A name: a declared symbol, `t`, `pi` or `inf`. */
export interface NameNode {
  readonly kind: 'name';
  readonly name: string;
  readonly pos?: Pos;
}

/** `-x`, `+x`, `not x`. */
export interface UnaryNode {
  readonly kind: 'unary';
  readonly op: UnaryOperator;
  readonly arg: ExprNode;
  readonly pos?: Pos;
}

/** `a OP b`; `pos` is the operator's position. */
export interface BinaryNode {
  readonly kind: 'binary';
  readonly op: BinaryOperator;
  readonly left: ExprNode;
  readonly right: ExprNode;
  readonly pos?: Pos;
}

/** `if cond then a else b`. */
export interface IfNode {
  readonly kind: 'if';
  readonly cond: ExprNode;
  readonly whenTrue: ExprNode;
  readonly whenFalse: ExprNode;
  readonly pos?: Pos;
}

/** A built-in function call `f(args)`; `pos` is the function name's position. */
export interface CallNode {
  readonly kind: 'call';
  readonly callee: string;
  readonly args: readonly ExprNode[];
  readonly pos?: Pos;
}

/**
 * A network output: `F.a` (`args` null: the network on its declared inputs) or `F(x, y).a`.
 * `pos` is the network name's position, `outputPos` the output name's.
 */
export interface NetOutNode {
  readonly kind: 'netOut';
  readonly net: string;
  readonly args: readonly ExprNode[] | null;
  readonly output: string;
  readonly pos?: Pos;
  readonly outputPos?: Pos;
}

/**
 * Any expression of the model language.
 *
 * @example
 * ```ts
 * const e: ExprNode = { kind: 'binary', op: '*', left: { kind: 'number', value: 2 }, right: { kind: 'name', name: 'x' } };
 * ```
 */
export type ExprNode = NumberNode | NameNode | UnaryNode | BinaryNode | IfNode | CallNode | NetOutNode;

/**
 * The subexpressions of a node, left to right.
 *
 * @example
 * ```ts
 * childrenOf(parseExpressionText('f(x) + 1')).length; // 2
 * ```
 */
export function childrenOf(node: ExprNode): readonly ExprNode[] {
  switch (node.kind) {
    case 'number':
    case 'name':
      return [];
    case 'unary':
      return [node.arg];
    case 'binary':
      return [node.left, node.right];
    case 'if':
      return [node.cond, node.whenTrue, node.whenFalse];
    case 'call':
      return node.args;
    case 'netOut':
      return node.args ?? [];
  }
}

/** `param NAME = VALUE [in [LO, HI]] [scale S] [fixed]`. */
export interface ParamNode {
  readonly kind: 'param';
  readonly name: string;
  readonly pos?: Pos;
  readonly value: number;
  readonly valuePos?: Pos;
  /** `[LO, HI]`, or null for the scale's default bounds. */
  readonly bounds: readonly [number, number] | null;
  readonly boundsPos?: Pos;
  readonly scale: ParamScale;
  readonly scalePos?: Pos;
  readonly fixed: boolean;
}

/** `covariate NAME [= VALUE]`. */
export interface CovariateNode {
  readonly kind: 'covariate';
  readonly name: string;
  readonly pos?: Pos;
  readonly defaultValue: number | null;
}

/** `input NAME [interp step|linear]`. */
export interface InputNode {
  readonly kind: 'input';
  readonly name: string;
  readonly pos?: Pos;
  readonly interpolation: Interpolation;
}

/** `state NAME = EXPR`. */
export interface StateNode {
  readonly kind: 'state';
  readonly name: string;
  readonly pos?: Pos;
  readonly initial: ExprNode;
}

/** `let NAME = EXPR`. */
export interface LetNode {
  readonly kind: 'let';
  readonly name: string;
  readonly pos?: Pos;
  readonly expr: ExprNode;
}

/** `d/dt NAME = EXPR`; `pos` is the state name's position. */
export interface EquationNode {
  readonly kind: 'equation';
  readonly state: string;
  readonly pos?: Pos;
  readonly rhs: ExprNode;
}

/** `obs NAME = EXPR ~ normal(SIGMA)` or `~ lognormal(SIGMA)`. */
export interface ObsNode {
  readonly kind: 'obs';
  readonly name: string;
  readonly pos?: Pos;
  readonly expr: ExprNode;
  readonly noise: 'normal' | 'lognormal';
  readonly sigma: ExprNode;
}

/** `dose NAME -> STATE [bolus|infusion]`. */
export interface DoseNode {
  readonly kind: 'dose';
  readonly name: string;
  readonly pos?: Pos;
  readonly target: string;
  readonly targetPos?: Pos;
  readonly route: 'bolus' | 'infusion';
}

/** One declared output name of a network. */
export interface NetOutputName {
  readonly name: string;
  readonly pos?: Pos;
}

/** `net NAME(EXPR, …) -> (OUT, …) : mlp(…)`. */
export interface NetNode {
  readonly kind: 'net';
  readonly name: string;
  readonly pos?: Pos;
  readonly inputs: readonly ExprNode[];
  readonly outputs: readonly NetOutputName[];
  readonly architecture: MlpArchitecture;
}

/** Any declaration except `model`. */
export type DeclNode =
  | ParamNode
  | CovariateNode
  | InputNode
  | StateNode
  | LetNode
  | EquationNode
  | ObsNode
  | DoseNode
  | NetNode;

/**
 * A whole model: its name and description, and its declarations in source order.
 *
 * @example
 * ```ts
 * const p: ProgramNode = { name: 'm', decls: [{ kind: 'input', name: 'u', interpolation: 'step' }] };
 * ```
 */
export interface ProgramNode {
  readonly name: string;
  readonly description?: string;
  readonly decls: readonly DeclNode[];
}
