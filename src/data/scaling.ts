/**
 * Per-observable scaling of observed values, z = (y − center) / scale, so that observables
 * of very different magnitudes weigh alike in a loss and a network sees inputs of order one.
 * The statistics are a plain JSON-serializable object, to be stored with a fitted model and
 * applied again to new data.
 */
import type { Dataset } from './dataset.js';

/** How the center and scale are estimated. */
export type ScalingMethod =
  /** Mean and sample standard deviation. */
  | 'standard'
  /** Median and interquartile range (robust to outliers). */
  | 'robust';

/** The center and scale of one observable. */
export interface ObservableScaling {
  readonly center: number;
  readonly scale: number;
}

/** Scaling statistics by observable name (plain data: `JSON.stringify` and back gives the same). */
export type Scaling = Readonly<Record<string, ObservableScaling>>;

/** The q-quantile of sorted values by linear interpolation between order statistics (Hyndman–Fan type 7). */
function quantile(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Estimates the center and scale of every observable of a dataset from all its values
 * (all subjects pooled). 'standard': mean and sample standard deviation (n − 1);
 * 'robust': median and interquartile range Q3 − Q1. A scale that comes out 0 or undefined
 * (constant values, fewer than two values) is 1; an observable without values gets center
 * 0 and scale 1 — so every scale is positive and the map is invertible.
 *
 * @example
 * ```ts
 * const scaling = fitScaling(train, 'robust');
 * const z = applyScaling(test, scaling);
 * JSON.parse(JSON.stringify(scaling)); // the same statistics
 * ```
 */
export function fitScaling(dataset: Dataset, method: ScalingMethod = 'standard'): Scaling {
  if (method !== 'standard' && method !== 'robust') {
    throw new RangeError(`fitScaling: method must be 'standard' or 'robust'; got ${String(method)}`);
  }
  const values = new Map<string, number[]>(dataset.observables.map((o) => [o, []]));
  for (const s of dataset.subjects) {
    for (const o of s.observations) {
      let list = values.get(o.observable);
      if (list === undefined) {
        list = [];
        values.set(o.observable, list);
      }
      list.push(o.value);
    }
  }
  const out: Record<string, ObservableScaling> = {};
  for (const [name, v] of values) {
    let center = 0;
    let scale = 0;
    if (v.length > 0 && method === 'standard') {
      let sum = 0;
      for (const x of v) sum += x;
      center = sum / v.length;
      let ss = 0;
      for (const x of v) ss += (x - center) ** 2;
      scale = v.length > 1 ? Math.sqrt(ss / (v.length - 1)) : 0;
    } else if (v.length > 0) {
      const sorted = [...v].sort((a, b) => a - b);
      center = quantile(sorted, 0.5);
      scale = quantile(sorted, 0.75) - quantile(sorted, 0.25);
    }
    out[name] = { center, scale: scale > 0 && Number.isFinite(scale) ? scale : 1 };
  }
  return out;
}

/** Checks that the scaling covers every observable of the dataset with a finite center and scale > 0. */
function checkScaling(dataset: Dataset, scaling: Scaling, op: string): void {
  for (const name of dataset.observables) {
    const s = Object.hasOwn(scaling, name) ? scaling[name] : undefined;
    if (s === undefined) {
      throw new RangeError(
        `${op}: no scaling for observable ${name}; the scaling has ${Object.keys(scaling).join(', ') || 'none'} — fit it on data that has ${name}`,
      );
    }
    if (!Number.isFinite(s.center) || !Number.isFinite(s.scale) || !(s.scale > 0)) {
      throw new RangeError(
        `${op}: observable ${name} has center ${s.center} and scale ${s.scale}; the center must be finite and the scale finite and > 0`,
      );
    }
  }
}

function mapValues(
  dataset: Dataset,
  scaling: Scaling,
  f: (v: number, s: ObservableScaling) => number,
): Dataset {
  return {
    ...dataset,
    subjects: dataset.subjects.map((s) => ({
      ...s,
      observations: s.observations.map((o) => ({ ...o, value: f(o.value, scaling[o.observable]) })),
    })),
  };
}

/**
 * The dataset with every observed value y replaced by (y − center) / scale of its
 * observable. Doses, inputs and covariates are unchanged.
 *
 * @throws RangeError when an observable of the dataset has no valid statistics
 * @example
 * ```ts
 * const z = applyScaling(dataset, fitScaling(dataset));
 * ```
 */
export function applyScaling(dataset: Dataset, scaling: Scaling): Dataset {
  checkScaling(dataset, scaling, 'applyScaling');
  return mapValues(dataset, scaling, (v, s) => (v - s.center) / s.scale);
}

/**
 * The inverse of {@link applyScaling}: every value z becomes center + scale · z (up to
 * rounding, a few units in the last place).
 *
 * @throws RangeError when an observable of the dataset has no valid statistics
 * @example
 * ```ts
 * const back = invertScaling(applyScaling(dataset, scaling), scaling); // ≈ dataset
 * ```
 */
export function invertScaling(dataset: Dataset, scaling: Scaling): Dataset {
  checkScaling(dataset, scaling, 'invertScaling');
  return mapValues(dataset, scaling, (z, s) => s.center + s.scale * z);
}
