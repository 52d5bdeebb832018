/**
 * `rhs_vjp_pendulum`, `rhs_vjp_uva`: one evaluation of a compiled model's right-hand side
 * plus its vector–Jacobian product (cotangents of states and parameters for a fixed random
 * output cotangent), for a whole batch of trajectories with per-trajectory parameters, at
 * batch 1 and 64. Metric `evals_per_s`: trajectory-evaluations per second, batch / (seconds
 * per rhs + vjp call). The same computations with PyTorch tensor ops are in
 * bench/peers/torch_rhs.py, which reads this module's exact inputs through
 * bench/peers/rhs_inputs.ts and checks its numbers against greybox's before timing.
 *
 * - Pendulum: the zoo's damped pendulum (states θ, ω; parameters ω0, α), random states and
 *   parameters within ±20 % of the defaults per trajectory.
 * - UVA/Padova: the zoo's UVA/Padova 2008 model (13 states, 37 parameters, inputs CHO,
 *   insulin, D̄, covariate BW). Trajectory b is virtual patient b mod 30 (b = 0 is the default
 *   patient adolescent#001) at its basal state x0 with a meal under way: eating at 5 g/min
 *   (CHO = 5000 mg/min) with D̄ = 50 g, stomach and gut contents of that meal (about 30, 8
 *   and 4 g, varied per trajectory), and the patient's basal insulin rate u2ss.
 */
import { type CompiledModel, compileModel } from '../../src/expr/compile.js';
import type { Model } from '../../src/expr/model.js';
import { uvaPatients } from '../../src/models/data/uvaPatients.js';
import { pendulumModel } from '../../src/models/pendulum.js';
import { uvaPadovaModel, uvaPadovaPatientValues } from '../../src/models/uvaPadova.js';
import { type BenchRecord, record, timeCalls, type Workload } from '../harness.js';

/** The ids of the RHS + VJP workloads. */
export type RhsWorkloadId = 'rhs_vjp_pendulum' | 'rhs_vjp_uva';

/** Batch sizes every RHS + VJP workload runs at. */
export const rhsBatches: readonly number[] = [1, 64];

/** One benchmark point: a compiled model and its batched arguments (layouts of compile.ts). */
export interface RhsCase {
  readonly id: RhsWorkloadId;
  readonly model: Model;
  readonly compiled: CompiledModel;
  readonly batch: number;
  /** t [B], y [B·D], p [B·P], u [B·U], c [B·C]. */
  readonly t: Float64Array;
  readonly y: Float64Array;
  readonly p: Float64Array;
  readonly u: Float64Array;
  readonly c: Float64Array;
  /** The fixed output cotangent [B·D]. */
  readonly outBar: Float64Array;
}

