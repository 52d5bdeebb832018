/**
 * The continuous adjoint ("optimise-then-discretise"): gradients of a loss on the saved values
 * by integrating the adjoint ODE backwards in time with an ordinary {@link solve}, rather than
 * by differentiating the solver's own steps (compare `discreteAdjoint`).
 *
 * Two variants, differing in where the backward pass gets the state y(t) from:
 * `'interpolated'` re-solves the forward problem interval by interval and keeps the method's
 * dense output; `'backsolve'` integrates y backwards together with the adjoint, from the final
 * state.
 */
import type { AdjointGradients } from './adjoint.js';
import { type Controller, pid } from './controller.js';
import { DenseSteps, observeSteps, type StepListener } from './denseSteps.js';
import { EventJump, requireEventHooks } from './eventJump.js';
import type { VectorField } from './field.js';
import type { Method } from './method.js';
import { tsit5 } from './methods/tsit5.js';
import { rejectUnknown } from './options.js';
import {
  type Dose,
  type EventRecord,
  type EventSpec,
  type SaveAt,
  SOLVE_KEYS,
  type Solution,
  type SolveOptions,
  saveAt,
  solve,
} from './solve.js';

type Arr = Float64Array;

/**
 * Where the backward pass finds the forward state: `'interpolated'` (a forward re-solve whose
 * dense output is kept) or `'backsolve'` (y integrated backwards with the adjoint).
 */
export type ContinuousAdjointVariant = 'backsolve' | 'interpolated';

/** Options of {@link continuousAdjoint}: the options given to `solve`, plus its initial state. */
export interface ContinuousAdjointOptions extends SolveOptions {
  /** The initial states given to `solve`, [N·dim]; required by `'interpolated'`. */
  y0?: Float64Array;
}

const OPTION_KEYS = [...SOLVE_KEYS, 'y0'];

/**
 * Gauss–Legendre nodes and weights on [0, 1] (3 points, exact for polynomials of degree 5, above
 * the degree of every stiff method's interpolant): the quadrature of μ over each backward step
 * of a stiff method. (Measured: 2 points lose up to 5× on the PK test, 4 points gain nothing.)
 */
const GAUSS_NODES = [0.5 - 0.3872983346207417, 0.5, 0.5 + 0.3872983346207417];
const GAUSS_WEIGHTS = [5 / 18, 8 / 18, 5 / 18];
/** The most pieces a backward step is cut into for the quadrature of μ (see `accumulateMu`). */
const MAX_PIECES = 64;

