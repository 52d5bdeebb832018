/**
 * The dependency graph of a model: an edge u → v when state or input u appears in dv/dt,
 * with the additive terms of dv/dt that it appears in. Structure-aware sparsification (HGS)
 * and the report's graph view build on it.
 */
import { type Expr, type ExprFactory, Op, topologicalOrder } from './ir.js';
import type { Model } from './model.js';
import { printExpr } from './print.js';

/** One edge of the dependency graph. */
export interface DependencyEdge {
  /** Name of the source state or input. */
  readonly from: string;
  /** Name of the target state. */
  readonly to: string;
  /** Whether the source is a state or an exogenous input. */
  readonly kind: 'state' | 'input';
  /** The additive terms of d(to)/dt in which the source appears (signs included). */
  readonly terms: readonly Expr[];
  /** The same terms as model-language text, e.g. `-k1 * Gp`. */
  readonly termText: readonly string[];
  /** Networks through which the source reaches the target, if any. */
  readonly via: readonly string[];
}

/** A model's states and inputs and the edges between them. */
export interface DependencyGraph {
  readonly states: readonly string[];
  readonly inputs: readonly string[];
  readonly edges: readonly DependencyEdge[];
}

/**
 * Splits an expression into its top-level additive terms: a − (b + c) gives a, −b, −c; a
 * clamp `if c then a + b else 0` gives `if c then a else 0` and `if c then b else 0`.
 *
 * @example
 * ```ts
 * const f = new ExprFactory();
 * additiveTerms(f, f.sub(f.state(0), f.add(f.state(1), f.param(0)))).length; // 3
 * ```
 */
export function additiveTerms(f: ExprFactory, e: Expr): Expr[] {
  switch (e.op) {
    case Op.Add:
      return [...additiveTerms(f, e.args[0]), ...additiveTerms(f, e.args[1])];
    case Op.Sub:
      return [...additiveTerms(f, e.args[0]), ...additiveTerms(f, e.args[1]).map((t) => f.neg(t))];
    case Op.Neg:
      return additiveTerms(f, e.args[0]).map((t) => f.neg(t));
    case Op.Select: {
      // A clamp such as `if x >= 0 then a + b else 0` distributes over its sum.
      const [c, a, b] = e.args;
      const zero = (x: Expr) => x.isConst && x.value === 0;
      if (zero(b)) return additiveTerms(f, a).map((t) => f.select(c, t, b));
      if (zero(a)) return additiveTerms(f, b).map((t) => f.select(c, a, t));
      return [e];
    }
    default:
      return [e];
  }
}

/**
 * The states and inputs an expression depends on, following network outputs to the inputs of
 * their calls; also the networks passed through.
 */
function sources(
  model: Model,
  e: Expr,
): { states: Set<number>; inputs: Set<number>; nets: Map<string, Set<string>> } {
  const states = new Set<number>();
  const inputs = new Set<number>();
  // For each source name, the networks it reaches e through.
  const nets = new Map<string, Set<string>>();
  const visit = (root: Expr, through: readonly string[], seenCalls: Set<number>) => {
    for (const n of topologicalOrder([root])) {
      let name: string | null = null;
      if (n.op === Op.State) {
        states.add(n.index);
        name = `s:${n.index}`;
      } else if (n.op === Op.Input) {
        inputs.add(n.index);
        name = `u:${n.index}`;
      } else if (n.op === Op.NetOut && !seenCalls.has(n.index)) {
        const call = model.calls[n.index];
        const next = new Set(seenCalls).add(n.index);
        for (const x of call.inputs) visit(x, [...through, model.nets[call.net].name], next);
      }
      if (name !== null && through.length > 0) {
        const set = nets.get(name) ?? new Set<string>();
        for (const t of through) set.add(t);
        nets.set(name, set);
      }
    }
  };
  visit(e, [], new Set());
  return { states, inputs, nets };
}

/**
 * The dependency graph of `model`.
 *
 * @example
 * ```ts
 * const g = dependencyGraph(lotkaVolterraModel());
 * g.edges.map((e) => `${e.from}→${e.to}`); // ['x→x', 'y→x', 'x→y', 'y→y']
 * ```
 */
export function dependencyGraph(model: Model): DependencyGraph {
  const f = model.factory;
  const edges: DependencyEdge[] = [];
  model.equations.forEach((eq, v) => {
    const terms = additiveTerms(f, eq).map((t) => ({ t, s: sources(model, t) }));
    const all = sources(model, eq);
    const target = model.states[v].name;
    for (const u of [...all.states].sort((a, b) => a - b)) {
      const ts = terms.filter((x) => x.s.states.has(u)).map((x) => x.t);
      edges.push({
        from: model.states[u].name,
        to: target,
        kind: 'state',
        terms: ts,
        termText: ts.map((x) => printExpr(x, model)),
        via: [...(all.nets.get(`s:${u}`) ?? [])],
      });
    }
    for (const u of [...all.inputs].sort((a, b) => a - b)) {
      const ts = terms.filter((x) => x.s.inputs.has(u)).map((x) => x.t);
      edges.push({
        from: model.inputs[u].name,
        to: target,
        kind: 'input',
        terms: ts,
        termText: ts.map((x) => printExpr(x, model)),
        via: [...(all.nets.get(`u:${u}`) ?? [])],
      });
    }
  });
  return { states: model.states.map((s) => s.name), inputs: model.inputs.map((u) => u.name), edges };
}
