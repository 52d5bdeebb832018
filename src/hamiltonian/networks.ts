/**
 * Learned vector fields on phase space: the Hamiltonian neural network (a scalar net H_θ whose
 * symplectic gradient is the field) and the baseline that predicts (q̇, ṗ) directly.
 */
import { reshape } from '../autodiff/ops/layout.js';
import type { Tensor } from '../autodiff/tensor.js';
import { type Activation, checkActivation } from '../nn/activation.js';
import { type Initializer, orthogonal } from '../nn/init.js';
import { type Mlp, type MlpParams, mlp } from '../nn/mlp.js';
import { checkOptions, requireInteger } from '../nn/module.js';
import type { RngKey } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import { symplecticGradient } from './symplectic.js';

/**
 * A learned autonomous vector field ẋ = f_θ(x) on a phase space of dimension 2n, x = (q, p):
 * what {@link derivativeLoss}, {@link fitDerivatives} and {@link learnedVectorField} need.
 *
 * @example
 * ```ts
 * const model: LearnedDynamics<MlpParams> = hamiltonianNetwork({ dof: 1, hidden: [32, 32] });
 * // any field written with tensor operations, e.g. a known Hamiltonian's:
 * const spring: LearnedDynamics<null> = { dof: 1, field: (_p, x) => symplecticGradient((z) => sum(square(z), -1), x) };
 * ```
 */
export interface LearnedDynamics<P> {
  /** Degrees of freedom n; the state is [q₁…qₙ, p₁…pₙ]. */
  readonly dof: number;
  /** ẋ for a batch x [B, 2n] → [B, 2n], differentiable in `params` and `x`. */
  field(params: P, x: Tensor): Tensor;
}

/** Options of {@link hamiltonianNetwork} and {@link baselineNetwork}. */
export interface PhaseSpaceNetOptions {
  /** Degrees of freedom n (the net sees 2n inputs). */
  dof: number;
  /** Hidden widths (default [200, 200], as Greydanus et al.). */
  hidden?: readonly number[];
  /**
   * Hidden activation (default `'tanh'`). The field of an HNN is the net's input gradient, so
   * prefer a smooth one: with `'relu'` it is piecewise constant in x.
   */
  activation?: Activation;
  /** Weight initializer (default orthogonal, as Greydanus et al.'s code). */
  weightInit?: Initializer;
}

/** A Hamiltonian neural network: {@link LearnedDynamics} plus the learned energy. */
export interface HamiltonianNetwork extends LearnedDynamics<MlpParams> {
  readonly kind: 'hamiltonian';
  /** The scalar net 2n → … → 1. */
  readonly net: Mlp;
  /** Fresh parameters from a seeded key. */
  init(key: RngKey): MlpParams;
  /** H_θ(x) for x [B, 2n] → [B]. */
  energy(params: MlpParams, x: Tensor): Tensor;
}

/** The baseline: an MLP 2n → … → 2n predicting (q̇, ṗ) directly. */
export interface BaselineNetwork extends LearnedDynamics<MlpParams> {
  readonly kind: 'baseline';
  /** The net 2n → … → 2n. */
  readonly net: Mlp;
  /** Fresh parameters from a seeded key. */
  init(key: RngKey): MlpParams;
}

const KEYS = ['dof', 'hidden', 'activation', 'weightInit'];

function parse(where: string, options: PhaseSpaceNetOptions) {
  checkOptions(where, options, KEYS);
  const dof = requireInteger(options.dof, 'dof', where, 1);
  const hidden = options.hidden ?? [200, 200];
  if (!Array.isArray(hidden)) {
    throw new TypeError(
      `${where}: hidden must be an array of widths, e.g. [200, 200]; got ${String(hidden)}`,
    );
  }
  for (let i = 0; i < hidden.length; i++) requireInteger(hidden[i], `hidden[${i}]`, where, 1);
  const activation = checkActivation(options.activation ?? 'tanh', where);
  return { dof, hidden, activation, weightInit: options.weightInit ?? orthogonal() };
}

function checkState(where: string, dof: number, x: Tensor): void {
  if (x.rank !== 2 || x.shape[1] !== 2 * dof) {
    throw new RangeError(
      `${where}: x must have shape [batch, ${2 * dof}] (rows [q₁…q${dof}, p₁…p${dof}]), got ${formatShape(x.shape)}`,
    );
  }
}

/**
 * A Hamiltonian neural network (Greydanus, Dzamba & Yosinski, NeurIPS 2019): a scalar MLP
 * H_θ : ℝ²ⁿ → ℝ whose symplectic gradient is the learned field,
 *
 *   q̇ = ∂H_θ/∂p,   ṗ = −∂H_θ/∂q.
 *
 * The field is the input gradient of the net (one reverse pass); training differentiates a
 * loss of that gradient with respect to θ, a gradient of a gradient, which the autodiff
 * provides by recording the inner backward pass (docs/hamiltonian.md). The flow of the
 * learned field conserves H_θ exactly, whatever θ is.
 *
 * @example
 * ```ts
 * const hnn = hamiltonianNetwork({ dof: 1 });        // MLP 2 → 200 → 200 → 1, tanh
 * const params = hnn.init(rngKey(0));
 * const x = tensor([[0.5, -0.2]]);
 * hnn.energy(params, x).shape;                        // [1]
 * hnn.field(params, x).shape;                         // [1, 2]: (∂H/∂p, −∂H/∂q)
 * ```
 */
export function hamiltonianNetwork(options: PhaseSpaceNetOptions): HamiltonianNetwork {
  const where = 'hamiltonianNetwork';
  const { dof, hidden, activation, weightInit } = parse(where, options);
  const net = mlp({ sizes: [2 * dof, ...hidden, 1], activation, weightInit });
  const energy = (params: MlpParams, x: Tensor): Tensor => {
    checkState(`${where}.energy`, dof, x);
    const h = net.apply(params, x); // [B, 1]
    return h.rank === 2 ? squeezeLast(h) : h;
  };
  return Object.freeze({
    kind: 'hamiltonian' as const,
    dof,
    net,
    init: (key: RngKey) => net.init(key),
    energy,
    field: (params: MlpParams, x: Tensor): Tensor => {
      checkState(`${where}.field`, dof, x);
      return symplecticGradient((z) => net.apply(params, z), x);
    },
  });
}

/**
 * The baseline of Greydanus et al.: an MLP 2n → … → 2n that predicts (q̇, ṗ) directly, with
 * no structure that makes it conserve anything.
 *
 * @example
 * ```ts
 * const base = baselineNetwork({ dof: 1 });          // MLP 2 → 200 → 200 → 2, tanh
 * base.field(base.init(rngKey(0)), tensor([[0.5, -0.2]])).shape; // [1, 2]
 * ```
 */
export function baselineNetwork(options: PhaseSpaceNetOptions): BaselineNetwork {
  const where = 'baselineNetwork';
  const { dof, hidden, activation, weightInit } = parse(where, options);
  const net = mlp({ sizes: [2 * dof, ...hidden, 2 * dof], activation, weightInit });
  return Object.freeze({
    kind: 'baseline' as const,
    dof,
    net,
    init: (key: RngKey) => net.init(key),
    field: (params: MlpParams, x: Tensor): Tensor => {
      checkState(`${where}.field`, dof, x);
      return net.apply(params, x);
    },
  });
}

function squeezeLast(h: Tensor): Tensor {
  return reshape(h, [h.shape[0]]);
}
