/**
 * A direct kernel for the input gradient of one MLP output and its derivatives — what a
 * gradient call `grad(F.a, x)` of the model language evaluates (Hamiltonian networks), without
 * the autodiff tape.
 *
 * For layers l = 1 … L with weights W_l [n_l, n_{l−1}] (PyTorch layout), bias b_l and hidden
 * activation φ (the last layer is affine):
 *
 *   forward:  h_0 = x,  z_l = h_{l−1}·W_lᵀ + b_l,  h_l = φ(z_l)   (l < L);
 *   gradient: u_L = e_a,  s_{l−1} = u_l·W_l,  u_l = s_l ⊙ φ′(z_l)  (l < L);   ∇ₓF_a = s_0.
 *
 * The VJP of x ↦ s_0 with cotangent v = s̄_0 (reverse mode over the two passes above, i.e.
 * forward-over-reverse second derivatives):
 *
 *   for l = 1 … L:  W̄_l += u_lᵀ·s̄_{l−1};  if l < L:  ū_l = s̄_{l−1}·W_lᵀ,  s̄_l = ū_l ⊙ φ′(z_l),
 *                   z̄_l = ū_l ⊙ s_l ⊙ φ″(z_l);
 *   for l = L−1 … 1:  z̄_l += h̄_l ⊙ φ′(z_l) (h̄_{L−1} = 0),  W̄_l += z̄_lᵀ·h_{l−1},  b̄_l += Σ_rows z̄_l,
 *                   h̄_{l−1} = z̄_l·W_l;
 *   x̄ = h̄_0 = ∇²ₓF_a·v  (the Hessian is symmetric).
 *
 * φ′ and φ″ from the stored activations: tanh′ = 1 − h², tanh″ = −2h·tanh′; σ′ = h(1 − h),
 * σ″ = σ′(1 − 2h); relu′ = [h > 0], relu″ = 0; rbf (h = e^{−z²}) rbf′ = −2z·h,
 * rbf″ = (4z² − 2)·h; identity′ = 1, identity″ = 0.
 */
import { gemm } from '../tensor/gemm.js';
import type { KernelActivation, KernelLayer } from './mlpKernel.js';

/**
 * Input gradients x ↦ ∇ₓF_a(x) of output `a` of one MLP (fixed widths and activation) over
 * batches of rows, with their VJP (Hessian–vector products and weight gradients) and Jacobian
 * (the Hessian), on reusable buffers. The last forward pass is kept, keyed by the layers'
 * identity and the input's bits, so that a VJP right after the forward pass on the same input
 * (what the compiled models do) does not recompute it.
 *
 * @example
 * ```ts
 * const k = new MlpGradientKernel([2, 64, 64, 1], 'tanh', 0);
 * k.forward(layers, x, 25, g);                      // g [25, 2] = ∇ₓF_0 per row
 * k.backward(layers, x, 25, gBar, xBar, grads);     // xBar = ∇²ₓF_0·gBar; grads += ∂(gBar·g)/∂θ
 * k.hessian(layers, x, 25, hess);                   // hess [25, 2, 2]
 * ```
 */
export class MlpGradientKernel {
  private readonly L: number;
  private capacity = 0;
  /** h[l] [B, n_l], l = 0 … L−1 (h[0] = x). */
  private h: Float64Array[] = [];
  /** z[l] (rbf only), φ′(z_l) and φ″(z_l) for the hidden layers l = 1 … L−1. */
  private z: Float64Array[] = [];
  private d1: Float64Array[] = [];
  private d2: Float64Array[] = [];
  /** u[l] [B, n_l], l = 1 … L−1, and s[l] [B, n_l], l = 0 … L−1. */
  private u: Float64Array[] = [];
  private s: Float64Array[] = [];
  /** Backward scratch: s̄[l], ū[l], z̄[l], h̄[l]. */
  private sb: Float64Array[] = [];
  private ub: Float64Array[] = [];
  private zb: Float64Array[] = [];
  private hb: Float64Array[] = [];
  /** Unit cotangents for the Hessian, and a sink for its (unused) weight gradients. */
  private unit = new Float64Array(0);
  private column = new Float64Array(0);
  private cachedLayers: readonly KernelLayer[] | null = null;
  private cachedBatch = -1;
  private cachedX = new Float64Array(0);

