/**
 * The contract between models and solvers (DESIGN.md §3): a batched vector field over N
 * trajectories with per-trajectory time and parameters, evaluated for a subset of rows.
 *
 * Arrays are full-size and row-major by trajectory — `t` [N], `y` [N·dim], `p` [N·nParams] —
 * and a call works on the `n` rows listed in `rows` (all N rows in order when `rows` is
 * null), leaving other rows untouched. Solvers pass only the trajectories still stepping, so
 * one slow (stiff) trajectory does not make the others pay for its steps.
 */

type Arr = Float64Array;

/** A batched vector field dy/dt = f(t, y, p) with derivatives. */
export interface VectorField {
  /** State size of one trajectory. */
  readonly dim: number;
  /** Parameter count of one trajectory. */
  readonly nParams: number;
  /** out[b] = f(t[b], y[b], p[b]) for the listed rows b. */
  f(t: Arr, y: Arr, p: Arr, out: Arr, n: number, rows: Int32Array | null): void;
  /** yBar[b] = (∂f/∂y)ᵀ outBar[b] (overwritten); pBar[b] += (∂f/∂p)ᵀ outBar[b]. */
  vjp(t: Arr, y: Arr, p: Arr, outBar: Arr, yBar: Arr, pBar: Arr, n: number, rows: Int32Array | null): void;
  /** out[b] = (∂f/∂y)·yDot[b] + (∂f/∂p)·pDot[b]; optional (forward sensitivities). */
  jvp?(t: Arr, y: Arr, p: Arr, yDot: Arr, pDot: Arr, out: Arr, n: number, rows: Int32Array | null): void;
  /** J[b] = ∂f/∂y at row b, dense row-major dim×dim; optional (stiff solvers). */
  jac?(t: Arr, y: Arr, p: Arr, J: Arr, n: number, rows: Int32Array | null): void;
  /**
   * Times at which f jumps for trajectory b (e.g. piecewise-constant inputs); optional.
   * Solvers land on them and restart, so that no step straddles a jump.
   */
  discontinuities?(b: number): readonly number[];
  /**
   * Called before a step's stages are evaluated: the listed rows step over
   * [tStart[b], tEnd[b]]. A field that jumps uses it to take, at a jump that ends the step,
   * the limit from the left (and from the right at a jump that starts it). Optional.
   */
  beginStep?(tStart: Arr, tEnd: Arr, n: number, rows: Int32Array | null): void;
}
