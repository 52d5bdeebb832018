/**
 * The fast path of `solve` and `discreteAdjoint` for the commonest training setup: an explicit
 * Runge–Kutta method with `constantSteps(dt)`, no doses, no events, no jumps of the field, and
 * saves at given times, at every step or at the end (not dense), recorded for the adjoint
 * without checkpoints (or not recorded).
 *
 * Then every trajectory's step sequence is known before any stage is evaluated: from t0 the
 * solve takes steps of dt, shortened to land exactly on each save time and on t1 (a step
 * within 1e-10 relative of a stop lands on it). The fast path computes that schedule first —
 * with the general loop's own arithmetic, once for all rows that share t0, t1 and save times
 * — and then runs tight loops over all rows still stepping: stage inputs y + h·(Σⱼ aᵢⱼkⱼ), one
 * batched evaluation of f per stage, no per-step allocation, no row lists while every row
 * steps (`rows = null`), start states stored in one flat Float64Array ([steps · N · dim],
 * step-major) instead of growing `number[]` records. That record is reused by the field's next
 * recorded solve once its adjoint has run (see `Tape`), so a training loop allocates it once.
 *
 * The discrete adjoint of such a solve walks the same flat record backwards: at reverse step
 * `back` every row with more than `back` steps reverses its own step `nSteps[b] − 1 − back`
 * (rows are aligned at their ends, as in the general adjoint). It takes each step's stage
 * states Yᵢ from the solve's stage record — kept for methods that do not reuse their last
 * stage (euler, midpoint, heun, rk4), up to STAGE_RECORD_LIMIT values, and used only with the
 * solve's own field, coefficients and parameters — or else recomputes them from the stored
 * start state with the forward stepper's arithmetic, Yᵢ = y + h·(Σⱼ aᵢⱼkⱼ) (skipping f for a
 * stage whose slope no later stage reads). Either way they are the solve's stage states, bit
 * for bit. It then reverses the stages one by one:
 *
 *   gᵢ = h·bᵢ·λ + h·Σ_{l>i} a_{li}·Ȳ_l,   Ȳᵢ = Jᵢᵀgᵢ,   p̄ += (∂f/∂p)ᵀgᵢ,   λ ← λ + Σᵢ Ȳᵢ.
 *
 * Both paths make the same calls of f and of its VJP (the adjoint with recorded stages only
 * those of the VJP) with the same rows in the same order and the same floating-point
 * operations, so their results are bit-identical to the general solve loop's and adjoint's
 * (test/ode/fixedStepRk.test.ts checks this on random problems). Anything the
 * fast path does not cover — a non-finite state, more steps than `maxSteps`, a different
 * setup — falls back to the general loop, which then reports it.
 *
 * Internal to the ODE layer: `solve` and `discreteAdjoint` dispatch here by themselves.
 */
import type { AdjointGradients } from './adjoint.js';
import { ExplicitRungeKutta } from './explicitRk.js';
import type { VectorField } from './field.js';
import type { ExplicitCoefficients, Method } from './method.js';
import type { Solution, StepRecord, TrajectoryStatus } from './solve.js';

/** The steps and saves of one trajectory (shared by rows with the same t0, t1 and save times). */
interface Schedule {
  readonly nSteps: number;
  /** Start time of every step, then the end time: nSteps + 1 values. */
  readonly t: Float64Array;
  /** Step sizes, nSteps values. */
  readonly h: Float64Array;
  /** For each save, the number of steps taken before it, and its time. */
  readonly saveStep: Int32Array;
  readonly saveT: Float64Array;
}

/**
 * The record of one fast solve: start states and stage states, with a view per step.
 * A solve's field keeps one such store for reuse (see {@link Tape}).
 */
interface TapeStore {
  /** Start states: step j of row b at [j·N·dim + b·dim …). */
  readonly y: Float64Array;
  /** y's block of step j, [j·N·dim, (j + 1)·N·dim). */
  readonly yViews: readonly Float64Array[];
  /**
   * The stage states Yᵢ, i = 1 … s − 1, of every step (step j, stage i, row b at
   * [(j·(s − 1) + i − 1)·N·dim + b·dim …)), or null.
   */
  readonly stages: Float64Array | null;
  /** The block of step j, stage i at index j·(s − 1) + i − 1 (empty without stages). */
  readonly stageViews: readonly Float64Array[];
  /** The tape whose values the store holds now. */
  owner: Tape | null;
}

/**
 * What the fast solve keeps for its discrete adjoint. Its store is the field's reusable one
 * when the tape of the solve before has been through its adjoint (`consumed`): a training
 * loop of solve, adjoint, solve, … then records into the same memory every time. A tape
 * whose store was taken over by a later solve (its adjoint or `records` asked for again) is
 * recorded afresh by rerunning its solve from `y0` with `params`, which gives the same values
 * bit for bit (the adjoint assumes f depends on t, y and p only, as it calls the VJP anew).
 */
interface Tape {
  readonly schedules: readonly Schedule[];
  /** Number of rows with more than j steps, for j = 0 … maxSteps − 1. */
  readonly active: Int32Array;
  /** Whether every row has the same schedule. */
  readonly shared: boolean;
  store: TapeStore;
  /** Whether its adjoint has run (so its store may be reused). */
  consumed: boolean;
  readonly y0: Float64Array;
  readonly field: VectorField;
  /** The method's coefficients as the solve read them, and as given. */
  readonly co: Coefficients;
  readonly coefficients: ExplicitCoefficients;
  readonly params: Float64Array;
}

/** The tapes of fast solves recorded for the adjoint, by their solution objects. */
const tapes = new WeakMap<Solution, Tape>();

/** Save points as `solve` resolved them. */
export type FixedStepSaves = 'times' | 'final' | 'steps';

/**
 * Walks one trajectory's constant-step schedule exactly as the general solve loop does;
 * writes it to `out` when given. Returns the numbers of steps and saves, or null when the
 * trajectory would need more than `maxSteps` steps.
 */
