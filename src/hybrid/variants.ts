/**
 * Model variants derived from one hybrid model, so that every experiment gets its baselines
 * from the same definitions (same states, doses, observables and noise models):
 *
 * - {@link mechanisticOnly}: the networks switched off (their outputs replaced by 0, the
 *   "null" network) — the scientific model alone, or the reduced model of a regularizer;
 * - {@link neuralOnly}: every equation replaced by one network of the states (a neural ODE
 *   with the model's initial values, doses and observables);
 * - {@link withResidual}: "ML last" — a Δ network added to every observable,
 *   obs_k = h_k(x, p) + R(x, t, covariates)_k, optionally with the mechanistic parameters
 *   frozen at given values (the second stage of a two-stage residual model);
 * - {@link fixParameters}: parameters set to values and marked `fixed`;
 * - {@link baselines}: all of them at once.
 *
 * Variants are new {@link Model}s built on the same expression factory; print them with
 * `printModel` to see (and save) exactly what is fitted.
 */
import { type BinaryOp, type Expr, type ExprFactory, isUnaryOp, Op, topologicalOrder } from '../expr/ir.js';
import {
  type MlpArchitecture,
  Model,
  ModelError,
  type NetCall,
  type NetDecl,
  type ParamDecl,
} from '../expr/model.js';

/**
 * Rebuilds expressions bottom-up with `leaf` deciding each leaf's replacement (return the
 * leaf itself to keep it); simplification folds what becomes constant (F.a → 0 makes
 * `x + 0·y` read `x`). Memoized over the DAG.
 */
function rewriter(f: ExprFactory, leaf: (e: Expr) => Expr): (e: Expr) => Expr {
  const memo = new Map<number, Expr>();
  return (root: Expr) => {
    for (const e of topologicalOrder([root])) {
      if (memo.has(e.id)) continue;
      let out: Expr;
      if (e.isLeaf) out = leaf(e);
      else {
        const a = e.args.map((x) => memo.get(x.id)!);
        if (e.op === Op.Select) out = f.select(a[0], a[1], a[2]);
        else if (isUnaryOp(e.op)) out = f.unary(e.op, a[0]);
        else out = f.binary(e.op as BinaryOp, a[0], a[1]);
      }
      memo.set(e.id, out);
    }
    return memo.get(root.id)!;
  };
}

/**
 * A model with the given networks' outputs replaced by constants, the networks removed, and
 * the remaining calls renumbered (declared calls first, in network order, as the parser
 * makes them).
 */
function replaceNets(model: Model, names: readonly string[], value: number, who: string): Model {
  const f = model.factory;
  for (const n of names) {
    if (!model.nets.some((d) => d.name === n)) {
      throw new ModelError(
        `${who}: model ${model.name} has no network "${n}"; its networks are ${model.nets.map((d) => d.name).join(', ') || '(none)'}`,
      );
    }
  }
  const off = new Set(model.nets.flatMap((d, i) => (names.includes(d.name) ? [i] : [])));
  const keptNets = model.nets.flatMap((_, i) => (off.has(i) ? [] : [i]));
  const newNetIndex = new Map(keptNets.map((old, k) => [old, k]));
  // Old call → new call: the kept networks' declared calls first, then their other calls.
  const keptCalls = [
    ...keptNets,
    ...model.calls.flatMap((c, i) => (i >= model.nets.length && !off.has(c.net) ? [i] : [])),
  ];
  const newCall = new Map(keptCalls.map((old, k) => [old, k]));
  const zero = f.constant(value);
  const rw = rewriter(f, (e) => {
    if (e.op !== Op.NetOut) return e;
    const k = newCall.get(e.index);
    return k === undefined ? zero : f.netOut(k, e.index2);
  });
  const nets: NetDecl[] = keptNets.map((i) => ({ ...model.nets[i], inputs: model.nets[i].inputs.map(rw) }));
  const calls: NetCall[] = keptCalls.map((i) => ({
    ...model.calls[i], // keeps gradOf of gradient calls
    net: newNetIndex.get(model.calls[i].net)!,
    inputs: model.calls[i].inputs.map(rw),
  }));
  return rebuild(model, rw, { nets, calls });
}