/**
 * Gradients of a loss L(saved values, event times) with respect to the initial states, the
 * parameters, the bolus amounts and the infusion rates, the dose times and the infusion
 * durations, by the continuous adjoint.
 * `savedBar[b]` holds ∂L/∂(saved values of trajectory b), laid out like `solution.ys[b]`;
 * `eventTimesBar` (optional) holds ∂L/∂τ for each event time in `solution.events`; `options`
 * are the options the solution was computed with, events included (the backward solves use the
 * same method, controller and maxSteps; the controller's tolerances govern the gradient's
 * accuracy).
 *
 * The adjoint λ(t) = ∂L/∂y(t) and the parameter gradient μ(t) solve, backwards from
 * λ(t₁) = 0, μ(t₁) = 0 (Pontryagin et al. 1962; Chen et al. 2018):
 *
 *   λ′ = −(∂f/∂y)ᵀλ,   μ′ = −(∂f/∂p)ᵀλ,
 *
 * between consecutive stops — save, dose and infusion times and the field's discontinuities
 * (jumps of piecewise inputs) — with jumps λ ← λ + ∂L/∂y(tⱼ) at each save time; then
 * ∂L/∂y₀ = λ(t₀), ∂L/∂p = μ(t₀). A bolus y⁺ = y⁻ + a·e_k leaves λ continuous and gives
 * ∂L/∂a = λ_k just after the dose; a save at a bolus time sees the state before the dose (also
 * with `saveAt.final()` and `saveAt.steps()`). Infusion rates r enter only the state equation
 * y′ = f + r·e_k, never λ's, and ∂L/∂r = ∫ λ_k dt over the infusion's window (integrated with
 * λ: in the state for explicit methods, by the quadrature of μ for stiff ones). Dose times
 * (see {@link AdjointGradients.doseTimes}): ∂L/∂time = r·(λ_k(end) − λ_k(start)) and
 * ∂L/∂duration = r·λ_k(end) for an infusion, λ·(f(τ, y⁺ − a·e_k) − f(τ, y⁺)) for a bolus, with
 * λ just after the dose time (without the saves there) and y⁺ the state after the doses. At a jump of the field (an input) y stays continuous and so does λ:
 * the backward pass only restarts there, evaluating the field on each side with that side's
 * limit (`VectorField.beginStep`), as the forward solve does. Each interval is integrated by
 * `solve` in the reversed time s = t_{k+1} − t of its interval [t_k, t_{k+1}].
 *
 * State-dependent events (each needs `conditionGradient`, and `actionJacobian` for a state
 * change, as for the discrete adjoint) are replayed at the times in `solution.events`, which
 * become stops. At an event at τ (condition g(t, y, p) = 0, action y⁺ = h(τ, y⁻, p)), with
 * f^∓ = f(τ, y^∓) (+ infusion rates), a⁻ the cotangent of the values saved at τ and τ̄ that of
 * τ, λ jumps by the transpose of the sensitivity jump (see `eventJump.ts`):
 *
 *   ν = −(τ̄ + a⁻·f⁻ + λ⁺·(h_y·f⁻ + h_t − f⁺))/(g_y·f⁻ + g_t),
 *   λ⁻ = h_yᵀ·λ⁺ + g_yᵀ·ν + a⁻,   μ += h_pᵀ·λ⁺ + g_pᵀ·ν.
 *
 * A 'stop' ends the backward pass's trajectory at τ (h is the identity; a value saved at τ
 * moves with the event). `'interpolated'` takes y^∓ from its forward re-solve (which applies the
 * actions at the recorded times); `'backsolve'` from the solution's `records` when it has them,
 * else from a re-solve from `options.y0` that keeps the event states (two checkpoints: O(events)
 * states and 2 numbers per step), and restarts its backward y from y⁻ at each event.
 *
 * Variants:
 * - `'interpolated'`: y(t) comes from re-solving each interval forward (from y₀, with the same
 *   doses) and keeping the method's own dense output on every step (its interpolant sampled at
 *   denseOrder + 1 points; Rodas5P's stiffly accurate order-4 interpolant for rodas5p; for
 *   kvaerno5 the cubic Hermite interpolant of its step ends and stage slopes). Memory:
 *   (denseOrder + 1)·dim + 2 numbers per forward step and trajectory.
 * - `'backsolve'` (Chen et al. 2018): y is integrated backwards from the final state together
 *   with λ and μ, in O(1) memory. **Not recommended**: the backward problem is unstable when
 *   the forward one is dissipative or stiff (decaying modes grow backwards, so the
 *   reconstructed y(t) and with it the gradient can be wrong by orders of magnitude; Kidger,
 *   "On Neural Differential Equations", thesis, 2021). Use it only for problems that are
 *   well-conditioned in both directions (conservative, oscillatory). Explicit methods only.
 *
 * Stiff methods (`rodas5p()`, `rodas4()`, `kvaerno5()`; `'interpolated'` only): the backward
 * system λ′ = −J(t)ᵀλ is linear in λ, with Jacobian −Jᵀ at the stored y(t) (from `field.jac`),
 * and is as stiff as the forward problem (but stable backwards). It is solved for λ alone;
 * μ(t₀) = ∫ (∂f/∂p)ᵀλ dt, which nothing feeds back into, is accumulated by 3-point
 * Gauss–Legendre quadrature over each accepted backward step from the stepper's own dense
 * output of λ, so that the linear systems stay dim × dim whatever the number of parameters
 * (a neural network's weights). With explicit methods μ is integrated with λ, at no extra
 * evaluations. A Rosenbrock method created with `autonomous: true` is used without that
 * assumption for the backward system, which depends on t through y(t).
 *
 * Both variants give gradients of the exact solution, not of the computed one: they agree with
 * the discrete adjoint and with finite differences to about the solve's tolerance, not to
 * rounding.
 *
 * @throws TypeError for `'backsolve'` with a stiff method, `saveAt.steps()` or
 *   `saveAt.dense()`, `'interpolated'` without `y0` (and `'backsolve'` through events without
 *   `y0` or records), or an event that happened without its derivative hooks.
 * @throws Error when a trajectory of the solution failed or a backward solve fails, at a
 *   grazing event (the condition touches zero with zero rate), or at two events at one time.
 * @example
 * ```ts
 * const opts = { method: rodas5p(), t1: 40, params, controller: pid({ rtol: 1e-10, atol: 1e-14 }), saveat: saveAt.times(ts) };
 * const sol = solve(field, y0, opts);
 * const bar = sol.ys.map((ys) => ys.map((v) => 2 * v)); // L = Σ ys²
 * const g = continuousAdjoint(field, sol, { ...opts, y0 }, bar, 'interpolated');
 * g.params; // ∂L/∂p
 * ```
 */