function walk(
  t0: number,
  t1: number,
  dt: number,
  kind: FixedStepSaves,
  ts: Float64Array | undefined,
  maxSteps: number,
  out: Schedule | null,
): { nSteps: number; nSaves: number } | null {
  let t = t0;
  let next = 0;
  let n = 0;
  let saves = 0;
  const save = () => {
    if (out !== null) {
      out.saveStep[saves] = n;
      out.saveT[saves] = t;
    }
    saves++;
  };
  const saveDue = () => {
    if (kind === 'steps') {
      save();
      return;
    }
    if (ts === undefined) return;
    while (next < ts.length && ts[next] === t) {
      save();
      next++;
    }
  };
  saveDue();
  if (t < t1) {
    for (;;) {
      const stop = Math.min(ts !== undefined && next < ts.length ? ts[next] : t1, t1);
      const remaining = stop - t;
      const landing = dt >= remaining || remaining - dt <= 1e-10 * Math.max(Math.abs(stop), remaining);
      const hTry = landing ? remaining : dt;
      if (out !== null) {
        out.t[n] = t;
        out.h[n] = hTry;
      }
      n++;
      t = landing ? stop : t + hTry;
      saveDue();
      if (t >= t1) break;
      if (n >= maxSteps) return null;
    }
  }
  if (out !== null) out.t[n] = t;
  // As the general loop: a trajectory without a save at its end under saveAt.final() saves there.
  if (kind === 'final' && saves === 0) save();
  return { nSteps: n, nSaves: saves };
}

/**
 * Most values the stage record of a fast solve may hold (32 MiB): beyond it the adjoint
 * recomputes the stages from the start states instead.
 */
const STAGE_RECORD_LIMIT = 1 << 22;

/**
 * The solve's stage record when the adjoint's field, coefficients and parameters are those it
 * was made with (so the stages recomputed would be the same), else null.
 */
function storedStagesFor(
  tape: Tape,
  field: VectorField,
  coef: ExplicitCoefficients,
  params: Float64Array,
): Float64Array | null {
  const stages = tape.store.stages;
  if (stages === null || field !== tape.field || params.length !== tape.params.length) return null;
  for (let i = 0; i < params.length; i++) if (!Object.is(params[i], tape.params[i])) return null;
  if (coef === tape.coefficients) return stages;
  const same = (u: readonly number[], v: readonly number[]) =>
    u.length === v.length && u.every((x, i) => Object.is(x, v[i]));
  const other = tape.coefficients;
  if (!same(coef.c, other.c) || coef.a.length !== other.a.length) return null;
  for (let i = 0; i < coef.a.length; i++) if (!same(coef.a[i], other.a[i])) return null;
  return stages;
}

/** Nonzero entries of a weight vector, in increasing index order (as the general stepper). */
function sparse(w: readonly number[]): { idx: Int32Array; val: Float64Array } {
  const idx: number[] = [];
  const val: number[] = [];
  w.forEach((v, j) => {
    if (v !== 0) {
      idx.push(j);
      val.push(v);
    }
  });
  return { idx: Int32Array.from(idx), val: Float64Array.from(val) };
}

/** The rows with more than j steps, listed in increasing order, into `rows`; their count. */
function listRows(schedules: readonly Schedule[], j: number, rows: Int32Array): number {
  let n = 0;
  for (let b = 0; b < schedules.length; b++) if (schedules[b].nSteps > j) rows[n++] = b;
  return n;
}

/**
 * Whether `solve` may take the fast path for these options (the caller has validated them).
 * `stops` are the per-trajectory dose and discontinuity lists of the general loop.
 */
export function fixedStepApplies(
  method: Method,
  controllerKind: 'pid' | 'constant',
  saveKind: string,
  record: unknown,
  nDoses: number,
  nEvents: number,
  stops: readonly (readonly unknown[])[],
): method is ExplicitRungeKutta {
  return (
    method instanceof ExplicitRungeKutta &&
    controllerKind === 'constant' &&
    saveKind !== 'dense' &&
    typeof record !== 'object' &&
    nDoses === 0 &&
    nEvents === 0 &&
    stops.every((list) => list.length === 0)
  );
}

/** Every row's schedule, and what it was made from. */
interface Plan {
  readonly schedules: readonly Schedule[];
  /** Number of rows with more than j steps, j = 0 … most steps − 1. */
  readonly active: Int32Array;
  readonly accepted: number;
  readonly totalSaves: number;
  /** Whether every row has the same schedule. */
  readonly shared: boolean;
  readonly t0: Float64Array;
  readonly t1: Float64Array;
  readonly dt: number;
  readonly kind: FixedStepSaves;
  readonly maxSteps: number;
  /** Copies of the save times. */
  readonly saveCopies: readonly (Float64Array | undefined)[];
}

function makePlan(
  t0: Float64Array,
  t1: Float64Array,
  dt: number,
  kind: FixedStepSaves,
  saveTimes: readonly Float64Array[],
  maxSteps: number,
): Plan | null {
  const N = t0.length;
  const schedules: Schedule[] = new Array<Schedule>(N);
  for (let b = 0; b < N; b++) {
    const ts = saveTimes[b];
    if (b > 0 && t0[b] === t0[b - 1] && t1[b] === t1[b - 1] && sameTimes(ts, saveTimes[b - 1])) {
      schedules[b] = schedules[b - 1];
      continue;
    }
    const size = walk(t0[b], t1[b], dt, kind, ts, maxSteps, null);
    if (size === null) return null;
    const sched: Schedule = {
      nSteps: size.nSteps,
      t: new Float64Array(size.nSteps + 1),
      h: new Float64Array(size.nSteps),
      saveStep: new Int32Array(size.nSaves),
      saveT: new Float64Array(size.nSaves),
    };
    walk(t0[b], t1[b], dt, kind, ts, maxSteps, sched);
    schedules[b] = sched;
  }
  let J = 0;
  let accepted = 0;
  let totalSaves = 0;
  for (let b = 0; b < N; b++) {
    J = Math.max(J, schedules[b].nSteps);
    accepted += schedules[b].nSteps;
    totalSaves += schedules[b].saveStep.length;
  }
  const active = new Int32Array(J);
  for (let j = 0; j < J; j++) for (let b = 0; b < N; b++) if (schedules[b].nSteps > j) active[j]++;
  const saveCopies: (Float64Array | undefined)[] = [];
  for (let b = 0; b < N; b++) {
    saveCopies.push(b > 0 && saveTimes[b] === saveTimes[b - 1] ? saveCopies[b - 1] : saveTimes[b]?.slice());
  }
  return {
    schedules,
    active,
    accepted,
    totalSaves,
    shared: schedules.every((sc) => sc === schedules[0]),
    t0: t0.slice(),
    t1: t1.slice(),
    dt,
    kind,
    maxSteps,
    saveCopies,
  };
}