/** The model with every expression rewritten by `rw` and the given parts replaced. */
function rebuild(
  model: Model,
  rw: (e: Expr) => Expr,
  parts: Partial<{
    name: string;
    params: readonly ParamDecl[];
    nets: readonly NetDecl[];
    calls: readonly NetCall[];
    equations: readonly Expr[];
    observables: Model['observables'];
    derived: Model['derived'];
  }>,
): Model {
  const built = new Model({
    name: parts.name ?? model.name,
    ...(model.description === undefined ? {} : { description: model.description }),
    factory: model.factory,
    params: parts.params ?? model.params,
    states: model.states.map((s) => ({ ...s, initial: rw(s.initial) })),
    inputs: model.inputs,
    covariates: model.covariates,
    derived: parts.derived ?? model.derived.map((d) => ({ ...d, expr: rw(d.expr) })),
    nets: parts.nets ?? model.nets,
    calls: parts.calls ?? model.calls,
    equations: parts.equations ?? model.equations.map(rw),
    observables:
      parts.observables ??
      model.observables.map((o) => ({
        ...o,
        expr: rw(o.expr),
        noise: { ...o.noise, sigma: rw(o.noise.sigma) },
      })),
    doses: model.doses,
  });
  return built;
}

/** Options of {@link mechanisticOnly}. */
export interface MechanisticOnlyOptions {
  /** The networks to switch off (default: all of them). */
  readonly nets?: readonly string[];
}

/**
 * The model with networks switched off: every output of the chosen networks (default all)
 * becomes the constant 0 and the networks are removed. For an additive closure
 * `d/dt v = -w0^2*sin(x) + F.a` this is the physics `d/dt v = -w0^2*sin(x)`; for a
 * multiplicative one `k*exp(F.a)` it is `k` — write closures so that a zero output means
 * "no correction". Used for the mechanistic-only baseline, the first stage of a two-stage
 * residual model, and reduced-model regularizers.
 *
 * @example
 * ```ts
 * const hybrid = parseModel(`
 *   param w0 = 1 scale log
 *   state x = 1
 *   state v = 0
 *   net F(x, v) -> (a) : mlp(16, tanh)
 *   d/dt x = v
 *   d/dt v = -w0^2*sin(x) + F.a
 *   obs angle = x ~ normal(0.01)
 * `);
 * printModel(mechanisticOnly(hybrid)); // … d/dt v = -w0^2 * sin(x) …, no net line
 * ```
 */
export function mechanisticOnly(model: Model, options: MechanisticOnlyOptions = {}): Model {
  const names = options.nets ?? model.nets.map((n) => n.name);
  return markUnusedFixed(replaceNets(model, names, 0, 'mechanisticOnly'));
}

/**
 * Parameters that no expression uses any more are marked `fixed` (they would get a zero
 * gradient and are not identifiable); the others are kept as declared.
 */
function markUnusedFixed(model: Model): Model {
  const used = new Set<number>();
  const live = [
    ...model.equations,
    ...model.states.map((s) => s.initial),
    ...model.observables.flatMap((o) => [o.expr, o.noise.sigma]),
    ...model.calls.flatMap((c) => c.inputs),
  ];
  for (const e of topologicalOrder(live)) {
    if (e.op === Op.Param) used.add(e.index);
  }
  if (model.params.every((p, i) => p.fixed || used.has(i))) return model;
  const params = model.params.map((p, i) => (used.has(i) ? p : { ...p, fixed: true }));
  return rebuild(model, (e) => e, { params });
}

/** Options of {@link neuralOnly} and {@link withResidual}. */
export interface VariantNetOptions {
  /** Hidden widths (default [32, 32]). */
  readonly hidden?: readonly number[];
  /** Activation (default tanh). */
  readonly activation?: MlpArchitecture['activation'];
  /** Name of the new network (default `NN` for neuralOnly, `R` for withResidual; made unique). */
  readonly name?: string;
  /** Also feed the time-varying inputs (default true). */
  readonly inputs?: boolean;
  /** Also feed the covariates (default true). */
  readonly covariates?: boolean;
  /** Also feed the time t (default false for neuralOnly, true for withResidual). */
  readonly time?: boolean;
}