export function continuousAdjoint(
  field: VectorField,
  solution: Solution,
  options: ContinuousAdjointOptions,
  savedBar: readonly Float64Array[],
  variant: ContinuousAdjointVariant,
  eventTimesBar?: Float64Array,
): AdjointGradients {
  const where = `continuousAdjoint (${variant})`;
  rejectUnknown('continuousAdjoint', options, OPTION_KEYS);
  if (variant !== 'backsolve' && variant !== 'interpolated') {
    throw new TypeError(`continuousAdjoint: variant "${variant}"; use 'interpolated' or 'backsolve'`);
  }
  const method: Method = options.method ?? tsit5();
  const backsolve = variant === 'backsolve';
  if (method.stiff && backsolve) {
    throw new TypeError(
      `${where}: ${method.name} is for stiff problems, and backsolve cannot be: integrating y backwards ` +
        'turns every fast decaying mode into a fast growing one, which no method can follow, and the ' +
        "backward system's Jacobian would need second derivatives of f; use 'interpolated' or discreteAdjoint with kvaerno5()",
    );
  }
  if (method.stiff && field.jac === undefined) {
    throw new TypeError(`${where}: ${method.name} needs the Jacobian, but the vector field has no jac`);
  }
  const saveat: SaveAt = options.saveat ?? saveAt.final();
  if (saveat.kind === 'steps' || saveat.kind === 'dense') {
    throw new TypeError(
      `${where}: saveAt.steps() and saveAt.dense() are not supported; save at saveAt.times(…)`,
    );
  }
  const N = solution.n;
  const D = field.dim;
  const P = field.nParams;
  const params = options.params ?? new Float64Array(0);
  if (params.length !== N * P) {
    throw new RangeError(`${where}: params has ${params.length} values; need ${N} × ${P}`);
  }
  if (savedBar.length !== N)
    throw new RangeError(`${where}: ${savedBar.length} cotangent lists for ${N} trajectories`);
  for (let b = 0; b < N; b++) {
    if (solution.status[b] !== 'success') {
      throw new Error(
        `${where}: trajectory ${b} failed (${solution.status[b]}); there is nothing to differentiate`,
      );
    }
    if (savedBar[b].length !== solution.ys[b].length) {
      throw new RangeError(
        `${where}: trajectory ${b} has ${solution.ys[b].length} saved values, cotangent ${savedBar[b].length}`,
      );
    }
  }
  const y0 = options.y0;
  if (variant === 'interpolated' && (y0 === undefined || y0.length !== N * D)) {
    throw new TypeError(`${where}: pass the solve's initial states as options.y0 (${N * D} values)`);
  }
  const perRow = (v: number | Float64Array) => (typeof v === 'number' ? new Float64Array(N).fill(v) : v);
  const t0 = perRow(options.t0 ?? 0);
  const t1 = perRow(options.t1);
  const doses = options.doses ?? [];
  // State-dependent events that happened: replayed at their times (stops of the timelines).
  const specs: readonly EventSpec[] = options.events ?? [];
  const happened = solution.events;
  if (eventTimesBar !== undefined && eventTimesBar.length !== happened.length) {
    throw new RangeError(
      `${where}: eventTimesBar has ${eventTimesBar.length} values for ${happened.length} events`,
    );
  }
  happened.forEach((ev, i) => {
    const spec = specs[ev.event];
    if (spec === undefined) {
      throw new RangeError(
        `${where}: the solution has event ${i} of specification ${ev.event}, but options.events has ${specs.length}; pass the solve's events`,
      );
    }
    requireEventHooks('continuousAdjoint', spec, ev.event, ` (trajectory ${ev.trajectory}, t = ${ev.time})`);
  });
  const timelines = Array.from(
    { length: N },
    (_, b) =>
      new Timeline(
        b,
        t0[b],
        t1[b],
        solution.ts[b],
        doses,
        D,
        field.discontinuities?.(b) ?? [],
        happened,
        specs,
      ),
  );
  const nIntervals = Math.max(0, ...timelines.map((tl) => tl.stops.length - 1));
  const hasInfusions = doses.some((d) => d.kind === 'infusion');

  // Forward pass (interpolated): the dense state on every interval, and the states either side
  // of every event. Backsolve takes the latter from the solution's records or a re-solve.
  const forward =
    variant === 'interpolated' && y0 !== undefined
      ? forwardPass(field, y0, options, method, timelines, nIntervals, specs, happened)
      : null;
  const eventStates =
    forward !== null ? forward.eventStates : backsolveEventStates(field, solution, options, where);

  // Stiff methods integrate λ alone (μ and ∫λ by quadrature); explicit ones carry μ (and ∫λ,
  // with infusions) in the state.
  const withMu = !method.stiff;
  const adjoint = new AdjointSystem(field, N, params, backsolve, withMu, withMu && hasInfusions, forward);
  const offL = backsolve ? D : 0;
  const offInt = offL + D + P;
  const A = adjoint.dim;
  const z = new Float64Array(N * A);
  const doseBar = new Float64Array(doses.length);
  const doseTimes = new Float64Array(doses.length);
  const doseDurations = new Float64Array(doses.length);
  const yDosed = new Float64Array(D);
  const fDosed = new Float64Array(D);
  const fUndosed = new Float64Array(D);
  if (backsolve)
    for (let b = 0; b < N; b++) for (let i = 0; i < D; i++) z[b * A + i] = solution.yFinal[b * D + i];
  const jumps = new EventReversal(
    field,
    N,
    params,
    specs,
    happened,
    eventStates,
    eventTimesBar ?? null,
    where,
  );
  const pEvent = new Float64Array(P);
  /** Backwards through what happened at stop k of row b: an event, boluses and saves. */
  const atStop = (b: number, k: number) => {
    const tl = timelines[b];
    const ev = tl.events[k];
    if (ev >= 0) {
      pEvent.fill(0);
      jumps.reverse(b, tl, k, savedBar[b], z, b * A + offL, pEvent);
      for (let i = 0; i < P; i++) {
        if (withMu) z[b * A + offL + D + i] += pEvent[i];
        else adjoint.mu[b * P + i] += pEvent[i];
      }
      // Backsolve continues from the state before the event.
      if (backsolve) for (let i = 0; i < D; i++) z[b * A + i] = eventStates[ev * 2 * D + i];
    }
    const lam = b * A + offL;
    // Moving an infusion's start by δ (its duration fixed) removes r·δ·e_k at its start and adds
    // it at its end; moving its end adds it at its end: ∂L/∂time = r·(λ_k(end⁺) − λ_k(start⁺)),
    // ∂L/∂duration = r·λ_k(end⁺), with λ⁺ the adjoint just after the stop, without its saves.
    for (const i of tl.starts[k]) {
      const d = doses[i];
      if (d.kind === 'infusion') doseTimes[i] -= d.rate * z[lam + d.state];
    }
    for (const i of tl.ends[k]) {
      const d = doses[i];
      if (d.kind !== 'infusion') continue;
      doseTimes[i] += d.rate * z[lam + d.state];
      doseDurations[i] += d.rate * z[lam + d.state];
    }
    // A bolus moved to τ + δ leaves y⁺ − a·e_k on [τ, τ + δ): ∂L/∂τ = λ⁺·(f(τ, y⁺ − a·e_k) − f(τ, y⁺)),
    // with y⁺ the state after the boluses at τ (the interval after τ's side of the field).
    if (tl.boluses[k].length > 0 && k < tl.stops.length - 1) {
      if (backsolve) for (let i = 0; i < D; i++) yDosed[i] = z[b * A + i];
      for (const i of tl.boluses[k]) {
        const d = doses[i];
        if (d.kind !== 'bolus') continue;
        if (!backsolve) for (let j = 0; j < D; j++) yDosed[j] = forward!.doseStates[i * D + j];
        const tau = tl.stops[k];
        jumps.slope(b, tau, tau, tl.stops[k + 1], yDosed, 0, null, fDosed);
        yDosed[d.state] -= d.amount;
        jumps.slope(b, tau, tau, tl.stops[k + 1], yDosed, 0, null, fUndosed);
        yDosed[d.state] += d.amount;
        for (let j = 0; j < D; j++) doseTimes[i] += z[lam + j] * (fUndosed[j] - fDosed[j]);
      }
    }
    for (const i of tl.boluses[k]) {
      const d = doses[i];
      if (d.kind !== 'bolus') continue;
      // y⁺ = y⁻ + a·e_k: ∂L/∂a = λ⁺_k, and λ⁻ = λ⁺.
      doseBar[i] += z[lam + d.state];
      if (backsolve) z[b * A + d.state] -= d.amount;
    }
    for (const j of tl.saves[k]) for (let i = 0; i < D; i++) z[b * A + offL + i] += savedBar[b][j * D + i];
  };
  /** After the backward solve of interval k of row b: ∂L/∂r += ∫λ_state dt for the infusions on it. */
  const infusionRates = (b: number, k: number) => {
    const tl = timelines[b];
    for (const i of tl.infusions[k]) {
      const d = doses[i];
      doseBar[i] += withMu ? z[b * A + offInt + d.state] : adjoint.intLambda[b * D + d.state];
    }
    if (withMu && hasInfusions) z.fill(0, b * A + offInt, b * A + offInt + D);
    else adjoint.intLambda.fill(0, b * D, (b + 1) * D);
  };
  for (let b = 0; b < N; b++) atStop(b, timelines[b].stops.length - 1);

  const controller = augmentedController(options.controller ?? pid(), D, A, offL);
  // The backward system depends on t (through y(t)) even when f does not.
  const stepping = method.nonAutonomous?.() ?? method;
  const backwardMethod = withMu ? stepping : observeSteps(stepping, adjoint.accumulateMu);
  const s0 = new Float64Array(N);
  const s1 = new Float64Array(N);
  for (let back = 0; back < nIntervals; back++) {
    for (let b = 0; b < N; b++) {
      const tl = timelines[b];
      const k = tl.stops.length - 2 - back; // the interval [stops[k], stops[k + 1]]
      s1[b] = k < 0 ? 0 : adjoint.enter(b, tl, k);
      if (backsolve && k >= 0) adjoint.rates.set(tl.rates[k], b * D);
    }
    const sol = solve(adjoint, z, {
      method: backwardMethod,
      t0: s0,
      t1: s1,
      params,
      controller,
      ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
    });
    if (sol.failures.length > 0) {
      const f = sol.failures[0];
      const hint = backsolve ? "; backsolve is unstable for dissipative problems, use 'interpolated'" : '';
      throw new Error(
        `${where}: the backward solve of trajectory ${f.trajectory} failed at t = ${adjoint.time(f.trajectory, f.time)}: ` +
          `${f.message.replace(/^trajectory \d+ at t = [^:]*: /, '')}${hint}`,
      );
    }
    z.set(sol.yFinal);
    for (let b = 0; b < N; b++) {
      const k = timelines[b].stops.length - 2 - back;
      if (k < 0) continue;
      if (hasInfusions) infusionRates(b, k);
      atStop(b, k);
    }
  }
  const gy0 = new Float64Array(N * D);
  const gp = withMu ? new Float64Array(N * P) : adjoint.mu;
  for (let b = 0; b < N; b++) {
    for (let i = 0; i < D; i++) gy0[b * D + i] = z[b * A + offL + i];
    if (withMu) for (let i = 0; i < P; i++) gp[b * P + i] = z[b * A + offL + D + i];
  }
  return { y0: gy0, params: gp, doses: doseBar, doseTimes, doseDurations };
}

