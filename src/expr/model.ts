/**
 * The model IR: the declarations of a mechanistic (or hybrid) model and its equations as
 * expression DAGs in one {@link ExprFactory}. Both the text format (`parse.ts`) and the
 * TypeScript builder (`builder.ts`) produce a `Model`; the compiler (`compile.ts`) turns it
 * into fast batched code.
 */
import { type Expr, type ExprFactory, Op, topologicalOrder } from './ir.js';

/** Where a declaration came from in a model text (1-based line and column). */
export interface SourceLocation {
  readonly line: number;
  readonly column: number;
}

/** How a parameter is transformed for estimation: θ = s(φ) with φ unconstrained. */
export type ParamScale = 'lin' | 'log' | 'logit';

/** A parameter: default value, bounds, estimation scale, fixed or estimated. */
export interface ParamDecl {
  readonly name: string;
  readonly value: number;
  readonly lower: number;
  readonly upper: number;
  readonly scale: ParamScale;
  readonly fixed: boolean;
  readonly loc?: SourceLocation;
}

/** A state with its initial value (an expression of parameters and covariates). */
export interface StateDecl {
  readonly name: string;
  readonly initial: Expr;
  readonly loc?: SourceLocation;
}

/** How a time-varying input is interpolated between its data points. */
export type Interpolation = 'step' | 'linear';

/** A time-varying exogenous input (meals, insulin rates, a covariate over time). */
export interface InputDecl {
  readonly name: string;
  readonly interpolation: Interpolation;
  readonly loc?: SourceLocation;
}

/** A static (per-subject) covariate, with an optional default value. */
export interface CovariateDecl {
  readonly name: string;
  readonly defaultValue: number | null;
  readonly loc?: SourceLocation;
}

/** A named intermediate quantity. Its expression is inlined where it is used (the DAG shares it). */
export interface DerivedDecl {
  readonly name: string;
  readonly expr: Expr;
  readonly loc?: SourceLocation;
}

/** The activations a network of the model language may use. */
export const MLP_ACTIVATIONS: readonly MlpArchitecture['activation'][] = [
  'tanh',
  'relu',
  'sigmoid',
  'gelu',
  'silu',
  'softplus',
  'elu',
  'rbf',
  'identity',
];

/** A multilayer perceptron: hidden widths and activation. */
export interface MlpArchitecture {
  readonly kind: 'mlp';
  readonly hidden: readonly number[];
  readonly activation:
    | 'tanh'
    | 'relu'
    | 'sigmoid'
    | 'gelu'
    | 'silu'
    | 'softplus'
    | 'elu'
    | 'rbf'
    | 'identity';
}

/**
 * A neural network declared in the model: its name, its input expressions (the default
 * call), its named outputs and its architecture.
 */
export interface NetDecl {
  readonly name: string;
  readonly inputs: readonly Expr[];
  readonly outputs: readonly string[];
  readonly architecture: MlpArchitecture;
  readonly loc?: SourceLocation;
}

/**
 * One evaluation site of a network: which net (index into `nets`) on which input
 * expressions. `netOut(call, k)` leaves refer to calls. The declared inputs form call number
 * `net index` … calls with other arguments (weight sharing) come after.
 */
export interface NetCall {
  readonly net: number;
  readonly inputs: readonly Expr[];
  /**
   * Set for a gradient call (`grad(F.a, x)` in the text): the call then evaluates the input
   * gradient of output `gradOf` instead of the network itself, so that its outputs are
   * ∂F_gradOf/∂x_m for m = 0 … inputs.length − 1 (one per input, see {@link callOutputCount}).
   * Hamiltonian neural networks are written this way: `d/dt q = grad(H.e, p)`.
   */
  readonly gradOf?: number;
}

