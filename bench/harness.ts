/**
 * Benchmark bookkeeping shared by every workload: timing with warm-up, summary statistics,
 * and the one-JSON-object-per-line record of DESIGN.md §5.
 */

/** One line of benchmark output. */
export interface BenchRecord {
  workload: string;
  impl: string;
  metric: string;
  median: number;
  min: number;
  max: number;
  n: number;
  params: Record<string, unknown>;
}

/** A named workload: returns its records (one or several, e.g. for several batch sizes). */
export interface Workload {
  readonly id: string;
  readonly description: string;
  run(): BenchRecord[] | Promise<BenchRecord[]>;
}

/** Options for {@link timeCalls}. */
export interface TimingOptions {
  /** Milliseconds of warm-up calls before measuring (lets V8 optimize). */
  warmupMs?: number;
  /** Number of timed samples. */
  samples?: number;
  /** Each sample times this many calls and reports the mean per call. */
  callsPerSample?: number;
}

/**
 * Times `fn` and returns per-call durations in milliseconds, one per sample.
 * Each sample averages `callsPerSample` calls so that microsecond-scale calls are above the
 * clock's resolution.
 */
export function timeCalls(fn: () => void, options: TimingOptions = {}): number[] {
  const warmupMs = options.warmupMs ?? 300;
  const samples = options.samples ?? 30;
  let calls = options.callsPerSample ?? 0;
  const t0 = performance.now();
  let warmCalls = 0;
  while (performance.now() - t0 < warmupMs || warmCalls < 3) {
    fn();
    warmCalls++;
  }
  if (calls <= 0) {
    // Aim for samples of about 5 ms each.
    const perCall = (performance.now() - t0) / warmCalls;
    calls = Math.max(1, Math.round(5 / Math.max(perCall, 1e-6)));
  }
  const out: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = performance.now();
    for (let c = 0; c < calls; c++) fn();
    out.push((performance.now() - start) / calls);
  }
  return out;
}

/** Median, min and max of a list of numbers. */
export function summarize(values: readonly number[]): {
  median: number;
  min: number;
  max: number;
  n: number;
} {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid] : 0.5 * (s[mid - 1] + s[mid]);
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

/**
 * Builds a record from per-call times in ms, converted by `toMetric` (for instance
 * ms → µs, or ms → GFLOP/s). When `toMetric` is decreasing (a rate), min and max swap.
 */
export function record(
  workload: string,
  metric: string,
  timesMs: readonly number[],
  toMetric: (ms: number) => number,
  params: Record<string, unknown>,
): BenchRecord {
  const values = timesMs.map(toMetric);
  const { median, min, max, n } = summarize(values);
  return { workload, impl: 'greybox', metric, median, min, max, n, params };
}