/** Deterministic uniform numbers in [0, 1) (a 32-bit LCG; benchmarks need no statistical quality). */
function uniforms(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function pendulumCase(batch: number): RhsCase {
  const model = pendulumModel();
  const D = model.dim;
  const P = model.params.length;
  const rand = uniforms(11);
  const defaults = model.defaultParams();
  const y = new Float64Array(batch * D);
  const p = new Float64Array(batch * P);
  const theta = model.stateIndex('theta');
  const omega = model.stateIndex('omega');
  for (let b = 0; b < batch; b++) {
    y[b * D + theta] = 3 * rand() - 1.5;
    y[b * D + omega] = 2 * rand() - 1;
    for (let k = 0; k < P; k++) p[b * P + k] = defaults[k] * (0.8 + 0.4 * rand());
  }
  return withCotangent('rhs_vjp_pendulum', model, batch, y, p, new Float64Array(0), new Float64Array(0));
}

function uvaCase(batch: number): RhsCase {
  const model = uvaPadovaModel();
  const D = model.dim;
  const P = model.params.length;
  const U = model.inputs.length;
  const C = model.covariates.length;
  const rand = uniforms(12);
  const y = new Float64Array(batch * D);
  const p = new Float64Array(batch * P);
  const u = new Float64Array(batch * U);
  const c = new Float64Array(batch * C);
  const state = (name: string) => {
    const i = model.stateIndex(name);
    if (i < 0) throw new Error(`rhs_vjp_uva: the model has no state "${name}"`);
    return i;
  };
  const input = (name: string) => {
    const i = model.inputs.findIndex((x) => x.name === name);
    if (i < 0) throw new Error(`rhs_vjp_uva: the model has no input "${name}"`);
    return i;
  };
  for (let b = 0; b < batch; b++) {
    const patient = uvaPatients[b % uvaPatients.length];
    const v = uvaPadovaPatientValues(patient.name, model);
    y.set(v.initialState, b * D);
    p.set(v.params, b * P);
    c.set(v.covariates, b * C);
    // A 50 g meal under way: most of it still solid in the stomach.
    const scale = b === 0 ? 1 : 0.5 + rand();
    y[b * D + state('Qsto1')] = 30000 * scale;
    y[b * D + state('Qsto2')] = 8000 * scale;
    y[b * D + state('Qgut')] = 4000 * scale;
    u[b * U + input('CHO')] = 5000;
    u[b * U + input('insulin')] = patient.u2ss;
    u[b * U + input('Dbar')] = 50000;
  }
  return withCotangent('rhs_vjp_uva', model, batch, y, p, u, c);
}

function withCotangent(
  id: RhsWorkloadId,
  model: Model,
  batch: number,
  y: Float64Array,
  p: Float64Array,
  u: Float64Array,
  c: Float64Array,
): RhsCase {
  const rand = uniforms(99);
  const outBar = Float64Array.from({ length: batch * model.dim }, () => 2 * rand() - 1);
  const compiled = compileModel(model);
  return { id, model, compiled, batch, t: new Float64Array(batch), y, p, u, c, outBar };
}

/** The inputs of workload `id` at batch size `batch` (deterministic). */
export function rhsCase(id: RhsWorkloadId, batch: number): RhsCase {
  return id === 'rhs_vjp_pendulum' ? pendulumCase(batch) : uvaCase(batch);
}

/** Preallocated outputs of one RHS + VJP evaluation. */
export interface RhsOutputs {
  readonly out: Float64Array;
  readonly yBar: Float64Array;
  readonly pBar: Float64Array;
}

/** Allocates the outputs of {@link evaluate} for a case. */
export function rhsOutputs(q: RhsCase): RhsOutputs {
  const { dim, nParams } = q.compiled;
  return {
    out: new Float64Array(q.batch * dim),
    yBar: new Float64Array(q.batch * dim),
    pBar: new Float64Array(q.batch * nParams),
  };
}

/** One evaluation: out = f(t, y, p, u, c), yBar = (∂f/∂y)ᵀ outBar, pBar = (∂f/∂p)ᵀ outBar. */
export function evaluate(q: RhsCase, r: RhsOutputs): void {
  q.compiled.rhs(q.t, q.y, q.p, q.u, q.c, r.out, q.batch);
  r.pBar.fill(0);
  q.compiled.vjp(q.t, q.y, q.p, q.u, q.c, q.outBar, r.yBar, r.pBar, q.batch);
}

function rhsWorkload(id: RhsWorkloadId, what: string): Workload {
  return {
    id,
    description: `${what}: compiled RHS + VJP, trajectory-evaluations per second, batch ${rhsBatches.join(' and ')}`,
    run(): BenchRecord[] {
      return rhsBatches.map((batch) => {
        const q = rhsCase(id, batch);
        const r = rhsOutputs(q);
        const times = timeCalls(() => evaluate(q, r), { warmupMs: 500, samples: 40 });
        return record(id, 'evals_per_s', times, (ms) => batch / (ms * 1e-3), {
          batch,
          states: q.compiled.dim,
          params: q.compiled.nParams,
        });
      });
    },
  };
}

export const rhsVjpPendulum = rhsWorkload('rhs_vjp_pendulum', 'damped pendulum');
export const rhsVjpUva = rhsWorkload('rhs_vjp_uva', 'UVA/Padova 2008, virtual patients during a meal');
