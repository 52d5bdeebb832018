/**
 * Learning-rate schedules: functions of the step count. Every optimizer argument typed
 * {@link LearningRate} accepts a number or a schedule. The count is the number of updates
 * already made by the transformation that reads it, so the first update uses `schedule(0)`.
 */
import { checkInteger, checkNonNegative, checkPositive, checkRange } from './check.js';

/**
 * A learning rate as a function of the step count t = 0, 1, 2, … (the first update uses t = 0).
 * Values must be finite and ≥ 0; a transformation that reads a bad value throws, naming the step.
 *
 * @example
 * ```ts
 * const s: Schedule = (t) => 1e-3 / Math.sqrt(t + 1);
 * adam(s);
 * ```
 */
export type Schedule = (step: number) => number;

/**
 * A constant learning rate or a {@link Schedule}.
 *
 * @example
 * ```ts
 * const a: LearningRate = 1e-3;
 * const b: LearningRate = cosineDecaySchedule(1e-3, { decaySteps: 1000 });
 * ```
 */
export type LearningRate = number | Schedule;

/**
 * Checks a learning-rate argument when an optimizer is built (a number must be finite and
 * ≥ 0; anything else must be a function).
 *
 * @example
 * ```ts
 * checkLearningRate('sgd', -1); // throws: the learning rate must be a finite number ≥ 0
 * ```
 */
export function checkLearningRate(what: string, lr: LearningRate): void {
  if (typeof lr === 'function') return;
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
    throw new RangeError(
      `${what}: the learning rate must be a finite number ≥ 0 or a schedule (step) => number, got ${String(lr)}` +
        '; for gradient ascent chain scale(-1) instead of a negative rate',
    );
  }
}

/**
 * The learning rate at step `count`: `lr` itself or `lr(count)`, checked.
 *
 * @example
 * ```ts
 * learningRateAt('adam', (t) => 0.1 * 0.5 ** t, 2); // 0.025
 * ```
 */
export function learningRateAt(what: string, lr: LearningRate, count: number): number {
  if (typeof lr === 'number') return lr;
  const v = lr(count);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new RangeError(
      `${what}: the learning-rate schedule gave ${String(v)} at step ${count}; ` +
        'a schedule must return finite numbers ≥ 0',
    );
  }
  return v;
}

/**
 * η(t) = value for every t.
 *
 * @example
 * ```ts
 * constantSchedule(1e-3)(100); // 0.001
 * ```
 */
export function constantSchedule(value: number): Schedule {
  checkNonNegative('constantSchedule', 'value', value);
  return () => value;
}

/**
 * Step decay (PyTorch's StepLR): η(t) = init · γ^⌊t / stepSize⌋.
 *
 * @param init - η(0).
 * @param options.stepSize - steps between decays (integer ≥ 1).
 * @param options.gamma - factor per decay, in (0, 1] for a decay (default 0.1).
 *
 * @example
 * ```ts
 * const s = stepDecaySchedule(0.1, { stepSize: 100, gamma: 0.5 });
 * s(99); // 0.1
 * s(100); // 0.05
 * ```
 */
export function stepDecaySchedule(
  init: number,
  options: { readonly stepSize: number; readonly gamma?: number },
): Schedule {
  const what = 'stepDecaySchedule';
  checkNonNegative(what, 'init', init);
  checkInteger(what, 'stepSize', options.stepSize, 1);
  const gamma = options.gamma ?? 0.1;
  checkNonNegative(what, 'gamma', gamma);
  const { stepSize } = options;
  return (t) => init * gamma ** Math.floor(t / stepSize);
}

/**
 * Exponential decay: η(t) = init · rate^(t / transitionSteps), or with `staircase`
 * init · rate^⌊t / transitionSteps⌋; with `final`, the value is clamped so that it never
 * passes `final` (below it when decaying, above it when growing).
 *
 * @param options.rate - decay factor per `transitionSteps` steps (> 0).
 * @param options.transitionSteps - steps per factor `rate` (default 1: PyTorch's ExponentialLR).
 *
 * @example
 * ```ts
 * const s = exponentialDecaySchedule(1, { rate: 0.5, transitionSteps: 10 });
 * s(20); // 0.25
 * s(5); // 0.7071067811865476
 * ```
 */
