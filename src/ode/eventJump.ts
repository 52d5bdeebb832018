/**
 * The jump of sensitivities at a state-dependent event, shared by the forward sensitivities
 * (the jump itself) and the discrete adjoint (its transpose).
 *
 * An event happens at the time τ where the condition g(t, y, p) of the state y⁻ = y(τ⁻)
 * crosses zero; a state-changing action then sets y⁺ = h(τ, y⁻, p). Let s = ∂y/∂θ be the
 * sensitivity at a fixed time and f^∓ = f(τ, y^∓) the slopes either side. Differentiating
 * g(τ, y(τ; θ), p) = 0 and y⁺ = h(τ, y(τ; θ), p), and writing the state after the event at a
 * fixed time as y⁺ − f⁺·δτ, gives
 *
 *   dτ/dθ = −(g_y·s⁻ + g_p)/(g_y·f⁻ + g_t),
 *   s⁺ = h_y·s⁻ + h_p + (h_y·f⁻ + h_t − f⁺)·dτ/dθ,
 *
 * and the state at the event itself, y(τ) (what a save at τ holds, and the final state of a
 * 'stop'), moves with τ: dy(τ)/dθ = s⁻ + f⁻·dτ/dθ. A 'stop' has no action and no s⁺.
 *
 * The transpose, for cotangents λ⁺ of s⁺, a⁻ of the saves at τ and τ̄ of the event time
 * (a loss on the stopping time), is
 *
 *   ν = −(τ̄ + a⁻·f⁻ + λ⁺·(h_y·f⁻ + h_t − f⁺))/(g_y·f⁻ + g_t),
 *   λ⁻ = h_yᵀ·λ⁺ + g_yᵀ·ν (+ a⁻, added with the saves),   p̄ += h_pᵀ·λ⁺ + g_pᵀ·ν.
 *
 * References: Hiskens & Pai (2000), "Trajectory sensitivity analysis of hybrid systems",
 * IEEE Trans. Circuits Syst. I 47(2); Corner, Sandu & Sandu (2019), "Modeling and sensitivity
 * analysis methodology for hybrid dynamical system", Nonlinear Anal. Hybrid Syst. 31, and
 * "Adjoint sensitivity analysis of hybrid multibody dynamical systems" (arXiv:1802.07188); Stapor,
 * Fröhlich & Hasenauer (2018), "Optimization and profile calculation of ODE models using
 * second order adjoint sensitivity analysis", Bioinformatics 34(13) (the AMICI formulation).
 */
import type { EventSpec } from './solve.js';

type Arr = Float64Array;

/**
 * Throws a TypeError when an event lacks a hook that gradients through it need:
 * `conditionGradient` always, `actionJacobian` for a state-changing action.
 */
export function requireEventHooks(who: string, spec: EventSpec, index: number, where: string): void {
  const hint =
    'gradients through a state-dependent event need the derivatives of its condition g(t, y, p) and action y⁺ = h(t, y⁻, p)';
  if (spec.conditionGradient === undefined) {
    throw new TypeError(
      `${who}: event ${index}${where} has no conditionGradient; ${hint}: add ` +
        'conditionGradient(t, y, offset, p, pOffset, gy, gp) that writes ∂g/∂y and ∂g/∂p and returns ∂g/∂t',
    );
  }
  if (spec.action !== 'stop' && spec.actionJacobian === undefined) {
    throw new TypeError(
      `${who}: event ${index}${where} changes the state but has no actionJacobian; ${hint}: add ` +
        'actionJacobian(t, y, offset, p, pOffset, hy, hp, ht) that writes ∂h/∂y, ∂h/∂p and ∂h/∂t',
    );
  }
}

/**
 * The derivatives of one event at the state before it, and the sensitivity jump (forward) or
 * its transpose (reverse). Set `fMinus` (and `fPlus` for an action) before the jump.
 */
export class EventJump {
  /** ∂g/∂y [dim], ∂g/∂p [nParams], ∂g/∂t. */
  readonly gy: Arr;
  readonly gp: Arr;
  gt = 0;
  /** ∂h/∂y [dim·dim], ∂h/∂p [dim·nParams], ∂h/∂t [dim] (identity and zeros for a 'stop'). */
  readonly hy: Arr;
  readonly hp: Arr;
  readonly ht: Arr;
  /** f(τ, y⁻) and f(τ, y⁺), [dim] each: set by the caller. */
  readonly fMinus: Arr;
  readonly fPlus: Arr;
  /** Whether the event is a 'stop'. */
  stop = false;
  /** w = h_y·f⁻ + h_t − f⁺, [dim]. */
  private readonly w: Arr;
  private readonly D: number;
  private readonly P: number;

  constructor(dim: number, nParams: number) {
    this.D = dim;
    this.P = nParams;
    this.gy = new Float64Array(dim);
    this.gp = new Float64Array(nParams);
    this.hy = new Float64Array(dim * dim);
    this.hp = new Float64Array(dim * nParams);
    this.ht = new Float64Array(dim);
    this.fMinus = new Float64Array(dim);
    this.fPlus = new Float64Array(dim);
    this.w = new Float64Array(dim);
  }

