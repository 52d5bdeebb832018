/**
 * Forward sensitivities: the derivatives of the saved states with respect to a few parameters,
 * initial states, bolus amounts and infusion rates, by integrating the sensitivity equations
 * alongside the state with the ordinary {@link solve}.
 *
 * For a direction θ_k (a parameter, an initial state or a dose amount) the sensitivity
 * S_k(t) = ∂y(t)/∂θ_k satisfies the variational equation
 *
 *   S_k' = (∂f/∂y)·S_k + (∂f/∂p)·e_k,   S_k(t0) = ∂y0/∂θ_k,
 *
 * where the second term is present only for a parameter direction, and S_k(t0) is the unit
 * vector of the state for an initial-state direction and zero otherwise. A bolus of amount a
 * into state i at time τ sets y(τ⁺) = y(τ⁻) + a·eᵢ, so the sensitivity with respect to that
 * amount jumps by eᵢ at τ and the others pass through unchanged (dose times are fixed). An
 * infusion of rate r into state i over [τ, τ + d) adds r·eᵢ to f there, so the sensitivity with
 * respect to r gains eᵢ in its derivative over the same window. The sensitivities with respect
 * to dose times and infusion durations jump at the doses instead (see `doseTimeJumps`).
 *
 * The augmented state of one trajectory is z = [y, S_1, …, S_K] (dim·(1 + K) values); its
 * right-hand side costs one evaluation of f and one `jvp` per direction, each batched over
 * the trajectories still stepping. It is solved by `solve` with the caller's method,
 * controller, save points and doses, so the error control covers y and every S_k with the same
 * rtol and atol (an atol per state is repeated for each block). The cost grows linearly with
 * K: use forward sensitivities for few directions and an adjoint for many.
 *
 * At a state-dependent event at τ (condition g(t, y, p) = 0, action y⁺ = h(t, y⁻, p)) every
 * sensitivity jumps (Hiskens & Pai 2000; see `eventJump.ts`):
 *
 *   dτ/dθ = −(g_y·S⁻ + g_p)/(g_y·f⁻ + g_t),   S⁺ = h_y·S⁻ + h_p + (h_y·f⁻ + h_t − f⁺)·dτ/dθ,
 *
 * and a value saved at τ (the state at the event, e.g. the final state of a 'stop') moves with
 * the event: its sensitivity is S⁻ + f⁻·dτ/dθ.
 *
 * Reference: Hairer, Nørsett & Wanner, Solving ODEs I, §I.14 (the variational equation);
 * Leis & Kramer (1988), "The simultaneous solution and sensitivity analysis of systems
 * described by ordinary differential equations", ACM TOMS 14(1).
 */

import { EventJump, requireEventHooks } from './eventJump.js';
import type { VectorField } from './field.js';
import { rejectUnknown } from './options.js';
import { type Dose, type EventSpec, type Solution, type SolveOptions, solve } from './solve.js';

type Arr = Float64Array;

/**
 * Which sensitivities to compute: parameter indices (0 … nParams − 1, the same for every
 * trajectory), initial-state indices (0 … dim − 1) and dose indices into `options.doses`: in
 * `doses` for a bolus's amount or an infusion's rate, in `doseTimes` for a bolus's time or an
 * infusion's start (its duration held fixed), in `doseDurations` for an infusion's duration.
 * Directions are numbered in this order: params, y0, doses, doseTimes, doseDurations.
 */
export interface SensitivityDirections {
  readonly params?: readonly number[];
  readonly y0?: readonly number[];
  readonly doses?: readonly number[];
  readonly doseTimes?: readonly number[];
  readonly doseDurations?: readonly number[];
}

/** One sensitivity direction: what θ_k is. */
export type SensitivityDirection =
  | { readonly kind: 'param'; readonly index: number }
  | { readonly kind: 'y0'; readonly index: number }
  | { readonly kind: 'dose'; readonly index: number }
  | { readonly kind: 'doseTime'; readonly index: number }
  | { readonly kind: 'doseDuration'; readonly index: number };