/**
 * One trajectory's stops — t₀, its end (t₁, or the time of a 'stop' event), save times, bolus
 * times, infusion starts and ends, the field's discontinuities and the times of the events that
 * happened, sorted and distinct — with what happens at each and the infusions on each interval.
 */
class Timeline {
  readonly stops: number[];
  /** Per stop: indices into the trajectory's saved values. */
  readonly saves: number[][];
  /** Per stop: indices into `doses` of the boluses given there. */
  readonly boluses: number[][];
  /** Per stop: the index into `solution.events` of the event that happened there, or −1. */
  readonly events: number[];
  /** Per stop: whether y jumps there (a bolus or a state-changing event). */
  readonly breaks: boolean[];
  /** Per interval [stops[k], stops[k+1]]: the summed infusion rates, dim values. */
  readonly rates: Float64Array[];
  /** Per interval: indices into `doses` of the infusions running on it. */
  readonly infusions: number[][];
  /** Per stop: indices into `doses` of the infusions that start there, and of those that end there. */
  readonly starts: number[][];
  readonly ends: number[][];

  constructor(
    b: number,
    t0: number,
    t1: number,
    ts: Arr,
    doses: readonly Dose[],
    D: number,
    jumps: readonly number[],
    happened: readonly EventRecord[],
    specs: readonly EventSpec[],
  ) {
    const mineEvents = happened.map((e, i) => ({ e, i })).filter(({ e }) => e.trajectory === b);
    // A 'stop' event ends the trajectory.
    let end = t1;
    for (const { e } of mineEvents) if (specs[e.event].action === 'stop') end = Math.min(end, e.time);
    const times = [t0, end, ...ts];
    // The field's jumps inside (t0, end), as solve takes them.
    for (const t of jumps) if (Number.isFinite(t) && t > t0 && t < end) times.push(t);
    const mine = doses.map((d, i) => ({ d, i })).filter(({ d }) => d.trajectory === b && d.time <= end);
    for (const { d } of mine) {
      times.push(d.time);
      if (d.kind === 'infusion' && d.time + d.duration < end) times.push(d.time + d.duration);
    }
    for (const { e } of mineEvents) times.push(e.time);
    times.sort((x, y) => x - y);
    this.stops = times.filter((t, i) => i === 0 || t !== times[i - 1]);
    const index = (t: number) => this.stops.indexOf(t);
    this.saves = this.stops.map(() => []);
    this.boluses = this.stops.map(() => []);
    this.events = this.stops.map(() => -1);
    this.breaks = this.stops.map(() => false);
    for (let j = 0; j < ts.length; j++) this.saves[index(ts[j])].push(j);
    for (const { d, i } of mine) {
      if (d.kind !== 'bolus') continue;
      this.boluses[index(d.time)].push(i);
      this.breaks[index(d.time)] = true;
    }
    for (const { e, i } of mineEvents) {
      const k = index(e.time);
      if (this.events[k] >= 0) {
        throw new Error(
          `continuousAdjoint: trajectory ${b} has two events at t = ${e.time}; simultaneous events are not supported`,
        );
      }
      this.events[k] = i;
      if (specs[e.event].action !== 'stop') this.breaks[k] = true;
    }
    this.starts = this.stops.map(() => []);
    this.ends = this.stops.map(() => []);
    for (const { d, i } of mine) {
      if (d.kind !== 'infusion') continue;
      this.starts[index(d.time)].push(i);
      if (d.time + d.duration < end) this.ends[index(d.time + d.duration)].push(i);
    }
    this.infusions = this.stops.slice(1).map((_, k) => {
      const start = this.stops[k];
      return mine
        .filter(({ d }) => d.kind === 'infusion' && d.time <= start && d.time + d.duration > start)
        .map(({ i }) => i);
    });
    this.rates = this.infusions.map((list) => {
      const r = new Float64Array(D);
      for (const i of list) {
        const d = doses[i];
        if (d.kind === 'infusion') r[d.state] += d.rate;
      }
      return r;
    });
  }

