/**
 * Bounds by reparametrization: optimize an unconstrained z and use x = T(z), which lies
 * inside [lower, upper] for every z. Gradients follow by the chain rule, ∂f/∂z = ∂f/∂x · T'(z).
 */
import { rejectUnknown } from '../ode/options.js';

/** Which map a {@link BoxTransform} uses, chosen by which bounds are finite. */
export type BoxTransformKind =
  | 'identity'
  | 'lowerSoftplus'
  | 'lowerLog'
  | 'upperSoftplus'
  | 'upperLog'
  | 'scaledSigmoid';

/** A bijection between ℝ and the open interval (lower, upper). */
export interface BoxTransform {
  readonly kind: BoxTransformKind;
  readonly lower: number;
  readonly upper: number;
  /** x = T(z), the bounded value of the unconstrained z. */
  forward(z: number): number;
  /** z = T⁻¹(x) for lower < x < upper (throws outside, naming the bounds). */
  inverse(x: number): number;
  /** dx/dz = T'(z) > 0, for the chain rule ∂f/∂z = ∂f/∂x · T'(z). */
  derivative(z: number): number;
}

/** Options of {@link boxTransform}. */
export interface BoxTransformOptions {
  /**
   * The map for one finite bound: `'softplus'` (default; nearly the identity far from the
   * bound, so steps keep their size) or `'log'` (x − lower = eˢ: steps are relative changes,
   * the usual choice for rate constants and scales spanning decades).
   */
  readonly oneSided?: 'softplus' | 'log';
}

/** softplus(z) = log(1 + eᶻ), without overflow. */
function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

/** softplus⁻¹(y) = log(eʸ − 1) = y + log(−expm1(−y)), y > 0. */
function softplusInverse(y: number): number {
  return y + Math.log(-Math.expm1(-y));
}

/** σ(z) = 1 / (1 + e⁻ᶻ), without overflow. */
function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * The reparametrization for a bounded parameter, chosen by which bounds are finite:
 *
 * | bounds | kind | x = T(z) | z = T⁻¹(x) | T'(z) |
 * |---|---|---|---|---|
 * | (−∞, ∞) | identity | z | x | 1 |
 * | (l, ∞) | lowerSoftplus | l + softplus(z) | softplus⁻¹(x − l) | σ(z) |
 * | (l, ∞), `oneSided: 'log'` | lowerLog | l + eᶻ | log(x − l) | eᶻ |
 * | (−∞, u) | upperSoftplus | u − softplus(−z) | −softplus⁻¹(u − x) | σ(−z) |
 * | (−∞, u), `oneSided: 'log'` | upperLog | u − e⁻ᶻ | −log(u − x) | e⁻ᶻ |
 * | (l, u) | scaledSigmoid | l + (u − l)·σ(z) | log(x − l) − log(u − x) | (u − l)·σ(z)·σ(−z) |
 *
 * with softplus(z) = log(1 + eᶻ), softplus⁻¹(y) = y + log(−expm1(−y)), σ the logistic
 * function. Each map is increasing and evaluated without overflow; the sigmoid is computed
 * from the nearer bound (u − (u − l)σ(−z) for z ≥ 0) so both ends keep their precision. In
 * floating point T(z) reaches the bound itself for large |z| (e.g. z > 37 for a sigmoid);
 * gradients there vanish, so start well inside. The bound is never attained in exact
 * arithmetic: to allow x = l exactly, use a projection instead.
 *
 * @param lower - lower bound (−Infinity for none).
 * @param upper - upper bound (Infinity for none), greater than `lower`.
 *
 * @example
 * ```ts
 * const t = boxTransform(0, 1);
 * t.kind; // 'scaledSigmoid'
 * t.forward(0); // 0.5
 * t.inverse(0.5); // 0
 * t.derivative(0); // 0.25
 * boxTransform(0, Infinity, { oneSided: 'log' }).forward(Math.log(3)); // 3 (up to rounding)
 * ```
 */
export function boxTransform(lower: number, upper: number, options: BoxTransformOptions = {}): BoxTransform {
  const what = 'boxTransform';
  rejectUnknown(what, options, ['oneSided']);
  const oneSided = options.oneSided ?? 'softplus';
  if (oneSided !== 'softplus' && oneSided !== 'log') {
    throw new RangeError(`${what}: oneSided must be 'softplus' or 'log', got ${String(oneSided)}`);
  }
  if (
    typeof lower !== 'number' ||
    typeof upper !== 'number' ||
    Number.isNaN(lower) ||
    Number.isNaN(upper) ||
    lower === Number.POSITIVE_INFINITY ||
    upper === Number.NEGATIVE_INFINITY ||
    !(lower < upper)
  ) {
    throw new RangeError(
      `${what}: need lower < upper with lower < ∞ and upper > −∞, got [${lower}, ${upper}]; ` +
        'use -Infinity / Infinity for a missing bound',
    );
  }
  const l = lower;
  const u = upper;
  const check = (x: number): void => {
    if (!(x > l && x < u)) {
      throw new RangeError(
        `${what}: inverse(${x}) is outside the open interval (${l}, ${u}); ` +
          'a bounded parameter must start strictly inside its bounds',
      );
    }
  };
  const hasLower = Number.isFinite(l);
  const hasUpper = Number.isFinite(u);
  const base = { lower: l, upper: u };
  if (!hasLower && !hasUpper) {
    return {
      ...base,
      kind: 'identity',
      forward: (z) => z,
      inverse: (x) => {
        check(x);
        return x;
      },
      derivative: () => 1,
    };
  }
  if (hasLower && !hasUpper) {
    if (oneSided === 'log') {
      return {
        ...base,
        kind: 'lowerLog',
        forward: (z) => l + Math.exp(z),
        inverse: (x) => {
          check(x);
          return Math.log(x - l);
        },
        derivative: (z) => Math.exp(z),
      };
    }
    return {
      ...base,
      kind: 'lowerSoftplus',
      forward: (z) => l + softplus(z),
      inverse: (x) => {
        check(x);
        return softplusInverse(x - l);
      },
      derivative: (z) => sigmoid(z),
    };
  }
  if (!hasLower && hasUpper) {
    if (oneSided === 'log') {
      return {
        ...base,
        kind: 'upperLog',
        forward: (z) => u - Math.exp(-z),
        inverse: (x) => {
          check(x);
          return -Math.log(u - x);
        },
        derivative: (z) => Math.exp(-z),
      };
    }
    return {
      ...base,
      kind: 'upperSoftplus',
      forward: (z) => u - softplus(-z),
      inverse: (x) => {
        check(x);
        return -softplusInverse(u - x);
      },
      derivative: (z) => sigmoid(-z),
    };
  }
  const w = u - l;
  if (!Number.isFinite(w)) {
    throw new RangeError(`${what}: the width upper − lower of [${l}, ${u}] overflows; rescale the parameter`);
  }
  return {
    ...base,
    kind: 'scaledSigmoid',
    forward: (z) => (z >= 0 ? u - w * sigmoid(-z) : l + w * sigmoid(z)),
    inverse: (x) => {
      check(x);
      return Math.log(x - l) - Math.log(u - x);
    },
    derivative: (z) => w * sigmoid(z) * sigmoid(-z),
  };
}
