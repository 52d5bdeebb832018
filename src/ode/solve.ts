/**
 * `solve`: integrates a batch of trajectories of a {@link VectorField}, each with its own time
 * span, parameters and step sizes, saving at given times, at every step, or densely.
 *
 * The pieces are typed objects (STYLE.md): a {@link Method} (`dopri5()`, `tsit5()`, `rodas5p()`,
 * …), a {@link Controller} (`pid({ rtol, atol })` or `constantSteps(dt)`), a {@link SaveAt}
 * and an optional sensitivity method. Steps are shortened to land exactly on every save time,
 * so saved values are solver steps (not interpolations) and the discrete adjoint is the exact
 * gradient of what was computed.
 *
 * Each trajectory steps on its own: the loop attempts steps only for the trajectories still
 * running (`rows`), so a stiff or long trajectory does not slow down the others.
 */
import { type Controller, type PidController, pid } from './controller.js';
import type { VectorField } from './field.js';
import { type FixedStepSaves, fixedStepApplies, fixedStepSolve } from './fixedStepRk.js';
import type { Method, Stepper } from './method.js';
import { tsit5 } from './methods/tsit5.js';
import { rejectUnknown } from './options.js';

type Arr = Float64Array;

/** Where to save the solution. */
export type SaveAt =
  | { readonly kind: 'times'; readonly times: Float64Array | readonly Float64Array[] }
  | { readonly kind: 'steps' }
  | { readonly kind: 'final' }
  | { readonly kind: 'dense' };

/**
 * Save points: `saveAt.times(ts)` at the same times for every trajectory (or one array per
 * trajectory), `saveAt.steps()` after every accepted step, `saveAt.final()` the end state.
 *
 * @example
 * ```ts
 * solve(field, y0, { t1: 2, saveat: saveAt.times(new Float64Array([0.5, 1, 2])) });
 * ```
 */
export const saveAt = {
  times(times: Float64Array | readonly Float64Array[]): SaveAt {
    const lists = times instanceof Float64Array ? [times] : times;
    lists.forEach((ts, b) => {
      for (let i = 0; i < ts.length; i++) {
        if (!Number.isFinite(ts[i])) throw new RangeError(`saveAt.times: time ${i} of list ${b} is ${ts[i]}`);
        if (i > 0 && !(ts[i] >= ts[i - 1])) {
          throw new RangeError(
            `saveAt.times: times must be non-decreasing (list ${b}, index ${i}: ${ts[i - 1]} then ${ts[i]})`,
          );
        }
      }
    });
    return { kind: 'times', times };
  },
  steps(): SaveAt {
    return { kind: 'steps' };
  },
  final(): SaveAt {
    return { kind: 'final' };
  },
  /** The end state, plus `solution.dense` to evaluate the solution anywhere in [t0, t1]. */
  dense(): SaveAt {
    return { kind: 'dense' };
  },
};

/**
 * The solution as a function of time, from the method's dense output on every accepted step
 * (sampled at denseOrder + 1 points per step and evaluated by barycentric Lagrange
 * interpolation, which reproduces the method's polynomial interpolant).
 */
export class DenseSolution {
  /** @internal */
  constructor(
    private readonly dim: number,
    private readonly nodes: Float64Array,
    private readonly weights: Float64Array,
    private readonly stepT: readonly number[][],
    private readonly stepH: readonly number[][],
    private readonly samples: readonly number[][],
  ) {}