  /**
   * The intervals [from, to) around interval k on which y is continuous: between the jumps of y
   * (boluses, state-changing events) before and after it.
   */
  continuousAround(k: number): { from: number; to: number } {
    let from = k;
    while (from > 0 && !this.breaks[from]) from--;
    let to = k + 1;
    while (to < this.stops.length - 1 && !this.breaks[to]) to++;
    return { from, to };
  }
}

/**
 * The forward solution kept by the interpolated variant: every step's interpolant, and for each
 * trajectory the index of the first step of each interval (one more entry: the step count).
 */
interface ForwardSolution {
  readonly steps: DenseSteps;
  readonly intervalStart: readonly number[][];
  /** The states just before and just after each event of `solution.events`, [events · 2 · dim]. */
  readonly eventStates: Float64Array;
  /** For each dose (bolus), the state just after the boluses at its time, [doses · dim]. */
  readonly doseStates: Float64Array;
}

/**
 * Re-solves every interval forward from y₀ (boluses applied at the stops, the actions of the
 * events that happened applied at their times, infusions as a constant rate over each
 * interval), keeping the method's dense output of every step.
 */
function forwardPass(
  field: VectorField,
  y0: Arr,
  options: ContinuousAdjointOptions,
  method: Method,
  timelines: readonly Timeline[],
  nIntervals: number,
  specs: readonly EventSpec[],
  happened: readonly EventRecord[],
): ForwardSolution {
  const N = timelines.length;
  const D = field.dim;
  const params = options.params ?? new Float64Array(0);
  const y = Float64Array.from(y0);
  const ta = new Float64Array(N);
  const tb = new Float64Array(N);
  const steps = new DenseSteps(N, D, method.denseOrder);
  const observed = observeSteps(method, steps.record);
  const intervalStart: number[][] = Array.from({ length: N }, () => [0]);
  const P = field.nParams;
  const eventStates = new Float64Array(happened.length * 2 * D);
  const doseStates = new Float64Array((options.doses ?? []).length * D);
  /** Records the state before the event at stop k of row b, applies its action, records the state after. */
  const event = (b: number, k: number) => {
    const ev = timelines[b].events[k];
    if (ev < 0) return;
    const o = ev * 2 * D;
    for (let i = 0; i < D; i++) eventStates[o + i] = y[b * D + i];
    const action = specs[happened[ev].event].action;
    if (action !== 'stop') action(timelines[b].stops[k], y, b * D, b, params, b * P);
    for (let i = 0; i < D; i++) eventStates[o + D + i] = y[b * D + i];
  };
  for (let k = 0; k < nIntervals; k++) {
    const infusions: Dose[] = [];
    for (let b = 0; b < N; b++) {
      const tl = timelines[b];
      if (k >= tl.stops.length - 1) {
        ta[b] = tb[b] = tl.stops[tl.stops.length - 1];
        continue;
      }
      ta[b] = tl.stops[k];
      tb[b] = tl.stops[k + 1];
      for (const i of tl.boluses[k]) {
        const d = options.doses?.[i];
        if (d?.kind === 'bolus') y[b * D + d.state] += d.amount;
      }
      for (const i of tl.boluses[k]) doseStates.set(y.subarray(b * D, (b + 1) * D), i * D);
      event(b, k);
      // The interval's rates as infusions ending well beyond it (so they add no stop).
      tl.rates[k].forEach((rate, state) => {
        if (rate !== 0) {
          infusions.push({
            kind: 'infusion',
            trajectory: b,
            time: ta[b],
            state,
            rate,
            duration: 2 * (tb[b] - ta[b]) + 1,
          });
        }
      });
    }
    const sol = solve(field, y, {
      method: observed,
      t0: ta,
      t1: tb,
      params,
      controller: options.controller ?? pid(),
      doses: infusions,
      ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
    });
    if (sol.failures.length > 0)
      throw new Error(
        `continuousAdjoint (interpolated): forward re-solve failed: ${sol.failures[0].message}`,
      );
    y.set(sol.yFinal);
    for (let b = 0; b < N; b++) if (k < timelines[b].stops.length - 1) intervalStart[b].push(steps.steps(b));
  }
  // A 'stop' event at the end of a trajectory.
  for (let b = 0; b < N; b++) event(b, timelines[b].stops.length - 1);
  return { steps, intervalStart, eventStates, doseStates };
}