/** Whether a plan was made from these inputs (values compared, -0 and NaN included). */
function samePlan(
  plan: Plan,
  t0: Float64Array,
  t1: Float64Array,
  dt: number,
  kind: FixedStepSaves,
  saveTimes: readonly Float64Array[],
  maxSteps: number,
): boolean {
  const N = t0.length;
  if (plan.t0.length !== N || plan.dt !== dt || plan.kind !== kind || plan.maxSteps !== maxSteps)
    return false;
  for (let b = 0; b < N; b++) {
    if (!Object.is(plan.t0[b], t0[b]) || !Object.is(plan.t1[b], t1[b])) return false;
    // A list shared with the row before, as when the plan was made, was compared there.
    const copies = plan.saveCopies;
    if (b > 0 && saveTimes[b] === saveTimes[b - 1] && copies[b] === copies[b - 1]) continue;
    if (!sameTimes(saveTimes[b], copies[b])) return false;
  }
  return true;
}

/** Whether two save-time lists hold the same values (-0 and NaN told apart). */
function sameTimes(u: Float64Array | undefined, v: Float64Array | undefined): boolean {
  if (u === v) return true;
  if (u === undefined || v === undefined || u.length !== v.length) return false;
  for (let i = 0; i < u.length; i++) if (!Object.is(u[i], v[i])) return false;
  return true;
}

/**
 * The fast constant-step solve (see the module comment); null when a trajectory would exceed
 * `maxSteps` or a state or error estimate becomes non-finite: the caller then runs the general
 * loop, which reports it.
 */
export function fixedStepSolve(
  field: VectorField,
  method: ExplicitRungeKutta,
  y0: Float64Array,
  params: Float64Array,
  t0: Float64Array,
  t1: Float64Array,
  dt: number,
  kind: FixedStepSaves,
  saveTimes: readonly Float64Array[],
  maxSteps: number,
  record: boolean,
): Solution | null {
  const D = field.dim;
  const N = t0.length;
  const ND = N * D;
  const ws = acquire(field, N);
  let plan = ws.plan;
  if (plan === null || !samePlan(plan, t0, t1, dt, kind, saveTimes, maxSteps)) {
    plan = makePlan(t0, t1, dt, kind, saveTimes, maxSteps);
    if (plan === null) {
      ws.busy = false;
      return null;
    }
    if (ws === workspaces.get(field)) ws.plan = plan;
  }
  const { schedules, active, accepted, totalSaves, shared } = plan;
  const J = active.length;
  // One buffer for the saved values and their times (each row's arrays are views).
  const co = coefficientsOf(method);
  const buf = new Float64Array(totalSaves * (D + 1));
  const ysBuf = buf.subarray(0, totalSaves * D);
  const tsBuf = buf.subarray(totalSaves * D);
  // The record: with the stages too (explicit methods that do not reuse their last stage,
  // within a budget), the adjoint need not evaluate f again.
  let store: TapeStore | null = null;
  if (record) {
    const stageLength =
      !co.fsal && co.s > 1 && J * (co.s - 1) * ND <= STAGE_RECORD_LIMIT ? J * (co.s - 1) * ND : 0;
    const pooled = ws.tapeStore;
    if (pooled !== null && fitsStore(pooled, J, ND, co.s, stageLength) && (pooled.owner?.consumed ?? true)) {
      store = pooled;
    } else {
      store = newTapeStore(J, ND, co.s, stageLength);
      if (ws === workspaces.get(field)) ws.tapeStore = store;
    }
  }
  const ys: Float64Array[] = new Array<Float64Array>(N);
  const ts: Float64Array[] = new Array<Float64Array>(N);
  for (let b = 0, at = 0; b < N; b++) {
    const m = schedules[b].saveStep.length;
    ys[b] = ysBuf.subarray(at * D, (at + m) * D);
    ts[b] = tsBuf.subarray(at, at + m);
    ts[b].set(schedules[b].saveT);
    at += m;
  }
  const y = y0.slice();
  let nfev: number;
  try {
    nfev = runSteps(field, params, co, ws, schedules, active, shared, y, ys, store);
  } finally {
    ws.busy = false;
  }
  if (nfev < 0) return null;
  const tape: Tape | null =
    store === null
      ? null
      : {
          schedules,
          active,
          shared,
          store,
          consumed: false,
          y0: y0.slice(),
          field,
          co,
          coefficients: method.tableau,
          params: params.slice(),
        };
  if (store !== null) store.owner = tape;

  const status = new Array<TrajectoryStatus>(N).fill('success');
  let materialized: StepRecord[] | null = null;
  const solution: Solution = {
    n: N,
    dim: D,
    ts,
    ys,
    yFinal: y,
    status,
    failures: [],
    stats: { nfev, njev: 0, nlu: 0, accepted, rejected: 0 },
    get records(): readonly StepRecord[] | null {
      if (tape === null) return null;
      if (materialized === null) {
        const tapeY = tapeStoreOf(tape).y;
        materialized = schedules.map((sc, b) => stepRecord(sc, tapeY, b, N, D));
      }
      return materialized;
    },
    doses: [],
    method,
    dense: null,
    events: [],
    eventSpecs: [],
  };
  if (tape !== null) tapes.set(solution, tape);
  return solution;
}

