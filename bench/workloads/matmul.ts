/**
 * `matmul_64`, `matmul_256`, `matmul_25x64x64`: the matrix-product kernel {@link gemm},
 * C = A·B into a preallocated C, in GFLOP/s (2·m·n·k floating-point operations per call).
 * The 25×64×64 shape is the hidden layer of the MLP benchmark (batch 25, width 64).
 */
import { gemm } from '../../src/tensor/gemm.js';
import { type BenchRecord, record, timeCalls, type Workload } from '../harness.js';

/** Deterministic data in [−1, 1) (a 32-bit LCG; benchmarks need no statistical quality). */
function filled(length: number, seed: number): Float64Array {
  const out = new Float64Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function gemmWorkload(id: string, m: number, k: number, n: number): Workload {
  return {
    id,
    description: `matrix product [${m}, ${k}]·[${k}, ${n}] into a preallocated output, GFLOP/s`,
    run(): BenchRecord[] {
      const a = filled(m * k, 1);
      const b = filled(k * n, 2);
      const c = new Float64Array(m * n);
      const times = timeCalls(() => gemm(false, false, m, n, k, a, 0, b, 0, c, 0, false), {
        warmupMs: 500,
        samples: 40,
      });
      const flop = 2 * m * n * k;
      return [record(id, 'gflops', times, (ms) => flop / (ms * 1e6), { m, k, n })];
    },
  };
}

export const matmul64 = gemmWorkload('matmul_64', 64, 64, 64);
export const matmul256 = gemmWorkload('matmul_256', 256, 256, 256);
export const matmul25x64x64 = gemmWorkload('matmul_25x64x64', 25, 64, 64);
