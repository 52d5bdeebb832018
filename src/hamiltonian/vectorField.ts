/**
 * A learned phase-space field as the solvers' {@link VectorField}, so that `solve` can roll
 * out a Hamiltonian neural network (or its baseline) from any initial states.
 */
import { Tensor } from '../autodiff/tensor.js';
import { vjp } from '../autodiff/transforms.js';
import type { VectorField } from '../ode/field.js';
import { NDArray } from '../tensor/ndarray.js';
import type { LearnedDynamics } from './networks.js';

type Arr = Float64Array;

/**
 * The autonomous field ẋ = f_θ(x) of `dynamics` with fixed `params`, as a batched
 * {@link VectorField} of dimension 2n with no per-trajectory parameters (`nParams = 0`; the
 * weights are the fixed `params`). Each call runs the network once on the listed rows.
 *
 * `vjp` gives yBar = (∂f/∂y)ᵀ·outBar by reverse mode through the field (for an HNN, a
 * Hessian–vector product of H_θ), so the discrete adjoint can differentiate rollouts with
 * respect to initial states; `jac` builds ∂f/∂y row by row (2n reverse passes) for the stiff
 * solvers. Gradients with respect to θ through a rollout are not offered here: train on
 * derivatives with {@link fitDerivatives}, as Greydanus et al. do.
 *
 * @example
 * ```ts
 * const hnn = hamiltonianNetwork({ dof: 1, hidden: [32, 32] });
 * const field = learnedVectorField(hnn, hnn.init(rngKey(0)));
 * const sol = solve(field, new Float64Array([1, 0]), {
 *   method: dopri5(), t1: 3, controller: pid({ rtol: 1e-10, atol: 1e-12 }),
 * });
 * sol.yFinal; // H_θ(sol.yFinal) equals H_θ([1, 0]) to about the tolerance
 * ```
 */
export function learnedVectorField<P>(dynamics: LearnedDynamics<P>, params: P): VectorField {
  const dim = 2 * dynamics.dof;
  const gatherRows = (y: Arr, n: number, rows: Int32Array | null): Tensor => {
    const x = new Float64Array(n * dim);
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      for (let k = 0; k < dim; k++) x[q * dim + k] = y[b * dim + k];
    }
    return new Tensor(new NDArray(x, [n, dim]));
  };
  const scatterRows = (src: Arr, out: Arr, n: number, rows: Int32Array | null): void => {
    for (let q = 0; q < n; q++) {
      const b = rows === null ? q : rows[q];
      for (let k = 0; k < dim; k++) out[b * dim + k] = src[q * dim + k];
    }
  };
  const apply = (x: Tensor): Tensor => dynamics.field(params, x);
  return {
    dim,
    nParams: 0,
    f(_t: Arr, y: Arr, _p: Arr, out: Arr, n: number, rows: Int32Array | null): void {
      if (n === 0) return;
      scatterRows(apply(gatherRows(y, n, rows)).data, out, n, rows);
    },
    vjp(
      _t: Arr,
      y: Arr,
      _p: Arr,
      outBar: Arr,
      yBar: Arr,
      _pBar: Arr,
      n: number,
      rows: Int32Array | null,
    ): void {
      if (n === 0) return;
      const [, pullback] = vjp(apply, gatherRows(y, n, rows));
      const gbar = pullback(gatherRows(outBar, n, rows));
      scatterRows(gbar.data, yBar, n, rows);
    },
    jac(_t: Arr, y: Arr, _p: Arr, J: Arr, n: number, rows: Int32Array | null): void {
      if (n === 0) return;
      const [, pullback] = vjp(apply, gatherRows(y, n, rows));
      const e = new Float64Array(n * dim);
      for (let i = 0; i < dim; i++) {
        e.fill(0);
        for (let q = 0; q < n; q++) e[q * dim + i] = 1;
        // row i of ∂f/∂y for every trajectory: ∇ₓ fᵢ
        const gi = pullback(new Tensor(new NDArray(e, [n, dim]))).data;
        for (let q = 0; q < n; q++) {
          const b = rows === null ? q : rows[q];
          for (let k = 0; k < dim; k++) J[b * dim * dim + i * dim + k] = gi[q * dim + k];
        }
      }
    },
  };
}