/**
 * How many outputs a network call has: the network's outputs for an ordinary call, its
 * number of inputs for a gradient call ({@link NetCall.gradOf}).
 *
 * @example
 * ```ts
 * const m = parseModel(`
 *   state q = 1
 *   state p = 0
 *   net H(q, p) -> (e) : mlp(8, tanh)
 *   d/dt q = grad(H.e, p)
 *   d/dt p = -grad(H.e, q)
 * `);
 * m.calls.map((c) => callOutputCount(m, c)); // [1, 2]: H itself, then ∇H
 * ```
 */
export function callOutputCount(m: Pick<ModelParts, 'nets'>, call: NetCall): number {
  return call.gradOf === undefined ? m.nets[call.net].outputs.length : call.inputs.length;
}

/** Measurement noise of an observable. */
export interface NoiseModel {
  readonly kind: 'normal' | 'lognormal';
  readonly sigma: Expr;
}

/** An observable: what is measured, as an expression of the states, and its noise model. */
export interface ObservableDecl {
  readonly name: string;
  readonly expr: Expr;
  readonly noise: NoiseModel;
  readonly loc?: SourceLocation;
}

/** A dosing route: boluses jump the target state; infusions add a rate to its derivative. */
export interface DoseDecl {
  readonly name: string;
  readonly kind: 'bolus' | 'infusion';
  readonly target: number;
  readonly loc?: SourceLocation;
}

/** All the parts of a model; see {@link Model}. */
export interface ModelParts {
  readonly name: string;
  readonly description?: string;
  readonly factory: ExprFactory;
  readonly params: readonly ParamDecl[];
  readonly states: readonly StateDecl[];
  readonly inputs: readonly InputDecl[];
  readonly covariates: readonly CovariateDecl[];
  readonly derived: readonly DerivedDecl[];
  readonly nets: readonly NetDecl[];
  readonly calls: readonly NetCall[];
  /** d/dt of each state, in state order. */
  readonly equations: readonly Expr[];
  readonly observables: readonly ObservableDecl[];
  readonly doses: readonly DoseDecl[];
}

