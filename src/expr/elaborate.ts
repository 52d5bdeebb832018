/**
 * Elaboration: a syntax tree (from the parser or the builder) → a validated {@link Model}.
 *
 * Names are resolved against the declarations (which may come in any order); derived
 * variables (`let`) are inlined, the factory sharing their nodes; `hill`, `piecewise` and
 * `if/then/else` are lowered to IR operations; `F.a` is output `a` of network `F` on its
 * declared inputs (call number = the network's index), `F(x, y).a` an extra call of the same
 * network (calls with identical inputs are merged). Every rule of the language that the
 * syntax cannot express is checked here, with the position of the offending name.
 *
 * The walk over expressions is iterative (an explicit stack), so long chains such as
 * `a + b + c + …` or long chains of `let`s cannot overflow the call stack.
 */
import type { CallNode, DeclNode, ExprNode, LetNode, NetNode, ParamNode, ProgramNode } from './ast.js';
import { childrenOf } from './ast.js';
import {
  type BinaryOp,
  type Expr,
  ExprFactory,
  isUnaryOp,
  Op,
  topologicalOrder,
  type UnaryOp,
} from './ir.js';
import { isValidName } from './lexer.js';
import {
  type CovariateDecl,
  type DerivedDecl,
  type DoseDecl,
  type InputDecl,
  Model,
  ModelError,
  type NetCall,
  type NetDecl,
  type ObservableDecl,
  type ParamDecl,
  type ParamScale,
  type SourceLocation,
  type StateDecl,
} from './model.js';
import { GbxSyntaxError, type Pos, type SourceText, syntaxError } from './source.js';
import { closestName } from './suggest.js';

/** How `grad` is written (the derivative of a network output by one of its inputs). */
const GRAD_USAGE = 'grad(NET.OUTPUT, INPUT)';

/** A built-in function: how many arguments, how it lowers to the IR, how it is written. */
interface FunctionRule {
  /** Number of arguments; `piecewise` takes an odd number ≥ 3. */
  readonly arity: number | 'odd';
  readonly usage: string;
  readonly build: (f: ExprFactory, args: readonly Expr[]) => Expr;
}

const unaryFunction = (name: string, op: UnaryOp): FunctionRule => ({
  arity: 1,
  usage: `${name}(x)`,
  build: (f, [x]) => f.unary(op, x),
});

const binaryFunction = (name: string, op: BinaryOp): FunctionRule => ({
  arity: 2,
  usage: `${name}(a, b)`,
  build: (f, [a, b]) => f.binary(op, a, b),
});

/** The built-in functions of the language. */
const FUNCTIONS: ReadonlyMap<string, FunctionRule> = new Map<string, FunctionRule>([
  ['exp', unaryFunction('exp', Op.Exp)],
  ['log', unaryFunction('log', Op.Log)],
  ['log1p', unaryFunction('log1p', Op.Log1p)],
  ['expm1', unaryFunction('expm1', Op.Expm1)],
  ['sqrt', unaryFunction('sqrt', Op.Sqrt)],
  ['sin', unaryFunction('sin', Op.Sin)],
  ['cos', unaryFunction('cos', Op.Cos)],
  ['tan', unaryFunction('tan', Op.Tan)],
  ['tanh', unaryFunction('tanh', Op.Tanh)],
  ['sigmoid', unaryFunction('sigmoid', Op.Sigmoid)],
  ['softplus', unaryFunction('softplus', Op.Softplus)],
  ['abs', unaryFunction('abs', Op.Abs)],
  ['sign', unaryFunction('sign', Op.Sign)],
  ['stopgrad', unaryFunction('stopgrad', Op.StopGrad)],
  ['min', binaryFunction('min', Op.Min)],
  ['max', binaryFunction('max', Op.Max)],
  ['pow', binaryFunction('pow', Op.Pow)],
  ['hill', { arity: 3, usage: 'hill(x, n, k)', build: (f, [x, n, k]) => f.hill(x, n, k) }],
  // grad(F.a, x) is listed here so that it is reserved and named in messages; it needs the
  // syntax of its arguments, so the elaborator lowers it itself (Elaborator.grad).
  [
    'grad',
    {
      arity: 2,
      usage: GRAD_USAGE,
      build: () => {
        throw new Error('elaborate: grad(…) is lowered by the elaborator, not as a function');
      },
    },
  ],
  [
    'piecewise',
    {
      arity: 'odd',
      usage: 'piecewise(c1, v1, c2, v2, …, otherwise)',
      build: (f, args) => {
        let e = args[args.length - 1];
        for (let i = args.length - 3; i >= 0; i -= 2) e = f.select(args[i], args[i + 1], e);
        return e;
      },
    },
  ],
]);

/** Words of the expression syntax; they cannot be declared. */
const EXPRESSION_KEYWORDS: ReadonlySet<string> = new Set(['if', 'then', 'else', 'and', 'or', 'not']);

/** Built-in constants and the time; they cannot be declared. */
const BUILTIN_NAMES: ReadonlySet<string> = new Set(['t', 'pi', 'inf']);

