/**
 * The reduced model of a hybrid model: the same equations with some (or all) networks
 * replaced by their null version, the network whose every output is 0. For an additive
 * closure `d/dt v = f(x) + F.v` this is the mechanistic model `d/dt v = f(x)`; for an output
 * correction `obs y = x + R.out` it is the uncorrected observable. The regularizers that
 * compare a model with its physics (physics-alone fit, reduced-model discrepancy, the split of
 * the vector field into a mechanistic part and a closure) are built on it.
 */
import { type BinaryOp, type Expr, type ExprFactory, isUnaryOp, Op, topologicalOrder } from '../expr/ir.js';
import { Model } from '../expr/model.js';

/**
 * The model with the outputs of the networks named in `nets` (default: every network)
 * replaced by the constant 0 wherever they are used: equations, observables, noise scales,
 * derived quantities, initial values and other networks' inputs. Parameters, states and the
 * declared networks and calls are kept, so the parameter tree of the full model fits the
 * reduced one unchanged (the nulled networks simply receive zero gradients).
 *
 * @param model The hybrid model.
 * @param nets Names of the networks to switch off (default: all).
 * @returns A new {@link Model} named `<name>_null`.
 * @throws RangeError for a name that is not a network of the model.
 * @example
 * ```ts
 * const m = parseModel(`
 *   param w0 = 1
 *   state x = 1
 *   state v = 0
 *   net F(x, v) -> (a) : mlp(8, tanh)
 *   d/dt x = v
 *   d/dt v = -w0^2*sin(x) + F.a
 * `);
 * nullNetsModel(m); // d/dt v = -w0^2*sin(x)
 * ```
 */
export function nullNetsModel(model: Model, nets?: readonly string[]): Model {
  const names = nets ?? model.nets.map((n) => n.name);
  for (const name of names) {
    if (!model.nets.some((n) => n.name === name)) {
      throw new RangeError(
        `nullNetsModel: model ${model.name} has no network "${name}"; its networks are ${
          model.nets.map((n) => n.name).join(', ') || '(none)'
        }`,
      );
    }
  }
  const off = new Set(names);
  const nulled = model.calls.map((c) => off.has(model.nets[c.net].name));
  const f = model.factory;
  const memo = new Map<number, Expr>();
  const map = (e: Expr): Expr => {
    for (const n of topologicalOrder([e])) {
      if (memo.has(n.id)) continue;
      memo.set(n.id, rebuild(f, n, memo, nulled));
    }
    return memo.get(e.id)!;
  };
  return new Model({
    name: `${model.name}_null`,
    ...(model.description === undefined ? {} : { description: model.description }),
    factory: f,
    params: model.params,
    states: model.states.map((s) => ({ ...s, initial: map(s.initial) })),
    inputs: model.inputs,
    covariates: model.covariates,
    derived: model.derived.map((d) => ({ ...d, expr: map(d.expr) })),
    nets: model.nets,
    calls: model.calls.map((c) => ({ ...c, inputs: c.inputs.map(map) })),
    equations: model.equations.map(map),
    observables: model.observables.map((o) => ({
      ...o,
      expr: map(o.expr),
      noise: { kind: o.noise.kind, sigma: map(o.noise.sigma) },
    })),
    doses: model.doses,
  });
}

/** One node rebuilt from its (already rebuilt) arguments; a nulled network output becomes 0. */
function rebuild(f: ExprFactory, e: Expr, memo: ReadonlyMap<number, Expr>, nulled: readonly boolean[]): Expr {
  if (e.op === Op.NetOut) return nulled[e.index] ? f.constant(0) : e;
  if (e.isLeaf) return e;
  const args = e.args.map((a) => memo.get(a.id)!);
  if (args.every((a, i) => a === e.args[i])) return e;
  if (e.op === Op.Select) return f.select(args[0], args[1], args[2]);
  if (isUnaryOp(e.op)) return f.unary(e.op, args[0]);
  return f.binary(e.op as BinaryOp, args[0], args[1]);
}