/** The result of {@link forwardSensitivities}. */
export interface ForwardSensitivities {
  /**
   * The ordinary solution (states only; `records` is null). A failure's `state` index ≥ dim
   * names sensitivity component (state − dim) mod dim of direction ⌊(state − dim)/dim⌋.
   */
  readonly solution: Solution;
  /** The K directions, in the order of the sensitivities' last axis. */
  readonly directions: readonly SensitivityDirection[];
  /**
   * Per trajectory, ∂(saved value)/∂θ as [times · dim · K] row-major: entry
   * ((i·dim) + j)·K + k is ∂y_j(t_i)/∂θ_k. A dose direction is zero for trajectories other
   * than the dose's own.
   */
  readonly sensitivities: readonly Float64Array[];
  /**
   * ∂y(t1)/∂θ for every trajectory, [N · dim · K] (for a trajectory ended by a 'stop' event,
   * of the state at the event, moving with it).
   */
  readonly sensitivitiesFinal: Float64Array;
  /** ∂τ/∂θ of each event time in `solution.events`, [events · K]. */
  readonly eventTimeSensitivities: Float64Array;
}

const DIRECTION_KEYS = ['params', 'y0', 'doses', 'doseTimes', 'doseDurations'];

/**
 * Solves dy/dt = f(t, y, p) together with the sensitivities of the solution with respect to
 * the selected parameters, initial states, bolus amounts and infusion rates (see the module comment for the
 * equations). Needs `field.jvp`.
 *
 * The error control covers the sensitivities too, so steps may be smaller than in a plain
 * solve. Explicit methods and `kvaerno5` give sensitivities as accurate as the tolerances;
 * `rodas5p`/`rodas4` work as well (measured agreement with finite differences ≈ 1e-8 on
 * Robertson at rtol 1e-10), although the Jacobian of the augmented system is approximate:
 * its diagonal blocks are ∂f/∂y (exact, from `field.jac`) and its blocks
 * ∂((∂f/∂y)·S_k + (∂f/∂p)·e_k)/∂y are forward differences of `jvp` in y, with steps
 * √ε·max(|y_j|, 1). The upper blocks are zero.
 *
 * @param field the vector field; must have `jvp` (and `jac` for stiff methods)
 * @param y0 initial states [N·dim]
 * @param options the options of {@link solve}, except `recordForAdjoint`; events need
 *   `conditionGradient` (and `actionJacobian` for a state change)
 * @param directions which sensitivities to compute (at least one)
 * @returns the solution and the sensitivities of its saved values and event times
 * @throws TypeError when the field has no `jvp`, a direction is unknown, `recordForAdjoint` is
 *   set, or an event lacks a derivative hook
 * @throws Error at a grazing event (the condition touches zero with zero rate)
 * @example
 * ```ts
 * const c = compileModel(lotkaVolterraModel());
 * const field = modelField(c, { n: 1 });
 * const r = forwardSensitivities(
 *   field,
 *   new Float64Array([1, 2]),
 *   { method: tsit5(), t1: 5, params: c.model.defaultParams(), controller: pid({ rtol: 1e-8, atol: 1e-10 }) },
 *   { params: [0, 1], y0: [0] },
 * );
 * r.sensitivitiesFinal; // [∂y/∂alpha, ∂y/∂beta, ∂y/∂y0₀] per state, 2 × 3 row-major
 * ```
 */
