/**
 * The model compiler: turns a {@link Model} into straight-line JavaScript (via
 * `new Function`) for the right-hand side, its VJP, JVP and dense Jacobian, initial values and
 * observables — each a loop over a batch of trajectories with per-trajectory parameters,
 * allocation-free in the hot loop.
 *
 * Neural terms follow the three-phase scheme of DESIGN.md §3: (1) compute every network
 * call's inputs for the whole batch, (2) run the network once on the batch through a
 * {@link NetRuntime} (the tensor path), (3) finish the equations with the outputs. The VJP runs
 * the phases backwards: equation partials give the cotangents of the network outputs, the
 * runtime maps them to cotangents of the network inputs (and accumulates weight gradients),
 * and the input expressions' partials carry them to states and parameters.
 *
 * Derivatives are symbolic (`derivative.ts`), simplified and shared with the values, so the
 * generated VJP, JVP and Jacobian touch only structurally non-zero partials.
 *
 * Array layout (B = batch size, D states, P parameters, U inputs, C covariates):
 * `t` [B], `y` [B·D], `p` [B·P], `u` [B·U] (input values at time t), `c` [B·C], all
 * row-major by trajectory. With the optional `rows` argument a function works on the listed
 * `B` rows of larger arrays only (the others are left untouched).
 */
import { jacobianExprs } from './derivative.js';
import { type Expr, Op, sigmoidValue, softplusValue, topologicalOrder } from './ir.js';
import { callOrder, callOutputCount, type Model, ModelError } from './model.js';

/**
 * How compiled models evaluate their neural networks (implemented by the hybrid layer on the
 * tensor path). Buffers are row-major [batch, width].
 *
 * For a gradient call (`model.calls[call].gradOf = a`, from `grad(F.a, x)`), "net" below is
 * the map x ↦ ∇ₓF_a(x) with as many outputs as inputs: `forward` gives the input gradient,
 * `backward` the Hessian–vector product ∇²ₓF_a·outBar (the Hessian is symmetric) plus the
 * weight gradient of outBar·∇ₓF_a, and `jacobian` the Hessian ∇²ₓF_a.
 */
export interface NetRuntime {
  /** out[b, ·] = net(x[b, ·]) for network call `call`. */
  forward(call: number, x: Float64Array, batch: number, out: Float64Array): void;
  /**
   * xBar[b, ·] = (∂net/∂x)ᵀ outBar[b, ·] (overwritten); the runtime also accumulates the
   * gradient of its weights.
   */
  backward(call: number, x: Float64Array, batch: number, outBar: Float64Array, xBar: Float64Array): void;
  /** jac[b, o, i] = ∂net_o/∂x_i at x[b, ·]. */
  jacobian(call: number, x: Float64Array, batch: number, jac: Float64Array): void;
  /**
   * Changes whenever the weights change, so that compiled models know to re-evaluate the
   * networks they cache (per-subject parameter networks). Omitted = weights never change.
   */
  readonly version?: number;
}

/** Options of {@link compileModel}. */
export interface CompileOptions {
  /** Required when the model declares networks. */
  nets?: NetRuntime;
}

type Arr = Float64Array;

/** The batched functions of a compiled model; see the module documentation for layouts. */
export interface CompiledModel {
  readonly model: Model;
  readonly dim: number;
  readonly nParams: number;
  readonly nInputs: number;
  readonly nCovariates: number;
  readonly nObservables: number;
  /** pattern[i][j]: whether ∂fᵢ/∂yⱼ is structurally non-zero. */
  readonly jacobianPattern: readonly (readonly boolean[])[];
  /** out = f(t, y, p, u, c). */
  rhs(t: Arr, y: Arr, p: Arr, u: Arr, c: Arr, out: Arr, batch: number, rows?: Int32Array | null): void;
  /** J[b, i, j] = ∂fᵢ/∂yⱼ (dense, row-major per trajectory). */
  jac(t: Arr, y: Arr, p: Arr, u: Arr, c: Arr, J: Arr, batch: number, rows?: Int32Array | null): void;
  /** yBar = (∂f/∂y)ᵀ outBar (overwritten); pBar += (∂f/∂p)ᵀ outBar. */
  vjp(
    t: Arr,
    y: Arr,
    p: Arr,
    u: Arr,
    c: Arr,
    outBar: Arr,
    yBar: Arr,
    pBar: Arr,
    batch: number,
    rows?: Int32Array | null,
  ): void;
  /** out = (∂f/∂y)·yDot + (∂f/∂p)·pDot. */
  jvp(
    t: Arr,
    y: Arr,
    p: Arr,
    u: Arr,
    c: Arr,
    yDot: Arr,
    pDot: Arr,
    out: Arr,
    batch: number,
    rows?: Int32Array | null,
  ): void;
  /** y0 = initial values from parameters and covariates. */
  initial(p: Arr, c: Arr, y0: Arr, batch: number, rows?: Int32Array | null): void;
  /** pBar += (∂y0/∂p)ᵀ y0Bar (and, through networks in initial values, their weight gradients). */
  initialVjp(p: Arr, c: Arr, y0Bar: Arr, pBar: Arr, batch: number, rows?: Int32Array | null): void;
  /** out[b, k] = observable k. */
  observe(t: Arr, y: Arr, p: Arr, u: Arr, c: Arr, out: Arr, batch: number, rows?: Int32Array | null): void;
  /** yBar = (∂h/∂y)ᵀ outBar (overwritten), pBar += (∂h/∂p)ᵀ outBar for the observables h. */
  observeVjp(
    t: Arr,
    y: Arr,
    p: Arr,
    u: Arr,
    c: Arr,
    outBar: Arr,
    yBar: Arr,
    pBar: Arr,
    batch: number,
    rows?: Int32Array | null,
  ): void;
  /**
   * out[b, k] = σ of observable k's noise model (`~ normal(σ)` or `~ lognormal(σ)`); σ may
   * depend on the states and parameters (e.g. a proportional error `0.1*x`).
   */
  noise(t: Arr, y: Arr, p: Arr, u: Arr, c: Arr, out: Arr, batch: number, rows?: Int32Array | null): void;
  /** yBar = (∂σ/∂y)ᵀ outBar (overwritten), pBar += (∂σ/∂p)ᵀ outBar for the noise scales σ. */
  noiseVjp(
    t: Arr,
    y: Arr,
    p: Arr,
    u: Arr,
    c: Arr,
    outBar: Arr,
    yBar: Arr,
    pBar: Arr,
    batch: number,
    rows?: Int32Array | null,
  ): void;
  /** The generated source of each function, for inspection. */
  readonly sources: Readonly<Record<string, string>>;
}