/**
 * Backsolve: the states just before and just after each event of `solution.events`
 * ([events · 2 · dim]), from the solution's records, or else from a re-solve from `options.y0`
 * that keeps them (with two checkpoints, so that it stores O(events) states, plus 2 numbers per step).
 */
function backsolveEventStates(
  field: VectorField,
  solution: Solution,
  options: ContinuousAdjointOptions,
  where: string,
): Float64Array {
  const D = field.dim;
  const happened = solution.events;
  const out = new Float64Array(happened.length * 2 * D);
  if (happened.length === 0) return out;
  let records = solution.records;
  if (records === null) {
    const { y0, ...solveOptions } = options;
    if (y0 === undefined) {
      throw new TypeError(
        `${where}: through events backsolve needs the states at the events: pass options.y0 (or a solution recorded with recordForAdjoint)`,
      );
    }
    const again = solve(field, y0, { ...solveOptions, recordForAdjoint: { checkpoints: 2 } });
    if (again.events.length !== happened.length) {
      throw new Error(`${where}: re-solving from options.y0 gives other events than the solution's`);
    }
    records = again.records!;
  }
  const next = new Int32Array(solution.n);
  happened.forEach((ev, i) => {
    const r = records[ev.trajectory];
    const k = next[ev.trajectory]++;
    if (k >= r.eventTime.length || r.eventTime[k] !== ev.time) {
      throw new Error(`${where}: the solution's records do not match its events`);
    }
    for (let j = 0; j < D; j++) {
      out[i * 2 * D + j] = r.eventBefore[k * D + j];
      out[i * 2 * D + D + j] = r.eventAfter[k * D + j];
    }
  });
  return out;
}

/**
 * The reverse of the state-dependent events at their stops (see `eventJump.ts`): with λ⁺ the
 * adjoint just after the event at τ, a⁻ the cotangent of the values saved at τ and τ̄ that of τ,
 *
 *   ν = −(τ̄ + a⁻·f⁻ + λ⁺·(h_y·f⁻ + h_t − f⁺))/(g_y·f⁻ + g_t),
 *   λ⁻ = h_yᵀ·λ⁺ + g_yᵀ·ν,   p̄ += h_pᵀ·λ⁺ + g_pᵀ·ν,
 *
 * f⁻ = f(τ, y⁻) + r⁻ and f⁺ = f(τ, y⁺) + r⁺ with the field set up for the interval on each side.
 */
class EventReversal {
  private readonly D: number;
  private readonly P: number;
  private readonly jump: EventJump;
  private readonly t: Arr;
  private readonly tEnd: Arr;
  private readonly y: Arr;
  private readonly out: Arr;
  private readonly row = new Int32Array(1);
  private readonly saved: Arr;
  private readonly scratch: Arr;

  constructor(
    private readonly field: VectorField,
    N: number,
    private readonly params: Arr,
    private readonly specs: readonly EventSpec[],
    private readonly happened: readonly EventRecord[],
    private readonly states: Arr,
    private readonly timesBar: Arr | null,
    private readonly where: string,
  ) {
    const D = field.dim;
    this.D = D;
    this.P = field.nParams;
    this.jump = new EventJump(D, this.P);
    this.t = new Float64Array(N);
    this.tEnd = new Float64Array(N);
    this.y = new Float64Array(N * D);
    this.out = new Float64Array(N * D);
    this.saved = new Float64Array(D);
    this.scratch = new Float64Array(D);
  }

  /**
   * Replaces λ⁺ = lambda[lOff …] of row b by λ⁻ at the event at stop k of its timeline (the
   * saves there, from `savedBar`, are its a⁻; the caller adds them to λ afterwards) and adds the
   * parameter terms to pBar [nParams].
   */
  reverse(b: number, tl: Timeline, k: number, savedBar: Arr, lambda: Arr, lOff: number, pBar: Arr): void {
    const { D, P, jump } = this;
    const ev = tl.events[k];
    const spec = this.specs[this.happened[ev].event];
    const tau = tl.stops[k];
    const o = ev * 2 * D;
    jump.derivatives(spec, tau, this.states, o, this.params, b * P);
    this.slope(b, tau, tl.stops[k - 1], tau, this.states, o, tl.rates[k - 1], jump.fMinus);
    // Nothing after a 'stop', or after an event at the trajectory's end (λ⁺ = 0 there).
    if (spec.action !== 'stop' && k + 1 < tl.stops.length)
      this.slope(b, tau, tau, tl.stops[k + 1], this.states, o + D, tl.rates[k], jump.fPlus);
    else jump.fPlus.fill(0);
    const speed = jump.speed(
      `${this.where}: event ${this.happened[ev].event} of trajectory ${b} at t = ${tau}`,
    );
    this.saved.fill(0);
    for (const j of tl.saves[k]) for (let i = 0; i < D; i++) this.saved[i] += savedBar[j * D + i];
    const tauBar = this.timesBar === null ? 0 : this.timesBar[ev];
    jump.reverse(
      speed,
      lambda,
      lOff,
      tl.saves[k].length > 0 ? this.saved : null,
      0,
      tauBar,
      pBar,
      0,
      this.scratch,
    );
  }

  /** out = f(τ, y) + r for the state y = ys[o …], the field set up for the step [tStart, tEnd]. */
  slope(
    b: number,
    tau: number,
    tStart: number,
    tEnd: number,
    ys: Arr,
    o: number,
    rates: Arr | null,
    out: Arr,
  ): void {
    const { D, field } = this;
    this.row[0] = b;
    this.t[b] = tStart;
    this.tEnd[b] = tEnd;
    field.beginStep?.(this.t, this.tEnd, 1, this.row);
    this.t[b] = tau;
    for (let i = 0; i < D; i++) this.y[b * D + i] = ys[o + i];
    field.f(this.t, this.y, this.params, this.out, 1, this.row);
    for (let i = 0; i < D; i++) out[i] = this.out[b * D + i] + (rates === null ? 0 : rates[i]);
  }
}

