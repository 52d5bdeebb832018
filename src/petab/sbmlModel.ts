/**
 * An SBML model (plus what a PEtab problem adds: extra parameters, networks in the dynamics,
 * observables) → a model IR `Model` of `src/expr`, compiled by `compileModel` like any
 * model-language text.
 *
 * Semantics (SBML L2/L3): a species' symbol is its concentration (amount / compartment
 * size) unless `hasOnlySubstanceUnits`, in which case it is its amount; reactions change
 * amounts, so d[S]/dt = Σ stoichiometry·rate / size (or Σ stoichiometry·rate for amounts).
 * Boundary and constant species change only by rules. Assignment rules are inlined where
 * their variable is used (the IR shares the nodes); rate rules make their variable a state.
 * Initial values: initial assignment, else initialConcentration / initialAmount converted to
 * the species' units; a symbol in an initial expression means its initial value.
 */
import type { ExprNode } from '../expr/ast.js';
import { type Expr, ExprFactory } from '../expr/ir.js';
import {
  type DerivedDecl,
  type MlpArchitecture,
  Model,
  type NetCall,
  type NetDecl,
  type ObservableDecl,
  type ParamDecl,
  type StateDecl,
} from '../expr/model.js';
import { FormulaError, lowerExpr } from './lower.js';
import { SbmlError, type SbmlModel } from './sbml.js';

/** A network inside the dynamics (or observables): its input formulas and output names. */
export interface DynamicNetSpec {
  readonly name: string;
  /** Input formulas, in the network's (flattened) input order. */
  readonly inputs: readonly ExprNode[];
  readonly outputs: readonly string[];
}

/** An observable formula with its noise formula (the σ of the PEtab noise model). */
export interface ObservableSpec {
  readonly id: string;
  readonly formula: ExprNode;
  readonly noise: ExprNode;
}

/** What a PEtab problem adds to the SBML model. */
export interface ModelAdditions {
  /** Parameters that the SBML does not declare (PEtab parameters, placeholders, network inputs). */
  readonly extraParams: readonly { readonly name: string; readonly value: number }[];
  /** Networks evaluated inside the dynamics or observables. */
  readonly nets: readonly DynamicNetSpec[];
  /**
   * Symbols replaced by a network output everywhere (a PEtab id such as `net1_output1`, or a
   * model parameter that a network output sets): symbol → [network index in `nets`, output].
   */
  readonly replacements: ReadonlyMap<string, readonly [number, number]>;
  readonly observables: readonly ObservableSpec[];
}

/**
 * Placeholder architecture recorded in the IR's network declarations: PEtab networks are
 * evaluated by their own runtime (`GraphNetRuntime`), never by the MLP runtime.
 */
const EXTERNAL_NET: MlpArchitecture = { kind: 'mlp', hidden: [], activation: 'identity' };

/**
 * Builds the model IR.
 *
 * @example
 * ```ts
 * const model = sbmlToModel(parseSbml(xml, 'lv.xml'), { extraParams: [], nets: [], replacements: new Map(), observables: [] });
 * model.states.map((s) => s.name); // ['prey', 'predator']
 * ```
 */