/** JavaScript literal for a double (exact: shortest round-trip form). */
function literal(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '(-Infinity)';
  if (Object.is(v, -0)) return '(-0)';
  return v < 0 ? `(${String(v)})` : String(v);
}

/**
 * Emits `const` definitions for expression nodes inside one loop body, each node once, in
 * dependency order; leaves become reads from the argument arrays.
 */
class Body {
  readonly lines: string[] = [];
  private readonly names = new Map<number, string>();

  constructor(private readonly leaf: (e: Expr) => string) {}

  /** A JavaScript expression for `e` (a local name or a literal), emitting what it needs. */
  ref(e: Expr): string {
    if (e.op === Op.Const) return literal(e.value);
    const known = this.names.get(e.id);
    if (known !== undefined) return known;
    for (const n of topologicalOrder([e])) {
      if (n.op === Op.Const || this.names.has(n.id)) continue;
      const name = `v${n.id}`;
      this.lines.push(`const ${name} = ${n.isLeaf ? this.leaf(n) : this.code(n)};`);
      this.names.set(n.id, name);
    }
    return this.names.get(e.id)!;
  }

  private code(n: Expr): string {
    const a = (k: number): string => {
      const arg = n.args[k];
      return arg.op === Op.Const ? literal(arg.value) : this.names.get(arg.id)!;
    };
    switch (n.op) {
      case Op.Neg:
        return `-${a(0)}`;
      case Op.Add:
        return `${a(0)} + ${a(1)}`;
      case Op.Sub:
        return `${a(0)} - ${a(1)}`;
      case Op.Mul:
        return `${a(0)} * ${a(1)}`;
      case Op.Div:
        return `${a(0)} / ${a(1)}`;
      case Op.Pow: {
        const b = n.args[1];
        if (b.isConst && b.value === 2) return `${a(0)} * ${a(0)}`;
        if (b.isConst && b.value === 3) return `${a(0)} * ${a(0)} * ${a(0)}`;
        if (b.isConst && b.value === -1) return `1 / ${a(0)}`;
        return `${a(0)} ** ${a(1)}`;
      }
      case Op.Exp:
        return `Math.exp(${a(0)})`;
      case Op.Log:
        return `Math.log(${a(0)})`;
      case Op.Log1p:
        return `Math.log1p(${a(0)})`;
      case Op.Expm1:
        return `Math.expm1(${a(0)})`;
      case Op.Sqrt:
        return `Math.sqrt(${a(0)})`;
      case Op.Sin:
        return `Math.sin(${a(0)})`;
      case Op.Cos:
        return `Math.cos(${a(0)})`;
      case Op.Tan:
        return `Math.tan(${a(0)})`;
      case Op.Tanh:
        return `th(${a(0)})`;
      case Op.Sigmoid:
        return `sig(${a(0)})`;
      case Op.Softplus:
        return `sp(${a(0)})`;
      case Op.Abs:
        return `Math.abs(${a(0)})`;
      case Op.Sign:
        return `Math.sign(${a(0)})`;
      case Op.Min:
        return `Math.min(${a(0)}, ${a(1)})`;
      case Op.Max:
        return `Math.max(${a(0)}, ${a(1)})`;
      case Op.Lt:
        return `${a(0)} < ${a(1)} ? 1 : 0`;
      case Op.Le:
        return `${a(0)} <= ${a(1)} ? 1 : 0`;
      case Op.Gt:
        return `${a(0)} > ${a(1)} ? 1 : 0`;
      case Op.Ge:
        return `${a(0)} >= ${a(1)} ? 1 : 0`;
      case Op.Eq:
        return `${a(0)} === ${a(1)} ? 1 : 0`;
      case Op.Ne:
        return `${a(0)} !== ${a(1)} ? 1 : 0`;
      case Op.And:
        return `${a(0)} !== 0 && ${a(1)} !== 0 ? 1 : 0`;
      case Op.Or:
        return `${a(0)} !== 0 || ${a(1)} !== 0 ? 1 : 0`;
      case Op.Not:
        return `${a(0)} === 0 ? 1 : 0`;
      case Op.Select:
        return `${a(0)} !== 0 ? ${a(1)} : ${a(2)}`;
      case Op.StopGrad:
        return a(0);
      default:
        throw new Error(`compile: cannot emit ${n.op}`);
    }
  }
}

/** Sizes of the model, and the widths of each network call. */
interface Layout {
  D: number;
  P: number;
  U: number;
  C: number;
  nIn: number[];
  nOut: number[];
}

/** How leaves read the function arguments inside the batch loop. */
function leafReader(L: Layout): (e: Expr) => string {
  return (e) => {
    switch (e.op) {
      case Op.Time:
        return 't[b]';
      case Op.State:
        return `y[b * ${L.D} + ${e.index}]`;
      case Op.Param:
        return `p[b * ${L.P} + ${e.index}]`;
      case Op.Input:
        return `u[b * ${L.U} + ${e.index}]`;
      case Op.Covariate:
        return `c[b * ${L.C} + ${e.index}]`;
      case Op.NetOut:
        return `no[${e.index}][q * ${L.nOut[e.index]} + ${e.index2}]`;
      default:
        throw new Error(`compile: unexpected leaf ${e.op}`);
    }
  };
}