export function forwardSensitivities(
  field: VectorField,
  y0: Float64Array,
  options: SolveOptions,
  directions: SensitivityDirections,
): ForwardSensitivities {
  const who = 'forwardSensitivities';
  rejectUnknown(who, directions, DIRECTION_KEYS);
  if (options.recordForAdjoint !== undefined && options.recordForAdjoint !== false) {
    throw new TypeError(
      `${who}: recordForAdjoint is not supported; call discreteAdjoint on a plain solve for adjoint gradients`,
    );
  }
  const specs = options.events ?? [];
  specs.forEach((spec, e) => {
    requireEventHooks(who, spec, e, '');
  });
  const jvp = field.jvp;
  if (jvp === undefined) {
    throw new TypeError(
      `${who}: the vector field has no jvp; forward sensitivities need (∂f/∂y)·v + (∂f/∂p)·w`,
    );
  }
  const D = field.dim;
  const P = field.nParams;
  if (D <= 0 || y0.length % D !== 0) {
    throw new RangeError(`${who}: y0 has ${y0.length} values, not a multiple of the state size ${D}`);
  }
  const N = y0.length / D;
  const doses = options.doses ?? [];
  const list = (key: keyof SensitivityDirections, limit: number, what: string): readonly number[] => {
    const v = directions[key] ?? [];
    for (const i of v) {
      if (!Number.isInteger(i) || i < 0 || i >= limit) {
        throw new RangeError(`${who}: directions.${key} has ${i}, but there are ${limit} ${what}`);
      }
    }
    return v;
  };
  const dirs: SensitivityDirection[] = [
    ...list('params', P, 'parameters').map((index) => ({ kind: 'param' as const, index })),
    ...list('y0', D, 'state components').map((index) => ({ kind: 'y0' as const, index })),
    ...list('doses', doses.length, 'doses').map((index) => ({ kind: 'dose' as const, index })),
    ...list('doseTimes', doses.length, 'doses').map((index) => ({ kind: 'doseTime' as const, index })),
    ...list('doseDurations', doses.length, 'doses').map((index) => {
      if (doses[index].kind !== 'infusion') {
        throw new TypeError(
          `${who}: directions.doseDurations has ${index}, a bolus; only infusions have a duration`,
        );
      }
      return { kind: 'doseDuration' as const, index };
    }),
  ];
  const K = dirs.length;
  if (K === 0) throw new RangeError(`${who}: select at least one direction ({ params, y0, doses })`);
  const DA = D * (1 + K);

  // Initial augmented state, and the extra doses: a unit bolus (or an infusion of unit rate) in
  // the dosed component of the dose's own sensitivity block.
  const z0 = new Float64Array(N * DA);
  const augmentedDoses: Dose[] = doses.slice();
  for (let b = 0; b < N; b++) for (let i = 0; i < D; i++) z0[b * DA + i] = y0[b * D + i];
  const times = doseTimeJumps(field, dirs, doses, options, N, z0, augmentedDoses);
  dirs.forEach((d, k) => {
    if (d.kind === 'y0') for (let b = 0; b < N; b++) z0[b * DA + D * (1 + k) + d.index] = 1;
    if (d.kind === 'dose') {
      // A bolus: S_k jumps by e_state at its time. An infusion of rate r: S_k′ gains e_state
      // over the same window (∂(f + r·e_state)/∂r), an infusion of rate 1 into the block.
      const dose = doses[d.index];
      const state = D * (1 + k) + dose.state;
      augmentedDoses.push(
        dose.kind === 'bolus' ? { ...dose, state, amount: 1 } : { ...dose, state, rate: 1 },
      );
    }
  });

  const controller = options.controller;
  const augmentedController =
    controller !== undefined && controller.kind === 'pid' && typeof controller.atol !== 'number'
      ? { ...controller, atol: repeatAtol(controller.atol, D, K, who) }
      : controller;
  const augmented = augmentedField(field, jvp, dirs, N);
  const jumps = new EventJumps(field, dirs, N, doses);
  const begin = augmented.beginStep;
  if (begin !== undefined) {
    augmented.beginStep = (a, e, n, rows) => {
      jumps.stepStarts(a, n, rows);
      begin(a, e, n, rows);
    };
  }
  const sol = solve(augmented, z0, {
    ...options,
    controller: augmentedController,
    doses: augmentedDoses,
    recordForAdjoint: false,
    events: [...specs.map((spec) => jumps.augment(spec)), ...times],
  });
  // The dose-time jumps are events of their own: not the caller's.
  const userEvents = sol.events.filter((e) => e.event < specs.length);

  // Split the saved augmented states into states and sensitivities.
  const ys: Float64Array[] = [];
  const sens: Float64Array[] = [];
  for (let b = 0; b < N; b++) {
    const zs = sol.ys[b];
    const nt = zs.length / DA;
    const yb = new Float64Array(nt * D);
    const sb = new Float64Array(nt * D * K);
    splitRows(zs, nt, D, K, yb, sb);
    ys.push(yb);
    sens.push(sb);
  }
  const yFinal = new Float64Array(N * D);
  const sFinal = new Float64Array(N * D * K);
  splitRows(sol.yFinal, N, D, K, yFinal, sFinal);
  const eventTimes = jumps.finish(
    { ...sol, events: userEvents },
    specs,
    options.params ?? new Float64Array(0),
    sens,
    sFinal,
  );
  const solution: Solution = {
    dense: null,
    events: userEvents,
    eventSpecs: specs,
    method: sol.method,
    n: N,
    dim: D,
    ts: sol.ts,
    ys,
    yFinal,
    status: sol.status,
    failures: sol.failures,
    stats: sol.stats,
    records: null,
    doses,
  };
  return {
    solution,
    directions: dirs,
    sensitivities: sens,
    sensitivitiesFinal: sFinal,
    eventTimeSensitivities: eventTimes,
  };
}

