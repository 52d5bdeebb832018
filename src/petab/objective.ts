/**
 * The PEtab objective of a loaded problem: the negative log-likelihood of the measurements
 * (plus the negative log-prior), the simulated observables, and the gradient with respect to
 * every estimated mechanistic parameter (on its parameterScale) and every estimated network
 * array, through one batched solve of all experiments and its discrete adjoint.
 *
 * Per experiment, before the simulation: model parameters ← SBML values ← PEtab nominal or
 * estimated values ← condition assignments ← static networks' outputs (hybridization);
 * initial values ← the model's initial expressions, then condition / network overrides. The
 * backward pass runs the same chain in reverse: observables and noise (compiled VJPs) →
 * saved states → discrete adjoint → initial values → static networks (autodiff VJP) →
 * conditions (symbolic derivatives of the assigned expressions) → estimated parameters.
 *
 * Noise models (y measurement, h simulation, σ noise formula, T the transformation: id, ln
 * or log₁₀, r = (T(y) − T(h))/σ): normal −log p = ½log(2π) + log σ + ½r² + log|T′(y)|⁻¹…
 * precisely `½log 2π + log σ + ½r² + J`, laplace `log 2σ + |r| + J`, with J = 0 (lin),
 * log y (log), log(y ln 10) (log10) — the density of y itself.
 */

import { Tensor } from '../autodiff/tensor.js';
import { vjp } from '../autodiff/transforms.js';
import { differentiate } from '../expr/derivative.js';
import { type Expr, evaluate, Op, topologicalOrder } from '../expr/ir.js';
import { discreteAdjoint } from '../ode/adjoint.js';
import { pid } from '../ode/controller.js';
import type { Method } from '../ode/method.js';
import { tsit5 } from '../ode/methods/tsit5.js';
import { modelField } from '../ode/modelField.js';
import { saveAt, solve } from '../ode/solve.js';
import { NDArray } from '../tensor/ndarray.js';
import type { NetParams } from './net.js';
import { addInto, type NetGradients, pickOutputs, zerosLike } from './netRuntime.js';
import type { PetabProblem, PetabScale, Prior, ProblemNet } from './problem.js';

/** A point in parameter space: estimated mechanistic parameters on their scale, network parameters. */
export interface PetabPoint {
  readonly mech: Float64Array;
  readonly nets: Readonly<Record<string, NetParams>>;
}

/** Solver settings of the objective. */
export interface PetabSolverOptions {
  /** Default tsit5 (non-stiff problems). */
  readonly method?: Method;
  /** Default 1e-8. */
  readonly rtol?: number;
  /** Default 1e-10. */
  readonly atol?: number;
  readonly maxSteps?: number;
}

/** Options of {@link evaluatePetab}. */
export interface PetabEvaluateOptions extends PetabSolverOptions {
  /** Compute the gradient (default true). */
  readonly gradient?: boolean;
}

/** The objective, simulations and gradient at a point. */
export interface PetabEvaluation {
  /** Negative log-likelihood of the measurements. */
  readonly nllh: number;
  /** log-likelihood = −nllh. */
  readonly llh: number;
  /** Negative log-prior of the estimated parameters (0 without priors). */
  readonly nlprior: number;
  /** The objective: nllh + nlprior. */
  readonly value: number;
  /** Simulated observable per measurement row (in measurement order). */
  readonly simulations: Float64Array;
  /** ∂value/∂(estimated parameters); `nets` zero for arrays that are not estimated. */
  readonly gradient: {
    readonly mech: Float64Array;
    readonly nets: Readonly<Record<string, NetGradients>>;
  } | null;
  /** Why the evaluation failed (a solver failure), else null. */
  readonly failure: string | null;
}

/**
 * Natural value x of a parameter from its estimation-scale value z, and dx/dz:
 * lin x = z (1), log x = eᶻ (x), log10 x = 10ᶻ (x ln 10).
 *
 * @example
 * ```ts
 * fromScale('log10', 2); // [100, 100 * Math.LN10]
 * ```
 */
export function fromScale(scale: PetabScale, z: number): [number, number] {
  if (scale === 'lin') return [z, 1];
  if (scale === 'log') {
    const x = Math.exp(z);
    return [x, x];
  }
  const x = 10 ** z;
  return [x, x * Math.LN10];
}

/**
 * The estimation-scale value of a natural value (the inverse of {@link fromScale}).
 *
 * @example
 * ```ts
 * toScale('log', Math.E); // 1
 * ```
 */