  /**
   * y(t) of trajectory b, written to `out` (a new array when omitted).
   *
   * @throws RangeError when t lies outside the solved interval of trajectory b.
   */
  evaluate(b: number, t: number, out: Float64Array = new Float64Array(this.dim)): Float64Array {
    const ts = this.stepT[b];
    const hs = this.stepH[b];
    if (ts === undefined) throw new RangeError(`dense: no trajectory ${b}`);
    const n = ts.length;
    if (n === 0 || !(t >= ts[0] && t <= ts[n - 1] + hs[n - 1])) {
      const end = n === 0 ? ts[0] : ts[n - 1] + hs[n - 1];
      throw new RangeError(
        `dense: t = ${t} lies outside the solution of trajectory ${b}, [${ts[0]}, ${end}]`,
      );
    }
    // The last step starting at or before t.
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ts[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    const theta = hs[lo] === 0 ? 0 : Math.min(1, Math.max(0, (t - ts[lo]) / hs[lo]));
    const q = this.nodes.length;
    const D = this.dim;
    const base = lo * q * D;
    const data = this.samples[b];
    for (let j = 0; j < q; j++) {
      if (theta === this.nodes[j]) {
        for (let i = 0; i < D; i++) out[i] = data[base + j * D + i];
        return out;
      }
    }
    let denom = 0;
    out.fill(0, 0, D);
    for (let j = 0; j < q; j++) {
      const c = this.weights[j] / (theta - this.nodes[j]);
      denom += c;
      for (let i = 0; i < D; i++) out[i] += c * data[base + j * D + i];
    }
    for (let i = 0; i < D; i++) out[i] /= denom;
    return out;
  }
}

/**
 * A dose given to one trajectory: a bolus adds `amount` to a state at `time`; an infusion adds
 * `rate` to the state's derivative over [time, time + duration).
 */
export type Dose =
  | {
      readonly kind: 'bolus';
      readonly trajectory: number;
      readonly time: number;
      readonly state: number;
      readonly amount: number;
    }
  | {
      readonly kind: 'infusion';
      readonly trajectory: number;
      readonly time: number;
      readonly state: number;
      readonly rate: number;
      readonly duration: number;
    };

/**
 * A state-dependent event: it happens when `condition` g(t, y, p) crosses zero (in `direction`)
 * during a step. The crossing is located with the method's dense output (Illinois method), the
 * step is redone to end exactly there, and then the trajectory stops (`'stop'`) or `action`
 * replaces the state by y⁺ = h(t, y⁻, p) in place and the method restarts.
 *
 * Gradients through an event (the discrete adjoint, forward sensitivities) need the derivatives
 * of g and h: `conditionGradient` for every event that happens, and `actionJacobian` for a state
 * change. At an event at τ, with f⁻ = f(τ, y⁻) and f⁺ = f(τ, y⁺) and s = ∂y/∂θ at fixed time,
 *
 *   dτ/dθ = −(g_y·s⁻ + g_p)/(g_y·f⁻ + g_t),   s⁺ = h_y·s⁻ + h_p + (h_y·f⁻ + h_t − f⁺)·dτ/dθ
 *
 * (Hiskens & Pai 2000, "Trajectory sensitivity analysis of hybrid systems", IEEE TCAS-I 47(2)).
 * Without the hooks the gradient functions throw a TypeError naming the missing one.
 *
 * @example
 * ```ts
 * // A ball (height, velocity; parameters [g, e]) bouncing with restitution e = p[1].
 * const bounce: EventSpec = {
 *   condition: (_t, y, o) => y[o],
 *   direction: 'down',
 *   action: (_t, y, o, _b, p, po) => { y[o + 1] *= -p[po + 1]; },
 *   conditionGradient: (_t, _y, _o, _p, _po, gy) => { gy[0] = 1; return 0; },
 *   actionJacobian: (_t, y, o, p, po, hy, hp) => {
 *     hy[0] = 1;                  // ∂h₀/∂y₀
 *     hy[3] = -p[po + 1];         // ∂h₁/∂y₁
 *     hp[1 * 2 + 1] = -y[o + 1];  // ∂h₁/∂e
 *   },
 * };
 * ```
 */
export interface EventSpec {
  /** g(t, y, p) for the trajectory's state y[offset … offset + dim) and parameters p[pOffset …). */
  condition(t: number, y: Float64Array, offset: number, p: Float64Array, pOffset: number): number;
  /** Which crossings count: 'up' (− to +), 'down' (+ to −) or 'both' (default). */
  direction?: 'up' | 'down' | 'both';
  /**
   * 'stop' (the trajectory ends at the event), or a change of the state in place, y⁺ = h(t, y⁻, p)
   * (e.g. a bounce): it reads y[offset … offset + dim) and may read the trajectory's parameters
   * p[pOffset … pOffset + nParams).
   */
  action:
    | 'stop'
    | ((
        t: number,
        y: Float64Array,
        offset: number,
        trajectory: number,
        p: Float64Array,
        pOffset: number,
      ) => void);
  /**
   * For gradients: writes ∂g/∂y (dim values) to `gy` and ∂g/∂p (nParams values) to `gp` — both
   * zero-filled before the call — and returns ∂g/∂t, at (t, y[offset …], p[pOffset …]).
   */
  conditionGradient?(
    t: number,
    y: Float64Array,
    offset: number,
    p: Float64Array,
    pOffset: number,
    gy: Float64Array,
    gp: Float64Array,
  ): number;
  /**
   * For gradients through a state-changing `action`: the derivatives of y⁺ = h(t, y⁻, p) at the
   * state before the event, y⁻ = y[offset …]. Writes ∂h/∂y to `hy` (dim × dim row-major:
   * hy[i·dim + j] = ∂y⁺ᵢ/∂y⁻ⱼ), ∂h/∂p to `hp` (dim × nParams: hp[i·nParams + k] = ∂y⁺ᵢ/∂p_k)
   * and ∂h/∂t to `ht` (dim). All three are zero-filled before the call: an unchanged component
   * needs its 1 on the diagonal of `hy`.
   */
  actionJacobian?(
    t: number,
    y: Float64Array,
    offset: number,
    p: Float64Array,
    pOffset: number,
    hy: Float64Array,
    hp: Float64Array,
    ht: Float64Array,
  ): void;
}

/** An event that happened. */
export interface EventRecord {
  readonly trajectory: number;
  readonly event: number;
  readonly time: number;
}

/** Why a trajectory stopped. */
export type TrajectoryStatus = 'success' | 'maxSteps' | 'stepUnderflow' | 'nonFinite';

/** A trajectory that failed: where and why. */
export interface SolveFailure {
  readonly trajectory: number;
  readonly status: Exclude<TrajectoryStatus, 'success'>;
  readonly time: number;
  /** The first state component that became NaN or infinite, for 'nonFinite'. */
  readonly state: number | null;
  readonly message: string;
}

/** Thrown by `solve(…, { throwOnFailure: true })`. */
export class SolveError extends Error {
  constructor(readonly failures: readonly SolveFailure[]) {
    super(failures.map((f) => f.message).join('; '));
    this.name = 'SolveError';
  }
}

/** Options of {@link solve}. */
export interface SolveOptions {
  /**
   * The integration method. Default `tsit5()`, a good choice for non-stiff problems; for stiff
   * ones (the step count explodes, or a failure message says so) use `rodas5p()`.
   */
  method?: Method;
  /** Start time: one for all trajectories, or one per trajectory (default 0). */
  t0?: number | Float64Array;
  /** End time: one for all trajectories, or one per trajectory. */
  t1: number | Float64Array;
  /** Parameters [N·nParams] (default: none). */
  params?: Float64Array;
  /** Step-size control (default `pid()`). */
  controller?: Controller;
  /** Save points (default `saveAt.final()`). */
  saveat?: SaveAt;
  /** Most accepted plus rejected steps per trajectory (default 100 000). */
  maxSteps?: number;
  /** Throw a {@link SolveError} instead of reporting failures in the result. */
  throwOnFailure?: boolean;
  /**
   * Keep what the discrete adjoint needs. `true` stores every step's start state (fastest
   * reverse pass; N·dim numbers per step). `{ checkpoints: M }` stores at most M states per
   * trajectory (thinning to every 2ᵏ-th step as needed) and recomputes the rest during the
   * reverse pass; `{ checkpoints: 'sqrt' }` keeps M ≈ √(2·steps), which minimizes the peak
   * number of stored states (≈ 2·√(2·steps)) at the cost of one extra forward pass.
   */
  recordForAdjoint?: boolean | { readonly checkpoints: number | 'sqrt' };
  /**
   * Bolus doses and infusions. Their times are discontinuities: steps land on them and the
   * method restarts there. A save at a bolus time sees the state before the dose.
   */
  doses?: readonly Dose[];
  /**
   * State-dependent events. A `'stop'` event ends its trajectory at the event time τ: saves
   * after τ are not made (`ts`/`ys` are shorter), `yFinal` is y(τ), and `saveAt.final()` saves
   * y(τ) at τ. Gradients through events need the hooks of {@link EventSpec}.
   */
  events?: readonly EventSpec[];
}

/** The options `solve` accepts (other functions taking solve options extend this list). */
export const SOLVE_KEYS: readonly string[] = [
  'method',
  't0',
  't1',
  'params',
  'controller',
  'saveat',
  'maxSteps',
  'throwOnFailure',
  'recordForAdjoint',
  'doses',
  'events',
];

/** Per-trajectory record of accepted steps for the adjoint: start times, sizes, start states. */
export interface StepRecord {
  readonly t: number[];
  readonly h: number[];
  /** Start state of each step, dim values each. */
  readonly y: number[];
  /** For each save point, the number of steps taken before it. */
  readonly saveStep: number[];
  /** Boluses applied: the number of steps taken before each, and its index in `doses`. */
  readonly doseStep: number[];
  readonly doseIndex: number[];
  /** Infusion rates added to f during each step, dim values each (empty without infusions). */
  readonly rates: number[];
  /**
   * With checkpointing: the step indices whose start states `y` holds (in order); empty when
   * every step's start state is stored.
   */
  readonly checkpointSteps: number[];
  /**
   * Events that happened: the number of steps taken before each (the step that ends at the
   * event is the one before), its index in `options.events`, its time, and the state just
   * before and just after it (dim values each; equal for a 'stop').
   */
  readonly eventStep: number[];
  readonly eventIndex: number[];
  readonly eventTime: number[];
  readonly eventBefore: number[];
  readonly eventAfter: number[];
}

/** The result of {@link solve}. */
export interface Solution {
  /** Number of trajectories. */
  readonly n: number;
  readonly dim: number;
  /** Saved times per trajectory. */
  readonly ts: readonly Float64Array[];
  /** Saved states per trajectory, [times·dim] row-major. */
  readonly ys: readonly Float64Array[];
  /** Final state of every trajectory, [N·dim]. */
  readonly yFinal: Float64Array;
  readonly status: readonly TrajectoryStatus[];
  readonly failures: readonly SolveFailure[];
  /** Work done, summed over trajectories. */
  readonly stats: { nfev: number; njev: number; nlu: number; accepted: number; rejected: number };
  /** The step records (only with `recordForAdjoint`). */
  readonly records: readonly StepRecord[] | null;
  /** The doses given (as passed in `options.doses`). */
  readonly doses: readonly Dose[];
  /** The method that was used. */
  readonly method: Method;
  /** With `saveAt.dense()`: the solution anywhere in [t0, t1]. */
  readonly dense: DenseSolution | null;
  /** The events that happened, in the order they happened per trajectory. */
  readonly events: readonly EventRecord[];
  /** The event specifications (as passed in `options.events`). */
  readonly eventSpecs: readonly EventSpec[];
}

/**
 * The next step size from the PID filter (or a shrink after a rejection), with the previous
 * error ratios kept per trajectory.
 */
function nextStepSize(
  c: PidController,
  k: number,
  hTaken: number,
  e: number,
  ok: boolean,
  prev1: Float64Array,
  prev2: Float64Array,
  b: number,
  landed: boolean,
  hPlanned: number,
): number {
  let factor: number;
  if (!Number.isFinite(e)) factor = c.factorMin;
  else if (ok) {
    const b1 = c.pcoeff + c.icoeff + c.dcoeff;
    const b2 = -(c.pcoeff + 2 * c.dcoeff);
    const b3 = c.dcoeff;
    const eSafe = Math.max(e, 1e-10);
    factor = c.safety * eSafe ** (-b1 / k) * prev1[b] ** (-b2 / k) * prev2[b] ** (-b3 / k);
    prev2[b] = prev1[b];
    prev1[b] = eSafe;
  } else factor = Math.min(0.9, c.safety * Math.max(e, 1e-10) ** (-1 / k));
  factor = Math.min(c.factorMax, Math.max(c.factorMin, factor));
  let hNext = Math.min(c.hMax, hTaken * factor);
  // A step shortened to land on a save time says little about the natural step size.
  if (ok && landed && hNext < hPlanned) hNext = Math.max(hNext, Math.min(hPlanned, c.hMax));
  return hNext;
}

/** RMS of errᵢ/(atolᵢ + rtol·max(|yᵢ|, |ŷᵢ|)) for one row. */
function errorNorm(c: PidController, y: Arr, yNew: Arr, err: Arr, off: number, dim: number): number {
  let s = 0;
  for (let i = 0; i < dim; i++) {
    const atol = typeof c.atol === 'number' ? c.atol : c.atol[i];
    const scale = atol + c.rtol * Math.max(Math.abs(y[off + i]), Math.abs(yNew[off + i]));
    const r = err[off + i] / scale;
    s += r * r;
  }
  return Math.sqrt(s / Math.max(dim, 1));
}

/** A per-trajectory option: a number for all N rows, or N values (checked). */
function perRow(v: number | Float64Array, N: number, what: string): Float64Array {
  if (typeof v === 'number') return new Float64Array(N).fill(v);
  if (v.length !== N) throw new RangeError(`solve: ${what} has ${v.length} values for ${N} trajectories`);
  return v;
}

/**
 * Integrates dy/dt = f(t, y, p) for N = y0.length / field.dim trajectories.
 *
 * Failures (too many steps, a step size below the minimum, NaN/±Inf) stop only the failing
 * trajectory; they are reported in `status` and `failures` with the time, the trajectory and
 * the state component, or thrown with `throwOnFailure`.
 *
 * @example
 * ```ts
 * const sol = solve(field, y0, { method: dopri5(), t1: 10, controller: pid({ rtol: 1e-8 }) });
 * sol.yFinal;
 * ```
 */
export function solve(field: VectorField, y0: Float64Array, options: SolveOptions): Solution {
  rejectUnknown('solve', options, SOLVE_KEYS);
  const D = field.dim;
  const P = field.nParams;
  if (D <= 0 || y0.length % D !== 0) {
    throw new RangeError(`solve: y0 has ${y0.length} values, not a multiple of the state size ${D}`);
  }
  const N = y0.length / D;
  const params = options.params ?? new Float64Array(0);
  if (params.length !== N * P) {
    throw new RangeError(
      `solve: params has ${params.length} values; ${N} trajectories × ${P} parameters = ${N * P}`,
    );
  }
  const t0 = perRow(options.t0 ?? 0, N, 't0');
  const t1 = perRow(options.t1, N, 't1');
  for (let b = 0; b < N; b++) {
    if (!(Number.isFinite(t0[b]) && Number.isFinite(t1[b]) && t1[b] >= t0[b])) {
      throw new RangeError(`solve: trajectory ${b} has t0 = ${t0[b]}, t1 = ${t1[b]}; need finite t0 ≤ t1`);
    }
  }
  const method = options.method ?? tsit5();
  if (method.stiff && field.jac === undefined) {
    throw new TypeError(`solve: ${method.name} needs the Jacobian, but the vector field has no jac`);
  }
  const controller = options.controller ?? pid();
  if (controller.kind === 'pid' && method.embeddedOrder === 0) {
    throw new TypeError(`solve: ${method.name} has no error estimate; use controller: constantSteps(dt)`);
  }
  if (controller.kind === 'pid' && typeof controller.atol !== 'number' && controller.atol.length !== D) {
    throw new RangeError(`solve: atol has ${controller.atol.length} values for ${D} states`);
  }
  const saveat = options.saveat ?? saveAt.final();
  const maxSteps = options.maxSteps ?? 100_000;
  const saveTimes: Float64Array[] =
    saveat.kind === 'times'
      ? saveat.times instanceof Float64Array
        ? new Array<Float64Array>(N).fill(saveat.times)
        : (saveat.times as readonly Float64Array[]).slice()
      : saveat.kind === 'final' || saveat.kind === 'dense'
        ? Array.from({ length: N }, (_, b) => Float64Array.of(t1[b]))
        : [];
  if (saveat.kind === 'times') {
    if (saveTimes.length !== N)
      throw new RangeError(`solve: ${saveTimes.length} save-time lists for ${N} trajectories`);
    saveTimes.forEach((ts, b) => {
      if (ts.length > 0 && (ts[0] < t0[b] || ts[ts.length - 1] > t1[b])) {
        throw new RangeError(
          `solve: save times of trajectory ${b} must lie in [t0, t1] = [${t0[b]}, ${t1[b]}]`,
        );
      }
    });
  }

  // Doses: per trajectory, the sorted times at which something changes (bolus, infusion start
  // or end), as stops; infusions enter through a wrapper that adds each row's current rates.
  const doses = options.doses ?? [];
  // Without doses and jumps of the field (the commonest case) no stop lists are built.
  const noStops = doses.length === 0 && field.discontinuities === undefined;
  const events: { time: number; dose: number; kind: 'bolus' | 'start' | 'end' | 'jump' }[][] = noStops
    ? []
    : Array.from({ length: N }, () => []);
  doses.forEach((d, i) => {
    const where = `solve: dose ${i}`;
    if (!Number.isInteger(d.trajectory) || d.trajectory < 0 || d.trajectory >= N) {
      throw new RangeError(`${where} is for trajectory ${d.trajectory}, but there are ${N}`);
    }
    if (!Number.isInteger(d.state) || d.state < 0 || d.state >= D) {
      throw new RangeError(`${where} targets state ${d.state}, but the state has ${D} components`);
    }
    if (!Number.isFinite(d.time) || d.time < t0[d.trajectory] || d.time > t1[d.trajectory]) {
      throw new RangeError(`${where} at t = ${d.time} lies outside [t0, t1] of trajectory ${d.trajectory}`);
    }
    if (d.kind === 'bolus') {
      if (!Number.isFinite(d.amount)) throw new RangeError(`${where}: amount ${d.amount} is not finite`);
      events[d.trajectory].push({ time: d.time, dose: i, kind: 'bolus' });
    } else {
      if (!Number.isFinite(d.rate) || !(d.duration > 0)) {
        throw new RangeError(`${where}: an infusion needs a finite rate and a positive duration`);
      }
      events[d.trajectory].push({ time: d.time, dose: i, kind: 'start' });
      events[d.trajectory].push({ time: d.time + d.duration, dose: i, kind: 'end' });
    }
  });
  // Jumps of the field itself (piecewise-constant inputs): stops where the method restarts.
  if (field.discontinuities !== undefined) {
    for (let b = 0; b < N; b++) {
      for (const time of field.discontinuities(b)) {
        if (Number.isFinite(time) && time > t0[b] && time < t1[b])
          events[b].push({ time, dose: -1, kind: 'jump' });
      }
    }
  }
  for (const list of events) list.sort((a, b) => a.time - b.time);
  // Constant steps of an explicit method with nothing that interrupts them: the fast path
  // (bit-identical results; it returns null to hand failures back to the loop below).
  if (
    controller.kind === 'constant' &&
    fixedStepApplies(
      method,
      controller.kind,
      saveat.kind,
      options.recordForAdjoint,
      doses.length,
      options.events?.length ?? 0,
      events,
    )
  ) {
    const fast = fixedStepSolve(
      field,
      method,
      y0,
      params,
      t0,
      t1,
      controller.dt,
      saveat.kind as FixedStepSaves,
      saveTimes,
      maxSteps,
      options.recordForAdjoint === true,
    );
    if (fast !== null) return fast;
  }
  if (noStops) for (let b = 0; b < N; b++) events.push([]);
  const nextEvent = new Int32Array(N);
  const rates = new Float64Array(N * D);
  const hasInfusions = doses.some((d) => d.kind === 'infusion');
  const stepField: VectorField = hasInfusions ? withRates(field, rates) : field;

  const stepper: Stepper = method.create(
    stepField,
    N,
    controller.kind === 'pid' ? { rtol: controller.rtol, atol: controller.atol } : undefined,
  );
  const t = Float64Array.from(t0);
  const y = Float64Array.from(y0);
  const h = new Float64Array(N);
  const yNew = new Float64Array(N * D);
  const err = new Float64Array(N * D);
  const errPrev1 = new Float64Array(N).fill(1);
  const errPrev2 = new Float64Array(N).fill(1);
  const steps = new Int32Array(N);
  const status: TrajectoryStatus[] = new Array<TrajectoryStatus>(N).fill('success');
  const failures: SolveFailure[] = [];
  const nextSave = new Int32Array(N);
  const outTs: number[][] = Array.from({ length: N }, () => []);
  const outYs: number[][] = Array.from({ length: N }, () => []);
  const records: StepRecord[] | null = options.recordForAdjoint
    ? Array.from({ length: N }, () => ({
        t: [],
        h: [],
        y: [],
        saveStep: [],
        doseStep: [],
        doseIndex: [],
        rates: [],
        checkpointSteps: [],
        eventStep: [],
        eventIndex: [],
        eventTime: [],
        eventBefore: [],
        eventAfter: [],
      }))
    : null;
  let accepted = 0;
  let rejected = 0;
  // Dense output: the interpolant sampled at Chebyshev–Lobatto points of every accepted step.
  const denseQ = Math.min(Math.max((method.denseOrder ?? 4) + 1, 2), 9);
  const denseNodes = Float64Array.from(
    { length: denseQ },
    (_, j) => 0.5 - 0.5 * Math.cos((Math.PI * j) / (denseQ - 1)),
  );
  const denseWeights = Float64Array.from(
    { length: denseQ },
    (_, j) => (j % 2 === 0 ? 1 : -1) * (j === 0 || j === denseQ - 1 ? 0.5 : 1),
  );
  const denseT: number[][] = Array.from({ length: N }, () => []);
  const denseH: number[][] = Array.from({ length: N }, () => []);
  const denseY: number[][] = Array.from({ length: N }, () => []);
  const denseBuf = new Float64Array(D);
  const rec = options.recordForAdjoint;
  const checkpointLimit = typeof rec === 'object' ? rec.checkpoints : null;
  if (typeof checkpointLimit === 'number' && !(Number.isInteger(checkpointLimit) && checkpointLimit >= 2)) {
    throw new RangeError(`solve: checkpoints must be an integer ≥ 2 or 'sqrt', got ${checkpointLimit}`);
  }
  const stride = new Int32Array(N).fill(1);

  const save = (b: number) => {
    outTs[b].push(t[b]);
    for (let i = 0; i < D; i++) outYs[b].push(y[b * D + i]);
    if (records !== null) records[b].saveStep.push(records[b].t.length);
  };
  const nextStop = (b: number): number => {
    const ts = saveTimes[b];
    let stop = ts !== undefined && nextSave[b] < ts.length ? ts[nextSave[b]] : t1[b];
    const ev = events[b];
    if (nextEvent[b] < ev.length && ev[nextEvent[b]].time < stop) stop = ev[nextEvent[b]].time;
    return Math.min(stop, t1[b]);
  };
  /** Applies the doses due at the current time (after its saves); restarts the method. */
  const doseDue = (b: number) => {
    const ev = events[b];
    let changed = false;
    while (nextEvent[b] < ev.length && ev[nextEvent[b]].time <= t[b]) {
      const e = ev[nextEvent[b]++];
      changed = true;
      if (e.kind === 'jump') continue;
      const d = doses[e.dose];
      if (d.kind === 'bolus') {
        y[b * D + d.state] += d.amount;
        if (records !== null) {
          records[b].doseStep.push(records[b].t.length);
          records[b].doseIndex.push(e.dose);
        }
      } else rates[b * D + d.state] += e.kind === 'start' ? d.rate : -d.rate;
    }
    if (changed) stepper.reset(b);
  };
  /** Saves every save time equal to the current time. */
  const saveDue = (b: number) => {
    const ts = saveTimes[b];
    if (ts === undefined) return;
    while (nextSave[b] < ts.length && ts[nextSave[b]] === t[b]) {
      save(b);
      nextSave[b]++;
    }
  };
  const fail = (b: number, s: Exclude<TrajectoryStatus, 'success'>, state: number | null, why: string) => {
    status[b] = s;
    failures.push({
      trajectory: b,
      status: s,
      time: t[b],
      state,
      message: `trajectory ${b} at t = ${t[b]}: ${why}`,
    });
  };

  // Events: the value of each condition at the start of the current step, per trajectory.
  const eventSpecs = options.events ?? [];
  const E = eventSpecs.length;
  const gStart = new Float64Array(N * E);
  const eventLog: EventRecord[] = [];
  const stopped = new Uint8Array(N);
  const evalConditions = (
    b: number,
    tb: number,
    ys: Float64Array,
    off: number,
    out: Float64Array,
    o: number,
  ) => {
    for (let e = 0; e < E; e++) out[o + e] = eventSpecs[e].condition(tb, ys, off, params, b * P);
  };
  const crossed = (e: number, g0: number, g1: number) => {
    const dir = eventSpecs[e].direction ?? 'both';
    const up = g0 < 0 && g1 >= 0;
    const down = g0 > 0 && g1 <= 0;
    return dir === 'up' ? up : dir === 'down' ? down : up || down;
  };
  const gEnd = new Float64Array(E);
  const yTheta = new Float64Array(D);
  /** θ ∈ (0, 1] of the earliest event in row b's last accepted step, or −1 (Illinois method). */
  const locateEvent = (b: number, h0: number): { theta: number; event: number } => {
    evalConditions(b, t[b] + h0, yNew, b * D, gEnd, 0);
    let best = { theta: -1, event: -1 };
    for (let e = 0; e < E; e++) {
      let g0 = gStart[b * E + e];
      const g1 = gEnd[e];
      let lo = 0;
      if (g0 === 0) {
        // Starting on the surface (e.g. right after a bounce): judge by where g goes first.
        lo = 1e-8;
        stepper.interpolate(b, lo, yTheta, 0);
        g0 = eventSpecs[e].condition(t[b] + lo * h0, yTheta, 0, params, b * P);
      }
      if (!crossed(e, g0, g1)) continue;
      let hi = 1;
      let flo = g0;
      let fhi = g1;
      let side = 0;
      for (let it = 0; it < 100 && hi - lo > 1e-14; it++) {
        let th = (lo * fhi - hi * flo) / (fhi - flo);
        if (!(th > lo && th < hi)) th = 0.5 * (lo + hi);
        stepper.interpolate(b, th, yTheta, 0);
        const f = eventSpecs[e].condition(t[b] + th * h0, yTheta, 0, params, b * P);
        if (Math.sign(f) === Math.sign(flo) && f !== 0) {
          lo = th;
          flo = f;
          if (side === -1) fhi /= 2;
          side = -1;
        } else {
          hi = th;
          fhi = f;
          if (side === 1) flo /= 2;
          side = 1;
          if (f === 0) break;
        }
      }
      if (best.theta < 0 || hi < best.theta) best = { theta: hi, event: e };
    }
    return best;
  };
  const oneRow = new Int32Array(1);

  // Initial saves and step sizes.
  let active: number[] = [];
  // Saves at a time come before the doses at that time (a save sees the pre-dose state).
  for (let b = 0; b < N; b++) {
    if (saveat.kind === 'steps') save(b);
    else saveDue(b);
    doseDue(b);
    if (E > 0) evalConditions(b, t[b], y, b * D, gStart, b * E);
    if (t[b] < t1[b]) active.push(b);
  }
  if (controller.kind === 'constant') h.fill(controller.dt);
  else initialSteps(stepField, method, controller, t, y, params, t1, h, active);

  const rowsBuf = new Int32Array(N);
  const hTry = new Float64Array(N);
  const tEnd = new Float64Array(N);
  const landing = new Uint8Array(N);
  const acceptedBuf = new Int32Array(N);
  const k = Math.min(method.order, Math.max(method.embeddedOrder, 1)) + 1;
  while (active.length > 0) {
    const n = active.length;
    for (let q = 0; q < n; q++) {
      const b = active[q];
      rowsBuf[q] = b;
      const stop = nextStop(b);
      const remaining = stop - t[b];
      // Land exactly on the next stop rather than leave a sliver of a step.
      if (h[b] >= remaining || remaining - h[b] <= 1e-10 * Math.max(Math.abs(stop), remaining)) {
        hTry[b] = remaining;
        landing[b] = 1;
      } else {
        hTry[b] = h[b];
        landing[b] = 0;
      }
    }
    if (stepField.beginStep !== undefined) {
      for (let q = 0; q < n; q++) {
        const b = active[q];
        tEnd[b] = landing[b] ? nextStop(b) : t[b] + hTry[b];
      }
      stepField.beginStep(t, tEnd, n, rowsBuf.subarray(0, n));
    }
    stepper.attempt(t, y, params, hTry, yNew, err, n, rowsBuf.subarray(0, n));
    let nAccepted = 0;
    const next: number[] = [];
    for (let q = 0; q < n; q++) {
      const b = active[q];
      steps[b]++;
      let bad = -1;
      for (let i = 0; i < D; i++) {
        if (!Number.isFinite(yNew[b * D + i])) {
          bad = i;
          break;
        }
      }
      let ok: boolean;
      if (controller.kind === 'constant') {
        ok = bad < 0;
        if (!ok) {
          fail(
            b,
            'nonFinite',
            bad,
            `state ${bad} became ${yNew[b * D + bad]} (constant steps of ${hTry[b]})`,
          );
          continue;
        }
        // A stepper reports a failed attempt (an implicit method's Newton iteration did not
        // converge, a singular iteration matrix) by a non-finite error estimate; an adaptive
        // controller shrinks the step, constant steps cannot.
        for (let i = 0; ok && i < D; i++) ok = Number.isFinite(err[b * D + i]);
        if (!ok) {
          fail(
            b,
            'stepUnderflow',
            null,
            `${method.name} could not complete a step of ${hTry[b]} (non-finite error estimate: its stage ` +
              'equations were not solved), and constant steps cannot be shortened; use a smaller dt or pid()',
          );
          continue;
        }
      } else {
        const e = bad < 0 ? errorNorm(controller, y, yNew, err, b * D, D) : Number.POSITIVE_INFINITY;
        ok = e <= 1;
        h[b] = nextStepSize(controller, k, hTry[b], e, ok, errPrev1, errPrev2, b, landing[b] === 1, h[b]);
        if (!ok && (h[b] < controller.hMin || h[b] <= 4 * Number.EPSILON * Math.max(Math.abs(t[b]), 1))) {
          if (bad >= 0)
            fail(b, 'nonFinite', bad, `state ${bad} became ${yNew[b * D + bad]} even with step ${hTry[b]}`);
          else
            fail(b, 'stepUnderflow', null, `step size ${h[b]} fell below the minimum (error estimate ${e})`);
          continue;
        }
      }
      if (ok) {
        acceptedBuf[nAccepted++] = b;
        accepted++;
      } else rejected++;
      next.push(b);
    }
    stepper.accept(nAccepted, acceptedBuf.subarray(0, nAccepted));
    for (let q = 0; q < nAccepted; q++) {
      const b = acceptedBuf[q];
      let fired = -1;
      if (E > 0) {
        const ev = locateEvent(b, hTry[b]);
        if (ev.theta >= 0) {
          fired = ev.event;
          if (ev.theta < 1) {
            // Redo the step so that it ends exactly at the event (a genuine step of the method).
            hTry[b] *= ev.theta;
            landing[b] = 0;
            oneRow[0] = b;
            stepper.reset(b);
            tEnd[b] = t[b] + hTry[b];
            stepField.beginStep?.(t, tEnd, 1, oneRow);
            stepper.attempt(t, y, params, hTry, yNew, err, 1, oneRow);
            stepper.accept(1, oneRow);
          }
        }
      }
      if (records !== null) {
        const r = records[b];
        const step = r.t.length;
        r.t.push(t[b]);
        r.h.push(hTry[b]);
        if (hasInfusions) for (let i = 0; i < D; i++) r.rates.push(rates[b * D + i]);
        if (checkpointLimit === null) for (let i = 0; i < D; i++) r.y.push(y[b * D + i]);
        else if (step % stride[b] === 0) {
          r.checkpointSteps.push(step);
          for (let i = 0; i < D; i++) r.y.push(y[b * D + i]);
          const limit =
            checkpointLimit === 'sqrt' ? Math.max(4, Math.ceil(Math.sqrt(2 * (step + 1)))) : checkpointLimit;
          if (r.checkpointSteps.length > limit) thin(r, stride, b, D);
        }
      }
      if (saveat.kind === 'dense') {
        denseT[b].push(t[b]);
        denseH[b].push(hTry[b]);
        for (let j = 0; j < denseQ; j++) {
          stepper.interpolate(b, denseNodes[j], denseBuf, 0);
          for (let i = 0; i < D; i++) denseY[b].push(denseBuf[i]);
        }
      }
      t[b] = landing[b] ? nextStop(b) : t[b] + hTry[b];
      for (let i = 0; i < D; i++) y[b * D + i] = yNew[b * D + i];
      if (saveat.kind === 'steps') save(b);
      else saveDue(b);
      doseDue(b);
      if (fired >= 0) {
        eventLog.push({ trajectory: b, event: fired, time: t[b] });
        const r = records === null ? null : records[b];
        if (r !== null) {
          r.eventStep.push(r.t.length);
          r.eventIndex.push(fired);
          r.eventTime.push(t[b]);
          for (let i = 0; i < D; i++) r.eventBefore.push(y[b * D + i]);
        }
        const action = eventSpecs[fired].action;
        if (action === 'stop') {
          stopped[b] = 1;
          if (saveat.kind === 'final') save(b);
        } else {
          action(t[b], y, b * D, b, params, b * P);
          stepper.reset(b);
        }
        if (r !== null) for (let i = 0; i < D; i++) r.eventAfter.push(y[b * D + i]);
      }
      if (E > 0) {
        evalConditions(b, t[b], y, b * D, gStart, b * E);
        // The event just handled starts the next step on its surface, up to rounding: judge it
        // by where g goes first, so that rounding cannot make it fire again at once.
        if (fired >= 0) gStart[b * E + fired] = 0;
      }
    }
    active = [];
    for (const b of next) {
      if (t[b] >= t1[b] || stopped[b]) continue;
      if (steps[b] >= maxSteps) {
        const hint =
          !method.stiff && field.jac !== undefined ? '; if the problem is stiff, use method: rodas5p()' : '';
        fail(
          b,
          'maxSteps',
          null,
          `reached the maximum of ${maxSteps} steps; raise maxSteps or loosen the tolerances${hint}`,
        );
        continue;
      }
      active.push(b);
    }
  }
  // A trajectory that failed before t1 still reports its last state.
  if (saveat.kind === 'final' || saveat.kind === 'dense')
    for (let b = 0; b < N; b++) if (outTs[b].length === 0) save(b);
  if (failures.length > 0 && options.throwOnFailure) throw new SolveError(failures);
  const c = stepper.counters;
  return {
    n: N,
    dim: D,
    ts: outTs.map((a) => Float64Array.from(a)),
    ys: outYs.map((a) => Float64Array.from(a)),
    yFinal: y,
    status,
    failures,
    stats: { nfev: c.nfev, njev: c.njev, nlu: c.nlu, accepted, rejected },
    records,
    doses,
    events: eventLog,
    eventSpecs,
    method,
    dense:
      saveat.kind === 'dense' ? new DenseSolution(D, denseNodes, denseWeights, denseT, denseH, denseY) : null,
  };
}

/** Keeps every other checkpoint (those at multiples of twice the stride) and doubles the stride. */
function thin(r: StepRecord, stride: Int32Array, b: number, D: number): void {
  const next = stride[b] * 2;
  let w = 0;
  for (let k = 0; k < r.checkpointSteps.length; k++) {
    if (r.checkpointSteps[k] % next !== 0) continue;
    r.checkpointSteps[w] = r.checkpointSteps[k];
    for (let i = 0; i < D; i++) r.y[w * D + i] = r.y[k * D + i];
    w++;
  }
  r.checkpointSteps.length = w;
  r.y.length = w * D;
  stride[b] = next;
}

/** The field plus each row's current infusion rates (constant between stops). */
function withRates(field: VectorField, rates: Float64Array): VectorField {
  const D = field.dim;
  const add = (out: Float64Array, n: number, rows: Int32Array | null) => {
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      for (let i = 0; i < D; i++) out[b * D + i] += rates[b * D + i];
    }
  };
  const wrapped: VectorField = {
    dim: field.dim,
    nParams: field.nParams,
    f(t, y, p, out, n, rows) {
      field.f(t, y, p, out, n, rows);
      add(out, n, rows);
    },
    vjp: (t, y, p, ob, yb, pb, n, rows) => field.vjp(t, y, p, ob, yb, pb, n, rows),
  };
  const jac = field.jac;
  if (jac !== undefined) wrapped.jac = (t, y, p, J, n, rows) => jac.call(field, t, y, p, J, n, rows);
  const begin = field.beginStep;
  if (begin !== undefined) wrapped.beginStep = (a, b, n, rows) => begin.call(field, a, b, n, rows);
  const jvp = field.jvp;
  if (jvp !== undefined)
    wrapped.jvp = (t, y, p, yd, pd, out, n, rows) => jvp.call(field, t, y, p, yd, pd, out, n, rows);
  return wrapped;
}