const loop = (body: Body, tail: string[]): string[] => [
  'for (let q = 0; q < B; q++) {',
  '  const b = rows === null ? q : rows[q];',
  ...body.lines.map((l) => `  ${l}`),
  ...tail.map((l) => `  ${l}`),
  '}',
];

/** Σᵢ coefᵢ·termᵢ as code, skipping structural zeros; '0' when empty. */
function dotCode(pairs: [string, string][]): string {
  return pairs.length === 0 ? '0' : pairs.map(([c, v]) => (c === '1' ? v : `${c} * ${v}`)).join(' + ');
}

/**
 * Compiles a model to batched JavaScript functions.
 *
 * @throws ModelError when the model has networks but no `nets` runtime is given.
 * @example
 * ```ts
 * const m = parseModel(`
 *   param k = 0.5
 *   state x = 1
 *   d/dt x = -k*x
 * `);
 * const c = compileModel(m);
 * const out = new Float64Array(1);
 * c.rhs(new Float64Array([0]), new Float64Array([2]), new Float64Array([0.5]),
 *       new Float64Array(0), new Float64Array(0), out, 1);
 * out[0]; // -1
 * ```
 */
export function compileModel(model: Model, options: CompileOptions = {}): CompiledModel {
  const f = model.factory;
  const calls = model.calls;
  if (calls.length > 0 && options.nets === undefined) {
    throw new ModelError(
      `model ${model.name} has neural networks (${model.nets.map((n) => n.name).join(', ')}); ` +
        'compile it with a network runtime: compileModel(model, { nets })',
    );
  }
  const L: Layout = {
    D: model.states.length,
    P: model.params.length,
    U: model.inputs.length,
    C: model.covariates.length,
    nIn: calls.map((c) => c.inputs.length),
    nOut: calls.map((c) => callOutputCount(model, c)),
  };
  const read = leafReader(L);
  const order = callOrder(model);
  const states = model.states.map((_, i) => f.state(i));
  const params = model.params.map((_, i) => f.param(i));
  const netOuts = calls.map((_, k) => Array.from({ length: L.nOut[k] }, (_, o) => f.netOut(k, o)));
  const allNetOuts = netOuts.flat();
  const F = model.equations;
  const sources: Record<string, string> = {};
  const usesNets = (es: readonly Expr[]) =>
    calls.length > 0 && topologicalOrder(es).some((n) => n.op === Op.NetOut);

  // Calls whose inputs depend only on parameters, covariates and constants (parameter nets,
  // "ML first") are static: evaluated once per subject and cached until p, c or the weights
  // change.
  const isStatic: boolean[] = new Array<boolean>(calls.length).fill(false);
  for (const k of order) {
    isStatic[k] = topologicalOrder(calls[k].inputs).every(
      (n) =>
        n.op === Op.Const ||
        n.op === Op.Param ||
        n.op === Op.Covariate ||
        (n.op === Op.NetOut && isStatic[n.index]) ||
        !n.isLeaf,
    );
  }

  /** Phases 1 and 2 for the given calls: compute their inputs, then run them, in order. */
  const phases = (which: (k: number) => boolean): string[] => {
    const lines: string[] = [];
    for (const k of order) {
      if (!which(k)) continue;
      const body = new Body(read);
      const stores = calls[k].inputs.map((e, i) => `ni[${k}][q * ${L.nIn[k]} + ${i}] = ${body.ref(e)};`);
      lines.push(...loop(body, stores), `rt.forward(${k}, ni[${k}], B, no[${k}]);`);
    }
    return lines;
  };
  /** The time-dependent calls (static ones are run by `statics`, cached). */
  const netPhases = (): string[] => phases((k) => !isStatic[k]);
  /** The calls that some of `roots` use, directly or through other calls' inputs. */
  const neededCalls = (roots: readonly Expr[]): Set<number> => {
    const need = new Set<number>();
    const stack = [...roots];
    while (stack.length > 0) {
      for (const n of topologicalOrder([stack.pop()!])) {
        if (n.op === Op.NetOut && !need.has(n.index)) {
          need.add(n.index);
          stack.push(...calls[n.index].inputs);
        }
      }
    }
    return need;
  };
  /** The time-dependent calls that `roots` need (a net used only by observables is not run in the RHS). */
  const phasesFor = (roots: readonly Expr[]): string[] => {
    const need = neededCalls(roots);
    return phases((k) => !isStatic[k] && need.has(k));
  };

  const build = (name: string, args: string, lines: string[]) => {
    const src = `return function ${name}(${args}) {\n${lines.map((l) => `  ${l}`).join('\n')}\n};`;
    sources[name] = src;
    return new Function('sig', 'sp', 'th', src)(sigmoidValue, softplusValue, Math.tanh) as (
      ...a: unknown[]
    ) => void;
  };

  // Right-hand side.
  const rhsBody = new Body(read);
  const rhsStores = F.map((e, i) => `out[b * ${L.D} + ${i}] = ${rhsBody.ref(e)};`);
  const rhsFn = build('rhs', 't, y, p, u, c, out, B, rows, rt, ni, no', [
    ...phasesFor(F),
    ...loop(rhsBody, rhsStores),
  ]);

  // Partials of the equations by states, parameters and network outputs.
  const dFdY = jacobianExprs(f, F, states);
  const dFdP = jacobianExprs(f, F, params);
  const dFdN = jacobianExprs(f, F, allNetOuts);
  const isZero = (e: Expr) => e.isConst && e.value === 0;
  const jacobianPattern = dFdY.map((row) => row.map((e) => !isZero(e)));
  const netOutOffset: number[] = [];
  let acc = 0;
  for (const outs of netOuts) {
    netOutOffset.push(acc);
    acc += outs.length;
  }
  // Partials of each call's input expressions.
  const inY = calls.map((c) => jacobianExprs(f, c.inputs, states));
  const inP = calls.map((c) => jacobianExprs(f, c.inputs, params));
  const inN = calls.map((c) => jacobianExprs(f, c.inputs, allNetOuts));

  /**
   * VJP of a list of root expressions (the equations, or the observables): cotangents `ob`
   * [B, roots] to `yb` (overwritten) and `pb` (accumulated), through the networks.
   */
  const vjpProgram = (roots: readonly Expr[]): string[] => {
    const R = roots.length;
    const dY = jacobianExprs(f, roots, states);
    const dP = jacobianExprs(f, roots, params);
    const dN = jacobianExprs(f, roots, allNetOuts);
    const need = neededCalls(roots);
    const lines: string[] = usesNets(roots) ? phasesFor(roots) : [];
    const body = new Body(read);
    const tail: string[] = [];
    for (let i = 0; i < R; i++) tail.push(`const ob${i} = ob[b * ${R} + ${i}];`);
    for (let j = 0; j < L.D; j++) {
      const terms: [string, string][] = [];
      for (let i = 0; i < R; i++) if (!isZero(dY[i][j])) terms.push([body.ref(dY[i][j]), `ob${i}`]);
      tail.push(`yb[b * ${L.D} + ${j}] = ${dotCode(terms)};`);
    }
    for (let k = 0; k < L.P; k++) {
      const terms: [string, string][] = [];
      for (let i = 0; i < R; i++) if (!isZero(dP[i][k])) terms.push([body.ref(dP[i][k]), `ob${i}`]);
      if (terms.length > 0) tail.push(`pb[b * ${L.P} + ${k}] += ${dotCode(terms)};`);
    }
    if (!usesNets(roots)) return [...lines, ...loop(body, tail)];
    calls.forEach((_, call) => {
      for (let o = 0; o < L.nOut[call]; o++) {
        const col = netOutOffset[call] + o;
        const terms: [string, string][] = [];
        for (let i = 0; i < R; i++) if (!isZero(dN[i][col])) terms.push([body.ref(dN[i][col]), `ob${i}`]);
        tail.push(`nob[${call}][q * ${L.nOut[call]} + ${o}] = ${dotCode(terms)};`);
      }
    });
    lines.push(...loop(body, tail));
    // Backwards through the calls: network VJP, then the input expressions' partials.
    for (const call of [...order].reverse()) {
      if (!need.has(call)) continue;
      lines.push(`rt.backward(${call}, ni[${call}], B, nob[${call}], nib[${call}]);`);
      const b2 = new Body(read);
      const t2: string[] = [];
      for (let m = 0; m < L.nIn[call]; m++) t2.push(`const g${m} = nib[${call}][q * ${L.nIn[call]} + ${m}];`);
      for (let j = 0; j < L.D; j++) {
        const terms: [string, string][] = [];
        for (let m = 0; m < L.nIn[call]; m++)
          if (!isZero(inY[call][m][j])) terms.push([b2.ref(inY[call][m][j]), `g${m}`]);
        if (terms.length > 0) t2.push(`yb[b * ${L.D} + ${j}] += ${dotCode(terms)};`);
      }
      for (let k = 0; k < L.P; k++) {
        const terms: [string, string][] = [];
        for (let m = 0; m < L.nIn[call]; m++)
          if (!isZero(inP[call][m][k])) terms.push([b2.ref(inP[call][m][k]), `g${m}`]);
        if (terms.length > 0) t2.push(`pb[b * ${L.P} + ${k}] += ${dotCode(terms)};`);
      }
      calls.forEach((_, other) => {
        for (let o = 0; o < L.nOut[other]; o++) {
          const col = netOutOffset[other] + o;
          const terms: [string, string][] = [];
          for (let m = 0; m < L.nIn[call]; m++)
            if (!isZero(inN[call][m][col])) terms.push([b2.ref(inN[call][m][col]), `g${m}`]);
          if (terms.length > 0) t2.push(`nob[${other}][q * ${L.nOut[other]} + ${o}] += ${dotCode(terms)};`);
        }
      });
      lines.push(...loop(b2, t2));
    }
    return lines;
  };
  const vjpLines = vjpProgram(F);
  const vjpFn = build('vjp', 't, y, p, u, c, ob, yb, pb, B, rows, rt, ni, no, nob, nib', vjpLines);

  // JVP: tangents of network inputs and outputs in call order, then the equations.
  const jvpLines: string[] = [...netPhases()];
  for (const call of order) {
    const body = new Body(read);
    const tail: string[] = [];
    for (let m = 0; m < L.nIn[call]; m++) {
      const terms: [string, string][] = [];
      for (let j = 0; j < L.D; j++)
        if (!isZero(inY[call][m][j])) terms.push([body.ref(inY[call][m][j]), `yd[b * ${L.D} + ${j}]`]);
      for (let k = 0; k < L.P; k++)
        if (!isZero(inP[call][m][k])) terms.push([body.ref(inP[call][m][k]), `pd[b * ${L.P} + ${k}]`]);
      calls.forEach((_, other) => {
        for (let o = 0; o < L.nOut[other]; o++) {
          const col = netOutOffset[other] + o;
          if (!isZero(inN[call][m][col]))
            terms.push([body.ref(inN[call][m][col]), `nod[${other}][q * ${L.nOut[other]} + ${o}]`]);
        }
      });
      tail.push(`nid[${call}][q * ${L.nIn[call]} + ${m}] = ${dotCode(terms)};`);
    }
    jvpLines.push(...loop(body, tail));
    // nod = Jnet · nid
    jvpLines.push(
      `rt.jacobian(${call}, ni[${call}], B, nj[${call}]);`,
      'for (let q = 0; q < B; q++) {',
      `  for (let o = 0; o < ${L.nOut[call]}; o++) {`,
      '    let s = 0;',
      `    for (let m = 0; m < ${L.nIn[call]}; m++) s += nj[${call}][(q * ${L.nOut[call]} + o) * ${L.nIn[call]} + m] * nid[${call}][q * ${L.nIn[call]} + m];`,
      `    nod[${call}][q * ${L.nOut[call]} + o] = s;`,
      '  }',
      '}',
    );
  }
  {
    const body = new Body(read);
    const tail: string[] = [];
    for (let i = 0; i < L.D; i++) {
      const terms: [string, string][] = [];
      for (let j = 0; j < L.D; j++)
        if (!isZero(dFdY[i][j])) terms.push([body.ref(dFdY[i][j]), `yd[b * ${L.D} + ${j}]`]);
      for (let k = 0; k < L.P; k++)
        if (!isZero(dFdP[i][k])) terms.push([body.ref(dFdP[i][k]), `pd[b * ${L.P} + ${k}]`]);
      calls.forEach((_, call) => {
        for (let o = 0; o < L.nOut[call]; o++) {
          const col = netOutOffset[call] + o;
          if (!isZero(dFdN[i][col]))
            terms.push([body.ref(dFdN[i][col]), `nod[${call}][q * ${L.nOut[call]} + ${o}]`]);
        }
      });
      tail.push(`out[b * ${L.D} + ${i}] = ${dotCode(terms)};`);
    }
    jvpLines.push(...loop(body, tail));
  }
  const jvpFn = build('jvp', 't, y, p, u, c, yd, pd, out, B, rows, rt, ni, no, nid, nod, nj', jvpLines);

  // Dense Jacobian ∂f/∂y, including paths through the networks (chain rule in code).
  const jacLines: string[] = [...netPhases()];
  {
    // dN[call][o][j] = total derivative of network output by state j, in call order.
    for (const call of order) {
      jacLines.push(`rt.jacobian(${call}, ni[${call}], B, nj[${call}]);`);
      const body = new Body(read);
      const tail: string[] = [];
      for (let m = 0; m < L.nIn[call]; m++) {
        for (let j = 0; j < L.D; j++) {
          const terms: [string, string][] = [];
          if (!isZero(inY[call][m][j])) terms.push([body.ref(inY[call][m][j]), '1']);
          calls.forEach((_, other) => {
            for (let o = 0; o < L.nOut[other]; o++) {
              const col = netOutOffset[other] + o;
              if (!isZero(inN[call][m][col])) {
                terms.push([
                  body.ref(inN[call][m][col]),
                  `nt[${other}][(q * ${L.nOut[other]} + ${o}) * ${L.D} + ${j}]`,
                ]);
              }
            }
          });
          tail.push(
            `const di${m}_${j} = ${terms.length === 0 ? '0' : terms.map(([cf, v]) => (v === '1' ? cf : `${cf} * ${v}`)).join(' + ')};`,
          );
        }
      }
      for (let o = 0; o < L.nOut[call]; o++) {
        for (let j = 0; j < L.D; j++) {
          const terms = Array.from(
            { length: L.nIn[call] },
            (_, m) => `nj[${call}][(q * ${L.nOut[call]} + ${o}) * ${L.nIn[call]} + ${m}] * di${m}_${j}`,
          );
          tail.push(
            `nt[${call}][(q * ${L.nOut[call]} + ${o}) * ${L.D} + ${j}] = ${terms.length === 0 ? '0' : terms.join(' + ')};`,
          );
        }
      }
      jacLines.push(...loop(body, tail));
    }
    const body = new Body(read);
    const tail: string[] = [];
    for (let i = 0; i < L.D; i++) {
      for (let j = 0; j < L.D; j++) {
        const terms: string[] = [];
        if (!isZero(dFdY[i][j])) terms.push(body.ref(dFdY[i][j]));
        calls.forEach((_, call) => {
          for (let o = 0; o < L.nOut[call]; o++) {
            const col = netOutOffset[call] + o;
            if (!isZero(dFdN[i][col]))
              terms.push(
                `${body.ref(dFdN[i][col])} * nt[${call}][(q * ${L.nOut[call]} + ${o}) * ${L.D} + ${j}]`,
              );
          }
        });
        tail.push(
          `J[(b * ${L.D} + ${i}) * ${L.D} + ${j}] = ${terms.length === 0 ? '0' : terms.join(' + ')};`,
        );
      }
    }
    jacLines.push(...loop(body, tail));
  }
  const jacFn = build('jac', 't, y, p, u, c, J, B, rows, rt, ni, no, nj, nt', jacLines);

  // Initial values and their parameter VJP.
  const init = model.states.map((s) => s.initial);
  const initBody = new Body(read);
  // Networks in initial values are static (checked by the model): their outputs come from
  // the cached per-subject phase.
  const initUsesNets = usesNets(init);
  const initFn = build(
    'initial',
    'p, c, y, B, rows, rt, ni, no',
    loop(
      initBody,
      init.map((e, i) => `y[b * ${L.D} + ${i}] = ${initBody.ref(e)};`),
    ),
  );
  const dInitdP = jacobianExprs(f, init, params);
  const initVjpBody = new Body(read);
  const initVjpTail: string[] = [];
  for (let k = 0; k < L.P; k++) {
    const terms: [string, string][] = [];
    for (let i = 0; i < L.D; i++)
      if (!isZero(dInitdP[i][k])) terms.push([initVjpBody.ref(dInitdP[i][k]), `yb[b * ${L.D} + ${i}]`]);
    if (terms.length > 0) initVjpTail.push(`pb[b * ${L.P} + ${k}] += ${dotCode(terms)};`);
  }
  const initVjpFn = initUsesNets
    ? build('initialVjp', 't, y, p, u, c, ob, yb, pb, B, rows, rt, ni, no, nob, nib', vjpProgram(init))
    : build('initialVjp', 'p, c, yb, pb, B, rows', loop(initVjpBody, initVjpTail));

  // Observables, with the network phases of the calls they use (residual "ML last" terms).
  const H = model.observables.map((o) => o.expr);
  const nObs = H.length;
  const obsBody = new Body(read);
  const observeFn = build('observe', 't, y, p, u, c, out, B, rows, rt, ni, no', [
    ...(usesNets(H) ? phasesFor(H) : []),
    ...loop(
      obsBody,
      H.map((e, k) => `out[b * ${nObs} + ${k}] = ${obsBody.ref(e)};`),
    ),
  ]);
  const observeVjpFn = build(
    'observeVjp',
    't, y, p, u, c, ob, yb, pb, B, rows, rt, ni, no, nob, nib',
    vjpProgram(H),
  );

  // Noise scales σ of the observables, the same way.
  const sigmas = model.observables.map((o) => o.noise.sigma);
  const noiseBody = new Body(read);
  const noiseFn = build('noise', 't, y, p, u, c, out, B, rows, rt, ni, no', [
    ...(usesNets(sigmas) ? phasesFor(sigmas) : []),
    ...loop(
      noiseBody,
      sigmas.map((e, k) => `out[b * ${nObs} + ${k}] = ${noiseBody.ref(e)};`),
    ),
  ]);
  const noiseVjpFn = build(
    'noiseVjp',
    't, y, p, u, c, ob, yb, pb, B, rows, rt, ni, no, nob, nib',
    vjpProgram(sigmas),
  );

  const staticsFn = build(
    'statics',
    'p, c, B, rows, rt, ni, no',
    phases((k) => isStatic[k]),
  );

  return new Compiled(
    model,
    L,
    options.nets ?? null,
    jacobianPattern,
    sources,
    isStatic.some(Boolean),
    initUsesNets,
    {
      statics: staticsFn,
      rhs: rhsFn,
      vjp: vjpFn,
      jvp: jvpFn,
      jac: jacFn,
      initial: initFn,
      initialVjp: initVjpFn,
      observe: observeFn,
      observeVjp: observeVjpFn,
      noise: noiseFn,
      noiseVjp: noiseVjpFn,
    },
  );
}

