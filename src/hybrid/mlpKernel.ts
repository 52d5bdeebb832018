/**
 * A direct forward/backward kernel for the MLPs inside model equations: the dense layers run
 * as matrix products on preallocated buffers, with no tape, and the forward pass keeps its
 * activations so that the backward pass of the same input (the compiled VJP always runs the
 * forward phase first) does not recompute them.
 *
 * For layer l with weights W_l [out, in] (PyTorch layout), bias b_l and activation φ (the
 * identity on the last layer):
 *
 *   z_l = h_{l−1}·W_lᵀ + b_l,   h_l = φ(z_l);
 *   backward, from g_L = ∂L/∂h_L:  ∂L/∂W_l += g_lᵀ·h_{l−1},  ∂L/∂b_l += Σ_rows g_l,
 *   g_{l−1} = (g_l·W_l) ⊙ φ′(z_{l−1}),  with φ′ from the stored h: tanh′ = 1 − h²,
 *   σ′ = h(1 − h), relu′ = [h > 0].
 *
 * Used by {@link TensorNetRuntime} for tanh, sigmoid, relu and identity MLPs; it gives the
 * same values as the autodiff's fused `linear` layers.
 */
import { gemm } from '../tensor/gemm.js';
import { wasmSigmoid, wasmTanh } from '../tensor/wasmElementwise.js';

/** The activations this kernel implements. */
export type KernelActivation = 'tanh' | 'sigmoid' | 'relu' | 'identity';

/** Whether {@link MlpKernel} implements an activation. */
export function kernelSupports(activation: string): activation is KernelActivation {
  return (
    activation === 'tanh' || activation === 'sigmoid' || activation === 'relu' || activation === 'identity'
  );
}

/** One layer's parameters as flat arrays: w [out·in] row-major, b [out]. */
export interface KernelLayer {
  readonly w: Float64Array;
  readonly b: Float64Array;
}

/**
 * Forward and backward passes of one MLP (fixed widths and activation) over batches of rows,
 * with reusable buffers.
 *
 * @example
 * ```ts
 * const k = new MlpKernel([2, 64, 64, 2], 'tanh');
 * k.forward(layers, x, 25, out);            // out [25, 2]
 * k.backward(layers, x, 25, outBar, xBar, grads); // grads: [dW0, db0, dW1, db1, dW2, db2], accumulated
 * ```
 */
export class MlpKernel {
  private readonly L: number;
  /** h[l] for l = 0 … L: h[0] a copy of the input, h[L] the output. */
  private h: Float64Array[] = [];
  private g: Float64Array[] = [];
  private capacity = 0;
  /** Batch size and weights version of the stored forward pass (−1: none). */
  private storedBatch = -1;
  private storedLayers: readonly KernelLayer[] | null = null;

  constructor(
    private readonly widths: readonly number[],
    private readonly activation: KernelActivation,
  ) {
    if (widths.length < 2) throw new RangeError('MlpKernel: need at least an input and an output width');
    this.L = widths.length - 1;
  }

  private ensure(batch: number): void {
    if (batch <= this.capacity) return;
    this.capacity = Math.max(batch, 2 * this.capacity);
    this.h = this.widths.map((w) => new Float64Array(this.capacity * w));
    this.g = this.widths.map((w) => new Float64Array(this.capacity * w));
    this.storedBatch = -1;
  }

  /** out [batch, nOut] = MLP(x [batch, nIn]); keeps the activations for {@link backward}. */
  forward(layers: readonly KernelLayer[], x: Float64Array, batch: number, out: Float64Array): void {
    this.ensure(batch);
    const { widths, L } = this;
    const h = this.h;
    const n0 = widths[0];
    h[0].set(x.subarray(0, batch * n0));
    for (let l = 1; l <= L; l++) {
      const nIn = widths[l - 1];
      const nOut = widths[l];
      const z = h[l];
      const { w, b } = layers[l - 1];
      for (let r = 0; r < batch; r++) z.set(b, r * nOut);
      gemm(false, true, batch, nOut, nIn, h[l - 1], 0, w, 0, z, 0, true);
      if (l < L) this.activate(z.subarray(0, batch * nOut));
    }
    out.set(h[L].subarray(0, batch * widths[L]));
    this.storedBatch = batch;
    this.storedLayers = layers;
  }

