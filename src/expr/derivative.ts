/**
 * Symbolic differentiation of expression DAGs.
 *
 * Derivatives are built in the same {@link ExprFactory} as the expressions, so they share
 * subexpressions with the values (the derivative of tanh u reuses the node tanh u) and are
 * simplified as they are built: terms that do not depend on the variable vanish, which also
 * gives the structural sparsity of Jacobians.
 *
 * Conventions: comparisons, logic, `sign` and `stopgrad` have derivative 0; at a tie, min
 * and max take the derivative of their first argument; select(c, a, b) differentiates the
 * branch it selects.
 */
import { type Expr, type ExprFactory, Op } from './ir.js';

/**
 * d`e`/d`wrt`, where `wrt` is a leaf (a state, parameter, input, covariate, network output
 * or the time). `memo` caches derivatives of shared subexpressions with respect to the same
 * leaf; pass the same map to differentiate several expressions by one leaf.
 *
 * @example
 * ```ts
 * const f = new ExprFactory();
 * const x = f.state(0);
 * const d = differentiate(f, f.mul(x, f.sin(x)), x); // sin x + x·cos x
 * ```
 */
export function differentiate(f: ExprFactory, e: Expr, wrt: Expr, memo: Map<number, Expr> = new Map()): Expr {
  if (!wrt.isLeaf || wrt.isConst)
    throw new Error(`differentiate: can only differentiate by a symbol, not ${wrt.op}`);
  const zero = f.constant(0);
  const one = f.constant(1);
  // Iterative post-order so that deep expressions cannot overflow the stack.
  const stack: Expr[] = [e];
  while (stack.length > 0) {
    const n = stack[stack.length - 1];
    if (memo.has(n.id)) {
      stack.pop();
      continue;
    }
    if (n.isLeaf) {
      memo.set(n.id, n === wrt ? one : zero);
      stack.pop();
      continue;
    }
    const pending = n.args.filter((a) => !memo.has(a.id));
    if (pending.length > 0) {
      stack.push(...pending);
      continue;
    }
    stack.pop();
    memo.set(
      n.id,
      rule(
        f,
        n,
        n.args.map((a) => memo.get(a.id)!),
      ),
    );
  }
  return memo.get(e.id)!;
}

/** The derivative of node `n` given its arguments' derivatives `d`. */
function rule(f: ExprFactory, n: Expr, d: readonly Expr[]): Expr {
  const a = n.args[0];
  const da = d[0];
  const zero = f.constant(0);
  const isZero = (x: Expr) => x.isConst && x.value === 0;
  switch (n.op) {
    case Op.Neg:
      return f.neg(da);
    case Op.Add:
      return f.add(da, d[1]);
    case Op.Sub:
      return f.sub(da, d[1]);
    case Op.Mul:
      return f.add(f.mul(da, n.args[1]), f.mul(a, d[1]));
    case Op.Div:
      // (a/b)' = (a' − (a/b)·b')/b
      return f.div(f.sub(da, f.mul(n, d[1])), n.args[1]);
    case Op.Pow: {
      const b = n.args[1];
      const db = d[1];
      // (aᵇ)' = b·a^(b−1)·a' + aᵇ·log(a)·b'
      const viaBase = isZero(da) ? zero : f.mul(f.mul(b, f.pow(a, f.sub(b, f.constant(1)))), da);
      const viaExponent = isZero(db) ? zero : f.mul(f.mul(n, f.log(a)), db);
      return f.add(viaBase, viaExponent);
    }
    case Op.Exp:
      return f.mul(n, da);
    case Op.Log:
      return f.div(da, a);
    case Op.Log1p:
      return f.div(da, f.add(f.constant(1), a));
    case Op.Expm1:
      return f.mul(f.add(n, f.constant(1)), da);
    case Op.Sqrt:
      return f.div(da, f.mul(f.constant(2), n));
    case Op.Sin:
      return f.mul(f.cos(a), da);
    case Op.Cos:
      return f.neg(f.mul(f.sin(a), da));
    case Op.Tan:
      return f.mul(f.add(f.constant(1), f.mul(n, n)), da);
    case Op.Tanh:
      return f.mul(f.sub(f.constant(1), f.mul(n, n)), da);
    case Op.Sigmoid:
      return f.mul(f.mul(n, f.sub(f.constant(1), n)), da);
    case Op.Softplus:
      return f.mul(f.sigmoid(a), da);
    case Op.Abs:
      return f.mul(f.unary(Op.Sign, a), da);
    case Op.Min:
      return f.select(f.binary(Op.Le, a, n.args[1]), da, d[1]);
    case Op.Max:
      return f.select(f.binary(Op.Ge, a, n.args[1]), da, d[1]);
    case Op.Select:
      return f.select(a, d[1], d[2]);
    case Op.Sign:
    case Op.StopGrad:
    case Op.Lt:
    case Op.Le:
    case Op.Gt:
    case Op.Ge:
    case Op.Eq:
    case Op.Ne:
    case Op.And:
    case Op.Or:
    case Op.Not:
      return zero;
    default:
      throw new Error(`differentiate: no rule for ${n.op}`);
  }
}

/**
 * The matrix of partial derivatives ∂eᵢ/∂vⱼ of several expressions by several leaves, as
 * expressions (structural zeros are the constant 0).
 *
 * @example
 * ```ts
 * const f = new ExprFactory();
 * const [x, y] = [f.state(0), f.state(1)];
 * const J = jacobianExprs(f, [f.mul(x, y), f.sin(x)], [x, y]); // [[y, x], [cos x, 0]]
 * ```
 */
export function jacobianExprs(f: ExprFactory, exprs: readonly Expr[], wrt: readonly Expr[]): Expr[][] {
  const columns = wrt.map((v) => {
    const memo = new Map<number, Expr>();
    return exprs.map((e) => differentiate(f, e, v, memo));
  });
  return exprs.map((_, i) => wrt.map((_, j) => columns[j][i]));
}