type Generated = (...args: unknown[]) => void;

/** Scratch buffers for network phases, one per call, grown to the largest batch seen. */
class NetScratch {
  readonly buffers: Float64Array[] = [];
  constructor(private readonly widths: readonly number[]) {}
  get(batch: number): Float64Array[] {
    const widths = this.widths;
    for (let k = 0; k < widths.length; k++) {
      const need = batch * widths[k];
      if (this.buffers[k] === undefined || this.buffers[k].length < need)
        this.buffers[k] = new Float64Array(need);
    }
    return this.buffers;
  }
}

class Compiled implements CompiledModel {
  readonly dim: number;
  readonly nParams: number;
  readonly nInputs: number;
  readonly nCovariates: number;
  readonly nObservables: number;
  private readonly ni: NetScratch;
  private readonly no: NetScratch;
  private readonly nob: NetScratch;
  private readonly nib: NetScratch;
  private readonly nid: NetScratch;
  private readonly nod: NetScratch;
  private readonly nj: NetScratch;
  private readonly nt: NetScratch;

  constructor(
    readonly model: Model,
    private readonly L: Layout,
    private readonly rt: NetRuntime | null,
    readonly jacobianPattern: readonly (readonly boolean[])[],
    readonly sources: Readonly<Record<string, string>>,
    private readonly hasStatics: boolean,
    /** Whether initial values use (static) networks: initialVjp then runs them backwards. */
    private readonly initUsesNets: boolean,
    private readonly fns: Record<
      | 'statics'
      | 'rhs'
      | 'vjp'
      | 'jvp'
      | 'jac'
      | 'initial'
      | 'initialVjp'
      | 'observe'
      | 'observeVjp'
      | 'noise'
      | 'noiseVjp',
      Generated
    >,
  ) {
    this.dim = L.D;
    this.nParams = L.P;
    this.nInputs = L.U;
    this.nCovariates = L.C;
    this.nObservables = model.observables.length;
    this.ni = new NetScratch(L.nIn);
    this.no = new NetScratch(L.nOut);
    this.nob = new NetScratch(L.nOut);
    this.nib = new NetScratch(L.nIn);
    this.nid = new NetScratch(L.nIn);
    this.nod = new NetScratch(L.nOut);
    this.nj = new NetScratch(L.nOut.map((o, k) => o * L.nIn[k]));
    this.nt = new NetScratch(L.nOut.map((o) => o * L.D));
  }