  /**
   * Evaluates the hooks of `spec` at (t, y⁻ = y[offset …], p[pOffset …]); the caller has
   * checked them with {@link requireEventHooks}.
   */
  derivatives(spec: EventSpec, t: number, y: Arr, offset: number, p: Arr, pOffset: number): void {
    const { D, gy, gp, hy, hp, ht } = this;
    gy.fill(0);
    gp.fill(0);
    hy.fill(0);
    hp.fill(0);
    ht.fill(0);
    this.gt = spec.conditionGradient!(t, y, offset, p, pOffset, gy, gp);
    this.stop = spec.action === 'stop';
    if (this.stop) for (let i = 0; i < D; i++) hy[i * D + i] = 1;
    else spec.actionJacobian!(t, y, offset, p, pOffset, hy, hp, ht);
  }

  /**
   * g_y·f⁻ + g_t, the rate at which the condition crosses zero; throws when it is zero or not
   * finite (a grazing event, where τ is not differentiable).
   */
  speed(where: string): number {
    let v = this.gt;
    for (let i = 0; i < this.D; i++) v += this.gy[i] * this.fMinus[i];
    if (!(Number.isFinite(v) && v !== 0)) {
      throw new Error(
        `${where}: the event condition crosses zero with rate g_y·f + g_t = ${v}; the event time is not ` +
          'differentiable at a grazing (tangential) crossing',
      );
    }
    return v;
  }

  /** w = h_y·f⁻ + h_t − f⁺ (after `derivatives` and the slopes). */
  private shift(): Arr {
    const { D, hy, w } = this;
    for (let i = 0; i < D; i++) {
      let v = this.ht[i] - this.fPlus[i];
      for (let j = 0; j < D; j++) v += hy[i * D + j] * this.fMinus[j];
      w[i] = v;
    }
    return w;
  }

  /**
   * Forward: dτ/dθ for a direction with sensitivity s⁻ = s[sOff …] before the event and
   * parameter component `pIndex` (−1 when θ is not a parameter); for an action, writes
   * s⁺ = h_y·s⁻ + h_p·e + w·dτ/dθ to s[sOff …] in place.
   */
  forward(speed: number, s: Arr, sOff: number, pIndex: number, scratch: Arr): number {
    const { D, P, gy, hy, hp } = this;
    let num = pIndex >= 0 ? this.gp[pIndex] : 0;
    for (let i = 0; i < D; i++) num += gy[i] * s[sOff + i];
    const dtau = -num / speed;
    if (this.stop) return dtau;
    const w = this.shift();
    for (let i = 0; i < D; i++) {
      let v = w[i] * dtau + (pIndex >= 0 ? hp[i * P + pIndex] : 0);
      for (let j = 0; j < D; j++) v += hy[i * D + j] * s[sOff + j];
      scratch[i] = v;
    }
    for (let i = 0; i < D; i++) s[sOff + i] = scratch[i];
    return dtau;
  }

  /**
   * Reverse: overwrites λ = lambda[lOff …] (the cotangent λ⁺ of the state after the event) with
   * λ⁻ = h_yᵀ·λ⁺ + g_yᵀ·ν and adds h_pᵀ·λ⁺ + g_pᵀ·ν to pBar[pOff …], where
   * ν = −(tauBar + a⁻·f⁻ + λ⁺·w)/speed and a⁻ = savedBar[aOff …] is the cotangent of the saves
   * at the event (null when none). The caller adds a⁻ itself. Returns ν.
   */
  reverse(
    speed: number,
    lambda: Arr,
    lOff: number,
    saved: Arr | null,
    aOff: number,
    tauBar: number,
    pBar: Arr,
    pOff: number,
    scratch: Arr,
  ): number {
    const { D, P, gy, gp, hy, hp } = this;
    let total = tauBar;
    if (saved !== null) for (let i = 0; i < D; i++) total += saved[aOff + i] * this.fMinus[i];
    if (this.stop) {
      // No action: the state at τ moves with τ (λ⁺ is a cotangent of y(τ)).
      for (let i = 0; i < D; i++) total += lambda[lOff + i] * this.fMinus[i];
    } else {
      const w = this.shift();
      for (let i = 0; i < D; i++) total += lambda[lOff + i] * w[i];
    }
    const nu = -total / speed;
    for (let j = 0; j < D; j++) {
      let v = nu * gy[j];
      for (let i = 0; i < D; i++) v += hy[i * D + j] * lambda[lOff + i];
      scratch[j] = v;
    }
    for (let k = 0; k < P; k++) {
      let v = nu * gp[k];
      if (!this.stop) for (let i = 0; i < D; i++) v += hp[i * P + k] * lambda[lOff + i];
      pBar[pOff + k] += v;
    }
    for (let j = 0; j < D; j++) lambda[lOff + j] = scratch[j];
    return nu;
  }
}