/**
 * The sensitivity jumps at events: state-changing actions are wrapped to jump the sensitivity
 * blocks of the augmented state in place; 'stop' events (which end the solve of their
 * trajectory) and the values saved at event times are completed after the solve.
 */
class EventJumps {
  private readonly D: number;
  private readonly P: number;
  private readonly K: number;
  private readonly DA: number;
  private readonly jump: EventJump;
  /** dτ/dθ [K] and f⁻ [dim] of each state-changing event, in the order they happened. */
  private readonly done: { dtau: Float64Array; fMinus: Float64Array }[] = [];
  /** Start of each row's current step (for the left limit of f at a 'stop'). */
  private readonly start: Float64Array;
  private readonly t: Float64Array;
  private readonly tEnd: Float64Array;
  private readonly y: Float64Array;
  private readonly out: Float64Array;
  private readonly row = new Int32Array(1);
  private readonly scratch: Float64Array;

  constructor(
    private readonly field: VectorField,
    private readonly dirs: readonly SensitivityDirection[],
    N: number,
    private readonly doses: readonly Dose[],
  ) {
    const D = field.dim;
    this.D = D;
    this.P = field.nParams;
    this.K = dirs.length;
    this.DA = D * (1 + this.K);
    this.jump = new EventJump(D, this.P);
    this.start = new Float64Array(N).fill(Number.NaN);
    this.t = new Float64Array(N);
    this.tEnd = new Float64Array(N);
    this.y = new Float64Array(N * D);
    this.out = new Float64Array(N * D);
    this.scratch = new Float64Array(D);
  }