  private staticKey: {
    p: Float64Array;
    c: Float64Array;
    rows: Int32Array | null;
    batch: number;
    version: number;
  } | null = null;

  /**
   * Runs the static (per-subject) network calls unless their cached outputs are still valid
   * for these parameters, covariates, batch size and network weights.
   */
  private ensureStatics(p: Arr, c: Arr, batch: number, rows: Int32Array | null): void {
    if (!this.hasStatics) return;
    const L = this.L;
    const version = this.rt?.version ?? 0;
    const k = this.staticKey;
    const n = rows === null ? batch : this.extent(batch, rows);
    const same = (a: ArrayLike<number>, b: ArrayLike<number>, len: number) => {
      for (let i = 0; i < len; i++) if (!Object.is(a[i], b[i])) return false;
      return true;
    };
    if (
      k !== null &&
      k.batch === batch &&
      k.version === version &&
      (k.rows === null) === (rows === null) &&
      (rows === null || (k.rows !== null && same(k.rows, rows, batch))) &&
      k.p.length === n * L.P &&
      same(k.p, p, n * L.P) &&
      same(k.c, c, n * L.C)
    ) {
      return;
    }
    this.fns.statics(p, c, batch, rows, this.rt, this.ni.get(batch), this.no.get(batch));
    this.staticKey = {
      p: p.slice(0, n * L.P),
      c: c.slice(0, n * L.C),
      rows: rows === null ? null : rows.slice(0, batch),
      batch,
      version,
    };
  }