/** Whether a store has the shape of the record of J steps of N·dim = ND values and s stages. */
function fitsStore(store: TapeStore, J: number, ND: number, s: number, stageLength: number): boolean {
  return (
    store.yViews.length === J &&
    store.y.length === J * ND &&
    (store.stages?.length ?? 0) === stageLength &&
    store.stageViews.length === (stageLength > 0 ? J * (s - 1) : 0)
  );
}

/** An empty record of J steps of ND values (with stageLength values of s-stage states). */
function newTapeStore(J: number, ND: number, s: number, stageLength: number): TapeStore {
  const buf = new Float64Array(J * ND + stageLength);
  const y = buf.subarray(0, J * ND);
  const stages = stageLength > 0 ? buf.subarray(J * ND) : null;
  const yViews: Float64Array[] = new Array<Float64Array>(J);
  for (let j = 0; j < J; j++) yViews[j] = y.subarray(j * ND, (j + 1) * ND);
  const stageViews: Float64Array[] = [];
  if (stages !== null) {
    for (let v = 0; v < J * (s - 1); v++) stageViews.push(stages.subarray(v * ND, (v + 1) * ND));
  }
  return { y, yViews, stages, stageViews, owner: null };
}

/**
 * The tape's record: its store while the store still holds it, else a fresh one recorded by
 * rerunning the solve (see {@link Tape}).
 */
function tapeStoreOf(tape: Tape): TapeStore {
  if (tape.store.owner === tape) return tape.store;
  const { schedules, active, shared, field, co, params } = tape;
  const N = schedules.length;
  const D = field.dim;
  const old = tape.store;
  const store = newTapeStore(active.length, N * D, co.s, old.stages === null ? 0 : old.stages.length);
  let total = 0;
  for (const sc of schedules) total += sc.saveStep.length;
  const scratch = new Float64Array(total * D);
  const ys: Float64Array[] = [];
  for (let b = 0, at = 0; b < N; b++) {
    const m = schedules[b].saveStep.length;
    ys.push(scratch.subarray(at * D, (at + m) * D));
    at += m;
  }
  const ws = acquire(field, N);
  let nfev: number;
  try {
    nfev = runSteps(field, params, co, ws, schedules, active, shared, tape.y0.slice(), ys, store);
  } finally {
    ws.busy = false;
  }
  if (nfev < 0) {
    throw new Error(
      'discreteAdjoint: rerunning a solve to rebuild its record (a later solve reused it) reached a ' +
        'non-finite state that the solve did not; the vector field must depend on t, y and p only',
    );
  }
  store.owner = tape;
  tape.store = store;
  return store;
}

/** An explicit tableau's coefficients as the fast loops read them (nonzeros only, in order). */
interface Coefficients {
  readonly s: number;
  readonly fsal: boolean;
  readonly c: Float64Array;
  readonly aIdx: readonly Int32Array[];
  readonly aVal: readonly Float64Array[];
  readonly bIdx: Int32Array;
  readonly bVal: Float64Array;
  readonly eIdx: Int32Array | null;
  readonly eVal: Float64Array | null;
}

const coefficientCache = new WeakMap<ExplicitRungeKutta, Coefficients>();

function coefficientsOf(method: ExplicitRungeKutta): Coefficients {
  let co = coefficientCache.get(method);
  if (co === undefined) {
    const tb = method.tableau;
    const a = tb.a.map(sparse);
    const b = sparse(tb.b);
    const e = tb.errorWeights === null ? null : sparse(tb.errorWeights);
    co = {
      s: tb.stages,
      fsal: tb.fsal,
      c: Float64Array.from(tb.c),
      aIdx: a.map((r) => r.idx),
      aVal: a.map((r) => r.val),
      bIdx: b.idx,
      bVal: b.val,
      eIdx: e === null ? null : e.idx,
      eVal: e === null ? null : e.val,
    };
    coefficientCache.set(method, co);
  }
  return co;
}

/** Scratch buffers of the fast solve for N rows, kept per field between solves. */
interface Workspace {
  readonly N: number;
  /** Stage slopes (grown to the most stages seen), stage input, candidate, per-row times. */
  readonly k: Float64Array[];
  readonly yStage: Float64Array;
  readonly yNew: Float64Array;
  readonly tCur: Float64Array;
  readonly hCur: Float64Array;
  readonly tEnd: Float64Array;
  readonly tStage: Float64Array;
  readonly rows: Int32Array;
  /** A sum per element; each row's next save. */
  readonly acc: Float64Array;
  readonly savePtr: Int32Array;
  /** The schedules of the last solve, reused while its times, step and saves are the same. */
  plan: Plan | null;
  /** The record of the last solve recorded for the adjoint, for reuse (see {@link Tape}). */
  tapeStore: TapeStore | null;
  /** In use by a solve (a field that solves inside f gets a fresh workspace). */
  busy: boolean;
}

const workspaces = new WeakMap<VectorField, Workspace>();

function acquire(field: VectorField, N: number): Workspace {
  const cached = workspaces.get(field);
  if (cached !== undefined && !cached.busy && cached.N === N && cached.yNew.length === N * field.dim) {
    cached.busy = true;
    return cached;
  }
  const ND = N * field.dim;
  const ws: Workspace = {
    N,
    k: [],
    yStage: new Float64Array(ND),
    yNew: new Float64Array(ND),
    tCur: new Float64Array(N),
    hCur: new Float64Array(N),
    tEnd: new Float64Array(N),
    tStage: new Float64Array(N),
    rows: new Int32Array(N),
    acc: new Float64Array(ND),
    savePtr: new Int32Array(N),
    plan: null,
    tapeStore: null,
    busy: true,
  };
  if (cached === undefined || !cached.busy) workspaces.set(field, ws);
  return ws;
}