  /** Notes the start of the listed rows' steps. */
  stepStarts(tStart: Arr, n: number, rows: Int32Array | null): void {
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      this.start[b] = tStart[b];
    }
  }

  /** The event on the augmented state: the same condition; an action that also jumps S. */
  augment(spec: EventSpec): EventSpec {
    const action = spec.action;
    if (action === 'stop') return { condition: spec.condition, direction: spec.direction, action: 'stop' };
    return {
      condition: spec.condition,
      direction: spec.direction,
      action: (t, z, offset, b, p, pOffset) => {
        const { D, K, jump } = this;
        jump.derivatives(spec, t, z, offset, p, pOffset);
        // f⁻: the field is still set up for the step that ended at τ (left limits).
        this.slope(b, t, z, offset, p, 'left', jump.fMinus);
        const speed = jump.speed(`forwardSensitivities: event at t = ${t} (trajectory ${b})`);
        action(t, z, offset, b, p, pOffset);
        this.row[0] = b;
        this.t[b] = t;
        this.tEnd[b] = t;
        this.field.beginStep?.(this.t, this.tEnd, 1, this.row);
        this.slope(b, t, z, offset, p, 'right', jump.fPlus);
        const dtau = new Float64Array(K);
        for (let k = 0; k < K; k++) {
          dtau[k] = jump.forward(speed, z, offset + D * (1 + k), this.paramOf(k), this.scratch);
        }
        this.done.push({ dtau, fMinus: Float64Array.from(jump.fMinus) });
      },
    };
  }

  /**
   * After the solve: dτ/dθ of every event ([events · K]), 'stop' events included, and the
   * sensitivities of the values saved at event times (and of a stopped trajectory's final
   * state) completed to S⁻ + f⁻·dτ/dθ.
   */
  finish(sol: Solution, specs: readonly EventSpec[], p: Arr, sens: Arr[], sFinal: Arr): Float64Array {
    const { D, K, DA, jump } = this;
    const out = new Float64Array(sol.events.length * K);
    let next = 0;
    sol.events.forEach((ev, i) => {
      const b = ev.trajectory;
      let dtau: Float64Array;
      let fMinus: Float64Array;
      if (specs[ev.event].action !== 'stop') ({ dtau, fMinus } = this.done[next++]);
      else {
        // The trajectory ended here: its final augmented state is the one at the event.
        const z = sol.yFinal;
        jump.derivatives(specs[ev.event], ev.time, z, b * DA, p, b * this.P);
        this.row[0] = b;
        this.t[b] = this.start[b];
        this.tEnd[b] = ev.time;
        this.field.beginStep?.(this.t, this.tEnd, 1, this.row);
        this.slope(b, ev.time, z, b * DA, p, 'left', jump.fMinus);
        const speed = jump.speed(`forwardSensitivities: event at t = ${ev.time} (trajectory ${b})`);
        dtau = new Float64Array(K);
        for (let k = 0; k < K; k++)
          dtau[k] = jump.forward(speed, z, b * DA + D * (1 + k), this.paramOf(k), this.scratch);
        fMinus = jump.fMinus;
        addOuter(sFinal, b * D * K, fMinus, dtau, D, K);
      }
      out.set(dtau, i * K);
      const ts = sol.ts[b];
      for (let j = 0; j < ts.length; j++)
        if (ts[j] === ev.time) addOuter(sens[b], j * D * K, fMinus, dtau, D, K);
    });
    return out;
  }

  private paramOf(k: number): number {
    const d = this.dirs[k];
    return d.kind === 'param' ? d.index : -1;
  }

  /** out = f(τ, y) plus the infusion rates on the given side of τ (the field already set up). */
  private slope(
    b: number,
    t: number,
    z: Arr,
    offset: number,
    p: Arr,
    side: 'left' | 'right',
    out: Arr,
  ): void {
    const D = this.D;
    this.row[0] = b;
    this.t[b] = t;
    for (let i = 0; i < D; i++) this.y[b * D + i] = z[offset + i];
    this.field.f(this.t, this.y, p, this.out, 1, this.row);
    for (let i = 0; i < D; i++) out[i] = this.out[b * D + i];
    for (const d of this.doses) {
      if (d.kind !== 'infusion' || d.trajectory !== b) continue;
      const end = d.time + d.duration;
      const on = side === 'left' ? d.time < t && t <= end : d.time <= t && t < end;
      if (on) out[d.state] += d.rate;
    }
  }
}

/**
 * The sensitivities with respect to dose times. An infusion of rate r into state i moved by δ
 * (its duration fixed) loses r·δ·eᵢ at its start and gains it at its end, so S jumps by −r·eᵢ at
 * the start and +r·eᵢ at the end (only the latter for its duration): boluses of those amounts
 * into the direction's block (added to `augmentedDoses`). A bolus of amount a into state i moved
 * to τ + δ leaves y⁺ − a·eᵢ on [τ, τ + δ), so S jumps by f(τ, y⁺ − a·eᵢ) − f(τ, y⁺) at τ (y⁺ the
 * state after the doses at τ): set in z0 for a dose at t₀, else by an event at t = τ of its own
 * (returned) whose action applies the jump.
 */
