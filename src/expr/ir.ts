/**
 * The expression IR of the model language: a DAG of scalar operations over named symbols
 * (time, states, parameters, inputs, covariates and neural-network outputs).
 *
 * Nodes are hash-consed by an {@link ExprFactory}: building the same operation on the same
 * arguments twice returns the same node, so common subexpressions are shared by
 * construction (CSE), across equations and their derivatives alike. Constructors fold
 * constants and apply the usual algebraic identities (x + 0 = x, x · 1 = x, x · 0 = 0, …),
 * which keeps symbolic derivatives small.
 *
 * Warning: like every computer-algebra system, simplification treats a literal 0 as an
 * absorbing zero: x · 0 is 0 even if x would evaluate to NaN or ±Inf at run time.
 */

/** The operations of the IR. Leaves first, then arithmetic, functions, logic. */
export enum Op {
  Const = 'const',
  Time = 'time',
  State = 'state',
  Param = 'param',
  Input = 'input',
  Covariate = 'covariate',
  /** Output `index2` of neural-network call `index`. */
  NetOut = 'netOut',
  Neg = 'neg',
  Add = 'add',
  Sub = 'sub',
  Mul = 'mul',
  Div = 'div',
  Pow = 'pow',
  Exp = 'exp',
  Log = 'log',
  Log1p = 'log1p',
  Expm1 = 'expm1',
  Sqrt = 'sqrt',
  Sin = 'sin',
  Cos = 'cos',
  Tan = 'tan',
  Tanh = 'tanh',
  Sigmoid = 'sigmoid',
  Softplus = 'softplus',
  Abs = 'abs',
  Sign = 'sign',
  Min = 'min',
  Max = 'max',
  Lt = 'lt',
  Le = 'le',
  Gt = 'gt',
  Ge = 'ge',
  Eq = 'eq',
  Ne = 'ne',
  And = 'and',
  Or = 'or',
  Not = 'not',
  /** select(cond, a, b): a where cond ≠ 0, else b. */
  Select = 'select',
  /** The value of its argument, with zero derivative. */
  StopGrad = 'stopgrad',
}

/** Leaf operations: they name a symbol (or hold a constant) and have no arguments. */
export type LeafOp = Op.Const | Op.Time | Op.State | Op.Param | Op.Input | Op.Covariate | Op.NetOut;

/** Unary function operations (one argument). */
export type UnaryOp =
  | Op.Neg
  | Op.Exp
  | Op.Log
  | Op.Log1p
  | Op.Expm1
  | Op.Sqrt
  | Op.Sin
  | Op.Cos
  | Op.Tan
  | Op.Tanh
  | Op.Sigmoid
  | Op.Softplus
  | Op.Abs
  | Op.Sign
  | Op.Not
  | Op.StopGrad;

/** Binary operations (two arguments). */
export type BinaryOp =
  | Op.Add
  | Op.Sub
  | Op.Mul
  | Op.Div
  | Op.Pow
  | Op.Min
  | Op.Max
  | Op.Lt
  | Op.Le
  | Op.Gt
  | Op.Ge
  | Op.Eq
  | Op.Ne
  | Op.And
  | Op.Or;

/**
 * One node of the DAG. Immutable; create nodes only through an {@link ExprFactory}.
 * `index` identifies the symbol of a leaf (state, parameter, input, covariate or network
 * call number); `index2` is the output number of a network call.
 */
export class Expr {
  /** @internal */
  constructor(
    readonly id: number,
    readonly op: Op,
    readonly args: readonly Expr[],
    readonly value: number,
    readonly index: number,
    readonly index2: number,
  ) {}

  /** True for a constant node. */
  get isConst(): boolean {
    return this.op === Op.Const;
  }

  /** True for a leaf (symbol or constant). */
  get isLeaf(): boolean {
    return this.args.length === 0;
  }
}

