/**
 * `adjoint_memory`: memory of the discrete adjoint's gradient for a 1,000-state linear system
 * (1-d diffusion with decay, y' = k·(y_{i−1} − 2yᵢ + y_{i+1}) − c·yᵢ) over 10⁴ and 10⁵ RK4
 * steps, with checkpointing ('sqrt': about √(2n) stored states) and, at 10⁴ steps, with every
 * state stored for comparison. Reports the memory held by the step records (the part that
 * grows with the number of steps) and the process's heap + array-buffer growth during the
 * solve and the gradient, in MB.
 */
import { discreteAdjoint } from '../../src/ode/adjoint.js';
import { constantSteps } from '../../src/ode/controller.js';
import type { VectorField } from '../../src/ode/field.js';
import { rk4 } from '../../src/ode/methods/rk4.js';
import { saveAt, solve } from '../../src/ode/solve.js';
import type { BenchRecord, Workload } from '../harness.js';

const D = 1000;

const diffusion: VectorField = {
  dim: D,
  nParams: 2,
  f(_t, y, p, out, n, rows) {
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      const o = b * D;
      const k = p[2 * b];
      const c = p[2 * b + 1];
      for (let i = 0; i < D; i++) {
        const left = i > 0 ? y[o + i - 1] : 0;
        const right = i < D - 1 ? y[o + i + 1] : 0;
        out[o + i] = k * (left - 2 * y[o + i] + right) - c * y[o + i];
      }
    }
  },
  vjp(_t, y, p, ob, yb, pb, n, rows) {
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      const o = b * D;
      const k = p[2 * b];
      const c = p[2 * b + 1];
      let dk = 0;
      let dc = 0;
      for (let i = 0; i < D; i++) {
        const left = i > 0 ? ob[o + i - 1] : 0;
        const right = i < D - 1 ? ob[o + i + 1] : 0;
        yb[o + i] = k * (left - 2 * ob[o + i] + right) - c * ob[o + i];
        const yl = i > 0 ? y[o + i - 1] : 0;
        const yr = i < D - 1 ? y[o + i + 1] : 0;
        dk += ob[o + i] * (yl - 2 * y[o + i] + yr);
        dc -= ob[o + i] * y[o + i];
      }
      pb[2 * b] += dk;
      pb[2 * b + 1] += dc;
    }
  },
};

function megabytes(): number {
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
}

function measure(steps: number, checkpoints: 'all' | 'sqrt'): BenchRecord {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = megabytes();
  const y0 = Float64Array.from({ length: D }, (_, i) => Math.exp(-(((i - D / 2) / 50) ** 2)));
  const dt = 1e-3;
  const start = performance.now();
  const sol = solve(diffusion, y0, {
    method: rk4(),
    t1: steps * dt,
    params: new Float64Array([0.1, 0.01]),
    controller: constantSteps(dt),
    saveat: saveAt.final(),
    recordForAdjoint: checkpoints === 'all' ? true : { checkpoints: 'sqrt' },
  });
  const afterSolve = megabytes();
  const r = sol.records![0];
  const recordMb = ((r.y.length + r.t.length + r.h.length) * 8) / 2 ** 20;
  const bar = Float64Array.from({ length: D }, (_, i) => Math.sin(i / 50));
  const g = discreteAdjoint(diffusion, sol, rk4(), new Float64Array([0.1, 0.01]), [bar]);
  const afterGradient = megabytes();
  const seconds = (performance.now() - start) / 1000;
  const peak = Math.max(afterSolve, afterGradient) - before;
  return {
    workload: 'adjoint_memory',
    impl: 'greybox',
    metric: 'mb',
    median: recordMb,
    min: recordMb,
    max: recordMb,
    n: 1,
    params: {
      states: D,
      steps,
      checkpoints,
      stored_states: checkpoints === 'all' ? r.t.length : r.checkpointSteps.length,
      // During the reverse pass one recomputed segment (steps between two checkpoints) is held too.
      peak_states:
        checkpoints === 'all'
          ? r.t.length
          : r.checkpointSteps.length + Math.ceil(r.t.length / Math.max(1, r.checkpointSteps.length)) + 1,
      record_mb: recordMb,
      process_growth_mb: peak,
      seconds,
      gradient_k: g.params[0],
      gradient_c: g.params[1],
      gc: gc !== undefined,
    },
  };
}

export const adjointMemory: Workload = {
  id: 'adjoint_memory',
  description: 'discrete-adjoint memory for a 1000-state linear system over 1e4 and 1e5 RK4 steps',
  run() {
    return [measure(10_000, 'all'), measure(10_000, 'sqrt'), measure(100_000, 'sqrt')];
  },
};