/**
 * Initial step sizes for the listed trajectories by Hairer, Nørsett & Wanner's algorithm
 * (Solving ODEs I, II.4): h₀ = 0.01·‖y₀‖/‖f₀‖, an explicit Euler probe for the second
 * derivative, h = min(100·h₀, (0.01/max(‖f₀‖, ‖f′‖))^(1/(order+1))), in the weighted norm.
 */
function initialSteps(
  field: VectorField,
  method: Method,
  c: PidController,
  t: Arr,
  y: Arr,
  p: Arr,
  t1: Arr,
  h: Arr,
  active: readonly number[],
): void {
  const n = active.length;
  if (n === 0) return;
  const D = field.dim;
  if (c.h0 !== null) {
    for (const b of active) h[b] = Math.min(c.h0, t1[b] - t[b]);
    return;
  }
  const rows = Int32Array.from(active);
  const N = t.length;
  const f0 = new Float64Array(N * D);
  field.beginStep?.(t, t1, n, rows);
  field.f(t, y, p, f0, n, rows);
  const scale = (b: number, i: number) =>
    (typeof c.atol === 'number' ? c.atol : c.atol[i]) + c.rtol * Math.abs(y[b * D + i]);
  const norm = (v: Arr, b: number) => {
    let s = 0;
    for (let i = 0; i < D; i++) {
      const r = v[b * D + i] / scale(b, i);
      s += r * r;
    }
    return Math.sqrt(s / D);
  };
  const h0 = new Float64Array(N);
  const y1 = Float64Array.from(y);
  const tt = Float64Array.from(t);
  for (const b of active) {
    const d0 = norm(y, b);
    const d1 = norm(f0, b);
    h0[b] = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * (d0 / d1);
    h0[b] = Math.min(h0[b], t1[b] - t[b]);
    for (let i = 0; i < D; i++) y1[b * D + i] = y[b * D + i] + h0[b] * f0[b * D + i];
    tt[b] = t[b] + h0[b];
  }
  const f1 = new Float64Array(N * D);
  field.beginStep?.(t, tt, n, rows);
  field.f(tt, y1, p, f1, n, rows);
  for (const b of active) {
    let s = 0;
    for (let i = 0; i < D; i++) {
      const r = (f1[b * D + i] - f0[b * D + i]) / scale(b, i);
      s += r * r;
    }
    const d2 = Math.sqrt(s / D) / h0[b];
    const d1 = norm(f0, b);
    const m = Math.max(d1, d2);
    const h1 = m <= 1e-15 ? Math.max(1e-6, h0[b] * 1e-3) : (0.01 / m) ** (1 / (method.order + 1));
    const hh = Math.min(100 * h0[b], h1, c.hMax, t1[b] - t[b]);
    h[b] = Number.isFinite(hh) && hh > 0 ? hh : 1e-6;
  }
}