export function toScale(scale: PetabScale, x: number): number {
  return scale === 'lin' ? x : scale === 'log' ? Math.log(x) : Math.log10(x);
}

/**
 * The nominal point: nominal values of the parameter table, network arrays from the array
 * files (or the table's numeric nominal values).
 *
 * @example
 * ```ts
 * const r = evaluatePetab(problem, nominalPoint(problem));
 * ```
 */
export function nominalPoint(problem: PetabProblem): PetabPoint {
  return {
    mech: Float64Array.from(problem.estimated, (e) => toScale(e.scale, e.nominal)),
    nets: Object.fromEntries(problem.nets.map((n) => [n.id, n.nominal])),
  };
}

/**
 * −log of the prior density at the natural value x, and its derivative in x. Normal(μ, σ),
 * Laplace(μ, b), uniform(a, b), log-normal(μ, σ) and log-Laplace(μ, b) of ln x, exponential(λ),
 * Cauchy(x₀, γ), with `prior.params` in that order.
 *
 * @example
 * ```ts
 * priorTerm({ kind: 'normal', params: [0, 1] }, 0); // [0.5 * Math.log(2 * Math.PI), 0]
 * ```
 */
export function priorTerm(prior: Prior, x: number): [number, number] {
  const [a, b] = prior.params;
  switch (prior.kind) {
    case 'normal': {
      const r = (x - a) / b;
      return [0.5 * Math.log(2 * Math.PI) + Math.log(b) + 0.5 * r * r, r / b];
    }
    case 'laplace':
      return [Math.log(2 * b) + Math.abs(x - a) / b, Math.sign(x - a) / b];
    case 'uniform':
      return [x >= a && x <= b ? Math.log(b - a) : Number.POSITIVE_INFINITY, 0];
    case 'log-normal':
    case 'logNormal': {
      const r = (Math.log(x) - a) / b;
      return [Math.log(x) + 0.5 * Math.log(2 * Math.PI) + Math.log(b) + 0.5 * r * r, 1 / x + r / (b * x)];
    }
    case 'log-laplace':
    case 'logLaplace': {
      const r = Math.log(x) - a;
      return [Math.log(x) + Math.log(2 * b) + Math.abs(r) / b, 1 / x + Math.sign(r) / (b * x)];
    }
    case 'exponential':
      return [x >= 0 ? -Math.log(a) + a * x : Number.POSITIVE_INFINITY, a];
    case 'cauchy': {
      const r = x - a;
      return [Math.log(Math.PI * b) + Math.log1p((r * r) / (b * b)), (2 * r) / (b * b + r * r)];
    }
    default:
      throw new RangeError(`prior "${prior.kind}" is not supported`);
  }
}

/**
 * −log p(y | h, σ) of one measurement y given the simulation h and noise σ, with its
 * derivatives in h and σ (see the module documentation for the formulas).
 *
 * @example
 * ```ts
 * noiseTerm(1, 1, 1, 'lin', 'normal').nll; // 0.5 * Math.log(2 * Math.PI)
 * ```
 */
export function noiseTerm(
  y: number,
  h: number,
  sigma: number,
  transformation: 'lin' | 'log' | 'log10',
  distribution: 'normal' | 'laplace',
): { nll: number; dh: number; ds: number } {
  const T = transformation === 'lin' ? (v: number) => v : transformation === 'log' ? Math.log : Math.log10;
  const dT = transformation === 'lin' ? 1 : transformation === 'log' ? 1 / h : 1 / (h * Math.LN10);
  const J = transformation === 'lin' ? 0 : transformation === 'log' ? Math.log(y) : Math.log(y * Math.LN10);
  const r = (T(y) - T(h)) / sigma;
  if (distribution === 'normal') {
    return {
      nll: 0.5 * Math.log(2 * Math.PI) + Math.log(sigma) + 0.5 * r * r + J,
      dh: (-r / sigma) * dT,
      ds: 1 / sigma - (r * r) / sigma,
    };
  }
  return {
    nll: Math.log(2 * sigma) + Math.abs(r) + J,
    dh: (-Math.sign(r) / sigma) * dT,
    ds: 1 / sigma - Math.abs(r) / sigma,
  };
}

const paramLeaves = (e: Expr): number[] => [
  ...new Set(
    topologicalOrder([e])
      .filter((n) => n.op === Op.Param)
      .map((n) => n.index),
  ),
];