function architecture(who: string, options: VariantNetOptions): MlpArchitecture {
  const hidden = options.hidden ?? [32, 32];
  for (const w of hidden) {
    if (!(Number.isInteger(w) && w >= 1))
      throw new ModelError(`${who}: hidden widths must be whole numbers ≥ 1, got ${w}`);
  }
  return { kind: 'mlp', hidden: [...hidden], activation: options.activation ?? 'tanh' };
}

function uniqueName(model: Model, base: string): string {
  const taken = new Set<string>([
    ...model.params.map((p) => p.name),
    ...model.states.map((s) => s.name),
    ...model.inputs.map((u) => u.name),
    ...model.covariates.map((c) => c.name),
    ...model.derived.map((d) => d.name),
    ...model.nets.map((n) => n.name),
  ]);
  if (!taken.has(base)) return base;
  for (let k = 1; ; k++) if (!taken.has(`${base}_${k}`)) return `${base}_${k}`;
}

function netInputs(model: Model, options: VariantNetOptions, time: boolean): Expr[] {
  const f = model.factory;
  return [
    ...model.states.map((_, i) => f.state(i)),
    ...((options.inputs ?? true) ? model.inputs.map((_, i) => f.input(i)) : []),
    ...((options.covariates ?? true) ? model.covariates.map((_, i) => f.covariate(i)) : []),
    ...(time ? [f.time()] : []),
  ];
}

/**
 * The neural-only baseline: the model's networks removed and every equation replaced by one
 * network of the states (and inputs, covariates, optionally t), `d/dt xᵢ = NN.xᵢ` — a neural
 * ODE with the model's initial values, doses, observables and noise models. Parameters that
 * are no longer used (those of the old equations) are marked fixed; those of the initial
 * values and observables stay estimated.
 *
 * @example
 * ```ts
 * const node = neuralOnly(hybrid, { hidden: [64, 64] });
 * const hm = new HybridModel(node);   // train it like any hybrid model
 * ```
 */
export function neuralOnly(model: Model, options: VariantNetOptions = {}): Model {
  const arch = architecture('neuralOnly', options);
  const base = replaceNets(
    model,
    model.nets.map((n) => n.name),
    0,
    'neuralOnly',
  );
  const f = model.factory;
  const name = options.name ?? uniqueName(base, 'NN');
  const inputs = netInputs(base, options, options.time ?? false);
  const net: NetDecl = { name, inputs, outputs: base.states.map((s) => s.name), architecture: arch };
  const equations = base.states.map((_, i) => f.netOut(0, i));
  // Derived variables of the replaced equations are dropped (those the observables or the
  // initial values still use are kept).
  const live = new Set(
    topologicalOrder([
      ...base.states.map((s) => s.initial),
      ...base.observables.flatMap((o) => [o.expr, o.noise.sigma]),
    ]).map((e) => e.id),
  );
  return markUnusedFixed(
    rebuild(base, (e) => e, {
      name: `${model.name}_neural`,
      nets: [net],
      calls: [{ net: 0, inputs }],
      equations,
      derived: base.derived.filter((d) => live.has(d.expr.id)),
    }),
  );
}

/** Options of {@link withResidual}. */
export interface ResidualOptions extends VariantNetOptions {
  /**
   * Freeze the mechanistic parameters: values by name (e.g. the estimates of a first-stage
   * mechanistic fit), which become the parameters' values and are marked fixed. The noise
   * parameters can be left out (they stay estimated).
   */
  readonly freeze?: Readonly<Record<string, number>>;
}

/**
 * "ML last": a residual (Δ) network on the observables, obs_k = h_k(x, p) + R(x, u, c, t).k,
 * one output per observable (named like it). The dynamics are unchanged, so the correction
 * cannot feed back into the states; with `freeze` the mechanistic parameters are held at
 * given values and only R (and any free noise parameter) is trained — the second stage of a
 * two-stage residual model (fit the mechanistic model first, then a net on its residuals).
 *
 * @example
 * ```ts
 * const stage1 = new HybridModel(mechanisticOnly(hybrid));
 * const fit1 = train(stage1, stage1.init(), subjects, { optimizer: adam(1e-2), epochs: 200 });
 * const stage2 = new HybridModel(withResidual(mechanisticOnly(hybrid), { freeze: stage1.parameterValues(fit1.params) }));
 * ```
 */
