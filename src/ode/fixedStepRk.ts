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
 * — and then runs tight loops over all rows still stepping: stage inputs y + h·Σⱼ aᵢⱼkⱼ, one
 * batched evaluation of f per stage, no per-step allocation, no row lists while every row
 * steps (`rows = null`), start states stored in one flat Float64Array ([steps · N · dim],
 * step-major) instead of growing `number[]` records.
 *
 * The discrete adjoint of such a solve walks the same flat record backwards: at reverse step
 * `back` every row with more than `back` steps reverses its own step `nSteps[b] − 1 − back`
 * (rows are aligned at their ends, as in the general adjoint). It recomputes each step's stages
 * from the stored start state with the general adjoint's arithmetic (Yᵢ = y + Σⱼ (h·aᵢⱼ)·kⱼ) —
 * skipping the evaluation of f for a stage whose slope no later stage reads — and reverses
 * them stage by stage:
 *
 *   gᵢ = h·bᵢ·λ + h·Σ_{l>i} a_{li}·Ȳ_l,   Ȳᵢ = Jᵢᵀgᵢ,   p̄ += (∂f/∂p)ᵀgᵢ,   λ ← λ + Σᵢ Ȳᵢ.
 *
 * Both paths make the same calls of f and of its VJP with the same rows in the same order and
 * the same floating-point operations, so their results are bit-identical to the general
 * solve loop's (test/ode/fixedStepRk.test.ts checks this on random problems). Anything the
 * fast path does not cover — a non-finite state, more steps than `maxSteps`, a different
 * setup — falls back to the general loop, which then reports it.
 *
 * Internal to the ODE layer: `solve` and `discreteAdjoint` dispatch here by themselves.
 */
import type { AdjointGradients } from './adjoint.js';
import { ExplicitRungeKutta } from './explicitRk.js';
import type { VectorField } from './field.js';
import type { Method } from './method.js';
import type { Solution, StepRecord, TrajectoryStatus } from './solve.js';

type Arr = Float64Array;

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

/** What the fast solve keeps for its discrete adjoint. */
interface Tape {
  readonly schedules: readonly Schedule[];
  /** Start states: step j of row b at [j·N·dim + b·dim …). */
  readonly y: Float64Array;
  /** Number of rows with more than j steps, for j = 0 … maxSteps − 1. */
  readonly active: Int32Array;
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
  const tableau = method.tableau;
  const s = tableau.stages;
  const fsal = tableau.fsal;