/**
 * out[x] = y[x] + h·Σᵣ val[r]·k[idx[r]][x] for x in [lo, hi), the sum accumulated from 0 in
 * the order of r (the general stepper's arithmetic), unrolled for up to four terms.
 */
function combine(
  idx: Int32Array,
  val: Float64Array,
  k: readonly Float64Array[],
  y: Float64Array,
  h: number,
  out: Float64Array,
  lo: number,
  hi: number,
  acc: Float64Array,
): void {
  const m = idx.length;
  if (m === 1) {
    const v0 = val[0];
    const k0 = k[idx[0]];
    for (let x = lo; x < hi; x++) {
      let sum = 0;
      sum += v0 * k0[x];
      out[x] = y[x] + h * sum;
    }
  } else if (m === 2) {
    const v0 = val[0];
    const v1 = val[1];
    const k0 = k[idx[0]];
    const k1 = k[idx[1]];
    for (let x = lo; x < hi; x++) {
      let sum = 0;
      sum += v0 * k0[x];
      sum += v1 * k1[x];
      out[x] = y[x] + h * sum;
    }
  } else if (m === 3) {
    const v0 = val[0];
    const v1 = val[1];
    const v2 = val[2];
    const k0 = k[idx[0]];
    const k1 = k[idx[1]];
    const k2 = k[idx[2]];
    for (let x = lo; x < hi; x++) {
      let sum = 0;
      sum += v0 * k0[x];
      sum += v1 * k1[x];
      sum += v2 * k2[x];
      out[x] = y[x] + h * sum;
    }
  } else if (m === 4) {
    const v0 = val[0];
    const v1 = val[1];
    const v2 = val[2];
    const v3 = val[3];
    const k0 = k[idx[0]];
    const k1 = k[idx[1]];
    const k2 = k[idx[2]];
    const k3 = k[idx[3]];
    for (let x = lo; x < hi; x++) {
      let sum = 0;
      sum += v0 * k0[x];
      sum += v1 * k1[x];
      sum += v2 * k2[x];
      sum += v3 * k3[x];
      out[x] = y[x] + h * sum;
    }
  } else {
    for (let x = lo; x < hi; x++) acc[x] = 0;
    for (let r = 0; r < m; r++) {
      const vr = val[r];
      const kr = k[idx[r]];
      for (let x = lo; x < hi; x++) acc[x] += vr * kr[x];
    }
    for (let x = lo; x < hi; x++) out[x] = y[x] + h * acc[x];
  }
}

/**
 * The steps of all rows (see the module comment): writes the final states to y, the saves to
 * ys and (when recording) every step's start state and stage states to `store`. Returns the
 * number of evaluations of f per trajectory, or −1 at a non-finite state or error estimate.
 * `shared`: every row has the same schedule.
 */
function runSteps(
  field: VectorField,
  params: Float64Array,
  co: Coefficients,
  ws: Workspace,
  schedules: readonly Schedule[],
  active: Int32Array,
  shared: boolean,
  y: Float64Array,
  ys: readonly Float64Array[],
  store: TapeStore | null,
): number {
  const D = field.dim;
  const N = ws.N;
  const ND = N * D;
  const { s, fsal, c, aIdx, aVal, bIdx, bVal, eIdx, eVal } = co;
  const k = ws.k;
  while (k.length < s) k.push(new Float64Array(ND));
  const { yStage, yNew, tCur, hCur, tEnd, tStage, acc } = ws;
  const J = active.length;
  const tapeY = store === null ? null : store.y;
  const stages = store === null ? null : store.stages;
  const stageViews = store === null ? [] : store.stageViews;
  const savePtr = ws.savePtr;
  savePtr.fill(0);
  for (let b = 0; b < N; b++) {
    const sc = schedules[b];
    const out = ys[b];
    for (let q = savePtr[b]; q < sc.saveStep.length && sc.saveStep[q] === 0; q = ++savePtr[b]) {
      for (let i = 0; i < D; i++) out[q * D + i] = y[b * D + i];
    }
  }
  let nfev = 0;
  let n = -1;
  let rows: Int32Array | null = null;
  for (let j = 0; j < J; j++) {
    if (active[j] !== n) {
      n = active[j];
      rows = n === N ? null : ws.rows.subarray(0, listRows(schedules, j, ws.rows));
    }
    // The element loops run over segments [lo, hi) with one step size each: all N·dim
    // elements at once while every row steps with the same h, else one row at a time.
    let uniform = rows === null;
    const h0 = schedules[0].nSteps > j ? schedules[0].h[j] : 0;
    if (shared) {
      // Every row steps on the same schedule: the same times for all.
      const tj = schedules[0].t[j];
      const tn = schedules[0].t[j + 1];
      for (let b = 0; b < N; b++) {
        tCur[b] = tj;
        hCur[b] = h0;
        tEnd[b] = tn;
      }
    } else {
      for (let q = 0; q < n; q++) {
        const b = rows === null ? q : rows[q];
        const sc = schedules[b];
        const hb = sc.h[j];
        tCur[b] = sc.t[j];
        hCur[b] = hb;
        tEnd[b] = sc.t[j + 1];
        if (hb !== h0 || Object.is(hb, -0) !== Object.is(h0, -0)) uniform = false;
      }
    }
    const segs = uniform ? 1 : n;
    field.beginStep?.(tCur, tEnd, n, rows);
    // Stage 0 is f(t, y), or for a first-same-as-last method the last stage of the step before.
    if (j === 0 || !fsal) {
      field.f(tCur, y, params, k[0], n, rows);
      nfev += n;
    }
    for (let i = 1; i <= s; i++) {
      // Stage inputs y + h·Σⱼ aᵢⱼkⱼ (i < s), then the solution y + h·Σ bⱼkⱼ (i = s), with the
      // sum accumulated from 0 in the order of j, as the general stepper does.
      if (i === s && fsal) break;
      const last = i === s;
      const off = (j * (s - 1) + i - 1) * ND;
      // On a shared schedule a recorded stage state is computed in its place in the record.
      const inPlace = stages !== null && !last && shared;
      const out = inPlace ? stageViews[j * (s - 1) + i - 1] : last || (fsal && i === s - 1) ? yNew : yStage;
      const idx = last ? bIdx : aIdx[i];
      const val = last ? bVal : aVal[i];
      for (let g = 0; g < segs; g++) {
        const b = uniform ? 0 : rows === null ? g : rows[g];
        const lo = uniform ? 0 : b * D;
        const hi = uniform ? ND : lo + D;
        combine(idx, val, k, y, hCur[b], out, lo, hi, acc);
        if (stages !== null && !last && !inPlace) {
          for (let x = lo; x < hi; x++) stages[off + x] = out[x];
        }
      }
      if (last) break;
      const ci = c[i];
      if (shared) {
        const ts = tCur[0] + ci * hCur[0];
        for (let b = 0; b < N; b++) tStage[b] = ts;
      } else {
        for (let q = 0; q < n; q++) {
          const b = rows === null ? q : rows[q];
          tStage[b] = tCur[b] + ci * hCur[b];
        }
      }
      field.f(tStage, out, params, k[i], n, rows);
      nfev += n;
    }
    // Accept: a non-finite state or error estimate is a failure, which the general loop reports.
    const base = j * ND;
    const first = k[0];
    const lastK = k[s - 1];
    for (let g = 0; g < segs; g++) {
      const b = uniform ? 0 : rows === null ? g : rows[g];
      const lo = uniform ? 0 : b * D;
      const hi = uniform ? ND : lo + D;
      if (eIdx !== null && eVal !== null) {
        const hb = hCur[b];
        for (let x = lo; x < hi; x++) acc[x] = 0;
        for (let r = 0; r < eIdx.length; r++) {
          const vr = eVal[r];
          const kr = k[eIdx[r]];
          for (let x = lo; x < hi; x++) acc[x] += vr * kr[x];
        }
        for (let x = lo; x < hi; x++) if (!Number.isFinite(hb * acc[x])) return -1;
      }
      for (let x = lo; x < hi; x++) {
        const v = yNew[x];
        if (!Number.isFinite(v)) return -1;
        if (tapeY !== null) tapeY[base + x] = y[x];
        y[x] = v;
        if (fsal) first[x] = lastK[x];
      }
    }
    if (shared) {
      const steps = schedules[0].saveStep;
      for (let p = savePtr[0]; p < steps.length && steps[p] === j + 1; p = ++savePtr[0]) {
        for (let b = 0; b < N; b++) {
          const out = ys[b];
          for (let i = 0; i < D; i++) out[p * D + i] = y[b * D + i];
        }
      }
    } else {
      for (let q = 0; q < n; q++) {
        const b = rows === null ? q : rows[q];
        const sc = schedules[b];
        const out = ys[b];
        for (let p = savePtr[b]; p < sc.saveStep.length && sc.saveStep[p] === j + 1; p = ++savePtr[b]) {
          for (let i = 0; i < D; i++) out[p * D + i] = y[b * D + i];
        }
      }
    }
  }
  return nfev;
}