function doseTimeJumps(
  field: VectorField,
  dirs: readonly SensitivityDirection[],
  doses: readonly Dose[],
  options: SolveOptions,
  N: number,
  z0: Arr,
  augmentedDoses: Dose[],
): EventSpec[] {
  const D = field.dim;
  const K = dirs.length;
  const DA = D * (1 + K);
  const perRow = (v: number | Float64Array | undefined, fallback: number) =>
    v === undefined ? fallback : typeof v === 'number' ? v : null;
  const t0Of = (b: number) => perRow(options.t0, 0) ?? (options.t0 as Float64Array)[b];
  const t1Of = (b: number) => perRow(options.t1, 0) ?? (options.t1 as Float64Array)[b];
  const params = options.params ?? new Float64Array(0);
  const t = new Float64Array(N);
  const y = new Float64Array(N * D);
  const out = new Float64Array(N * D);
  const row = new Int32Array(1);
  /** z[o + D·(1 + k) …] += f(τ, y⁺ − a·eᵢ) − f(τ, y⁺) for y⁺ = z[o …] of row b. */
  const jump = (tau: number, z: Arr, o: number, b: number, k: number, dose: Dose & { kind: 'bolus' }) => {
    row[0] = b;
    t[b] = tau;
    field.beginStep?.(t, t, 1, row);
    for (let i = 0; i < D; i++) y[b * D + i] = z[o + i];
    field.f(t, y, params, out, 1, row);
    for (let i = 0; i < D; i++) z[o + D * (1 + k) + i] -= out[b * D + i];
    y[b * D + dose.state] -= dose.amount;
    field.f(t, y, params, out, 1, row);
    for (let i = 0; i < D; i++) z[o + D * (1 + k) + i] += out[b * D + i];
  };
  const events: EventSpec[] = [];
  dirs.forEach((d, k) => {
    if (d.kind !== 'doseTime' && d.kind !== 'doseDuration') return;
    const dose = doses[d.index];
    const b = dose.trajectory;
    if (dose.kind === 'infusion') {
      const state = D * (1 + k) + dose.state;
      const end = dose.time + dose.duration;
      if (d.kind === 'doseTime')
        augmentedDoses.push({ kind: 'bolus', trajectory: b, time: dose.time, state, amount: -dose.rate });
      if (end <= t1Of(b))
        augmentedDoses.push({ kind: 'bolus', trajectory: b, time: end, state, amount: dose.rate });
      return;
    }
    if (dose.time === t0Of(b)) {
      // The state after every bolus at t₀.
      const o = b * DA;
      for (const x of doses)
        if (x.kind === 'bolus' && x.trajectory === b && x.time === dose.time) z0[o + x.state] += x.amount;
      jump(dose.time, z0, o, b, k, dose);
      for (const x of doses)
        if (x.kind === 'bolus' && x.trajectory === b && x.time === dose.time) z0[o + x.state] -= x.amount;
      return;
    }
    events.push({
      condition: (time) => time - dose.time,
      direction: 'up',
      action: (time, z, offset, trajectory) => {
        if (trajectory === b) jump(time, z, offset, b, k, dose);
      },
    });
  });
  return events;
}

/** s[o + i·K + k] += f[i]·dτ[k]. */
function addOuter(s: Arr, o: number, f: Arr, dtau: Arr, D: number, K: number): void {
  for (let i = 0; i < D; i++) for (let k = 0; k < K; k++) s[o + i * K + k] += f[i] * dtau[k];
}

/** Splits rows of [y, S_1 … S_K] into y [rows·D] and S [rows·D·K] (S_k as the last axis). */
function splitRows(z: Arr, rows: number, D: number, K: number, y: Arr, s: Arr): void {
  const DA = D * (1 + K);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < D; j++) {
      y[r * D + j] = z[r * DA + j];
      for (let k = 0; k < K; k++) s[(r * D + j) * K + k] = z[r * DA + D * (1 + k) + j];
    }
  }
}

/** A per-state atol repeated for the state and each sensitivity block. */
function repeatAtol(atol: Float64Array, D: number, K: number, who: string): Float64Array {
  if (atol.length !== D) throw new RangeError(`${who}: atol has ${atol.length} values for ${D} states`);
  const out = new Float64Array(D * (1 + K));
  for (let k = 0; k <= K; k++) out.set(atol, k * D);
  return out;
}

type Jvp = NonNullable<VectorField['jvp']>;

/**
 * The vector field of z = [y, S_1 … S_K]: f(y) and (∂f/∂y)·S_k + (∂f/∂p)·e_k, with the
 * block-lower-triangular Jacobian (approximate off-diagonal blocks) when `field.jac` exists.
 */