/** Logistic function, stable on both sides (the same formula as the tensor kernels). */
export function sigmoidValue(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log(1 + eˣ) without overflow. */
export function softplusValue(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** Evaluates a unary operation on a number (used for constant folding and by interpreters). */
export function applyUnary(op: UnaryOp, x: number): number {
  switch (op) {
    case Op.Neg:
      return -x;
    case Op.Exp:
      return Math.exp(x);
    case Op.Log:
      return Math.log(x);
    case Op.Log1p:
      return Math.log1p(x);
    case Op.Expm1:
      return Math.expm1(x);
    case Op.Sqrt:
      return Math.sqrt(x);
    case Op.Sin:
      return Math.sin(x);
    case Op.Cos:
      return Math.cos(x);
    case Op.Tan:
      return Math.tan(x);
    case Op.Tanh:
      return Math.tanh(x);
    case Op.Sigmoid:
      return sigmoidValue(x);
    case Op.Softplus:
      return softplusValue(x);
    case Op.Abs:
      return Math.abs(x);
    case Op.Sign:
      return Math.sign(x);
    case Op.Not:
      return x === 0 ? 1 : 0;
    case Op.StopGrad:
      return x;
  }
}

/** Evaluates a binary operation on numbers. Logic treats any non-zero as true. */
export function applyBinary(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case Op.Add:
      return a + b;
    case Op.Sub:
      return a - b;
    case Op.Mul:
      return a * b;
    case Op.Div:
      return a / b;
    case Op.Pow:
      return a ** b;
    case Op.Min:
      return Math.min(a, b);
    case Op.Max:
      return Math.max(a, b);
    case Op.Lt:
      return a < b ? 1 : 0;
    case Op.Le:
      return a <= b ? 1 : 0;
    case Op.Gt:
      return a > b ? 1 : 0;
    case Op.Ge:
      return a >= b ? 1 : 0;
    case Op.Eq:
      return a === b ? 1 : 0;
    case Op.Ne:
      return a !== b ? 1 : 0;
    case Op.And:
      return a !== 0 && b !== 0 ? 1 : 0;
    case Op.Or:
      return a !== 0 || b !== 0 ? 1 : 0;
  }
}

const UNARY_OPS = new Set<Op>([
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
]);

/** True when `op` takes one argument. */
export function isUnaryOp(op: Op): op is UnaryOp {
  return UNARY_OPS.has(op);
}

const COMPARISONS = new Set<Op>([Op.Lt, Op.Le, Op.Gt, Op.Ge, Op.Eq, Op.Ne, Op.And, Op.Or, Op.Not]);

/** True for comparisons and logic (results are 0 or 1, derivatives are 0). */
export function isLogical(op: Op): boolean {
  return COMPARISONS.has(op);
}

/**
 * Builds hash-consed, simplified expression nodes. One factory per model: every node of the
 * model's equations, observables, initial values and derivatives lives in it.
 *
 * @example
 * ```ts
 * const f = new ExprFactory();
 * const x = f.state(0);
 * const a = f.mul(f.constant(2), f.sin(x));
 * a === f.mul(f.constant(2), f.sin(x)); // true: the same node
 * f.add(a, f.constant(0)) === a;        // true: x + 0 = x
 * ```
 */
export class ExprFactory {
  private readonly table = new Map<string, Expr>();
  private nextId = 0;

  /** Number of distinct nodes built so far. */
  get size(): number {
    return this.table.size;
  }

  private make(op: Op, args: readonly Expr[], value = 0, index = -1, index2 = -1): Expr {
    let key = op as string;
    for (const a of args) key += `,${a.id}`;
    if (op === Op.Const) key += `:${Object.is(value, -0) ? '-0' : String(value)}`;
    if (index >= 0) key += `#${index}.${index2}`;
    const found = this.table.get(key);
    if (found !== undefined) return found;
    const e = new Expr(this.nextId++, op, args, value, index, index2);
    this.table.set(key, e);
    return e;
  }

  // Leaves

  /** A numeric constant (any double, including −0, NaN and ±Inf). */
  constant(value: number): Expr {
    return this.make(Op.Const, [], value);
  }
  /** The time t. */
  time(): Expr {
    return this.make(Op.Time, []);
  }
  /** State number `i`. */
  state(i: number): Expr {
    return this.make(Op.State, [], 0, i);
  }
  /** Parameter number `i`. */
  param(i: number): Expr {
    return this.make(Op.Param, [], 0, i);
  }
  /** Time-varying input number `i`. */
  input(i: number): Expr {
    return this.make(Op.Input, [], 0, i);
  }
  /** Static covariate number `i`. */
  covariate(i: number): Expr {
    return this.make(Op.Covariate, [], 0, i);
  }
  /** Output `output` of neural-network call number `call`. */
  netOut(call: number, output: number): Expr {
    return this.make(Op.NetOut, [], 0, call, output);
  }

  /** Any unary operation, simplified. */
  unary(op: UnaryOp, x: Expr): Expr {
    if (x.isConst && op !== Op.StopGrad) return this.constant(applyUnary(op, x.value));
    if (op === Op.Neg && x.op === Op.Neg) return x.args[0];
    if (op === Op.StopGrad && (x.isConst || x.op === Op.StopGrad)) return x;
    return this.make(op, [x]);
  }

  /** Any binary operation, simplified. */
  binary(op: BinaryOp, a: Expr, b: Expr): Expr {
    if (a.isConst && b.isConst) return this.constant(applyBinary(op, a.value, b.value));
    const isZero = (e: Expr) => e.isConst && e.value === 0;
    const isOne = (e: Expr) => e.isConst && e.value === 1;
    switch (op) {
      case Op.Add:
        if (isZero(a)) return b;
        if (isZero(b)) return a;
        if (b.op === Op.Neg) return this.binary(Op.Sub, a, b.args[0]);
        if (a.op === Op.Neg) return this.binary(Op.Sub, b, a.args[0]);
        break;
      case Op.Sub:
        if (isZero(b)) return a;
        if (isZero(a)) return this.unary(Op.Neg, b);
        if (a === b) return this.constant(0);
        if (b.op === Op.Neg) return this.binary(Op.Add, a, b.args[0]);
        break;
      case Op.Mul:
        if (isZero(a) || isZero(b)) return this.constant(0);
        if (isOne(a)) return b;
        if (isOne(b)) return a;
        if (a.isConst && a.value === -1) return this.unary(Op.Neg, b);
        if (b.isConst && b.value === -1) return this.unary(Op.Neg, a);
        if (a.op === Op.Neg && b.op === Op.Neg) return this.binary(Op.Mul, a.args[0], b.args[0]);
        if (a.op === Op.Neg) return this.unary(Op.Neg, this.binary(Op.Mul, a.args[0], b));
        if (b.op === Op.Neg) return this.unary(Op.Neg, this.binary(Op.Mul, a, b.args[0]));
        // Constants first, so that 2·x and x·2 are one node.
        if (b.isConst && !a.isConst) return this.make(Op.Mul, [b, a]);
        break;
      case Op.Div:
        if (isZero(a)) return this.constant(0);
        if (isOne(b)) return a;
        if (a.op === Op.Neg) return this.unary(Op.Neg, this.binary(Op.Div, a.args[0], b));
        break;
      case Op.Pow:
        if (b.isConst && b.value === 1) return a;
        if (b.isConst && b.value === 0) return this.constant(1);
        break;
      default:
        break;
    }
    if ((op === Op.Add || op === Op.Min || op === Op.Max) && b.isConst && !a.isConst)
      return this.make(op, [b, a]);
    return this.make(op, [a, b]);
  }

  /** select(cond, a, b), simplified when cond is constant or both branches agree. */
  select(cond: Expr, a: Expr, b: Expr): Expr {
    if (cond.isConst) return cond.value !== 0 ? a : b;
    if (a === b) return a;
    return this.make(Op.Select, [cond, a, b]);
  }

  // Convenience constructors

  neg(x: Expr): Expr {
    return this.unary(Op.Neg, x);
  }
  add(a: Expr, b: Expr): Expr {
    return this.binary(Op.Add, a, b);
  }
  sub(a: Expr, b: Expr): Expr {
    return this.binary(Op.Sub, a, b);
  }
  mul(a: Expr, b: Expr): Expr {
    return this.binary(Op.Mul, a, b);
  }
  div(a: Expr, b: Expr): Expr {
    return this.binary(Op.Div, a, b);
  }
  pow(a: Expr, b: Expr): Expr {
    return this.binary(Op.Pow, a, b);
  }
  exp(x: Expr): Expr {
    return this.unary(Op.Exp, x);
  }
  log(x: Expr): Expr {
    return this.unary(Op.Log, x);
  }
  sqrt(x: Expr): Expr {
    return this.unary(Op.Sqrt, x);
  }
  sin(x: Expr): Expr {
    return this.unary(Op.Sin, x);
  }
  cos(x: Expr): Expr {
    return this.unary(Op.Cos, x);
  }
  tanh(x: Expr): Expr {
    return this.unary(Op.Tanh, x);
  }
  sigmoid(x: Expr): Expr {
    return this.unary(Op.Sigmoid, x);
  }

  /** Σ terms (0 for none). */
  sum(terms: readonly Expr[]): Expr {
    let s = this.constant(0);
    for (const t of terms) s = this.add(s, t);
    return s;
  }

  /**
   * The Hill function xⁿ/(kⁿ + xⁿ), written with the primitives above.
   *
   * @example
   * ```ts
   * const f = new ExprFactory();
   * f.hill(f.state(0), f.constant(2), f.param(0)); // x²/(k² + x²)
   * ```
   */
  hill(x: Expr, n: Expr, k: Expr): Expr {
    const xn = this.pow(x, n);
    return this.div(xn, this.add(this.pow(k, n), xn));
  }
}

/**
 * The nodes reachable from `roots`, arguments before users (a topological order).
 *
 * @example
 * ```ts
 * const f = new ExprFactory();
 * topologicalOrder([f.add(f.state(0), f.state(1))]).length; // 3
 * ```
 */
export function topologicalOrder(roots: readonly Expr[]): Expr[] {
  const out: Expr[] = [];
  const seen = new Set<number>();
  // Iterative post-order, so deep expressions cannot overflow the stack.
  const stack: [Expr, number][] = [];
  for (const r of roots) {
    if (seen.has(r.id)) continue;
    stack.push([r, 0]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [e, k] = top;
      if (k < e.args.length) {
        top[1] = k + 1;
        const a = e.args[k];
        if (!seen.has(a.id)) stack.push([a, 0]);
      } else {
        stack.pop();
        if (!seen.has(e.id)) {
          seen.add(e.id);
          out.push(e);
        }
      }
    }
  }
  return out;
}

/**
 * Evaluates expressions by direct interpretation (slow; for tests, constant folding and
 * one-off evaluation). `leaf` gives the value of every symbol leaf.
 *
 * @example
 * ```ts
 * const f = new ExprFactory();
 * const e = f.mul(f.constant(3), f.state(0));
 * evaluate([e], (leaf) => (leaf.op === Op.State ? 2 : 0))[0]; // 6
 * ```
 */
export function evaluate(roots: readonly Expr[], leaf: (e: Expr) => number): number[] {
  const values = new Map<number, number>();
  for (const e of topologicalOrder(roots)) {
    let v: number;
    if (e.op === Op.Const) v = e.value;
    else if (e.isLeaf) v = leaf(e);
    else if (e.op === Op.Select)
      v = values.get(e.args[0].id)! !== 0 ? values.get(e.args[1].id)! : values.get(e.args[2].id)!;
    else if (isUnaryOp(e.op)) v = applyUnary(e.op, values.get(e.args[0].id)!);
    else v = applyBinary(e.op as BinaryOp, values.get(e.args[0].id)!, values.get(e.args[1].id)!);
    values.set(e.id, v);
  }
  return roots.map((r) => values.get(r.id)!);
}