export function exponentialDecaySchedule(
  init: number,
  options: {
    readonly rate: number;
    readonly transitionSteps?: number;
    readonly staircase?: boolean;
    readonly final?: number;
  },
): Schedule {
  const what = 'exponentialDecaySchedule';
  checkNonNegative(what, 'init', init);
  checkPositive(what, 'rate', options.rate);
  const T = options.transitionSteps ?? 1;
  checkPositive(what, 'transitionSteps', T);
  const { rate } = options;
  const staircase = options.staircase ?? false;
  const final = options.final;
  if (final !== undefined) checkNonNegative(what, 'final', final);
  return (t) => {
    const e = staircase ? Math.floor(t / T) : t / T;
    const v = init * rate ** e;
    if (final === undefined) return v;
    return rate < 1 ? Math.max(v, final) : Math.min(v, final);
  };
}

/**
 * Cosine decay from `init` to `final` over `decaySteps` steps (Loshchilov & Hutter 2017,
 * "SGDR", without restarts): η(t) = final + (init − final) · (1 + cos(π·t/T)) / 2 for
 * t < T, and `final` afterwards.
 *
 * @param options.decaySteps - T, an integer ≥ 1.
 * @param options.final - the value from step T on (default 0).
 *
 * @example
 * ```ts
 * const s = cosineDecaySchedule(1e-3, { decaySteps: 100, final: 1e-5 });
 * s(0); // 0.001
 * s(100); // 0.00001
 * ```
 */
export function cosineDecaySchedule(
  init: number,
  options: { readonly decaySteps: number; readonly final?: number },
): Schedule {
  const what = 'cosineDecaySchedule';
  checkNonNegative(what, 'init', init);
  checkInteger(what, 'decaySteps', options.decaySteps, 1);
  const final = options.final ?? 0;
  checkNonNegative(what, 'final', final);
  const T = options.decaySteps;
  return (t) => (t >= T ? final : final + ((init - final) * (1 + Math.cos((Math.PI * t) / T))) / 2);
}

/**
 * Linear interpolation from `init` to `end` over `steps` steps: η(t) = init + (end − init)·t/steps
 * for t < steps, `end` afterwards.
 *
 * @example
 * ```ts
 * linearSchedule(0, 1e-3, 10)(5); // 0.0005
 * ```
 */
export function linearSchedule(init: number, end: number, steps: number): Schedule {
  const what = 'linearSchedule';
  checkNonNegative(what, 'init', init);
  checkNonNegative(what, 'end', end);
  checkInteger(what, 'steps', steps, 1);
  return (t) => (t >= steps ? end : init + ((end - init) * t) / steps);
}

/**
 * Runs `schedules[0]` until `boundaries[0]`, then `schedules[1]` restarted at 0 until
 * `boundaries[1]`, and so on: for b_{k−1} ≤ t < b_k the value is schedules[k](t − b_{k−1})
 * (b₋₁ = 0). Boundaries are increasing integers ≥ 1, one fewer than the schedules.
 *
 * @example
 * ```ts
 * const s = joinSchedules([linearSchedule(0, 1e-3, 10), constantSchedule(1e-3)], [10]);
 * s(5); // 0.0005
 * s(50); // 0.001
 * ```
 */