  /** Whether batch is valid and t, y, p, u, c hold `extent` trajectories (no allocation). */
  private fits(batch: number, extent: number, t: Arr, y: Arr, p: Arr, u: Arr, c: Arr): boolean {
    const L = this.L;
    return (
      Number.isInteger(batch) &&
      batch >= 0 &&
      t.length >= extent &&
      y.length >= extent * L.D &&
      p.length >= extent * L.P &&
      u.length >= extent * L.U &&
      c.length >= extent * L.C
    );
  }

  /** The common arrays with their widths, for the failure message. */
  private commonArrays(t: Arr, y: Arr, p: Arr, u: Arr, c: Arr): [string, Arr, number][] {
    const L = this.L;
    return [
      ['t', t, 1],
      ['y', y, L.D],
      ['p', p, L.P],
      ['u', u, L.U],
      ['c', c, L.C],
    ];
  }

  private check(extent: number, name: string, batch: number, arrays: [string, Arr, number][]): void {
    if (!Number.isInteger(batch) || batch < 0)
      throw new RangeError(`${name}: batch must be a non-negative integer, got ${batch}`);
    for (const [label, a, width] of arrays) {
      if (a.length < extent * width) {
        throw new RangeError(
          `${name}: ${label} has ${a.length} values, fewer than ${extent} trajectories × ${width} for model ${this.model.name}`,
        );
      }
    }
  }