export function sbmlToModel(sbml: SbmlModel, add: ModelAdditions): Model {
  const f = new ExprFactory();
  const file = `SBML model "${sbml.id}"`;
  const rateRules = new Map(sbml.rules.filter((r) => r.kind === 'rate').map((r) => [r.variable, r.math]));
  const assignRules = new Map(
    sbml.rules.filter((r) => r.kind === 'assignment').map((r) => [r.variable, r.math]),
  );
  for (const c of sbml.compartments) {
    if (!c.constant || rateRules.has(c.id) || assignRules.has(c.id))
      throw new SbmlError(
        `${file}: compartment "${c.id}" changes in time; non-constant compartments are not supported`,
      );
  }
  // States: species not set by assignment rules, and parameters with rate rules.
  const stateNames: string[] = [];
  for (const s of sbml.species) if (!assignRules.has(s.id)) stateNames.push(s.id);
  for (const p of sbml.parameters) if (rateRules.has(p.id)) stateNames.push(p.id);
  const stateIndex = new Map(stateNames.map((n, i) => [n, i]));
  // Parameters: SBML parameters that are neither rule variables nor derived from initial
  // assignments, compartments, then the additions.
  const params: ParamDecl[] = [];
  const paramIndex = new Map<string, number>();
  const addParam = (name: string, value: number) => {
    if (paramIndex.has(name)) return;
    paramIndex.set(name, params.length);
    params.push({
      name,
      value,
      lower: Number.NEGATIVE_INFINITY,
      upper: Number.POSITIVE_INFINITY,
      scale: 'lin',
      fixed: true,
    });
  };
  const extraNames = new Set(add.extraParams.map((p) => p.name));
  const derivedParams = new Map<string, ExprNode>();
  for (const p of sbml.parameters) {
    if (rateRules.has(p.id) || assignRules.has(p.id)) continue;
    const ia = sbml.initialAssignments.get(p.id);
    if (ia !== undefined && !extraNames.has(p.id)) derivedParams.set(p.id, ia);
    else addParam(p.id, p.value);
  }
  for (const c of sbml.compartments) addParam(c.id, c.size);
  for (const p of add.extraParams) {
    if (stateIndex.has(p.name) || assignRules.has(p.name))
      throw new SbmlError(
        `${file}: "${p.name}" is a model state or rule variable and cannot also be a parameter`,
      );
    if (paramIndex.has(p.name))
      params[paramIndex.get(p.name)!] = { ...params[paramIndex.get(p.name)!], value: p.value };
    else addParam(p.name, p.value);
  }
  const species = new Map(sbml.species.map((s) => [s.id, s]));
  const compartmentExpr = (id: string): Expr => {
    const i = paramIndex.get(id);
    if (i === undefined) throw new SbmlError(`${file}: unknown compartment "${id}"`);
    return f.param(i);
  };
  // Networks of the dynamics: one call per network on its declared inputs.
  const netDecls: NetDecl[] = [];
  const calls: NetCall[] = [];

  // Name resolution, in the dynamics (`initial` false) or for initial values (true).
  const memo = [new Map<string, Expr>(), new Map<string, Expr>()];
  const active = new Set<string>();
  const resolveIn =
    (initial: boolean, local?: ReadonlyMap<string, number>) =>
    (name: string): Expr => {
      if (local?.has(name)) return f.constant(local.get(name)!);
      const m = memo[initial ? 1 : 0];
      const hit = m.get(name);
      if (hit !== undefined) return hit;
      const key = `${initial}:${name}`;
      if (active.has(key)) throw new SbmlError(`${file}: the definitions of "${name}" form a cycle`);
      active.add(key);
      try {
        const e = resolveName(name, initial);
        m.set(name, e);
        return e;
      } finally {
        active.delete(key);
      }
    };
  const lower = (
    node: ExprNode,
    where: string,
    initial: boolean,
    local?: ReadonlyMap<string, number>,
  ): Expr => {
    try {
      return lowerExpr(f, node, resolveIn(initial, local), where, sbml.functions);
    } catch (e) {
      if (e instanceof FormulaError || e instanceof SbmlError) throw e;
      throw new SbmlError(`${where}: ${(e as Error).message}`);
    }
  };
  const initialOf = (name: string): Expr => {
    const ia = sbml.initialAssignments.get(name);
    if (ia !== undefined) return lower(ia, `${file}: initial assignment of "${name}"`, true);
    const s = species.get(name);
    if (s !== undefined) {
      const size = compartmentExpr(s.compartment);
      if (s.initialConcentration !== null)
        return s.hasOnlySubstanceUnits
          ? f.mul(f.constant(s.initialConcentration), size)
          : f.constant(s.initialConcentration);
      if (s.initialAmount !== null)
        return s.hasOnlySubstanceUnits
          ? f.constant(s.initialAmount)
          : f.div(f.constant(s.initialAmount), size);
      throw new SbmlError(`${file}: species "${name}" has no initial amount, concentration or assignment`);
    }
    const p = sbml.parameters.find((q) => q.id === name);
    if (p !== undefined) return f.constant(p.value);
    throw new SbmlError(`${file}: no initial value for "${name}"`);
  };
  const resolveName = (name: string, initial: boolean): Expr => {
    const rep = add.replacements.get(name);
    if (rep !== undefined) {
      if (initial)
        throw new SbmlError(
          `${file}: "${name}" is set by a network inside the dynamics and cannot be used in an initial value`,
        );
      return f.netOut(rep[0], rep[1]);
    }
    const rule = assignRules.get(name);
    if (rule !== undefined) return lower(rule, `${file}: assignment rule for "${name}"`, initial);
    const dp = derivedParams.get(name);
    if (dp !== undefined) return lower(dp, `${file}: initial assignment of "${name}"`, true);
    const si = stateIndex.get(name);
    if (si !== undefined) return initial ? initialOf(name) : f.state(si);
    const pi = paramIndex.get(name);
    if (pi !== undefined) return f.param(pi);
    if (sbml.reactions.some((r) => r.id === name))
      throw new SbmlError(`${file}: reaction ids ("${name}") in formulas are not supported`);
    throw new SbmlError(
      `unknown symbol "${name}" (not a species, parameter, compartment, rule variable or PEtab parameter)`,
    );
  };

  add.nets.forEach((n, k) => {
    const inputs = n.inputs.map((e, i) => lower(e, `network "${n.name}" input ${i}`, false));
    netDecls.push({ name: n.name, inputs, outputs: n.outputs, architecture: EXTERNAL_NET });
    calls.push({ net: k, inputs });
  });

  // Equations.
  const rhs: Expr[] = stateNames.map(() => f.constant(0));
  const derivedDecls: DerivedDecl[] = [];
  for (const r of sbml.reactions) {
    const v = lower(r.rate, `${file}: kinetic law of reaction "${r.id}"`, false, r.localParameters);
    const apply = (sp: string, stoich: number) => {
      const s = species.get(sp);
      if (s === undefined)
        throw new SbmlError(`${file}: reaction "${r.id}" refers to unknown species "${sp}"`);
      if (s.boundaryCondition || s.constant || rateRules.has(sp) || assignRules.has(sp)) return;
      const i = stateIndex.get(sp)!;
      let term = f.mul(f.constant(stoich), v);
      if (!s.hasOnlySubstanceUnits) term = f.div(term, compartmentExpr(s.compartment));
      rhs[i] = f.add(rhs[i], term);
    };
    for (const x of r.reactants) apply(x.species, -x.stoichiometry);
    for (const x of r.products) apply(x.species, x.stoichiometry);
  }
  for (const [name, math] of rateRules) {
    const i = stateIndex.get(name);
    if (i === undefined)
      throw new SbmlError(`${file}: rate rule for "${name}", which is not a species or parameter`);
    rhs[i] = lower(math, `${file}: rate rule for "${name}"`, false);
  }
  const states: StateDecl[] = stateNames.map((name) => ({ name, initial: initialOf(name) }));
  for (const name of assignRules.keys()) {
    if (
      !stateIndex.has(name) &&
      !paramIndex.has(name) &&
      !species.has(name) &&
      !sbml.parameters.some((p) => p.id === name)
    )
      throw new SbmlError(`${file}: assignment rule for unknown symbol "${name}"`);
    derivedDecls.push({ name, expr: resolveIn(false)(name) });
  }
  const observables: ObservableDecl[] = add.observables.map((o) => ({
    name: o.id,
    expr: lower(o.formula, `observable "${o.id}": observableFormula`, false),
    noise: { kind: 'normal', sigma: lower(o.noise, `observable "${o.id}": noiseFormula`, false) },
  }));
  return new Model({
    name: sbml.id,
    factory: f,
    params,
    states,
    inputs: [],
    covariates: [],
    derived: derivedDecls,
    nets: netDecls,
    calls,
    equations: rhs,
    observables,
    doses: [],
  });
}