/** The general loop's record of one row, built from the flat tape (on first use of `records`). */
function stepRecord(sc: Schedule, tapeY: Float64Array, b: number, N: number, D: number): StepRecord {
  const y: number[] = new Array<number>(sc.nSteps * D);
  for (let j = 0; j < sc.nSteps; j++) for (let i = 0; i < D; i++) y[j * D + i] = tapeY[(j * N + b) * D + i];
  return {
    t: Array.from(sc.t.subarray(0, sc.nSteps)),
    h: Array.from(sc.h),
    y,
    saveStep: Array.from(sc.saveStep),
    doseStep: [],
    doseIndex: [],
    rates: [],
    checkpointSteps: [],
    eventStep: [],
    eventIndex: [],
    eventTime: [],
    eventBefore: [],
    eventAfter: [],
  };
}

/**
 * The discrete adjoint of a fast solve (see the module comment), or null when `solution` did
 * not come from the fast path, or the method has no explicit coefficients, or the arguments do
 * not fit: the general adjoint then handles (or rejects) them.
 */
export function fixedStepAdjoint(
  field: VectorField,
  solution: Solution,
  method: Method,
  params: Float64Array,
  savedBar: readonly Float64Array[],
  eventTimesBar: Float64Array | undefined,
): AdjointGradients | null {
  const tape = tapes.get(solution);
  const coef = method.coefficients;
  if (tape === undefined || coef === undefined) return null;
  if (eventTimesBar !== undefined && eventTimesBar.length !== 0) return null;
  const N = solution.n;
  const D = field.dim;
  const P = field.nParams;
  if (D !== solution.dim || savedBar.length !== N) return null;
  for (let b = 0; b < N; b++) if (savedBar[b].length !== solution.ys[b].length) return null;
  const ND = N * D;
  const { schedules, active, shared } = tape;
  const J = active.length;
  const { s, c, w, live, slopeUsed, aIdx, aVal } = adjointCoefficientsOf(coef);
  const store = tapeStoreOf(tape);
  const ws = acquireAdjoint(field, N, s);
  try {
    const { Y, K, kBar, yBar, T, H, TEnd, tsStage, rows: rowsBuf, savePtr } = ws;
    const lambda = new Float64Array(ND);
    const pBar = new Float64Array(N * P);
    for (let b = 0; b < N; b++) savePtr[b] = schedules[b].saveStep.length - 1;
    addSaves(schedules, savedBar, savePtr, lambda, D, shared, N, null, -1);
    const beginStep = field.beginStep;
    const tapeY = store.y;
    const stored = storedStagesFor(tape, field, coef, params);
    // The stage states of the step being reversed: the work buffers, or views into the record.
    const Yv: Float64Array[] = Y.slice(0, s);
    let n = -1;
    let rows: Int32Array | null = null;
    for (let back = 0; back < J; back++) {
      if (active[back] !== n) {
        n = active[back];
        rows = n === N ? null : rowsBuf.subarray(0, listRows(schedules, back, rowsBuf));
      }
      // Segments of elements with one step size: all rows at once when they share it.
      let uniform = rows === null;
      let h0 = 0;
      if (shared) {
        // Every row on the same schedule: one time and step, start states one block.
        const m = schedules[0].nSteps - 1 - back;
        const tm = schedules[0].t[m];
        const hm = schedules[0].h[m];
        for (let b = 0; b < N; b++) {
          T[b] = tm;
          H[b] = hm;
        }
        Yv[0] = store.yViews[m];
      } else {
        for (let q = 0; q < n; q++) {
          const b = rows === null ? q : rows[q];
          const sc = schedules[b];
          const m = sc.nSteps - 1 - back;
          T[b] = sc.t[m];
          H[b] = sc.h[m];
          if (q === 0) h0 = H[b];
          else if (H[b] !== h0 || Object.is(H[b], -0) !== Object.is(h0, -0)) uniform = false;
          const from = (m * N + b) * D;
          for (let i = 0; i < D; i++) Y[0][b * D + i] = tapeY[from + i];
        }
        Yv[0] = Y[0];
      }
      const segs = uniform ? 1 : n;
      if (beginStep !== undefined) {
        for (let q = 0; q < n; q++) {
          const b = rows === null ? q : rows[q];
          TEnd[b] = T[b] + H[b];
        }
        beginStep.call(field, T, TEnd, n, rows);
      }
      // The stages: Yᵢ = y + h·(Σⱼ aᵢⱼkⱼ), kᵢ = f(t + cᵢh, Yᵢ), recomputed with the forward
      // stepper's arithmetic, or copied from the solve's stage record.
      for (let i = 0; i < s; i++) {
        if (!live[i]) continue;
        const Yi = i === 0 ? Yv[0] : Y[i];
        Yv[i] = Yi;
        if (i > 0 && stored !== null) {
          const off = (i - 1) * ND;
          if (shared) {
            Yv[i] = store.stageViews[(schedules[0].nSteps - 1 - back) * (s - 1) + i - 1];
          } else {
            for (let q = 0; q < n; q++) {
              const b = rows === null ? q : rows[q];
              const from = (schedules[b].nSteps - 1 - back) * (s - 1) * ND + off + b * D;
              for (let x = 0; x < D; x++) Yi[b * D + x] = stored[from + x];
            }
          }
          stageTimes(c[i], T, H, tsStage[i], n, rows, shared);
          continue;
        }
        if (i > 0) {
          for (let g = 0; g < segs; g++) {
            const b = uniform ? 0 : rows === null ? g : rows[g];
            const lo = uniform ? 0 : b * D;
            const hi = uniform ? ND : lo + D;
            const hb = H[uniform ? (rows === null ? 0 : rows[0]) : b];
            combine(aIdx[i], aVal[i], K, Yv[0], hb, Yi, lo, hi, yBar);
          }
        }
        if (slopeUsed[i] && stored === null)
          field.f(stageTimes(c[i], T, H, tsStage[i], n, rows, shared), Yi, params, K[i], n, rows);
        else stageTimes(c[i], T, H, tsStage[i], n, rows, shared);
      }
      // Reverse through the stages.
      for (let g = 0; g < segs; g++) {
        const b = uniform ? 0 : rows === null ? g : rows[g];
        const lo = uniform ? 0 : b * D;
        const hi = uniform ? ND : lo + D;
        const hb = H[uniform ? (rows === null ? 0 : rows[0]) : b];
        if (s === 4) {
          const hw0 = hb * w[0];
          const hw1 = hb * w[1];
          const hw2 = hb * w[2];
          const hw3 = hb * w[3];
          const [g0, g1, g2, g3] = kBar;
          for (let x = lo; x < hi; x++) {
            const l = lambda[x];
            g0[x] = hw0 * l;
            g1[x] = hw1 * l;
            g2[x] = hw2 * l;
            g3[x] = hw3 * l;
          }
        } else {
          for (let i = 0; i < s; i++) {
            const hw = hb * w[i];
            const gi = kBar[i];
            for (let x = lo; x < hi; x++) gi[x] = hw * lambda[x];
          }
        }
      }
      for (let i = s - 1; i >= 0; i--) {
        if (!live[i]) continue;
        field.vjp(tsStage[i], Yv[i], params, kBar[i], yBar, pBar, n, rows);
        for (let g = 0; g < segs; g++) {
          const b = uniform ? 0 : rows === null ? g : rows[g];
          const lo = uniform ? 0 : b * D;
          const hi = uniform ? ND : lo + D;
          const hb = H[uniform ? (rows === null ? 0 : rows[0]) : b];
          const idx = aIdx[i];
          const val = aVal[i];
          if (idx.length === 0) {
            for (let x = lo; x < hi; x++) lambda[x] += yBar[x];
          } else if (idx.length === 1) {
            const ha = hb * val[0];
            const kj = kBar[idx[0]];
            for (let x = lo; x < hi; x++) {
              const g = yBar[x];
              lambda[x] += g;
              kj[x] += ha * g;
            }
          } else {
            for (let x = lo; x < hi; x++) lambda[x] += yBar[x];
            for (let r = 0; r < idx.length; r++) {
              const ha = hb * val[r];
              const kj = kBar[idx[r]];
              for (let x = lo; x < hi; x++) kj[x] += ha * yBar[x];
            }
          }
        }
      }
      addSaves(schedules, savedBar, savePtr, lambda, D, shared, n, rows, back);
    }
    tape.consumed = true;
    return {
      y0: lambda,
      params: pBar,
      doses: new Float64Array(0),
      doseTimes: new Float64Array(0),
      doseDurations: new Float64Array(0),
    };
  } finally {
    ws.busy = false;
  }
}

