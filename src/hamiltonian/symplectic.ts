/**
 * The symplectic gradient of a Hamiltonian: the vector field (∂H/∂p, −∂H/∂q) of Hamilton's
 * equations, computed from any differentiable energy function by reverse-mode autodiff.
 */
import { matmul } from '../autodiff/ops/linalg.js';
import { Tensor } from '../autodiff/tensor.js';
import { vjp } from '../autodiff/transforms.js';
import { NDArray } from '../tensor/ndarray.js';
import { formatShape } from '../tensor/shape.js';

/**
 * An energy function: maps a batch of phase-space points x [B, 2n] (rows
 * [q₁ … qₙ, p₁ … pₙ]) to one energy per row, shape [B] or [B, 1]. Row b of the result must
 * depend on row b of x only (true of an MLP, or of any row-wise formula), because the
 * gradient is taken of the sum over the batch.
 *
 * @example
 * ```ts
 * const spring: EnergyFunction = (x) => sum(square(x), -1);   // H = q² + p²
 * ```
 */
export type EnergyFunction = (x: Tensor) => Tensor;

/**
 * The 2n × 2n matrix S with (∇H)·S = (∂H/∂p, −∂H/∂q) for a row vector ∇H = (∂H/∂q, ∂H/∂p):
 * S = [[0, −I], [I, 0]], i.e. S = Jᵀ for the canonical J = [[0, I], [−I, 0]] acting on
 * column vectors (ẋ = J∇H).
 *
 * @example
 * ```ts
 * symplecticMatrix(1).toArray(); // [[0, -1], [1, 0]]
 * ```
 */
export function symplecticMatrix(dof: number): Tensor {
  if (!Number.isInteger(dof) || dof < 1) {
    throw new RangeError(`symplecticMatrix: dof (degrees of freedom n) must be an integer ≥ 1, got ${dof}`);
  }
  const m = 2 * dof;
  const s = new Float64Array(m * m);
  for (let j = 0; j < dof; j++) {
    s[(dof + j) * m + j] = 1; //   q̇ⱼ = +∂H/∂pⱼ
    s[j * m + dof + j] = -1; //    ṗⱼ = −∂H/∂qⱼ
  }
  return new Tensor(new NDArray(s, [m, m]));
}

/**
 * The energies H(x) [B] and their gradients ∇ₓH [B, 2n], by one reverse pass through `h`.
 *
 * The gradient is a vector–Jacobian product taken *inside* whatever transformation is
 * running: when this is called under `grad`/`vjp` over parameters that `h` closes over, the
 * backward pass is itself recorded, so the result is differentiable again (second-order
 * autodiff, docs/autodiff.md). Outside any transformation it costs one forward and one
 * backward pass.
 *
 * @example
 * ```ts
 * const { energy, gradient } = energyGradient((x) => sum(square(x), -1), tensor([[1, 2]]));
 * energy.toArray();    // [5]
 * gradient.toArray();  // [[2, 4]]
 * ```
 */
export function energyGradient(h: EnergyFunction, x: Tensor): { energy: Tensor; gradient: Tensor } {
  if (x.rank !== 2 || x.shape[1] % 2 !== 0 || x.shape[1] === 0) {
    throw new RangeError(
      `energyGradient: x must have shape [batch, 2n] (rows [q₁…qₙ, p₁…pₙ]), got ${formatShape(x.shape)}`,
    );
  }
  const [energy, pullback] = vjp(h, x);
  const batch = x.shape[0];
  const perRow = energy.rank === 1 || (energy.rank === 2 && energy.shape[1] === 1);
  if (!perRow || energy.shape[0] !== batch) {
    throw new RangeError(
      `energyGradient: the energy function must return one value per row, shape [${batch}] or [${batch}, 1], ` +
        `got ${formatShape(energy.shape)}; reduce the last axis (e.g. sum(…, -1)) or use a net with one output`,
    );
  }
  const gradient = pullback(new Tensor(NDArray.full(energy.shape, 1)));
  return { energy, gradient };
}

/**
 * Hamilton's vector field for the energy `h`: for rows x = (q, p) with n = x.shape[1]/2
 * degrees of freedom,
 *
 *   ẋ = (∂H/∂p, −∂H/∂q)   (shape [B, 2n]),
 *
 * computed as (∇ₓH)·S with {@link symplecticMatrix}. Differentiable with respect to whatever
 * `h` closes over (the parameters of a Hamiltonian neural network: Greydanus, Dzamba &
 * Yosinski, "Hamiltonian Neural Networks", NeurIPS 2019) and with respect to x.
 *
 * Along any exact solution dH/dt = ∇H·J∇H = 0: the field conserves H by construction.
 *
 * @example
 * ```ts
 * const h = (x: Tensor) => sum(square(x), -1);               // H = q² + p²
 * symplecticGradient(h, tensor([[1, 2]])).toArray();          // [[4, -2]] = (2p, −2q)
 * ```
 */
export function symplecticGradient(h: EnergyFunction, x: Tensor): Tensor {
  const { gradient } = energyGradient(h, x);
  return matmul(gradient, symplecticMatrix(x.shape[1] / 2));
}