  /**
   * How many trajectories the arrays must hold: `batch`, or one more than the largest listed
   * row (rows must be valid non-negative integers).
   */
  private extent(batch: number, rows: Int32Array | null): number {
    if (rows === null) return batch;
    if (rows.length < batch) throw new RangeError(`rows: ${rows.length} rows listed for a batch of ${batch}`);
    let max = -1;
    for (let q = 0; q < batch; q++) {
      const r = rows[q];
      if (r < 0) throw new RangeError(`rows: row ${r} at position ${q} is negative`);
      if (r > max) max = r;
    }
    return max + 1;
  }

  rhs(t: Arr, y: Arr, p: Arr, u: Arr, c: Arr, out: Arr, batch: number, rows: Int32Array | null = null): void {
    const L = this.L;
    const extent = this.extent(batch, rows);
    // Checked without allocating; the detailed message is built only on failure.
    if (!(this.fits(batch, extent, t, y, p, u, c) && out.length >= extent * L.D)) {
      this.check(extent, 'rhs', batch, [...this.commonArrays(t, y, p, u, c), ['out', out, L.D]]);
    }
    this.ensureStatics(p, c, batch, rows);
    this.fns.rhs(t, y, p, u, c, out, batch, rows, this.rt, this.ni.get(batch), this.no.get(batch));
  }

  jac(t: Arr, y: Arr, p: Arr, u: Arr, c: Arr, J: Arr, batch: number, rows: Int32Array | null = null): void {
    const L = this.L;
    const extent = this.extent(batch, rows);
    // Checked without allocating; the detailed message is built only on failure.
    if (!(this.fits(batch, extent, t, y, p, u, c) && J.length >= extent * L.D * L.D)) {
      this.check(extent, 'jac', batch, [...this.commonArrays(t, y, p, u, c), ['J', J, L.D * L.D]]);
    }
    this.ensureStatics(p, c, batch, rows);
    this.fns.jac(
      t,
      y,
      p,
      u,
      c,
      J,
      batch,
      rows,
      this.rt,
      this.ni.get(batch),
      this.no.get(batch),
      this.nj.get(batch),
      this.nt.get(batch),
    );
  }

  vjp(
    t: Arr,
    y: Arr,
    p: Arr,
    u: Arr,
    c: Arr,
    outBar: Arr,
    yBar: Arr,
    pBar: Arr,
    batch: number,
    rows: Int32Array | null = null,
  ): void {
    const L = this.L;
    const extent = this.extent(batch, rows);
    // Checked without allocating; the detailed message is built only on failure.
    if (
      !(
        this.fits(batch, extent, t, y, p, u, c) &&
        outBar.length >= extent * L.D &&
        yBar.length >= extent * L.D &&
        pBar.length >= extent * L.P
      )
    ) {
      this.check(extent, 'vjp', batch, [
        ...this.commonArrays(t, y, p, u, c),
        ['outBar', outBar, L.D],
        ['yBar', yBar, L.D],
        ['pBar', pBar, L.P],
      ]);
    }
    this.ensureStatics(p, c, batch, rows);
    this.fns.vjp(
      t,
      y,
      p,
      u,
      c,
      outBar,
      yBar,
      pBar,
      batch,
      rows,
      this.rt,
      this.ni.get(batch),
      this.no.get(batch),
      this.nob.get(batch),
      this.nib.get(batch),
    );
  }

  jvp(
    t: Arr,
    y: Arr,
    p: Arr,
    u: Arr,
    c: Arr,
    yDot: Arr,
    pDot: Arr,
    out: Arr,
    batch: number,
    rows: Int32Array | null = null,
  ): void {
    const L = this.L;
    const extent = this.extent(batch, rows);
    // Checked without allocating; the detailed message is built only on failure.
    if (
      !(
        this.fits(batch, extent, t, y, p, u, c) &&
        yDot.length >= extent * L.D &&
        pDot.length >= extent * L.P &&
        out.length >= extent * L.D
      )
    ) {
      this.check(extent, 'jvp', batch, [
        ...this.commonArrays(t, y, p, u, c),
        ['yDot', yDot, L.D],
        ['pDot', pDot, L.P],
        ['out', out, L.D],
      ]);
    }
    this.ensureStatics(p, c, batch, rows);
    this.fns.jvp(
      t,
      y,
      p,
      u,
      c,
      yDot,
      pDot,
      out,
      batch,
      rows,
      this.rt,
      this.ni.get(batch),
      this.no.get(batch),
      this.nid.get(batch),
      this.nod.get(batch),
      this.nj.get(batch),
    );
  }