/** Value of a parameter-only expression at parameter row `p` (offset `off`). */
function valueAt(e: Expr, p: Float64Array, off: number): number {
  return evaluate([e], (leaf) => {
    if (leaf.op === Op.Param) return p[off + leaf.index];
    throw new RangeError(`expression uses ${leaf.op}; only parameters are allowed before the simulation`);
  })[0];
}

/** pBar[off + k] += bar · ∂e/∂p_k at p. */
function chainExpr(
  problem: PetabProblem,
  e: Expr,
  bar: number,
  p: Float64Array,
  pBar: Float64Array,
  off: number,
): void {
  if (bar === 0) return;
  const f = problem.model.factory;
  for (const k of paramLeaves(e)) pBar[off + k] += bar * valueAt(differentiate(f, e, f.param(k)), p, off);
}

/** The static network's input tensors for experiment e (parameters at row `off` of p). */
function staticArgs(problem: PetabProblem, n: ProblemNet, e: number, p: Float64Array, off: number): Tensor[] {
  const exp = problem.experiments[e];
  return n.staticInputs.map((src) => {
    if (src.kind === 'scalars')
      return new Tensor(
        new NDArray(
          Float64Array.from(src.exprs, (x) => valueAt(x, p, off)),
          [src.exprs.length],
        ),
      );
    const byCond = problem.arrayInputs.get(src.inputId)!;
    const found = exp.conditions.map((c) => byCond.get(c)).find((a) => a !== undefined) ?? byCond.get('0');
    if (found === undefined)
      throw new RangeError(
        `network ${n.id}: no array for input "${src.inputId}" in experiment ${exp.id} (conditions ${exp.conditions.join(', ') || 'none'}); name it "0" for all conditions`,
      );
    return new Tensor(found);
  });
}

/**
 * Evaluates the PEtab objective at `point` (see the module documentation).
 *
 * @example
 * ```ts
 * const r = evaluatePetab(problem, nominalPoint(problem));
 * r.llh; r.gradient?.mech;
 * ```
 */