/**
 * The backward system in the reversed time s = hi − t of each row's interval [lo, hi], state
 * (y,) λ (, μ (, Λ)) per row: dy/ds = −(f + r), dλ/ds = (∂f/∂y)ᵀλ, dμ/ds = (∂f/∂p)ᵀλ,
 * dΛ/ds = λ (Λ = ∫λ dt over the interval, for infusion rates), with y either part of the state
 * (backsolve) or read from the dense forward solution (interpolated), and μ and Λ either part of
 * the state (explicit methods; Λ only with infusions) or accumulated by quadrature in `mu` and
 * `intLambda` (stiff methods, through {@link AdjointSystem.accumulateMu}). Its Jacobian
 * (interpolated, without μ) is Jᵀ.
 */
class AdjointSystem implements VectorField {
  readonly dim: number;
  readonly nParams: number;
  /** Backsolve: each row's infusion rates on the current interval. */
  readonly rates: Float64Array;
  /** Without μ in the state: ∂L/∂p accumulated so far, [N·nParams]. */
  readonly mu: Float64Array;
  /** Without μ in the state: ∫λ dt over the current interval, [N·dim] (for infusion rates). */
  readonly intLambda: Float64Array;
  private readonly D: number;
  /** Each row's current interval [lo, hi] (forward time). */
  private readonly lo: Arr;
  private readonly hi: Arr;
  /** Interpolated: the forward steps each row may read, [stepFrom[b], stepTo[b]). */
  private readonly stepFrom: Int32Array;
  private readonly stepTo: Int32Array;
  private readonly t: Arr;
  private readonly tEnd: Arr;
  private readonly sNode: Arr;
  private readonly y: Arr;
  private readonly lambda: Arr;
  private readonly yBar: Arr;
  private readonly pBar: Arr;
  private readonly fy: Arr;
  private readonly J: Arr;
  /** The quadrature of μ: pieces per row's step, and the rows of one piece. */
  private readonly pieces: Int32Array;
  private readonly rowsBuf: Int32Array;

  constructor(
    private readonly field: VectorField,
    N: number,
    private readonly params: Arr,
    private readonly backsolve: boolean,
    private readonly withMu: boolean,
    private readonly withIntegral: boolean,
    private readonly forward: ForwardSolution | null,
  ) {
    const D = field.dim;
    const P = field.nParams;
    this.D = D;
    this.nParams = P;
    this.dim = (backsolve ? D : 0) + D + (withMu ? P : 0) + (withIntegral ? D : 0);
    this.rates = new Float64Array(N * D);
    this.mu = new Float64Array(withMu ? 0 : N * P);
    this.intLambda = new Float64Array(withMu ? 0 : N * D);
    this.lo = new Float64Array(N);
    this.hi = new Float64Array(N);
    this.stepFrom = new Int32Array(N);
    this.stepTo = new Int32Array(N);
    this.t = new Float64Array(N);
    this.tEnd = new Float64Array(N);
    this.sNode = new Float64Array(N);
    this.y = new Float64Array(N * D);
    this.lambda = new Float64Array(N * D);
    this.yBar = new Float64Array(N * D);
    this.pBar = new Float64Array(N * P);
    this.fy = new Float64Array(N * D);
    this.J = new Float64Array(withMu || backsolve ? 0 : N * D * D);
    this.pieces = new Int32Array(N);
    this.rowsBuf = new Int32Array(N);
  }

  /**
   * Row b integrates interval k = [lo, hi] next, in the backward time s = hi − t ∈ [0, hi − lo]
   * (returned: the end of the backward solve). Measuring s from the interval's end keeps the
   * steps resolvable where λ changes fastest, just after its jump at a save time, however
   * large t is (at t = 1e11 float64 resolves only 1.5e-5, too coarse for the layer).
   *
   * The interpolated variant reads y(t) from the forward steps on which y is continuous
   * around the interval: a method whose stages lie past the end of a step (kvaerno5's third,
   * at 1.23·h) sees the forward solution across a save time, and the interval's own solution
   * continued (extrapolated) across a bolus.
   */
  enter(b: number, tl: Timeline, k: number): number {
    this.lo[b] = tl.stops[k];
    this.hi[b] = tl.stops[k + 1];
    const starts = this.forward?.intervalStart[b];
    if (starts !== undefined) {
      const { from, to } = tl.continuousAround(k);
      this.stepFrom[b] = starts[from];
      this.stepTo[b] = starts[to];
    }
    return this.hi[b] - this.lo[b];
  }

  /**
   * The forward time t = hi − s of row b: never below lo inside the interval, and exactly lo
   * at its start (also for a stage at c = 1 that rounding puts a few ulps past it, so that a
   * field with jumps takes the interval's side there).
   */
  time(b: number, s: number): number {
    const lo = this.lo[b];
    const hi = this.hi[b];
    const length = hi - lo;
    if (Math.abs(s - length) <= 4 * Number.EPSILON * length) return lo;
    return s < length ? Math.max(hi - s, lo) : hi - s;
  }