  /**
   * xBar [batch, nIn] = ∂L/∂x and grads[2l], grads[2l+1] += ∂L/∂W_l, ∂L/∂b_l for
   * outBar = ∂L/∂out; reuses the stored forward pass when it was for this x and these layers.
   */
  backward(
    layers: readonly KernelLayer[],
    x: Float64Array,
    batch: number,
    outBar: Float64Array,
    xBar: Float64Array,
    grads: readonly Float64Array[],
  ): void {
    this.ensure(batch);
    if (!this.holds(layers, x, batch)) this.forward(layers, x, batch, this.g[this.L]);
    const { widths, L, h, g } = this;
    g[L].set(outBar.subarray(0, batch * widths[L]));
    for (let l = L; l >= 1; l--) {
      const nIn = widths[l - 1];
      const nOut = widths[l];
      const gl = g[l];
      // ∂L/∂W_l += g_lᵀ·h_{l−1} ([out, in]); ∂L/∂b_l += column sums of g_l.
      gemm(true, false, nOut, nIn, batch, gl, 0, h[l - 1], 0, grads[2 * (l - 1)], 0, true);
      const db = grads[2 * (l - 1) + 1];
      for (let r = 0; r < batch; r++) for (let j = 0; j < nOut; j++) db[j] += gl[r * nOut + j];
      // g_{l−1} = g_l·W_l, then times φ′ for hidden layers.
      gemm(false, false, batch, nIn, nOut, gl, 0, layers[l - 1].w, 0, g[l - 1], 0, false);
      if (l > 1) this.multiplyDerivative(g[l - 1], h[l - 1], batch * nIn);
    }
    xBar.set(g[0].subarray(0, batch * widths[0]));
  }

  /** Whether the stored forward pass is for these layers, this batch size and this input. */
  private holds(layers: readonly KernelLayer[], x: Float64Array, batch: number): boolean {
    if (this.storedBatch !== batch || this.storedLayers !== layers) return false;
    const h0 = this.h[0];
    const n = batch * this.widths[0];
    for (let i = 0; i < n; i++) if (!Object.is(h0[i], x[i])) return false;
    return true;
  }

  private activate(z: Float64Array): void {
    switch (this.activation) {
      case 'tanh':
        if (!wasmTanh(z, z)) for (let i = 0; i < z.length; i++) z[i] = Math.tanh(z[i]);
        return;
      case 'sigmoid':
        if (!wasmSigmoid(z, z)) for (let i = 0; i < z.length; i++) z[i] = 1 / (1 + Math.exp(-z[i]));
        return;
      case 'relu':
        for (let i = 0; i < z.length; i++) {
          const v = z[i];
          z[i] = v > 0 || Number.isNaN(v) ? v : 0; // relu(NaN) = NaN, as in the tensor kernel
        }
        return;
      case 'identity':
        return;
    }
  }

  /** g ⊙= φ′, from the activations h = φ(z). */
  private multiplyDerivative(g: Float64Array, h: Float64Array, n: number): void {
    switch (this.activation) {
      case 'tanh':
        for (let i = 0; i < n; i++) g[i] *= 1 - h[i] * h[i];
        return;
      case 'sigmoid':
        for (let i = 0; i < n; i++) g[i] *= h[i] * (1 - h[i]);
        return;
      case 'relu':
        for (let i = 0; i < n; i++) if (!(h[i] > 0)) g[i] = 0;
        return;
      case 'identity':
        return;
    }
  }
}