/** Thrown for a model that is not well formed; the message says where and how to fix it. */
export class ModelError extends Error {
  constructor(
    message: string,
    readonly loc?: SourceLocation,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

/**
 * A validated model. Immutable.
 *
 * @example
 * ```ts
 * const m = parseModel(`
 *   model decay
 *   param k = 0.5 in [0.01, 10] scale log
 *   state x = 1
 *   d/dt x = -k*x
 *   obs y = x ~ normal(0.1)
 * `);
 * m.states.map((s) => s.name); // ['x']
 * ```
 */
export class Model implements ModelParts {
  readonly name: string;
  readonly description?: string;
  readonly factory: ExprFactory;
  readonly params: readonly ParamDecl[];
  readonly states: readonly StateDecl[];
  readonly inputs: readonly InputDecl[];
  readonly covariates: readonly CovariateDecl[];
  readonly derived: readonly DerivedDecl[];
  readonly nets: readonly NetDecl[];
  readonly calls: readonly NetCall[];
  readonly equations: readonly Expr[];
  readonly observables: readonly ObservableDecl[];
  readonly doses: readonly DoseDecl[];

  constructor(parts: ModelParts) {
    this.name = parts.name;
    this.description = parts.description;
    this.factory = parts.factory;
    this.params = parts.params;
    this.states = parts.states;
    this.inputs = parts.inputs;
    this.covariates = parts.covariates;
    this.derived = parts.derived;
    this.nets = parts.nets;
    this.calls = parts.calls;
    this.equations = parts.equations;
    this.observables = parts.observables;
    this.doses = parts.doses;
    validate(this);
  }

  /** Number of states. */
  get dim(): number {
    return this.states.length;
  }

  /** Index of the state with this name, or −1. */
  stateIndex(name: string): number {
    return this.states.findIndex((s) => s.name === name);
  }

  /** Index of the parameter with this name, or −1. */
  paramIndex(name: string): number {
    return this.params.findIndex((p) => p.name === name);
  }

  /** Default parameter values, in declaration order. */
  defaultParams(): Float64Array {
    return Float64Array.from(this.params, (p) => p.value);
  }
}

function validate(m: Model): void {
  const seen = new Map<string, string>();
  const claim = (name: string, what: string, loc?: SourceLocation) => {
    const prev = seen.get(name);
    if (prev !== undefined) {
      throw new ModelError(
        `${where(loc)}the name "${name}" is declared twice (as ${prev} and as ${what}); rename one of them`,
        loc,
      );
    }
    seen.set(name, what);
  };
  for (const p of m.params) claim(p.name, 'a parameter', p.loc);
  for (const s of m.states) claim(s.name, 'a state', s.loc);
  for (const u of m.inputs) claim(u.name, 'an input', u.loc);
  for (const c of m.covariates) claim(c.name, 'a covariate', c.loc);
  for (const d of m.derived) claim(d.name, 'a derived variable', d.loc);
  for (const n of m.nets) claim(n.name, 'a network', n.loc);
  const obsNames = new Set<string>();
  for (const o of m.observables) {
    if (obsNames.has(o.name))
      throw new ModelError(`${where(o.loc)}observable "${o.name}" is declared twice`, o.loc);
    obsNames.add(o.name);
  }
  if (m.equations.length !== m.states.length) {
    throw new ModelError(`model ${m.name}: ${m.states.length} states but ${m.equations.length} equations`);
  }
  for (const p of m.params) {
    if (!(p.lower <= p.value && p.value <= p.upper)) {
      throw new ModelError(
        `${where(p.loc)}parameter "${p.name}" = ${p.value} lies outside its bounds [${p.lower}, ${p.upper}]`,
        p.loc,
      );
    }
    if (p.scale === 'log' && !(p.lower >= 0)) {
      throw new ModelError(
        `${where(p.loc)}parameter "${p.name}" has scale log but its lower bound ${p.lower} is negative; ` +
          'use bounds within [0, ∞) or scale lin',
        p.loc,
      );
    }
    if (p.scale === 'logit' && !(p.lower >= 0 && p.upper <= 1)) {
      throw new ModelError(
        `${where(p.loc)}parameter "${p.name}" has scale logit but bounds [${p.lower}, ${p.upper}] are not within [0, 1]`,
        p.loc,
      );
    }
  }
  for (const d of m.doses) {
    if (!(d.target >= 0 && d.target < m.states.length)) {
      throw new ModelError(`${where(d.loc)}dose "${d.name}" targets no state`, d.loc);
    }
  }
  // Leaves must refer to declared symbols; initial values may not depend on states, inputs,
  // time, or networks of these (networks of parameters and covariates are allowed).
  const staticCall = staticCalls(m);
  const check = (e: Expr, context: string, loc?: SourceLocation, initial = false) => {
    for (const n of topologicalOrder([e])) {
      const bad =
        (n.op === Op.State && (n.index >= m.states.length || initial)) ||
        (n.op === Op.Param && n.index >= m.params.length) ||
        (n.op === Op.Input && (n.index >= m.inputs.length || initial)) ||
        (n.op === Op.Covariate && n.index >= m.covariates.length) ||
        (n.op === Op.NetOut && (n.index >= m.calls.length || (initial && !staticCall[n.index]))) ||
        (n.op === Op.Time && initial);
      if (bad) {
        const why = initial
          ? 'an initial value may depend only on parameters, covariates and networks of these (not on states, inputs or t)'
          : `it refers to an undeclared ${n.op} number ${n.index}`;
        throw new ModelError(`${where(loc)}${context}: ${why}`, loc);
      }
    }
  };
  m.states.forEach((s, i) => {
    check(s.initial, `initial value of state "${s.name}"`, s.loc, true);
    check(m.equations[i], `equation of state "${s.name}"`, s.loc);
  });
  for (const o of m.observables) {
    check(o.expr, `observable "${o.name}"`, o.loc);
    check(o.noise.sigma, `noise of observable "${o.name}"`, o.loc);
  }
  m.calls.forEach((c) => {
    const net = m.nets[c.net];
    if (net === undefined) throw new ModelError(`model ${m.name}: a network call refers to no network`);
    if (c.inputs.length !== net.inputs.length) {
      throw new ModelError(
        `${where(net.loc)}network "${net.name}" takes ${net.inputs.length} inputs but is called with ${c.inputs.length}`,
        net.loc,
      );
    }
    if (
      c.gradOf !== undefined &&
      !(Number.isInteger(c.gradOf) && c.gradOf >= 0 && c.gradOf < net.outputs.length)
    ) {
      throw new ModelError(
        `${where(net.loc)}a gradient call of network "${net.name}" differentiates output number ${c.gradOf}, ` +
          `but the network has ${net.outputs.length} output${net.outputs.length === 1 ? '' : 's'}`,
        net.loc,
      );
    }
    c.inputs.forEach((e) => {
      check(e, `input of network "${net.name}"`, net.loc);
    });
  });
  checkNetOrder(m);
}

/** Network inputs may use other networks' outputs, but not in a cycle. */
function checkNetOrder(m: Model): void {
  const state = new Array<number>(m.calls.length).fill(0); // 0 new, 1 on stack, 2 done
  const visit = (c: number, path: string[]) => {
    if (state[c] === 2) return;
    const name = m.nets[m.calls[c].net].name;
    if (state[c] === 1) {
      throw new ModelError(
        `networks form a cycle: ${[...path, name].join(' → ')}; a network may not depend on itself`,
      );
    }
    state[c] = 1;
    for (const e of m.calls[c].inputs) {
      for (const n of topologicalOrder([e])) if (n.op === Op.NetOut) visit(n.index, [...path, name]);
    }
    state[c] = 2;
  };
  for (let c = 0; c < m.calls.length; c++) visit(c, []);
}

/**
 * For each network call: whether its inputs depend only on parameters, covariates, numbers
 * and outputs of such calls (a static, per-subject call: "ML first" parameter and
 * initial-state networks). Calls in a cycle count as not static.
 *
 * @example
 * ```ts
 * const m = parseModel(`
 *   covariate WT = 70
 *   state x = 1
 *   net P(WT/70) -> (k) : mlp(4, tanh)
 *   net F(x) -> (a) : mlp(4, tanh)
 *   d/dt x = -exp(P.k)*x + F.a
 * `);
 * staticCalls(m); // [true, false]
 * ```
 */
export function staticCalls(m: ModelParts): boolean[] {
  const memo = new Array<number>(m.calls.length).fill(0); // 0 unknown, 1 static, 2 not, 3 on path
  const visit = (c: number): boolean => {
    if (c < 0 || c >= m.calls.length) return false;
    if (memo[c] === 1 || memo[c] === 2) return memo[c] === 1;
    if (memo[c] === 3) return false;
    memo[c] = 3;
    const ok = topologicalOrder(m.calls[c].inputs).every(
      (n) =>
        !n.isLeaf ||
        n.op === Op.Const ||
        n.op === Op.Param ||
        n.op === Op.Covariate ||
        (n.op === Op.NetOut && visit(n.index)),
    );
    memo[c] = ok ? 1 : 2;
    return ok;
  };
  return m.calls.map((_, c) => visit(c));
}

/** The calls in an order where each call's inputs use only earlier calls' outputs. */
export function callOrder(m: Model): number[] {
  const order: number[] = [];
  const done = new Set<number>();
  const visit = (c: number) => {
    if (done.has(c)) return;
    done.add(c);
    for (const e of m.calls[c].inputs) {
      for (const n of topologicalOrder([e])) if (n.op === Op.NetOut) visit(n.index);
    }
    order.push(c);
  };
  for (let c = 0; c < m.calls.length; c++) visit(c);
  return order;
}

function where(loc?: SourceLocation): string {
  return loc === undefined ? '' : `line ${loc.line}, column ${loc.column}: `;
}