function augmentedField(
  field: VectorField,
  jvp: Jvp,
  dirs: readonly SensitivityDirection[],
  N: number,
): VectorField {
  const D = field.dim;
  const P = field.nParams;
  const K = dirs.length;
  const DA = D * (1 + K);
  // pDot of each direction: e_index in every row for a parameter, zero otherwise.
  const zeroP = new Float64Array(N * P);
  const pDot = dirs.map((d) => {
    if (d.kind !== 'param') return zeroP;
    const e = new Float64Array(N * P);
    for (let b = 0; b < N; b++) e[b * P + d.index] = 1;
    return e;
  });
  const yBuf = new Float64Array(N * D);
  const sBuf = new Float64Array(N * D);
  const outBuf = new Float64Array(N * D);
  const baseBuf = new Float64Array(N * D * K);
  const jBuf = new Float64Array(N * D * D);
  const row = (q: number, rows: Int32Array | null) => (rows === null ? q : rows[q]);
  /** Copies block `blk` of the listed rows of z into buf. */
  const gather = (z: Arr, blk: number, buf: Arr, n: number, rows: Int32Array | null) => {
    for (let q = 0; q < n; q++) {
      const b = row(q, rows);
      for (let i = 0; i < D; i++) buf[b * D + i] = z[b * DA + blk * D + i];
    }
  };
  const applyJvp = (t: Arr, p: Arr, k: number, z: Arr, out: Arr, n: number, rows: Int32Array | null) => {
    gather(z, 1 + k, sBuf, n, rows);
    jvp.call(field, t, yBuf, p, sBuf, pDot[k], out, n, rows);
  };
  const augmented: VectorField = {
    dim: DA,
    nParams: P,
    f(t, z, p, out, n, rows) {
      gather(z, 0, yBuf, n, rows);
      for (let blk = 0; blk <= K; blk++) {
        if (blk === 0) field.f(t, yBuf, p, outBuf, n, rows);
        else applyJvp(t, p, blk - 1, z, outBuf, n, rows);
        for (let q = 0; q < n; q++) {
          const b = row(q, rows);
          for (let i = 0; i < D; i++) out[b * DA + blk * D + i] = outBuf[b * D + i];
        }
      }
    },
    vjp() {
      throw new TypeError(
        'forwardSensitivities: the augmented sensitivity system has no vjp; use discreteAdjoint on the original field',
      );
    },
  };
  // Jumps of the original field (piecewise-constant inputs) are the augmented system's too.
  const begin = field.beginStep;
  if (begin !== undefined) augmented.beginStep = (a, b, n, rows) => begin.call(field, a, b, n, rows);
  const discontinuities = field.discontinuities;
  if (discontinuities !== undefined) augmented.discontinuities = (b) => discontinuities.call(field, b);
  const jac = field.jac;
  if (jac === undefined) return augmented;
  augmented.jac = (t, z, p, J, n, rows) => {
    gather(z, 0, yBuf, n, rows);
    jac.call(field, t, yBuf, p, jBuf, n, rows);
    for (let q = 0; q < n; q++) {
      const b = row(q, rows);
      const o = b * DA * DA;
      J.fill(0, o, o + DA * DA);
      for (let blk = 0; blk <= K; blk++) {
        for (let r = 0; r < D; r++) {
          for (let c = 0; c < D; c++) J[o + (blk * D + r) * DA + blk * D + c] = jBuf[b * D * D + r * D + c];
        }
      }
    }
    // Block (k, 0) ≈ [g_k(y + h·e_c) − g_k(y)]/h with g_k(y) = (∂f/∂y)(y)·S_k + (∂f/∂p)(y)·e_k.
    for (let k = 0; k < K; k++) {
      applyJvp(t, p, k, z, outBuf, n, rows);
      baseBuf.set(outBuf.subarray(0, N * D), k * N * D);
    }
    for (let c = 0; c < D; c++) {
      for (let q = 0; q < n; q++) {
        const b = row(q, rows);
        const yc = yBuf[b * D + c];
        const step = Math.sqrt(Number.EPSILON) * Math.max(Math.abs(yc), 1);
        yBuf[b * D + c] = yc + step;
      }
      for (let k = 0; k < K; k++) {
        applyJvp(t, p, k, z, outBuf, n, rows);
        for (let q = 0; q < n; q++) {
          const b = row(q, rows);
          const o = b * DA * DA;
          const step = yBuf[b * D + c] - z[b * DA + c];
          for (let r = 0; r < D; r++) {
            const base = baseBuf[k * N * D + b * D + r];
            J[o + ((1 + k) * D + r) * DA + c] = (outBuf[b * D + r] - base) / step;
          }
        }
      }
      for (let q = 0; q < n; q++) {
        const b = row(q, rows);
        yBuf[b * D + c] = z[b * DA + c];
      }
    }
  };
  return augmented;
}