export function evaluatePetab(
  problem: PetabProblem,
  point: PetabPoint,
  options: PetabEvaluateOptions = {},
): PetabEvaluation {
  const wantGrad = options.gradient ?? true;
  const method = options.method ?? tsit5();
  const c = problem.compiled;
  const P = c.nParams;
  const D = c.dim;
  const K = c.nObservables;
  const exps = problem.experiments;
  const E = exps.length;
  if (point.mech.length !== problem.estimated.length)
    throw new RangeError(
      `evaluatePetab: ${point.mech.length} mechanistic values for ${problem.estimated.length} estimated parameters`,
    );

  // 1. Base values with the estimated parameters.
  const dxdz = new Float64Array(problem.estimated.length);
  const base = problem.baseParams.slice();
  problem.estimated.forEach((est, j) => {
    const [x, d] = fromScale(est.scale, point.mech[j]);
    base[est.index] = x;
    dxdz[j] = d;
  });
  const p1 = new Float64Array(E * P);
  for (let e = 0; e < E; e++) p1.set(base, e * P);
  // 2. Condition assignments (simultaneous, from the values before them).
  const p = p1.slice();
  const y0Override: Map<number, number>[] = exps.map(() => new Map());
  exps.forEach((x, e) => {
    for (const a of x.assignments) {
      const v = valueAt(a.expr, p1, e * P);
      if (a.target.kind === 'param') p[e * P + a.target.index] = v;
      else y0Override[e].set(a.target.index, v);
    }
  });
  // 3. Static networks, then the hybridization assignments of their outputs.
  const p2 = p.slice();
  const statics = problem.nets.filter((n) => n.static);
  for (const n of statics) {
    for (let e = 0; e < E; e++) {
      const out = pickOutputs(n.binding, n.net.apply(point.nets[n.id], staticArgs(problem, n, e, p2, e * P)));
      n.outputParams.forEach((k, j) => {
        p[e * P + k] = out.data[j];
      });
    }
  }
  for (let e = 0; e < E; e++) {
    for (const sa of problem.staticAssignments) {
      if (sa.target.kind === 'param') p[e * P + sa.target.index] = p[e * P + sa.source];
      else y0Override[e].set(sa.target.index, p[e * P + sa.source]);
    }
  }
  // 4. Initial values.
  const none = new Float64Array(0);
  const y0 = new Float64Array(E * D);
  c.initial(p, none, y0, E);
  y0Override.forEach((m, e) => {
    for (const [i, v] of m) y0[e * D + i] = v;
  });
  // 5. Solve.
  const dynamic = problem.nets.filter((n) => !n.static).sort((a, b) => a.call - b.call);
  problem.runtime.setParams(dynamic.map((n) => point.nets[n.id]));
  const field = modelField(c, { n: E });
  const t1 = Float64Array.from(exps, (x) => (x.times.length > 0 ? x.times[x.times.length - 1] : x.t0));
  const solution = solve(field, y0, {
    method,
    controller: pid({ rtol: options.rtol ?? 1e-8, atol: options.atol ?? 1e-10 }),
    t0: Float64Array.from(exps, (x) => x.t0),
    t1,
    params: p,
    saveat: saveAt.times(exps.map((x) => x.times)),
    recordForAdjoint: wantGrad,
    maxSteps: options.maxSteps,
  });
  const M = problem.measurements.length;
  const simulations = new Float64Array(M).fill(Number.NaN);
  const fail = (why: string): PetabEvaluation => ({
    nllh: Number.NaN,
    llh: Number.NaN,
    nlprior: Number.NaN,
    value: Number.NaN,
    simulations,
    gradient: null,
    failure: why,
  });
  if (solution.failures.length > 0) return fail(solution.failures[0].message);

  // 6. Observables and noise at every measurement.
  const tm = new Float64Array(M);
  const ym = new Float64Array(M * D);
  const pm = new Float64Array(M * P);
  const timeIndex = exps.map((x) => new Map(Array.from(x.times, (t, i) => [t, i])));
  problem.measurements.forEach((m, r) => {
    tm[r] = m.time;
    const ti = timeIndex[m.experiment].get(m.time)!;
    ym.set(solution.ys[m.experiment].subarray(ti * D, (ti + 1) * D), r * D);
    pm.set(p.subarray(m.experiment * P, (m.experiment + 1) * P), r * P);
    for (const o of m.overrides)
      pm[r * P + o.param] = typeof o.value === 'number' ? o.value : p[m.experiment * P + o.value.param];
  });
  const h = new Float64Array(M * K);
  const sig = new Float64Array(M * K);
  if (wantGrad) problem.runtime.zeroGradients();
  c.observe(tm, ym, pm, none, none, h, M);
  c.noise(tm, ym, pm, none, none, sig, M);
  let nllh = 0;
  const hBar = new Float64Array(M * K);
  const sBar = new Float64Array(M * K);
  problem.measurements.forEach((m, r) => {
    const k = m.observable;
    const o = problem.observables[k];
    const t = noiseTerm(m.value, h[r * K + k], sig[r * K + k], o.transformation, o.distribution);
    simulations[r] = h[r * K + k];
    nllh += t.nll;
    hBar[r * K + k] = t.dh;
    sBar[r * K + k] = t.ds;
  });
  // Priors.
  let nlprior = 0;
  const mechBar = new Float64Array(problem.estimated.length);
  problem.estimated.forEach((est, j) => {
    if (est.prior === null) return;
    const [v, d] = priorTerm(est.prior, base[est.index]);
    nlprior += v;
    mechBar[j] += d * dxdz[j];
  });
  const netBar: Record<string, NetGradients> = {};
  for (const n of problem.nets) {
    netBar[n.id] = zerosLike(point.nets[n.id]);
    for (const a of n.arrays) {
      if (a.prior === null) continue;
      const x = point.nets[n.id][a.layer][a.array].data;
      const g = netBar[n.id][a.layer][a.array];
      for (let i = 0; i < x.length; i++) {
        const [v, d] = priorTerm(a.prior, x[i]);
        nlprior += v;
        if (a.estimated) g[i] += d;
      }
    }
  }
  const value = nllh + nlprior;
  if (!Number.isFinite(value))
    return {
      ...fail(
        'the objective is not finite (σ ≤ 0, a non-positive value under a log transformation, or a prior outside its support)',
      ),
      simulations,
    };
  if (!wantGrad) return { nllh, llh: -nllh, nlprior, value, simulations, gradient: null, failure: null };

  // 7. Back through observables and noise to saved states and parameters.
  const yBar = new Float64Array(M * D);
  const pmBar = new Float64Array(M * P);
  c.observeVjp(tm, ym, pm, none, none, hBar, yBar, pmBar, M);
  const yBar2 = new Float64Array(M * D);
  c.noiseVjp(tm, ym, pm, none, none, sBar, yBar2, pmBar, M);
  const savedBar = exps.map((x) => new Float64Array(x.times.length * D));
  const pBar = new Float64Array(E * P);
  problem.measurements.forEach((m, r) => {
    const ti = timeIndex[m.experiment].get(m.time)!;
    const sb = savedBar[m.experiment];
    for (let d = 0; d < D; d++) sb[ti * D + d] += yBar[r * D + d] + yBar2[r * D + d];
    const overridden = new Set(m.overrides.map((o) => o.param));
    for (let k = 0; k < P; k++) if (!overridden.has(k)) pBar[m.experiment * P + k] += pmBar[r * P + k];
    for (const o of m.overrides)
      if (typeof o.value !== 'number') pBar[m.experiment * P + o.value.param] += pmBar[r * P + o.param];
  });
  // 8. Discrete adjoint.
  const g = discreteAdjoint(field, solution, method, p, savedBar);
  for (let i = 0; i < pBar.length; i++) pBar[i] += g.params[i];
  const y0Bar = g.y0.slice();
  // 9. Initial values: overridden entries go to their sources, the rest through the model.
  const overrideBar: Map<number, number>[] = exps.map(() => new Map());
  y0Override.forEach((m, e) => {
    for (const i of m.keys()) {
      overrideBar[e].set(i, y0Bar[e * D + i]);
      y0Bar[e * D + i] = 0;
    }
  });
  c.initialVjp(p, none, y0Bar, pBar, E);
  for (let e = 0; e < E; e++) {
    for (const sa of problem.staticAssignments) {
      const off = e * P;
      if (sa.target.kind === 'param') {
        pBar[off + sa.source] += pBar[off + sa.target.index];
        pBar[off + sa.target.index] = 0;
      } else {
        pBar[off + sa.source] += overrideBar[e].get(sa.target.index) ?? 0;
        overrideBar[e].delete(sa.target.index);
      }
    }
  }
  // 10. Static networks (reverse order).
  for (const n of [...statics].reverse()) {
    for (let e = 0; e < E; e++) {
      const off = e * P;
      const ob = Float64Array.from(n.outputParams, (k) => pBar[off + k]);
      n.outputParams.forEach((k) => {
        pBar[off + k] = 0;
      });
      if (ob.every((v) => v === 0)) continue;
      const args = staticArgs(problem, n, e, p2, off);
      const [, back] = vjp(
        (t: { args: Tensor[]; params: NetParams }) => pickOutputs(n.binding, n.net.apply(t.params, t.args)),
        { args, params: point.nets[n.id] },
      );
      const gr = back(new Tensor(new NDArray(ob, [ob.length])));
      addInto(netBar[n.id], gr.params);
      n.staticInputs.forEach((src, a) => {
        if (src.kind !== 'scalars') return;
        const gx = gr.args[a].data;
        src.exprs.forEach((x, i) => {
          chainExpr(problem, x, gx[i], p2, pBar, off);
        });
      });
    }
  }
  // 11. Condition assignments.
  exps.forEach((x, e) => {
    const off = e * P;
    const bars = x.assignments.map((a) => {
      if (a.target.kind === 'param') {
        const b = pBar[off + a.target.index];
        return b;
      }
      return overrideBar[e].get(a.target.index) ?? 0;
    });
    x.assignments.forEach((a) => {
      if (a.target.kind === 'param') pBar[off + a.target.index] = 0;
    });
    x.assignments.forEach((a, i) => {
      chainExpr(problem, a.expr, bars[i], p1, pBar, off);
    });
  });
  // 12. Estimated parameters.
  problem.estimated.forEach((est, j) => {
    let s = 0;
    for (let e = 0; e < E; e++) s += pBar[e * P + est.index];
    mechBar[j] += s * dxdz[j];
  });
  const rg = problem.runtime.gradients();
  dynamic.forEach((n, k) => {
    for (const [layer, arrays] of Object.entries(rg[k]))
      for (const [name, a] of Object.entries(arrays)) {
        const acc = netBar[n.id][layer][name];
        for (let i = 0; i < a.length; i++) acc[i] += a[i];
      }
  });
  for (const n of problem.nets)
    for (const a of n.arrays) if (!a.estimated) netBar[n.id][a.layer][a.array].fill(0);
  return {
    nllh,
    llh: -nllh,
    nlprior,
    value,
    simulations,
    gradient: { mech: mechBar, nets: netBar },
    failure: null,
  };
}