  constructor(
    private readonly widths: readonly number[],
    private readonly activation: KernelActivation,
    private readonly output: number,
  ) {
    if (widths.length < 2)
      throw new RangeError('MlpGradientKernel: need at least an input and an output width');
    const nOut = widths[widths.length - 1];
    if (!(Number.isInteger(output) && output >= 0 && output < nOut)) {
      throw new RangeError(`MlpGradientKernel: output must be an integer in [0, ${nOut}), got ${output}`);
    }
    this.L = widths.length - 1;
  }

  private ensure(batch: number): void {
    if (batch <= this.capacity) return;
    const cap = Math.max(batch, 2 * this.capacity);
    this.capacity = cap;
    const w = this.widths;
    const make = () => w.map((n) => new Float64Array(cap * n));
    this.h = make();
    this.z = this.activation === 'rbf' ? make() : [];
    this.d1 = make();
    this.d2 = make();
    this.u = make();
    this.s = make();
    this.sb = make();
    this.ub = make();
    this.zb = make();
    this.hb = make();
    this.unit = new Float64Array(cap * w[0]);
    this.column = new Float64Array(cap * w[0]);
    this.cachedX = new Float64Array(cap * w[0]);
    this.cachedLayers = null;
  }

  /** g [batch, nIn] = ∇ₓF_a for each row of x [batch, nIn]. */
  forward(layers: readonly KernelLayer[], x: Float64Array, batch: number, g: Float64Array): void {
    this.pass(layers, x, batch);
    g.set(this.s[0].subarray(0, batch * this.widths[0]));
  }

  /**
   * xBar [batch, nIn] = ∇²ₓF_a·gBar per row (overwritten), and, unless `grads` is null,
   * grads ([dW1, db1, dW2, db2, …], PyTorch layout) += ∂(Σ_rows gBar·∇ₓF_a)/∂θ.
   */
  backward(
    layers: readonly KernelLayer[],
    x: Float64Array,
    batch: number,
    gBar: Float64Array,
    xBar: Float64Array,
    grads: readonly Float64Array[] | null,
  ): void {
    this.pass(layers, x, batch);
    const { widths: w, L, h, d1, d2, u, s, sb, ub, zb, hb } = this;
    sb[0].set(gBar.subarray(0, batch * w[0]));
    // Through the gradient pass, from the input side up.
    for (let l = 1; l <= L; l++) {
      const nIn = w[l - 1];
      const nOut = w[l];
      const W = layers[l - 1].w;
      if (l === L) {
        // u_L = e_a: W̄_L[a, ·] += Σ_rows s̄_{L−1}.
        if (grads !== null) {
          const dW = grads[2 * (l - 1)];
          const at = this.output * nIn;
          for (let r = 0; r < batch; r++) for (let i = 0; i < nIn; i++) dW[at + i] += sb[l - 1][r * nIn + i];
        }
        break;
      }
      if (grads !== null)
        gemm(true, false, nOut, nIn, batch, u[l], 0, sb[l - 1], 0, grads[2 * (l - 1)], 0, true);
      gemm(false, true, batch, nOut, nIn, sb[l - 1], 0, W, 0, ub[l], 0, false);
      const n = batch * nOut;
      const ubl = ub[l];
      const sbl = sb[l];
      const zbl = zb[l];
      const sl = s[l];
      const d1l = d1[l];
      const d2l = d2[l];
      for (let i = 0; i < n; i++) {
        sbl[i] = ubl[i] * d1l[i];
        zbl[i] = ubl[i] * sl[i] * d2l[i];
      }
    }
    // Back through the forward pass, from the output side down.
    if (L === 1) {
      xBar.fill(0, 0, batch * w[0]); // an affine net has a constant gradient
      return;
    }
    for (let l = L - 1; l >= 1; l--) {
      const nIn = w[l - 1];
      const nOut = w[l];
      const n = batch * nOut;
      const zbl = zb[l];
      if (l < L - 1) {
        const hbl = hb[l];
        const d1l = d1[l];
        for (let i = 0; i < n; i++) zbl[i] += hbl[i] * d1l[i];
      }
      if (grads !== null) {
        gemm(true, false, nOut, nIn, batch, zbl, 0, h[l - 1], 0, grads[2 * (l - 1)], 0, true);
        const db = grads[2 * (l - 1) + 1];
        for (let r = 0; r < batch; r++) for (let o = 0; o < nOut; o++) db[o] += zbl[r * nOut + o];
      }
      gemm(false, false, batch, nIn, nOut, zbl, 0, layers[l - 1].w, 0, hb[l - 1], 0, false);
    }
    xBar.set(hb[0].subarray(0, batch * w[0]));
  }