/**
 * λ += the cotangents of the saves made after step `nSteps[b] − 1 − back` of each listed row
 * (`back` = −1: at the end), walking each row's saves backwards from `savePtr[b]`.
 */
function addSaves(
  schedules: readonly Schedule[],
  savedBar: readonly Float64Array[],
  savePtr: Int32Array,
  lambda: Float64Array,
  D: number,
  shared: boolean,
  n: number,
  rows: Int32Array | null,
  back: number,
): void {
  if (shared) {
    // One schedule: the same saves for every row.
    const steps = schedules[0].saveStep;
    const step = schedules[0].nSteps - 1 - back;
    for (let k = savePtr[0]; k >= 0 && steps[k] === step; k--) {
      const at = k * D;
      for (let b = 0; b < n; b++) {
        const bar = savedBar[b];
        for (let i = 0; i < D; i++) lambda[b * D + i] += bar[at + i];
      }
      for (let b = 0; b < n; b++) savePtr[b] = k - 1;
    }
    return;
  }
  for (let q = 0; q < n; q++) {
    const b = rows === null ? q : rows[q];
    const steps = schedules[b].saveStep;
    const step = schedules[b].nSteps - 1 - back;
    const bar = savedBar[b];
    for (let k = savePtr[b]; k >= 0 && steps[k] === step; k = --savePtr[b]) {
      for (let i = 0; i < D; i++) lambda[b * D + i] += bar[k * D + i];
    }
  }
}