const BINARY_OPS: Readonly<Record<string, BinaryOp>> = {
  '+': Op.Add,
  '-': Op.Sub,
  '*': Op.Mul,
  '/': Op.Div,
  '^': Op.Pow,
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
 * Why `name` cannot be declared (a reserved word or not a valid name), or `undefined` if it
 * can. The answer is `[what, fix]`.
 *
 * @example
 * ```ts
 * reservedNameProblem('exp'); // ['"exp" is a built-in function and cannot be declared', 'choose another name']
 * ```
 */
export function reservedNameProblem(name: string): [string, string] | undefined {
  if (!isValidName(name)) {
    return [`"${name}" is not a valid name`, 'a name is an ASCII letter or _, then letters, digits or _'];
  }
  if (name === 't') return ['"t" is the time and cannot be declared', 'choose another name'];
  if (BUILTIN_NAMES.has(name))
    return [`"${name}" is a built-in constant and cannot be declared`, 'choose another name'];
  if (FUNCTIONS.has(name))
    return [`"${name}" is a built-in function and cannot be declared`, 'choose another name'];
  if (EXPRESSION_KEYWORDS.has(name))
    return [`"${name}" is a keyword and cannot be declared`, 'choose another name'];
  return undefined;
}

type SymbolKind = 'param' | 'state' | 'input' | 'covariate' | 'let' | 'net';

const KIND_WORDS: Readonly<Record<SymbolKind, string>> = {
  param: 'a parameter',
  state: 'a state',
  input: 'an input',
  covariate: 'a covariate',
  let: 'a derived variable',
  net: 'a network',
};

interface SymbolEntry {
  readonly kind: SymbolKind;
  readonly index: number;
  readonly pos?: Pos;
}

/** Where an expression is, for messages without a position (builder declarations). */
interface Context {
  readonly where: string;
  /** Set while elaborating the initial value of this state. */
  readonly initialOf?: string;
}

interface Frame {
  readonly children: readonly ExprNode[];
  next: number;
  readonly values: Expr[];
  readonly ctx: Context;
  /** The expression node this frame evaluates, or undefined for a `let` frame. */
  readonly node?: ExprNode;
  /** The derived variable this frame defines. */
  readonly letIndex?: number;
}

interface ExtraCall {
  readonly net: number;
  readonly inputs: readonly Expr[];
  readonly pos?: Pos;
  /** Set for a gradient call `grad(F.a, x)`: the output differentiated (NetCall.gradOf). */
  readonly gradOf?: number;
}

/**
 * The operands the elaborator evaluates before a node: its children, except for
 * `grad(F(args).a, x)`, whose operands are the network's call arguments (none for `F.a`)
 * and the name x — the output `F.a` itself is not evaluated, only differentiated.
 */
function operandsOf(node: ExprNode): readonly ExprNode[] {
  if (
    node.kind === 'call' &&
    node.callee === 'grad' &&
    node.args.length === 2 &&
    node.args[0].kind === 'netOut'
  )
    return [...(node.args[0].args ?? []), node.args[1]];
  return childrenOf(node);
}

/**
 * Builds the model of a syntax tree. `source` is the text the tree came from (absent for the
 * builder): problems are then {@link GbxSyntaxError}s; nodes without a position give a plain
 * {@link ModelError}.
 *
 * @example
 * ```ts
 * const program = { name: 'm', decls: [
 *   { kind: 'state', name: 'x', initial: { kind: 'number', value: 1 } },
 *   { kind: 'equation', state: 'x', rhs: { kind: 'unary', op: '-', arg: { kind: 'name', name: 'x' } } },
 * ] } as const;
 * elaborate(program).equations.length; // 1
 * ```
 */
export function elaborate(program: ProgramNode, source?: SourceText): Model {
  return new Elaborator(program, source).run();
}

class Elaborator {
  private readonly f = new ExprFactory();
  private readonly symbols = new Map<string, SymbolEntry>();
  private readonly otherNames = new Map<string, string>(); // observables and doses → 'an observable'
  private readonly params: ParamNode[] = [];
  private readonly paramBounds: [number, number][] = [];
  private readonly stateNodes: Extract<DeclNode, { kind: 'state' }>[] = [];
  private readonly inputNodes: Extract<DeclNode, { kind: 'input' }>[] = [];
  private readonly covariateNodes: Extract<DeclNode, { kind: 'covariate' }>[] = [];
  private readonly letNodes: LetNode[] = [];
  private readonly netNodes: NetNode[] = [];

  private readonly initials: Expr[] = [];
  private readonly letExprs: Expr[] = [];
  private readonly letStatus: number[] = []; // 0 not started, 1 in progress, 2 done
  private readonly letStack: number[] = [];
  private readonly letDynamic = new Map<number, string | null>();
  /** Network outputs used directly in initial values (checked once every call is known). */
  private readonly initialNetUses: { pos: Pos | undefined; ctx: Context; net: string; call: number }[] = [];
  private netInputs: Expr[][] = [];
  /** Networks whose declared inputs are being elaborated (a `grad` of them there is a cycle). */
  private readonly netInputsInProgress = new Set<number>();
  private extras: ExtraCall[] = [];
  private readonly extraKeys = new Map<string, number>();
  private readonly equations: (Expr | undefined)[] = [];
  private readonly equationPos: (Pos | undefined)[] = [];
  private observables: ObservableDecl[] = [];
  private readonly doses: DoseDecl[] = [];

  constructor(
    private readonly program: ProgramNode,
    private readonly source: SourceText | undefined,
  ) {}

  run(): Model {
    for (const d of this.program.decls) this.declare(d);
    for (const d of this.program.decls) this.define(d);
    this.stateNodes.forEach((s, i) => {
      if (this.equations[i] === undefined) {
        this.fail(
          s.pos,
          `state ${s.name}`,
          `state "${s.name}" has no equation`,
          `add a line d/dt ${s.name} = …`,
        );
      }
    });
    this.checkInitialNetworks();
    this.mergeCalls();
    this.checkNetworkCycles();
    return this.build();
  }

  // Errors

  private fail(pos: Pos | undefined, where: string, what: string, fix: string): never {
    if (pos !== undefined) throw syntaxError(pos, what, fix);
    throw new ModelError(`model ${this.program.name}, ${where}: ${what} — ${fix}`);
  }

  private static loc(pos: Pos | undefined): SourceLocation | undefined {
    return pos === undefined ? undefined : { line: pos.line, column: pos.column };
  }

  private static at(pos: Pos | undefined): string {
    return pos === undefined ? '' : ` (line ${pos.line}, column ${pos.column})`;
  }

  // Pass 1: names

  private declare(d: DeclNode): void {
    switch (d.kind) {
      case 'param':
        this.claim(d.name, 'param', this.params.length, d.pos);
        this.params.push(d);
        return;
      case 'state':
        this.claim(d.name, 'state', this.stateNodes.length, d.pos);
        this.stateNodes.push(d);
        return;
      case 'input':
        this.claim(d.name, 'input', this.inputNodes.length, d.pos);
        this.inputNodes.push(d);
        return;
      case 'covariate':
        this.claim(d.name, 'covariate', this.covariateNodes.length, d.pos);
        this.covariateNodes.push(d);
        return;
      case 'let':
        this.claim(d.name, 'let', this.letNodes.length, d.pos);
        this.letNodes.push(d);
        this.letStatus.push(0);
        return;
      case 'net':
        this.claim(d.name, 'net', this.netNodes.length, d.pos);
        this.netNodes.push(d);
        return;
      case 'obs':
        if (!this.symbols.has(d.name)) this.otherNames.set(d.name, 'an observable');
        return;
      case 'dose':
        if (!this.symbols.has(d.name)) this.otherNames.set(d.name, 'a dose');
        return;
      case 'equation':
        return;
    }
  }

  private claim(name: string, kind: SymbolKind, index: number, pos: Pos | undefined): void {
    const problem = reservedNameProblem(name);
    if (problem !== undefined) this.fail(pos, `${kind} ${name}`, problem[0], problem[1]);
    const prev = this.symbols.get(name);
    if (prev !== undefined) {
      this.fail(
        pos,
        `${kind} ${name}`,
        `the name "${name}" is declared twice: as ${KIND_WORDS[prev.kind]}${Elaborator.at(prev.pos)} and as ${KIND_WORDS[kind]}`,
        'rename one of them',
      );
    }
    this.symbols.set(name, { kind, index, pos });
    this.otherNames.delete(name);
  }

  // Pass 2: definitions

  private define(d: DeclNode): void {
    switch (d.kind) {
      case 'param':
        this.checkParam(d);
        return;
      case 'covariate':
        if (Number.isNaN(d.defaultValue)) {
          this.fail(
            d.pos,
            `covariate ${d.name}`,
            `the default value of covariate "${d.name}" is NaN`,
            'give a number',
          );
        }
        return;
      case 'input':
        return;
      case 'state': {
        const ctx = { where: `initial value of state ${d.name}`, initialOf: d.name };
        this.initials.push(this.expr(d.initial, ctx));
        return;
      }
      case 'let':
        this.letValue(this.symbols.get(d.name)!.index);
        return;
      case 'net': {
        const index = this.netInputs.length;
        this.netInputsInProgress.add(index);
        const ctx = { where: `inputs of network ${d.name}` };
        this.netInputs.push(d.inputs.map((e) => this.expr(e, ctx)));
        this.netInputsInProgress.delete(index);
        return;
      }
      case 'equation':
        this.defineEquation(d.state, d.pos, d.rhs);
        return;
      case 'obs': {
        const prev = this.observables.find((o) => o.name === d.name);
        if (prev !== undefined) {
          this.fail(
            d.pos,
            `obs ${d.name}`,
            `the observable "${d.name}" is declared twice${prev.loc === undefined ? '' : ` (first at line ${prev.loc.line})`}`,
            'rename one of them',
          );
        }
        const expr = this.expr(d.expr, { where: `obs ${d.name}` });
        const sigma = this.expr(d.sigma, { where: `noise of obs ${d.name}` });
        this.observables.push({
          name: d.name,
          expr,
          noise: { kind: d.noise, sigma },
          loc: Elaborator.loc(d.pos),
        });
        return;
      }
      case 'dose':
        this.defineDose(d);
        return;
    }
  }

  private checkParam(p: ParamNode): void {
    const where = `param ${p.name}`;
    const name = `parameter "${p.name}"`;
    const [lower, upper] = p.bounds ?? defaultBounds(p.scale);
    this.paramBounds.push([lower, upper]);
    if (Number.isNaN(p.value))
      this.fail(p.valuePos ?? p.pos, where, `the value of ${name} is NaN`, 'give a number');
    if (Number.isNaN(lower) || Number.isNaN(upper)) {
      this.fail(p.boundsPos ?? p.pos, where, `a bound of ${name} is NaN`, 'give numbers, or -inf and inf');
    }
    const bounds = `[${numberText(lower)}, ${numberText(upper)}]`;
    if (lower > upper) {
      this.fail(
        p.boundsPos ?? p.pos,
        where,
        `the bounds ${bounds} of ${name} are reversed`,
        `write [${numberText(upper)}, ${numberText(lower)}]`,
      );
    }
    if (!(lower <= p.value && p.value <= upper)) {
      this.fail(
        p.valuePos ?? p.pos,
        where,
        `the value ${numberText(p.value)} of ${name} lies outside its bounds ${bounds}`,
        'change the value or widen the bounds',
      );
    }
    if (p.scale === 'log') {
      if (lower < 0) {
        this.fail(
          p.scalePos ?? p.pos,
          where,
          `${name} has scale log but its lower bound ${numberText(lower)} is negative`,
          'use bounds within [0, inf] or scale lin',
        );
      }
      if (!(p.value > 0)) {
        this.fail(
          p.valuePos ?? p.pos,
          where,
          `${name} has scale log but its value is ${numberText(p.value)}`,
          'a parameter estimated on the log scale needs a value > 0',
        );
      }
    }
    if (p.scale === 'logit') {
      if (lower < 0 || upper > 1) {
        this.fail(
          p.scalePos ?? p.pos,
          where,
          `${name} has scale logit but its bounds ${bounds} are not within [0, 1]`,
          'use bounds within [0, 1] or another scale',
        );
      }
      if (!(p.value > 0 && p.value < 1)) {
        this.fail(
          p.valuePos ?? p.pos,
          where,
          `${name} has scale logit but its value is ${numberText(p.value)}`,
          'a parameter estimated on the logit scale needs a value strictly between 0 and 1',
        );
      }
    }
  }

  private defineEquation(state: string, pos: Pos | undefined, rhs: ExprNode): void {
    const where = `d/dt ${state}`;
    const sym = this.symbols.get(state);
    if (sym === undefined) {
      const guess = closestName(
        state,
        this.stateNodes.map((s) => s.name),
      );
      this.fail(
        pos,
        where,
        `equation for "${state}", which is not a declared state`,
        guess !== undefined ? `did you mean "${guess}"?` : `declare it: state ${state} = INITIAL_VALUE`,
      );
    }
    if (sym.kind !== 'state') {
      this.fail(
        pos,
        where,
        `equation for "${state}", which is ${KIND_WORDS[sym.kind]}, not a state`,
        'only states have equations',
      );
    }
    const first = this.equationPos[sym.index];
    if (this.equations[sym.index] !== undefined) {
      this.fail(
        pos,
        where,
        `state "${state}" has two equations${first === undefined ? '' : ` (the first at line ${first.line})`}`,
        'remove one of them',
      );
    }
    this.equations[sym.index] = this.expr(rhs, { where });
    this.equationPos[sym.index] = pos;
  }

  private defineDose(d: Extract<DeclNode, { kind: 'dose' }>): void {
    const where = `dose ${d.name}`;
    const prev = this.doses.find((x) => x.name === d.name);
    if (prev !== undefined) {
      this.fail(
        d.pos,
        where,
        `the dose "${d.name}" is declared twice${prev.loc === undefined ? '' : ` (first at line ${prev.loc.line})`}`,
        'rename one of them',
      );
    }
    const sym = this.symbols.get(d.target);
    if (sym === undefined || sym.kind !== 'state') {
      const guess = closestName(
        d.target,
        this.stateNodes.map((s) => s.name),
      );
      const what =
        sym === undefined
          ? `dose "${d.name}" goes into "${d.target}", which is not a declared state`
          : `dose "${d.name}" goes into "${d.target}", which is ${KIND_WORDS[sym.kind]}, not a state`;
      this.fail(
        d.targetPos ?? d.pos,
        where,
        what,
        guess !== undefined ? `did you mean "${guess}"?` : 'a dose goes into a state',
      );
    }
    this.doses.push({ name: d.name, kind: d.route, target: sym.index, loc: Elaborator.loc(d.pos) });
  }

  // Expressions

  /** The IR of an expression (derived variables it uses are elaborated on the way). */
  private expr(node: ExprNode, ctx: Context): Expr {
    return this.walk({ children: operandsOf(node), next: 0, values: [], ctx, node });
  }

  /** The IR of derived variable `i`, elaborated once. */
  private letValue(i: number): Expr {
    if (this.letStatus[i] === 2) return this.letExprs[i];
    const decl = this.letNodes[i];
    this.letStatus[i] = 1;
    this.letStack.push(i);
    return this.walk({
      children: [decl.expr],
      next: 0,
      values: [],
      ctx: { where: `let ${decl.name}` },
      letIndex: i,
    });
  }

  private walk(first: Frame): Expr {
    const stack: Frame[] = [first];
    for (;;) {
      const top = stack[stack.length - 1];
      if (top.next < top.children.length) {
        const child = top.children[top.next++];
        stack.push({ children: operandsOf(child), next: 0, values: [], ctx: top.ctx, node: child });
        continue;
      }
      let value: Expr;
      if (top.node === undefined) {
        // A derived variable is complete.
        const i = top.letIndex!;
        value = top.values[0];
        this.letExprs[i] = value;
        this.letStatus[i] = 2;
        this.letStack.pop();
        stack.pop();
        if (stack.length === 0) return value;
        continue; // the name that needed it is evaluated again
      }
      const result = this.combine(top.node, top.values, top.ctx);
      if (typeof result === 'number') {
        // A derived variable must be elaborated first.
        const decl = this.letNodes[result];
        this.letStatus[result] = 1;
        this.letStack.push(result);
        stack.push({
          children: [decl.expr],
          next: 0,
          values: [],
          ctx: { where: `let ${decl.name}` },
          letIndex: result,
        });
        continue;
      }
      value = result;
      stack.pop();
      if (stack.length === 0) return value;
      stack[stack.length - 1].values.push(value);
    }
  }

  /** The IR node of `node` from its children's values, or the index of a `let` it needs first. */
  private combine(node: ExprNode, v: readonly Expr[], ctx: Context): Expr | number {
    const f = this.f;
    switch (node.kind) {
      case 'number':
        return f.constant(node.value);
      case 'name':
        return this.name(node.name, node.pos, ctx);
      case 'unary':
        if (node.op === '-') return f.neg(v[0]);
        if (node.op === 'not') return f.unary(Op.Not, v[0]);
        return v[0];
      case 'binary':
        return f.binary(BINARY_OPS[node.op], v[0], v[1]);
      case 'if':
        return f.select(v[0], v[1], v[2]);
      case 'call':
        if (node.callee === 'grad') return this.grad(node, v, ctx);
        return this.call(node.callee, v, node.pos, ctx);
      case 'netOut':
        return this.netOut(node, v, ctx);
    }
  }

  private name(name: string, pos: Pos | undefined, ctx: Context): Expr | number {
    const f = this.f;
    if (name === 't') {
      if (ctx.initialOf !== undefined) this.initialError(pos, ctx, 'the time t');
      return f.time();
    }
    if (name === 'pi') return f.constant(Math.PI);
    if (name === 'inf') return f.constant(Number.POSITIVE_INFINITY);
    const sym = this.symbols.get(name);
    if (sym === undefined) return this.unknownName(name, pos, ctx);
    switch (sym.kind) {
      case 'param':
        return f.param(sym.index);
      case 'covariate':
        return f.covariate(sym.index);
      case 'state':
        if (ctx.initialOf !== undefined) this.initialError(pos, ctx, `state "${name}"`);
        return f.state(sym.index);
      case 'input':
        if (ctx.initialOf !== undefined) this.initialError(pos, ctx, `input "${name}"`);
        return f.input(sym.index);
      case 'net': {
        const outs = this.netNodes[sym.index].outputs.map((o) => `${name}.${o.name}`);
        return this.fail(
          pos,
          ctx.where,
          `"${name}" is a network`,
          `use one of its outputs: ${outs.join(', ')}`,
        );
      }
      case 'let':
        return this.derived(sym.index, name, pos, ctx);
    }
  }

  /** The value of derived variable `i` where it is used, or `i` if it must be elaborated first. */
  private derived(i: number, name: string, pos: Pos | undefined, ctx: Context): Expr | number {
    if (this.letStatus[i] === 0) return i;
    if (this.letStatus[i] === 1) {
      const cycle = this.letStack.slice(this.letStack.indexOf(i)).map((j) => this.letNodes[j].name);
      if (this.netInputsInProgress.size > 0) {
        const nets = [...this.netInputsInProgress].map((n) => `"${this.netNodes[n].name}"`).join(', ');
        this.fail(
          pos,
          ctx.where,
          `the inputs of network ${nets} depend on its own gradient through ${[...cycle, name].join(' → ')}`,
          "a network's inputs may not depend on its own outputs or gradients",
        );
      }
      this.fail(
        pos,
        ctx.where,
        `derived variables form a cycle: ${[...cycle, name].join(' → ')}`,
        'define one of them without the others',
      );
    }
    if (ctx.initialOf !== undefined) {
      const dynamic = this.dynamicDependency(i);
      if (dynamic !== null) this.initialError(pos, ctx, `"${name}", which depends on ${dynamic}`);
    }
    return this.letExprs[i];
  }

  private initialError(pos: Pos | undefined, ctx: Context, what: string): never {
    this.fail(
      pos,
      ctx.where,
      `the initial value of state "${ctx.initialOf}" depends on ${what}`,
      'an initial value may use only parameters, covariates and numbers',
    );
  }

  /** The first state, input, network or t that derived variable `i` depends on, or null. */
  private dynamicDependency(i: number): string | null {
    const known = this.letDynamic.get(i);
    if (known !== undefined) return known;
    let found: string | null = null;
    for (const e of topologicalOrder([this.letExprs[i]])) {
      if (e.op === Op.State) found = `state "${this.stateNodes[e.index].name}"`;
      else if (e.op === Op.Input) found = `input "${this.inputNodes[e.index].name}"`;
      else if (e.op === Op.Time) found = 'the time t';
      if (found !== null) break;
    }
    this.letDynamic.set(i, found);
    return found;
  }

  private unknownName(name: string, pos: Pos | undefined, ctx: Context): never {
    if (FUNCTIONS.has(name)) {
      this.fail(pos, ctx.where, `"${name}" is a function`, `call it: ${FUNCTIONS.get(name)!.usage}`);
    }
    if (EXPRESSION_KEYWORDS.has(name)) {
      this.fail(pos, ctx.where, `"${name}" is a keyword, not a value`, 'write an expression here');
    }
    const other = this.otherNames.get(name);
    if (other !== undefined) {
      this.fail(
        pos,
        ctx.where,
        `"${name}" is ${other}, which cannot be used in expressions`,
        `declare the expression with let and use that name${other === 'an observable' ? ' in the observable too' : ''}`,
      );
    }
    const guess = closestName(name, this.symbols.keys());
    this.fail(
      pos,
      ctx.where,
      `unknown name "${name}"`,
      guess !== undefined
        ? `did you mean "${guess}"?`
        : 'declare it with param, state, input, covariate or let',
    );
  }

  private call(callee: string, args: readonly Expr[], pos: Pos | undefined, ctx: Context): Expr {
    const rule = FUNCTIONS.get(callee);
    if (rule === undefined) {
      const sym = this.symbols.get(callee);
      if (sym?.kind === 'net') {
        const out = this.netNodes[sym.index].outputs[0].name;
        this.fail(
          pos,
          ctx.where,
          `network "${callee}" is called without choosing an output`,
          `write ${callee}(…).${out}`,
        );
      }
      if (sym !== undefined) {
        this.fail(
          pos,
          ctx.where,
          `"${callee}" is ${KIND_WORDS[sym.kind]}, not a function`,
          `write ${callee} * (…) for a product`,
        );
      }
      const guess = closestName(callee, [...FUNCTIONS.keys(), ...this.netNodes.map((n) => n.name)]);
      this.fail(
        pos,
        ctx.where,
        `unknown function "${callee}"`,
        guess !== undefined
          ? `did you mean "${guess}"?`
          : `the functions are ${[...FUNCTIONS.keys()].join(', ')}`,
      );
    }
    const n = args.length;
    const ok = rule.arity === 'odd' ? n >= 3 && n % 2 === 1 : n === rule.arity;
    if (!ok) {
      const expected =
        rule.arity === 'odd'
          ? 'condition/value pairs and a last value (an odd number ≥ 3 of arguments)'
          : `${rule.arity} argument${rule.arity === 1 ? '' : 's'}`;
      this.fail(pos, ctx.where, `${callee} takes ${expected} but is given ${n}`, `write ${rule.usage}`);
    }
    return rule.build(this.f, args);
  }

  private netOut(node: Extract<ExprNode, { kind: 'netOut' }>, args: readonly Expr[], ctx: Context): Expr {
    const { net, pos } = node;
    const [index, k] = this.resolveNetOut(node, ctx);
    if (node.args === null) {
      if (ctx.initialOf !== undefined) this.initialNetUses.push({ pos, ctx, net, call: index });
      return this.f.netOut(index, k);
    }
    this.checkArgumentCount(node, args, ctx);
    const key = `${index}:${args.map((a) => a.id).join(',')}`;
    let call = this.extraKeys.get(key);
    if (call === undefined) {
      call = this.netNodes.length + this.extras.length;
      this.extraKeys.set(key, call);
      this.extras.push({ net: index, inputs: args, pos });
    }
    if (ctx.initialOf !== undefined) this.initialNetUses.push({ pos, ctx, net, call });
    return this.f.netOut(call, k);
  }

  /**
   * `grad(F.a, x)` or `grad(F(args).a, x)`: ∂F_a/∂x_m at the call's inputs, where x_m is the
   * one input of the call whose value is the name x (a state, parameter, `let`, … written
   * among the inputs). Lowered to output m of a gradient call of F (NetCall.gradOf = a) on the
   * same inputs; `v` holds the call arguments (none for `F.a`), then the value of x.
   */
  private grad(node: CallNode, v: readonly Expr[], ctx: Context): Expr {
    const example = 'e.g. grad(H.e, p) for a network H(q, p) -> (e)';
    if (node.args.length !== 2) {
      this.fail(
        node.pos,
        ctx.where,
        `grad takes 2 arguments but is given ${node.args.length}`,
        `write ${GRAD_USAGE}, ${example}`,
      );
    }
    const [of, wrt] = node.args;
    if (of.kind !== 'netOut') {
      this.fail(
        of.pos ?? node.pos,
        ctx.where,
        'the first argument of grad must be a network output such as H.e',
        `write ${GRAD_USAGE}, ${example}; grad differentiates networks only — write the derivative of a formula out`,
      );
    }
    const [net, k] = this.resolveNetOut(of, ctx);
    const decl = this.netNodes[net];
    if (of.args === null && this.netInputsInProgress.has(net)) {
      this.fail(
        node.pos,
        ctx.where,
        `the inputs of network "${decl.name}" depend on its own gradient grad(${decl.name}.${of.output}, …)`,
        "a network's inputs may not depend on its own outputs or gradients",
      );
    }
    const callArgs = v.slice(0, v.length - 1);
    if (of.args !== null) this.checkArgumentCount(of, callArgs, ctx);
    const written = of.args ?? decl.inputs;
    const label = (m: number) => {
      const a = written[m];
      return a.kind === 'name' ? `"${a.name}"` : `input ${m + 1}`;
    };
    const names = written.map((_, m) => label(m)).join(', ');
    if (wrt.kind !== 'name') {
      this.fail(
        wrt.pos ?? node.pos,
        ctx.where,
        `the second argument of grad must be the name of one of the inputs of network "${decl.name}"`,
        `its inputs are ${names}; write ${GRAD_USAGE}, ${example}`,
      );
    }
    const inputs = of.args === null ? this.declaredInputs(net) : callArgs;
    const x = v[v.length - 1];
    const slots = inputs.flatMap((e, m) => (e === x ? [m] : []));
    const call = of.args === null ? decl.name : `this call of ${decl.name}`;
    if (slots.length === 0) {
      this.fail(
        wrt.pos ?? node.pos,
        ctx.where,
        `"${wrt.name}" is not an input of ${call === decl.name ? `network "${decl.name}"` : call}`,
        `grad differentiates by one of the network's inputs: ${names}`,
      );
    }
    if (slots.length > 1) {
      this.fail(
        wrt.pos ?? node.pos,
        ctx.where,
        `"${wrt.name}" is ${slots.length} of the inputs of ${call === decl.name ? `network "${decl.name}"` : call} (${slots.map(label).join(', ')}), so the derivative by it is ambiguous`,
        'give the network distinct inputs',
      );
    }
    const key = `${net}:grad ${k}:${inputs.map((a) => a.id).join(',')}`;
    let index = this.extraKeys.get(key);
    if (index === undefined) {
      index = this.netNodes.length + this.extras.length;
      this.extraKeys.set(key, index);
      this.extras.push({ net, inputs, pos: node.pos, gradOf: k });
    }
    if (ctx.initialOf !== undefined)
      this.initialNetUses.push({ pos: node.pos, ctx, net: decl.name, call: index });
    return this.f.netOut(index, slots[0]);
  }

  /** The input expressions of network `net`'s declaration, elaborated now if not yet. */
  private declaredInputs(net: number): readonly Expr[] {
    if (net < this.netInputs.length) return this.netInputs[net];
    const decl = this.netNodes[net];
    const ctx = { where: `inputs of network ${decl.name}` };
    this.netInputsInProgress.add(net);
    const inputs = decl.inputs.map((e) => this.expr(e, ctx));
    this.netInputsInProgress.delete(net);
    return inputs;
  }

  /** Throws unless an explicit call `F(args).a` gives F as many inputs as it declares. */
  private checkArgumentCount(
    node: Extract<ExprNode, { kind: 'netOut' }>,
    args: readonly Expr[],
    ctx: Context,
  ): void {
    const { net, pos } = node;
    const expected = this.netNodes[this.symbols.get(net)!.index].inputs.length;
    if (args.length !== expected) {
      this.fail(
        pos,
        ctx.where,
        `network "${net}" takes ${expected} input${expected === 1 ? '' : 's'} but is given ${args.length}`,
        `give it ${expected} input${expected === 1 ? '' : 's'}, in the order of its declaration`,
      );
    }
  }

  /** The network and output number of `F.a` / `F(…).a`, or a located error naming what is wrong. */
  private resolveNetOut(node: Extract<ExprNode, { kind: 'netOut' }>, ctx: Context): [number, number] {
    const { net, output, pos } = node;
    const sym = this.symbols.get(net);
    if (sym === undefined || sym.kind !== 'net') {
      if (FUNCTIONS.has(net)) {
        this.fail(pos, ctx.where, `"${net}" is a function, not a network`, `remove ".${output}"`);
      }
      if (sym !== undefined) {
        this.fail(
          pos,
          ctx.where,
          `"${net}" is ${KIND_WORDS[sym.kind]}, not a network`,
          'only networks have outputs (NET.OUTPUT)',
        );
      }
      const guess = closestName(
        net,
        this.netNodes.map((n) => n.name),
      );
      this.fail(
        pos,
        ctx.where,
        `unknown network "${net}"`,
        guess !== undefined
          ? `did you mean "${guess}"?`
          : `declare it: net ${net}(INPUTS) -> (${output}) : mlp(32, tanh)`,
      );
    }
    const decl = this.netNodes[sym.index];
    const k = decl.outputs.findIndex((o) => o.name === output);
    if (k < 0) {
      const names = decl.outputs.map((o) => o.name);
      const guess = closestName(output, names);
      this.fail(
        node.outputPos ?? pos,
        ctx.where,
        `network "${net}" has no output "${output}"`,
        guess !== undefined ? `did you mean "${guess}"?` : `its outputs are ${names.join(', ')}`,
      );
    }
    return [sym.index, k];
  }

  /**
   * Initial values may use networks whose inputs are static — parameters, covariates,
   * numbers and outputs of such networks ("ML first": covariates → initial states). Checked
   * after every definition, before calls are merged (call numbers are still those of the
   * netOut leaves).
   */
  private checkInitialNetworks(): void {
    const calls = [...this.netInputs, ...this.extras.map((c) => c.inputs)];
    const memo = new Map<number, string | null>();
    const onPath = new Set<number>();
    /** The first state, input, t or time-dependent network a call's inputs depend on, or null. */
    const dynamicOf = (call: number): string | null => {
      const known = memo.get(call);
      if (known !== undefined) return known;
      if (onPath.has(call)) return null; // a cycle: reported by checkNetworkCycles
      onPath.add(call);
      let found: string | null = null;
      for (const e of topologicalOrder(calls[call] ?? [])) {
        if (e.op === Op.State) found = `state "${this.stateNodes[e.index].name}"`;
        else if (e.op === Op.Input) found = `input "${this.inputNodes[e.index].name}"`;
        else if (e.op === Op.Time) found = 'the time t';
        else if (e.op === Op.NetOut && dynamicOf(e.index) !== null) found = dynamicOf(e.index);
        if (found !== null) break;
      }
      onPath.delete(call);
      memo.set(call, found);
      return found;
    };
    const fix = 'an initial value may use only parameters, covariates, numbers and networks of these';
    for (const use of this.initialNetUses) {
      const dyn = dynamicOf(use.call);
      if (dyn !== null) {
        this.fail(
          use.pos,
          use.ctx.where,
          `the initial value of state "${use.ctx.initialOf}" depends on network "${use.net}", whose inputs depend on ${dyn}`,
          fix,
        );
      }
    }
    this.initials.forEach((init, i) => {
      for (const e of topologicalOrder([init])) {
        if (e.op !== Op.NetOut) continue;
        const dyn = dynamicOf(e.index);
        if (dyn === null) continue;
        const s = this.stateNodes[i];
        const net =
          this.netNodes[
            e.index < this.netNodes.length ? e.index : this.extras[e.index - this.netNodes.length].net
          ];
        this.fail(
          s.pos,
          `initial value of state ${s.name}`,
          `the initial value of state "${s.name}" depends on network "${net.name}", whose inputs depend on ${dyn}`,
          fix,
        );
      }
    });
  }

  // Pass 3: network calls

  /**
   * Merges calls with identical inputs (an explicit call `F(x).a` on F's declared inputs is
   * F's declared call). Merging renumbers `netOut` leaves, which can make further calls
   * identical, so it repeats until nothing changes.
   */
  private mergeCalls(): void {
    for (;;) {
      const calls: ExtraCall[] = [
        ...this.netInputs.map((inputs, net) => ({ net, inputs, pos: this.netNodes[net].pos })),
        ...this.extras,
      ];
      const keys = new Map<string, number>();
      const remap = new Int32Array(calls.length);
      const kept: ExtraCall[] = [];
      calls.forEach((c, i) => {
        const key = `${c.net}:${c.gradOf ?? ''}:${c.inputs.map((a) => a.id).join(',')}`;
        const j = keys.get(key);
        if (j === undefined) {
          keys.set(key, kept.length);
          remap[i] = kept.length;
          kept.push(c);
        } else {
          remap[i] = j;
        }
      });
      if (kept.length === calls.length) return;
      this.renumberCalls(remap, kept);
    }
  }

  private renumberCalls(remap: Int32Array, kept: readonly ExtraCall[]): void {
    const roots: Expr[] = [
      ...this.initials,
      ...this.letExprs,
      ...this.equations.map((e) => e!),
      ...this.observables.flatMap((o) => [o.expr, o.noise.sigma]),
      ...kept.flatMap((c) => c.inputs),
    ];
    const mapped = substituteCalls(this.f, roots, remap);
    let k = 0;
    const take = () => mapped[k++];
    for (let i = 0; i < this.initials.length; i++) this.initials[i] = take();
    for (let i = 0; i < this.letExprs.length; i++) this.letExprs[i] = take();
    for (let i = 0; i < this.equations.length; i++) this.equations[i] = take();
    this.observables = this.observables.map((o) => {
      const expr = take();
      return { ...o, expr, noise: { kind: o.noise.kind, sigma: take() } };
    });
    const calls = kept.map((c) => ({ ...c, inputs: c.inputs.map(take) }));
    const n = this.netNodes.length;
    this.netInputs = calls.slice(0, n).map((c) => c.inputs);
    this.extras = calls.slice(n);
  }

  /** Networks whose inputs depend, through other calls, on their own outputs. */
  private checkNetworkCycles(): void {
    const calls: ExtraCall[] = [
      ...this.netInputs.map((inputs, net) => ({ net, inputs, pos: this.netNodes[net].pos })),
      ...this.extras,
    ];
    const uses = calls.map((c) => {
      const used = new Set<number>();
      for (const e of topologicalOrder(c.inputs)) if (e.op === Op.NetOut) used.add(e.index);
      return [...used];
    });
    const status = new Uint8Array(calls.length); // 0 new, 1 on the path, 2 done
    for (let root = 0; root < calls.length; root++) {
      if (status[root] !== 0) continue;
      const path: number[] = [root];
      const next: number[] = [0];
      status[root] = 1;
      while (path.length > 0) {
        const c = path[path.length - 1];
        const j = next[next.length - 1]++;
        if (j >= uses[c].length) {
          status[c] = 2;
          path.pop();
          next.pop();
          continue;
        }
        const d = uses[c][j];
        if (status[d] === 1) {
          const cycle = path.slice(path.indexOf(d)).map((x) => this.netNodes[calls[x].net].name);
          const first = calls[d];
          this.fail(
            first.pos,
            `network ${this.netNodes[first.net].name}`,
            `networks form a cycle: ${[...cycle, cycle[0]].join(' → ')}`,
            "a network's inputs may not depend on its own outputs",
          );
        }
        if (status[d] === 0) {
          status[d] = 1;
          path.push(d);
          next.push(0);
        }
      }
    }
  }

  // The model

  private build(): Model {
    const params: ParamDecl[] = this.params.map((p, i) => ({
      name: p.name,
      value: p.value,
      lower: this.paramBounds[i][0],
      upper: this.paramBounds[i][1],
      scale: p.scale,
      fixed: p.fixed,
      loc: Elaborator.loc(p.pos),
    }));
    const states: StateDecl[] = this.stateNodes.map((s, i) => ({
      name: s.name,
      initial: this.initials[i],
      loc: Elaborator.loc(s.pos),
    }));
    const inputs: InputDecl[] = this.inputNodes.map((u) => ({
      name: u.name,
      interpolation: u.interpolation,
      loc: Elaborator.loc(u.pos),
    }));
    const covariates: CovariateDecl[] = this.covariateNodes.map((c) => ({
      name: c.name,
      defaultValue: c.defaultValue,
      loc: Elaborator.loc(c.pos),
    }));
    const derived: DerivedDecl[] = this.letNodes.map((d, i) => ({
      name: d.name,
      expr: this.letExprs[i],
      loc: Elaborator.loc(d.pos),
    }));
    const nets: NetDecl[] = this.netNodes.map((n, i) => ({
      name: n.name,
      inputs: this.netInputs[i],
      outputs: n.outputs.map((o) => o.name),
      architecture: n.architecture,
      loc: Elaborator.loc(n.pos),
    }));
    const calls: NetCall[] = [
      ...this.netInputs.map((inputs, net) => ({ net, inputs })),
      ...this.extras.map((c) =>
        c.gradOf === undefined
          ? { net: c.net, inputs: c.inputs }
          : { net: c.net, inputs: c.inputs, gradOf: c.gradOf },
      ),
    ];
    const parts = {
      name: this.program.name,
      description: this.program.description,
      factory: this.f,
      params,
      states,
      inputs,
      covariates,
      derived,
      nets,
      calls,
      equations: this.equations.map((e) => e!),
      observables: this.observables,
      doses: this.doses,
    };
    try {
      return new Model(parts);
    } catch (e) {
      // Every rule Model checks is checked above with a position; this is a safety net.
      if (e instanceof ModelError && !(e instanceof GbxSyntaxError) && this.source !== undefined) {
        throw syntaxError({ line: 1, column: 1, source: this.source }, e.message, 'see the model as a whole');
      }
      throw e;
    }
  }
}

/**
 * Rebuilds `roots` with every `netOut(call, k)` leaf replaced by `netOut(remap[call], k)`;
 * unchanged subexpressions stay the same nodes.
 */
function substituteCalls(f: ExprFactory, roots: readonly Expr[], remap: Int32Array): Expr[] {
  const memo = new Map<number, Expr>();
  for (const e of topologicalOrder(roots)) {
    let r: Expr;
    if (e.op === Op.NetOut) {
      r = f.netOut(remap[e.index], e.index2);
    } else if (e.isLeaf) {
      r = e;
    } else {
      const args = e.args.map((a) => memo.get(a.id)!);
      if (args.every((a, i) => a === e.args[i])) r = e;
      else if (e.op === Op.Select) r = f.select(args[0], args[1], args[2]);
      else if (isUnaryOp(e.op)) r = f.unary(e.op, args[0]);
      else r = f.binary(e.op as BinaryOp, args[0], args[1]);
    }
    memo.set(e.id, r);
  }
  return roots.map((r) => memo.get(r.id)!);
}

/**
 * The bounds of a parameter declared without `in [LO, HI]`: (−∞, ∞) on scale `lin`, [0, ∞) on
 * `log`, [0, 1] on `logit`.
 *
 * @example
 * ```ts
 * defaultBounds('log'); // [0, Infinity]
 * ```
 */
export function defaultBounds(scale: ParamScale): [number, number] {
  if (scale === 'log') return [0, Number.POSITIVE_INFINITY];
  if (scale === 'logit') return [0, 1];
  return [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
}

/**
 * A number as the language writes it (`inf`, `-inf`, `-0`, shortest round-trip decimal).
 *
 * @example
 * ```ts
 * numberText(-Infinity); // '-inf'
 * numberText(0.1);       // '0.1'
 * ```
 */
export function numberText(x: number): string {
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  if (Object.is(x, -0)) return '-0';
  return String(x);
}