  // The schedule of every row (shared between rows with the same t0, t1 and save times).
  const schedules: Schedule[] = new Array<Schedule>(N);
  for (let b = 0; b < N; b++) {
    const ts = saveTimes[b];
    if (b > 0 && t0[b] === t0[b - 1] && t1[b] === t1[b - 1] && ts === saveTimes[b - 1]) {
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
  for (let b = 0; b < N; b++) {
    J = Math.max(J, schedules[b].nSteps);
    accepted += schedules[b].nSteps;
  }
  const active = new Int32Array(J);
  for (let j = 0; j < J; j++) for (let b = 0; b < N; b++) if (schedules[b].nSteps > j) active[j]++;

  // Saves before the first step.
  const ys = schedules.map((sc) => new Float64Array(sc.saveStep.length * D));
  const savePtr = new Int32Array(N);
  const y = Float64Array.from(y0);
  const saveAfter = (b: number, count: number) => {
    const sc = schedules[b];
    const out = ys[b];
    for (let k = savePtr[b]; k < sc.saveStep.length && sc.saveStep[k] === count; k = ++savePtr[b]) {
      for (let i = 0; i < D; i++) out[k * D + i] = y[b * D + i];
    }
  };
  for (let b = 0; b < N; b++) saveAfter(b, 0);

  const aRows = tableau.a.map(sparse);
  const c = tableau.c;
  const bw = sparse(tableau.b);
  const ew = tableau.errorWeights === null ? null : sparse(tableau.errorWeights);
  const k = Array.from({ length: s }, () => new Float64Array(ND));
  const yStage = new Float64Array(ND);
  const yNew = new Float64Array(ND);
  const tCur = new Float64Array(N);
  const hCur = new Float64Array(N);
  const tEnd = new Float64Array(N);
  const tStage = new Float64Array(N);
  const rowsBuf = new Int32Array(N);
  const tapeY = new Float64Array(record ? J * ND : 0);
  const beginStep = field.beginStep;
  let nfev = 0;
  let n = -1;
  let rows: Int32Array | null = null;

  /** out = y + h·Σ wⱼkⱼ on the rows stepping (the general stepper's `combine`). */
  const combine = (idx: Int32Array, val: Float64Array, out: Arr) => {
    const m = idx.length;
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      const hb = hCur[b];
      const o = b * D;
      for (let i = o; i < o + D; i++) {
        let acc = 0;
        for (let r = 0; r < m; r++) acc += val[r] * k[idx[r]][i];
        out[i] = y[i] + hb * acc;
      }
    }
  };

  for (let j = 0; j < J; j++) {
    if (active[j] !== n) {
      n = active[j];
      rows = n === N ? null : rowsBuf.subarray(0, listRows(schedules, j, rowsBuf));
    }
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      const sc = schedules[b];
      tCur[b] = sc.t[j];
      hCur[b] = sc.h[j];
      tEnd[b] = sc.t[j + 1];
    }
    beginStep?.call(field, tCur, tEnd, n, rows);
    // Stage 0 is f(t, y), or for a first-same-as-last method the last stage of the step before.
    if (j === 0 || !fsal) {
      field.f(tCur, y, params, k[0], n, rows);
      nfev += n;
    }
    for (let i = 1; i < s; i++) {
      const input = fsal && i === s - 1 ? yNew : yStage;
      const ci = c[i];
      for (let q = 0; q < n; q++) {
        const b = rows === null ? q : rows[q];
        tStage[b] = tCur[b] + ci * hCur[b];
      }
      combine(aRows[i].idx, aRows[i].val, input);
      field.f(tStage, input, params, k[i], n, rows);
      nfev += n;
    }
    if (!fsal) combine(bw.idx, bw.val, yNew);
    // A non-finite state or error estimate is a failure: the general loop reports it.
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      const o = b * D;
      for (let i = o; i < o + D; i++) if (!Number.isFinite(yNew[i])) return null;
      if (ew !== null) {
        const hb = hCur[b];
        for (let i = o; i < o + D; i++) {
          let acc = 0;
          for (let r = 0; r < ew.idx.length; r++) acc += ew.val[r] * k[ew.idx[r]][i];
          if (!Number.isFinite(hb * acc)) return null;
        }
      }
    }
    const base = j * ND;
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      const o = b * D;
      if (record) for (let i = o; i < o + D; i++) tapeY[base + i] = y[i];
      for (let i = o; i < o + D; i++) y[i] = yNew[i];
      if (fsal) {
        const first = k[0];
        const last = k[s - 1];
        for (let i = o; i < o + D; i++) first[i] = last[i];
      }
      saveAfter(b, j + 1);
    }
  }

  const status = new Array<TrajectoryStatus>(N).fill('success');
  let materialized: StepRecord[] | null = null;
  const solution: Solution = {
    n: N,
    dim: D,
    ts: schedules.map((sc) => Float64Array.from(sc.saveT)),
    ys,
    yFinal: y,
    status,
    failures: [],
    stats: { nfev, njev: 0, nlu: 0, accepted, rejected: 0 },
    get records(): readonly StepRecord[] | null {
      if (!record) return null;
      materialized ??= schedules.map((sc, b) => stepRecord(sc, tapeY, b, N, D));
      return materialized;
    },
    doses: [],
    method,
    dense: null,
    events: [],
    eventSpecs: [],
  };
  if (record) tapes.set(solution, { schedules, y: tapeY, active });
  return solution;
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
  const { schedules, active } = tape;
  const J = active.length;

  // Coefficients as the general adjoint's stage engine holds them.
  const s = coef.b.length;
  const A = new Float64Array(s * s);
  coef.a.forEach((row, i) => {
    row.forEach((v, j) => {
      A[i * s + j] = v;
    });
  });
  const c = Float64Array.from(coef.c);
  const w = Float64Array.from(coef.b);
  const live = new Array<boolean>(s).fill(false);
  for (let i = s - 1; i >= 0; i--) {
    live[i] = w[i] !== 0;
    for (let l = i + 1; l < s && !live[i]; l++) if (live[l] && A[l * s + i] !== 0) live[i] = true;
  }
  // A stage's slope is needed only when a later live stage reads it.
  const slopeUsed = live.map((_, j) => {
    for (let i = j + 1; i < s; i++) if (live[i] && A[i * s + j] !== 0) return true;
    return false;
  });

  const lambda = new Float64Array(ND);
  const pBar = new Float64Array(N * P);
  const Y = Array.from({ length: s }, () => new Float64Array(ND));
  const K = Array.from({ length: s }, () => new Float64Array(ND));
  const kBar = Array.from({ length: s }, () => new Float64Array(ND));
  const yBar = new Float64Array(ND);
  const T = new Float64Array(N);
  const H = new Float64Array(N);
  const TEnd = new Float64Array(N);
  const ts = new Float64Array(N);
  const rowsBuf = new Int32Array(N);
  const savePtr = Int32Array.from(schedules, (sc) => sc.saveStep.length - 1);
  const addSaves = (b: number, step: number) => {
    const steps = schedules[b].saveStep;
    const bar = savedBar[b];
    for (let k = savePtr[b]; k >= 0 && steps[k] === step; k = --savePtr[b]) {
      for (let i = 0; i < D; i++) lambda[b * D + i] += bar[k * D + i];
    }
  };
  for (let b = 0; b < N; b++) addSaves(b, schedules[b].nSteps);

  const beginStep = field.beginStep;
  let n = -1;
  let rows: Int32Array | null = null;
  const stageTimes = (i: number) => {
    const ci = c[i];
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      ts[b] = T[b] + ci * H[b];
    }
    return ts;
  };
  for (let back = 0; back < J; back++) {
    if (active[back] !== n) {
      n = active[back];
      rows = n === N ? null : rowsBuf.subarray(0, listRows(schedules, back, rowsBuf));
    }
    const y0 = Y[0];
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      const sc = schedules[b];
      const m = sc.nSteps - 1 - back;
      T[b] = sc.t[m];
      H[b] = sc.h[m];
      const from = (m * N + b) * D;
      for (let i = 0; i < D; i++) y0[b * D + i] = tape.y[from + i];
    }
    if (beginStep !== undefined) {
      for (let q = 0; q < n; q++) {
        const b = rows === null ? q : rows[q];
        TEnd[b] = T[b] + H[b];
      }
      beginStep.call(field, T, TEnd, n, rows);
    }
    // The stages, recomputed: Yᵢ = y + Σⱼ (h·aᵢⱼ)·kⱼ, kᵢ = f(t + cᵢh, Yᵢ).
    for (let i = 0; i < s; i++) {
      if (!live[i]) continue;
      const Yi = Y[i];
      if (i > 0) {
        for (let q = 0; q < n; q++) {
          const b = rows === null ? q : rows[q];
          const hb = H[b];
          for (let x = b * D; x < (b + 1) * D; x++) {
            let v = y0[x];
            for (let j = 0; j < i; j++) {
              const aij = A[i * s + j];
              if (aij !== 0) v += hb * aij * K[j][x];
            }
            Yi[x] = v;
          }
        }
      }
      if (slopeUsed[i]) field.f(stageTimes(i), Yi, params, K[i], n, rows);
    }
    // Reverse through the stages.
    for (let i = 0; i < s; i++) {
      const wi = w[i];
      const g = kBar[i];
      for (let q = 0; q < n; q++) {
        const b = rows === null ? q : rows[q];
        const hb = H[b];
        for (let x = b * D; x < (b + 1) * D; x++) g[x] = hb * wi * lambda[x];
      }
    }
    for (let i = s - 1; i >= 0; i--) {
      if (!live[i]) continue;
      field.vjp(stageTimes(i), Y[i], params, kBar[i], yBar, pBar, n, rows);
      for (let q = 0; q < n; q++) {
        const b = rows === null ? q : rows[q];
        const hb = H[b];
        for (let x = b * D; x < (b + 1) * D; x++) {
          const g = yBar[x];
          lambda[x] += g;
          for (let j = 0; j < i; j++) {
            const aij = A[i * s + j];
            if (aij !== 0) kBar[j][x] += hb * aij * g;
          }
        }
      }
    }
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      addSaves(b, schedules[b].nSteps - 1 - back);
    }
  }
  return {
    y0: lambda,
    params: pBar,
    doses: new Float64Array(0),
    doseTimes: new Float64Array(0),
    doseDurations: new Float64Array(0),
  };
}