/** ts[b] = t[b] + cᵢ·h[b] for the listed rows (all rows alike when `shared`); returns ts. */
function stageTimes(
  ci: number,
  t: Float64Array,
  h: Float64Array,
  ts: Float64Array,
  n: number,
  rows: Int32Array | null,
  shared: boolean,
): Float64Array {
  if (shared) {
    const v = t[0] + ci * h[0];
    for (let b = 0; b < n; b++) ts[b] = v;
    return ts;
  }
  for (let q = 0; q < n; q++) {
    const b = rows === null ? q : rows[q];
    ts[b] = t[b] + ci * h[b];
  }
  return ts;
}

/** A method's coefficients as the general adjoint's stage engine holds them. */
interface AdjointCoefficients {
  readonly s: number;
  readonly A: Float64Array;
  readonly c: Float64Array;
  readonly w: Float64Array;
  /** Whether stage i enters the solution or a stage that does. */
  readonly live: readonly boolean[];
  /** Whether a later live stage reads stage i's slope. */
  readonly slopeUsed: readonly boolean[];
  /** Row i of a: the j < i with aᵢⱼ ≠ 0, in increasing order, and the aᵢⱼ. */
  readonly aIdx: readonly Int32Array[];
  readonly aVal: readonly Float64Array[];
}

const adjointCoefficientCache = new WeakMap<ExplicitCoefficients, AdjointCoefficients>();

function adjointCoefficientsOf(coef: ExplicitCoefficients): AdjointCoefficients {
  let co = adjointCoefficientCache.get(coef);
  if (co !== undefined) return co;
  const s = coef.b.length;
  const A = new Float64Array(s * s);
  coef.a.forEach((row, i) => {
    row.forEach((v, j) => {
      A[i * s + j] = v;
    });
  });
  const w = Float64Array.from(coef.b);
  const live = new Array<boolean>(s).fill(false);
  for (let i = s - 1; i >= 0; i--) {
    live[i] = w[i] !== 0;
    for (let l = i + 1; l < s && !live[i]; l++) if (live[l] && A[l * s + i] !== 0) live[i] = true;
  }
  const slopeUsed = live.map((_, j) => {
    for (let i = j + 1; i < s; i++) if (live[i] && A[i * s + j] !== 0) return true;
    return false;
  });
  const rowsOfA = Array.from({ length: s }, (_, i) => sparse(Array.from(A.subarray(i * s, i * s + i))));
  co = {
    s,
    A,
    c: Float64Array.from(coef.c),
    w,
    live,
    slopeUsed,
    aIdx: rowsOfA.map((r) => r.idx),
    aVal: rowsOfA.map((r) => r.val),
  };
  adjointCoefficientCache.set(coef, co);
  return co;
}

/** Scratch buffers of the fast adjoint for N rows and s stages, kept per field. */
interface AdjointWorkspace {
  readonly N: number;
  readonly Y: Float64Array[];
  readonly K: Float64Array[];
  readonly kBar: Float64Array[];
  readonly yBar: Float64Array;
  readonly T: Float64Array;
  readonly H: Float64Array;
  readonly TEnd: Float64Array;
  /** Stage times t + cᵢh, one array per stage. */
  readonly tsStage: Float64Array[];
  readonly rows: Int32Array;
  readonly savePtr: Int32Array;
  busy: boolean;
}

const adjointWorkspaces = new WeakMap<VectorField, AdjointWorkspace>();

function acquireAdjoint(field: VectorField, N: number, s: number): AdjointWorkspace {
  const ND = N * field.dim;
  const cached = adjointWorkspaces.get(field);
  if (cached !== undefined && !cached.busy && cached.N === N && cached.yBar.length === ND) {
    while (cached.Y.length < s) {
      cached.Y.push(new Float64Array(ND));
      cached.K.push(new Float64Array(ND));
      cached.kBar.push(new Float64Array(ND));
      cached.tsStage.push(new Float64Array(N));
    }
    cached.busy = true;
    return cached;
  }
  const vec = () => new Float64Array(ND);
  const ws: AdjointWorkspace = {
    N,
    Y: Array.from({ length: s }, vec),
    K: Array.from({ length: s }, vec),
    kBar: Array.from({ length: s }, vec),
    yBar: vec(),
    T: new Float64Array(N),
    H: new Float64Array(N),
    TEnd: new Float64Array(N),
    tsStage: Array.from({ length: s }, () => new Float64Array(N)),
    rows: new Int32Array(N),
    savePtr: new Int32Array(N),
    busy: true,
  };
  if (cached === undefined || !cached.busy) adjointWorkspaces.set(field, ws);
  return ws;
}