  /**
   * t(s) and y(t) of each listed row into this.t and this.y, from the state z (backsolve) or
   * the forward solution.
   */
  private states(s: Arr, z: Arr, n: number, rows: Int32Array | null): void {
    const { D, dim: A } = this;
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      this.t[b] = this.time(b, s[b]);
      if (this.backsolve) for (let i = 0; i < D; i++) this.y[b * D + i] = z[b * A + i];
      else this.forward?.steps.evaluate(b, this.t[b], this.stepFrom[b], this.stepTo[b], this.y, b * D);
    }
  }

  f(s: Arr, z: Arr, p: Arr, out: Arr, n: number, rows: Int32Array | null): void {
    const { D, dim: A } = this;
    const P = this.nParams;
    const offL = this.backsolve ? D : 0;
    this.states(s, z, n, rows);
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      for (let i = 0; i < D; i++) this.lambda[b * D + i] = z[b * A + offL + i];
      this.pBar.fill(0, b * P, (b + 1) * P); // vjp adds into pBar
    }
    this.field.vjp(this.t, this.y, p, this.lambda, this.yBar, this.pBar, n, rows);
    if (this.backsolve) this.field.f(this.t, this.y, p, this.fy, n, rows);
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      if (this.backsolve)
        for (let i = 0; i < D; i++) out[b * A + i] = -(this.fy[b * D + i] + this.rates[b * D + i]);
      for (let i = 0; i < D; i++) out[b * A + offL + i] = this.yBar[b * D + i];
      if (this.withMu) for (let i = 0; i < P; i++) out[b * A + offL + D + i] = this.pBar[b * P + i];
      if (this.withIntegral) for (let i = 0; i < D; i++) out[b * A + offL + D + P + i] = z[b * A + offL + i];
    }
  }

  /** ∂(dλ/ds)/∂λ = (∂f/∂y)ᵀ at y(t) (interpolated, λ alone). */
  jac(s: Arr, z: Arr, p: Arr, J: Arr, n: number, rows: Int32Array | null): void {
    const jac = this.field.jac;
    if (jac === undefined || this.backsolve || this.withMu) {
      throw new TypeError('continuousAdjoint: the backward system has a Jacobian only for stiff methods');
    }
    const D = this.D;
    const DD = D * D;
    this.states(s, z, n, rows);
    jac.call(this.field, this.t, this.y, p, this.J, n, rows);
    for (let q = 0; q < n; q++) {
      const o = (rows === null ? q : rows[q]) * DD;
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) J[o + i * D + j] = this.J[o + j * D + i];
    }
  }

  vjp(): void {
    throw new TypeError('continuousAdjoint: the adjoint system is not itself differentiable');
  }

  /** A backward step over [s, s + h] is the forward interval [t(s + h), t(s)]. */
  beginStep(sStart: Arr, sEnd: Arr, n: number, rows: Int32Array | null): void {
    const begin = this.field.beginStep;
    if (begin === undefined) return;
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      this.t[b] = this.time(b, sEnd[b]);
      this.tEnd[b] = this.time(b, sStart[b]);
    }
    begin.call(this.field, this.t, this.tEnd, n, rows);
  }

  /**
   * After each accepted backward step [s, s + h] of a stiff method: μ += h·Σ_g w_g·(∂f/∂p)ᵀλ
   * and Λ += h·Σ_g w_g·λ at the Gauss–Legendre nodes s + θ_g·h, with λ from the stepper's dense
   * output.
   */
  readonly accumulateMu: StepListener = (stepper, s, h, n, rows) => {
    const D = this.D;
    // Each row's step is cut into as many equal pieces as forward steps it spans (at most
    // MAX_PIECES): a backward step of λ, which is smooth, can span many forward steps of y, and
    // one 3-point rule over it would then miss the variation of y (measured on a one-compartment
    // PK model with a final-state loss at t = 25, rtol 1e-10: 1.5e-6 relative error in ∂L/∂ka
    // with one rule per step, 4e-10 with 4 pieces).
    let most = 1;
    for (let q = 0; q < n; q++) {
      const b = rows[q];
      let pieces = 1;
      const steps = this.forward?.steps;
      if (steps !== undefined && h[b] > 0) {
        const from = this.time(b, s[b] + h[b]);
        const to = this.time(b, s[b]);
        pieces = Math.min(MAX_PIECES, steps.stepsIn(b, from, to, this.stepFrom[b], this.stepTo[b]));
      }
      this.pieces[b] = pieces;
      most = Math.max(most, pieces);
    }
    for (let m = 0; m < most; m++) {
      let count = 0;
      for (let q = 0; q < n; q++) if (m < this.pieces[rows[q]]) this.rowsBuf[count++] = rows[q];
      const sub = this.rowsBuf.subarray(0, count);
      for (let g = 0; g < GAUSS_NODES.length; g++) {
        for (let q = 0; q < count; q++) {
          const b = sub[q];
          const theta = (m + GAUSS_NODES[g]) / this.pieces[b];
          stepper.interpolate(b, theta, this.lambda, b * D);
          const scale = (h[b] * GAUSS_WEIGHTS[g]) / this.pieces[b];
          for (let i = b * D; i < (b + 1) * D; i++) {
            this.lambda[i] *= scale;
            this.intLambda[i] += this.lambda[i];
          }
          this.sNode[b] = s[b] + theta * h[b];
        }
        this.states(this.sNode, this.lambda, count, sub);
        // vjp adds (∂f/∂p)ᵀ(h·w·λ) into mu directly.
        this.field.vjp(this.t, this.y, this.params, this.lambda, this.yBar, this.mu, count, sub);
      }
    }
  };
}

/** The controller for the augmented state: per-state atol extended to λ and μ by its minimum. */
function augmentedController(c: Controller, D: number, A: number, offL: number): Controller {
  if (c.kind === 'constant' || typeof c.atol === 'number') return c;
  const atol = new Float64Array(A).fill(Math.min(...c.atol));
  if (offL > 0) atol.set(c.atol.subarray(0, D));
  return pid({
    rtol: c.rtol,
    atol,
    pcoeff: c.pcoeff,
    icoeff: c.icoeff,
    dcoeff: c.dcoeff,
    safety: c.safety,
    factorMin: c.factorMin,
    factorMax: c.factorMax,
    h0: c.h0,
    hMin: c.hMin,
    hMax: c.hMax,
  });
}
