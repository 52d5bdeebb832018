/**
 * A solve's dense output kept for later use, and the hook that collects it: {@link observeSteps}
 * wraps a method so that a listener sees every accepted step while the stepper's interpolant is
 * that step's; {@link DenseSteps} is such a listener that samples the interpolant at q
 * Chebyshev–Lobatto points θⱼ = (1 − cos(jπ/(q − 1)))/2 of every step, q = denseOrder + 1, and
 * evaluates it by barycentric Lagrange interpolation (Berrut & Trefethen, SIAM Review 46, 2004),
 * which reproduces the method's polynomial interpolant exactly (its degree is its order).
 *
 * Used by the continuous adjoint: the backward pass reads the forward state y(t) from it, and
 * accumulates parameter gradients by quadrature over the backward steps' own interpolant.
 */
import type { VectorField } from './field.js';
import type { Method, SolveTolerances, Stepper } from './method.js';

type Arr = Float64Array;

/**
 * Called after `accept` with the stepper (whose `interpolate` covers the accepted step), the
 * steps' start times and sizes ([N], indexed by trajectory) and the accepted rows.
 */
export type StepListener = (stepper: Stepper, t: Arr, h: Arr, n: number, rows: Int32Array) => void;

/**
 * The method, with every accepted step reported to `listener` (after the stepper's own
 * `accept`). Everything else is the method's own. (A step that `solve` redoes to end at a
 * state-dependent event is reported twice: as accepted, then as redone.)
 */
export function observeSteps(method: Method, listener: StepListener): Method {
  return {
    name: method.name,
    order: method.order,
    embeddedOrder: method.embeddedOrder,
    ...(method.denseOrder === undefined ? {} : { denseOrder: method.denseOrder }),
    stiff: method.stiff,
    create(field: VectorField, n: number, tolerances?: SolveTolerances): Stepper {
      const inner = method.create(field, n, tolerances);
      const tStart = new Float64Array(n);
      const hStep = new Float64Array(n);
      return {
        counters: inner.counters,
        attempt(t, y, p, h, yNew, err, count, rows) {
          for (let q = 0; q < count; q++) {
            tStart[rows[q]] = t[rows[q]];
            hStep[rows[q]] = h[rows[q]];
          }
          inner.attempt(t, y, p, h, yNew, err, count, rows);
        },
        accept(count, rows) {
          inner.accept(count, rows);
          listener(inner, tStart, hStep, count, rows);
        },
        interpolate: (b, theta, out, offset) => inner.interpolate(b, theta, out, offset),
        reset: (b) => inner.reset(b),
      };
    },
  };
}

/**
 * The interpolants of accepted steps, per trajectory and in the order they were taken
 * (forward in time): pass {@link DenseSteps.record} to {@link observeSteps}. Memory: q·dim + 2
 * numbers per step and trajectory.
 */
export class DenseSteps {
  /** Samples per step. */
  readonly q: number;
  private readonly nodes: Float64Array;
  private readonly weights: Float64Array;
  private readonly t: number[][];
  private readonly h: number[][];
  private readonly y: number[][];
  private readonly buf: Float64Array;

  /** Storage for n trajectories of dimension dim, for a method of the given dense order. */
  constructor(
    n: number,
    private readonly dim: number,
    denseOrder: number | undefined,
  ) {
    const q = Math.min(Math.max((denseOrder ?? 4) + 1, 2), 9);
    this.q = q;
    this.nodes = Float64Array.from({ length: q }, (_, j) => 0.5 - 0.5 * Math.cos((Math.PI * j) / (q - 1)));
    // Barycentric weights of Chebyshev–Lobatto points: (−1)ʲ, halved at both ends.
    this.weights = Float64Array.from(
      { length: q },
      (_, j) => (j % 2 === 0 ? 1 : -1) * (j === 0 || j === q - 1 ? 0.5 : 1),
    );
    this.t = Array.from({ length: n }, () => []);
    this.h = Array.from({ length: n }, () => []);
    this.y = Array.from({ length: n }, () => []);
    this.buf = new Float64Array(dim);
  }

  /**
   * The listener that records each accepted step (for {@link observeSteps}); a step reported
   * again from the same start (redone to end at an event) replaces the first report.
   */
  readonly record: StepListener = (stepper, t, h, n, rows) => {
    const D = this.dim;
    for (let r = 0; r < n; r++) {
      const b = rows[r];
      const ts = this.t[b];
      const ys = this.y[b];
      if (ts.length > 0 && ts[ts.length - 1] === t[b]) {
        ts.pop();
        this.h[b].pop();
        ys.length -= this.q * D;
      }
      ts.push(t[b]);
      this.h[b].push(h[b]);
      for (let j = 0; j < this.q; j++) {
        stepper.interpolate(b, this.nodes[j], this.buf, 0);
        for (let i = 0; i < D; i++) ys.push(this.buf[i]);
      }
    }
  };

  /** Number of steps recorded for trajectory b. */
  steps(b: number): number {
    return this.t[b].length;
  }

  /**
   * How many of trajectory b's steps first … end − 1 overlap the open interval (from, to)
   * (at least 1 when from < to lies inside them).
   */
  stepsIn(b: number, from: number, to: number, first: number, end: number): number {
    const ts = this.t[b];
    /** The last step in [first, end − 1] that starts at or before t (first when none does). */
    const containing = (t: number) => {
      let lo = first;
      let hi = end - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (ts[mid] <= t) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    };
    const a = containing(from);
    // A step that starts exactly at `to` does not overlap (from, to).
    let z = containing(to);
    if (z > a && ts[z] >= to) z--;
    return z - a + 1;
  }

  /**
   * y(t) of trajectory b from the steps first … end − 1 (end > first), written to
   * out[offset … offset + dim): the interpolant of the step that contains t, or, for t before
   * or after them, the first or last step's interpolant continued (a polynomial extrapolation).
   */
  evaluate(b: number, t: number, first: number, end: number, out: Arr, offset: number): void {
    const ts = this.t[b];
    if (!(first >= 0 && end > first && end <= ts.length)) {
      throw new RangeError(`DenseSteps: no steps ${first} … ${end - 1} for trajectory ${b}`);
    }
    // The last step that starts at or before t, within [first, end − 1].
    let lo = first;
    let hi = end - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ts[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    const theta = (t - ts[lo]) / this.h[b][lo];
    const { q, dim: D } = this;
    const data = this.y[b];
    const base = lo * q * D;
    for (let j = 0; j < q; j++) {
      if (theta === this.nodes[j]) {
        for (let i = 0; i < D; i++) out[offset + i] = data[base + j * D + i];
        return;
      }
    }
    let denom = 0;
    out.fill(0, offset, offset + D);
    for (let j = 0; j < q; j++) {
      const c = this.weights[j] / (theta - this.nodes[j]);
      denom += c;
      for (let i = 0; i < D; i++) out[offset + i] += c * data[base + j * D + i];
    }
    for (let i = 0; i < D; i++) out[offset + i] /= denom;
  }
}