export function joinSchedules(schedules: readonly Schedule[], boundaries: readonly number[]): Schedule {
  const what = 'joinSchedules';
  if (schedules.length === 0) throw new RangeError(`${what}: give at least one schedule`);
  if (boundaries.length !== schedules.length - 1) {
    throw new RangeError(
      `${what}: ${schedules.length} schedules need ${schedules.length - 1} boundaries, got ${boundaries.length}`,
    );
  }
  for (let k = 0; k < boundaries.length; k++) {
    checkInteger(what, `boundaries[${k}]`, boundaries[k], 1);
    if (k > 0 && boundaries[k] <= boundaries[k - 1]) {
      throw new RangeError(`${what}: boundaries must increase, got ${boundaries.join(', ')}`);
    }
  }
  const bs = boundaries.slice();
  const ss = schedules.slice();
  return (t) => {
    let k = 0;
    while (k < bs.length && t >= bs[k]) k++;
    return ss[k](k === 0 ? t : t - bs[k - 1]);
  };
}

/**
 * Linear warm-up from `from` (default 0) to `after(0)` over `steps` steps, then `after`
 * restarted at 0: `joinSchedules([linearSchedule(from, after(0), steps), after], [steps])`.
 * Warm-up keeps Adam's first steps small while its second-moment estimate is still noisy.
 *
 * @example
 * ```ts
 * const s = warmup(100, cosineDecaySchedule(1e-3, { decaySteps: 900 }));
 * s(50); // 0.0005
 * s(100); // 0.001
 * ```
 */
export function warmup(steps: number, after: Schedule, options: { readonly from?: number } = {}): Schedule {
  const from = options.from ?? 0;
  const peak = learningRateAt('warmup', after, 0);
  return joinSchedules([linearSchedule(from, peak, steps), after], [steps]);
}

/**
 * Piecewise constant: `values[0]` before `boundaries[0]`, `values[k]` for
 * boundaries[k−1] ≤ t < boundaries[k], and the last value from the last boundary on.
 *
 * @example
 * ```ts
 * const s = piecewiseConstantSchedule([100, 200], [1e-2, 1e-3, 1e-4]);
 * s(99); // 0.01
 * s(150); // 0.001
 * s(1000); // 0.0001
 * ```
 */
export function piecewiseConstantSchedule(
  boundaries: readonly number[],
  values: readonly number[],
): Schedule {
  const what = 'piecewiseConstantSchedule';
  if (values.length !== boundaries.length + 1) {
    throw new RangeError(
      `${what}: ${boundaries.length} boundaries need ${boundaries.length + 1} values, got ${values.length}`,
    );
  }
  values.forEach((v, k) => {
    checkNonNegative(what, `values[${k}]`, v);
  });
  return joinSchedules(
    values.map((v) => () => v),
    boundaries,
  );
}

/**
 * Piecewise linear through the points (steps[k], values[k]) (steps increasing, from 0),
 * constant after the last point.
 *
 * @example
 * ```ts
 * const s = piecewiseLinearSchedule([0, 10, 110], [0, 1e-3, 1e-5]);
 * s(5); // 0.0005
 * s(60); // 0.000505
 * ```
 */
export function piecewiseLinearSchedule(steps: readonly number[], values: readonly number[]): Schedule {
  const what = 'piecewiseLinearSchedule';
  if (steps.length === 0 || steps.length !== values.length) {
    throw new RangeError(
      `${what}: give as many values as steps (at least one), got ${steps.length} steps and ${values.length} values`,
    );
  }
  if (steps[0] !== 0) throw new RangeError(`${what}: the first step must be 0, got ${steps[0]}`);
  for (let k = 0; k < steps.length; k++) {
    checkRange(what, `steps[${k}]`, steps[k], 0, Number.POSITIVE_INFINITY, { openMax: true });
    checkNonNegative(what, `values[${k}]`, values[k]);
    if (k > 0 && steps[k] <= steps[k - 1]) {
      throw new RangeError(`${what}: steps must increase, got ${steps.join(', ')}`);
    }
  }
  const xs = steps.slice();
  const ys = values.slice();
  return (t) => {
    if (t >= xs[xs.length - 1]) return ys[ys.length - 1];
    let k = 1;
    while (t >= xs[k]) k++;
    const w = (t - xs[k - 1]) / (xs[k] - xs[k - 1]);
    return ys[k - 1] + (ys[k] - ys[k - 1]) * w;
  };
}