  /** hess [batch, nIn, nIn] = ∇²ₓF_a per row: one Hessian–vector product per input. */
  hessian(layers: readonly KernelLayer[], x: Float64Array, batch: number, hess: Float64Array): void {
    const n = this.widths[0];
    this.ensure(batch);
    const unit = this.unit;
    const col = this.column;
    for (let i = 0; i < n; i++) {
      unit.fill(0, 0, batch * n);
      for (let r = 0; r < batch; r++) unit[r * n + i] = 1;
      this.backward(layers, x, batch, unit, col, null);
      // ∇²F is symmetric: the product with e_i is row i as well as column i.
      for (let r = 0; r < batch; r++) for (let j = 0; j < n; j++) hess[(r * n + i) * n + j] = col[r * n + j];
    }
  }

  /** The two passes (forward, gradient) for x, unless the last call was on the same input and layers. */
  private pass(layers: readonly KernelLayer[], x: Float64Array, batch: number): void {
    this.ensure(batch);
    const { widths: w, L, h, z, d1, d2, u, s } = this;
    const n0 = batch * w[0];
    if (this.cachedLayers === layers && this.cachedBatch === batch && sameBits(this.cachedX, x, n0)) return;
    this.cachedLayers = null;
    h[0].set(x.subarray(0, n0));
    for (let l = 1; l < L; l++) {
      const nOut = w[l];
      const hl = h[l];
      const { b, w: W } = layers[l - 1];
      for (let r = 0; r < batch; r++) hl.set(b, r * nOut);
      gemm(false, true, batch, nOut, w[l - 1], h[l - 1], 0, W, 0, hl, 0, true);
      this.activate(hl, z[l], d1[l], d2[l], batch * nOut);
    }
    // s_{L−1} = row a of W_L on every row; then down through the hidden layers.
    const WL = layers[L - 1].w;
    const nTop = w[L - 1];
    for (let r = 0; r < batch; r++)
      s[L - 1].set(WL.subarray(this.output * nTop, (this.output + 1) * nTop), r * nTop);
    for (let l = L - 1; l >= 1; l--) {
      const n = batch * w[l];
      const ul = u[l];
      const sl = s[l];
      const d1l = d1[l];
      for (let i = 0; i < n; i++) ul[i] = sl[i] * d1l[i];
      gemm(false, false, batch, w[l - 1], w[l], ul, 0, layers[l - 1].w, 0, s[l - 1], 0, false);
    }
    this.cachedX.set(x.subarray(0, n0));
    this.cachedBatch = batch;
    this.cachedLayers = layers;
  }

  /** hz ← φ(hz) in place, with φ′ and φ″ (and z itself for rbf). */
  private activate(
    hz: Float64Array,
    z: Float64Array | undefined,
    d1: Float64Array,
    d2: Float64Array,
    n: number,
  ) {
    switch (this.activation) {
      case 'tanh':
        for (let i = 0; i < n; i++) {
          const h = Math.tanh(hz[i]);
          hz[i] = h;
          d1[i] = 1 - h * h;
          d2[i] = -2 * h * d1[i];
        }
        return;
      case 'sigmoid':
        for (let i = 0; i < n; i++) {
          const v = hz[i];
          const h = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
          hz[i] = h;
          d1[i] = h * (1 - h);
          d2[i] = d1[i] * (1 - 2 * h);
        }
        return;
      case 'relu':
        for (let i = 0; i < n; i++) {
          const v = hz[i];
          hz[i] = v > 0 || Number.isNaN(v) ? v : 0;
          d1[i] = v > 0 ? 1 : 0;
          d2[i] = 0;
        }
        return;
      case 'rbf':
        if (z === undefined) throw new Error('MlpGradientKernel: rbf without pre-activation buffers');
        for (let i = 0; i < n; i++) {
          const v = hz[i];
          const h = Math.exp(-v * v);
          z[i] = v;
          hz[i] = h;
          d1[i] = -2 * v * h;
          d2[i] = (4 * v * v - 2) * h;
        }
        return;
      case 'identity':
        d1.fill(1, 0, n);
        d2.fill(0, 0, n);
        return;
    }
  }
}

/** Whether a[0 … n) and b[0 … n) hold the same values, telling −0 from 0 (Object.is). */
function sameBits(a: Float64Array, b: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