export function withResidual(model: Model, options: ResidualOptions = {}): Model {
  const arch = architecture('withResidual', options);
  const f = model.factory;
  const name = options.name ?? uniqueName(model, 'R');
  const inputs = netInputs(model, options, options.time ?? true);
  const net: NetDecl = { name, inputs, outputs: model.observables.map((o) => o.name), architecture: arch };
  // The new network's declared call goes after the existing networks' declared calls.
  const k = model.nets.length;
  const shift = rewriter(f, (e) =>
    e.op === Op.NetOut && e.index >= k ? f.netOut(e.index + 1, e.index2) : e,
  );
  const calls: NetCall[] = [
    ...model.calls.slice(0, k).map((c) => ({ ...c, inputs: c.inputs.map(shift) })),
    { net: k, inputs },
    ...model.calls.slice(k).map((c) => ({ ...c, inputs: c.inputs.map(shift) })),
  ];
  const nets = [...model.nets.map((n) => ({ ...n, inputs: n.inputs.map(shift) })), net];
  const observables = model.observables.map((o, j) => ({
    ...o,
    expr: f.add(shift(o.expr), f.netOut(k, j)),
    noise: { ...o.noise, sigma: shift(o.noise.sigma) },
  }));
  const params = options.freeze === undefined ? model.params : frozen(model, options.freeze, 'withResidual');
  return rebuild(model, shift, { name: `${model.name}_residual`, nets, calls, observables, params });
}

function frozen(model: Model, values: Readonly<Record<string, number>>, who: string): ParamDecl[] {
  for (const name of Object.keys(values)) {
    if (model.paramIndex(name) < 0) {
      throw new ModelError(
        `${who}: unknown parameter "${name}"; the model's parameters are ${model.params.map((p) => p.name).join(', ')}`,
      );
    }
  }
  return model.params.map((p) => {
    const v = values[p.name];
    if (v === undefined) return p;
    if (!Number.isFinite(v))
      throw new ModelError(`${who}: the value of "${p.name}" is ${v}; give a finite number`);
    // Widen the bounds if needed so that the declaration stays valid.
    return { ...p, value: v, fixed: true, lower: Math.min(p.lower, v), upper: Math.max(p.upper, v) };
  });
}

/**
 * The model with parameters set to `values` and marked `fixed` (not estimated).
 *
 * @example
 * ```ts
 * const known = fixParameters(model, { V: 12.5 });
 * ```
 */
export function fixParameters(model: Model, values: Readonly<Record<string, number>>): Model {
  return rebuild(model, (e) => e, { params: frozen(model, values, 'fixParameters') });
}

/** The baselines of a hybrid model, see {@link baselines}. */
export interface Baselines {
  /** The networks switched off. */
  readonly mechanistic: Model;
  /** One network for all the dynamics. */
  readonly neural: Model;
  /**
   * The second stage of the two-stage residual model: the mechanistic-only model with its
   * parameters frozen at `values` (the first-stage estimates) and a Δ network on every
   * observable.
   */
  residual(values: Readonly<Record<string, number>>): Model;
}

/**
 * Every baseline of a hybrid model from its one definition: mechanistic-only, neural-only,
 * and the two-stage residual model (stage 1 = `mechanistic`, stage 2 = `residual(estimates)`).
 *
 * @example
 * ```ts
 * const b = baselines(hybrid, { hidden: [32, 32] });
 * const mech = new HybridModel(b.mechanistic);
 * const fit1 = train(mech, mech.init(), subjects, { optimizer: adam(1e-2), epochs: 300 });
 * const res = new HybridModel(b.residual(mech.parameterValues(fit1.params)));
 * const fit2 = train(res, res.init(), subjects, { optimizer: adam(1e-3), epochs: 300 });
 * const node = new HybridModel(b.neural);
 * ```
 */
export function baselines(model: Model, options: VariantNetOptions = {}): Baselines {
  const mechanistic = mechanisticOnly(model);
  return {
    mechanistic,
    neural: neuralOnly(model, options),
    residual: (values) => withResidual(mechanistic, { ...options, freeze: values }),
  };
}