  initial(p: Arr, c: Arr, y0: Arr, batch: number, rows: Int32Array | null = null): void {
    const L = this.L;
    const extent = this.extent(batch, rows);
    // Checked without allocating; the detailed message is built only on failure.
    if (
      !(
        Number.isInteger(batch) &&
        batch >= 0 &&
        p.length >= extent * L.P &&
        c.length >= extent * L.C &&
        y0.length >= extent * L.D
      )
    ) {
      this.check(extent, 'initial', batch, [
        ['p', p, L.P],
        ['c', c, L.C],
        ['y0', y0, L.D],
      ]);
    }
    this.ensureStatics(p, c, batch, rows);
    this.fns.initial(p, c, y0, batch, rows, this.rt, this.ni.get(batch), this.no.get(batch));
  }

  initialVjp(p: Arr, c: Arr, y0Bar: Arr, pBar: Arr, batch: number, rows: Int32Array | null = null): void {
    const L = this.L;
    const extent = this.extent(batch, rows);
    // Checked without allocating; the detailed message is built only on failure.
    if (
      !(
        Number.isInteger(batch) &&
        batch >= 0 &&
        p.length >= extent * L.P &&
        c.length >= extent * L.C &&
        y0Bar.length >= extent * L.D &&
        pBar.length >= extent * L.P
      )
    ) {
      this.check(extent, 'initialVjp', batch, [
        ['p', p, L.P],
        ['c', c, L.C],
        ['y0Bar', y0Bar, L.D],
        ['pBar', pBar, L.P],
      ]);
    }
    if (!this.initUsesNets) {
      this.fns.initialVjp(p, c, y0Bar, pBar, batch, rows);
      return;
    }
    this.ensureStatics(p, c, batch, rows);
    const none = new Float64Array(0);
    this.fns.initialVjp(
      none,
      none,
      p,
      none,
      c,
      y0Bar,
      new Float64Array(extent * L.D), // (∂y0/∂y0)ᵀ: not needed
      pBar,
      batch,
      rows,
      this.rt,
      this.ni.get(batch),
      this.no.get(batch),
      this.nob.get(batch),
      this.nib.get(batch),
    );
  }

  observe(
    t: Arr,
    y: Arr,
    p: Arr,
    u: Arr,
    c: Arr,
    out: Arr,
    batch: number,
    rows: Int32Array | null = null,
  ): void {
    this.perObservable('observe', t, y, p, u, c, out, batch, rows);
  }

  noise(
    t: Arr,
    y: Arr,
    p: Arr,
    u: Arr,
    c: Arr,
    out: Arr,
    batch: number,
    rows: Int32Array | null = null,
  ): void {
    this.perObservable('noise', t, y, p, u, c, out, batch, rows);
  }

  observeVjp(
    t: Arr,
    y: Arr,
    p: Arr,
    u: Arr,
    c: Arr,
    outBar: Arr,
    yBar: Arr,
    pBar: Arr,
    batch: number,
    rows: Int32Array | null = null,
  ): void {
    this.perObservableVjp('observeVjp', t, y, p, u, c, outBar, yBar, pBar, batch, rows);
  }

  noiseVjp(
    t: Arr,
    y: Arr,
    p: Arr,
    u: Arr,
    c: Arr,
    outBar: Arr,
    yBar: Arr,
    pBar: Arr,
    batch: number,
    rows: Int32Array | null = null,
  ): void {
    this.perObservableVjp('noiseVjp', t, y, p, u, c, outBar, yBar, pBar, batch, rows);
  }

  /** One value per observable and row: the observables themselves or their noise scales. */
  private perObservable(
    name: 'observe' | 'noise',
    t: Arr,
    y: Arr,
    p: Arr,
    u: Arr,
    c: Arr,
    out: Arr,
    batch: number,
    rows: Int32Array | null,
  ): void {
    const extent = this.extent(batch, rows);
    // Checked without allocating; the detailed message is built only on failure.
    if (!(this.fits(batch, extent, t, y, p, u, c) && out.length >= extent * this.nObservables)) {
      this.check(extent, name, batch, [...this.commonArrays(t, y, p, u, c), ['out', out, this.nObservables]]);
    }
    this.ensureStatics(p, c, batch, rows);
    this.fns[name](t, y, p, u, c, out, batch, rows, this.rt, this.ni.get(batch), this.no.get(batch));
  }

  private perObservableVjp(
    name: 'observeVjp' | 'noiseVjp',
    t: Arr,
    y: Arr,
    p: Arr,
    u: Arr,
    c: Arr,
    outBar: Arr,
    yBar: Arr,
    pBar: Arr,
    batch: number,
    rows: Int32Array | null,
  ): void {
    const L = this.L;
    const extent = this.extent(batch, rows);
    // Checked without allocating; the detailed message is built only on failure.
    if (
      !(
        this.fits(batch, extent, t, y, p, u, c) &&
        outBar.length >= extent * this.nObservables &&
        yBar.length >= extent * L.D &&
        pBar.length >= extent * L.P
      )
    ) {
      this.check(extent, name, batch, [
        ...this.commonArrays(t, y, p, u, c),
        ['outBar', outBar, this.nObservables],
        ['yBar', yBar, L.D],
        ['pBar', pBar, L.P],
      ]);
    }
    this.ensureStatics(p, c, batch, rows);
    this.fns[name](
      t,
      y,
      p,
      u,
      c,
      outBar,
      yBar,
      pBar,
      batch,
      rows,
      this.rt,
      this.ni.get(batch),
      this.no.get(batch),
      this.nob.get(batch),
      this.nib.get(batch),
    );
  }
}
