/**
 * A direct forward/backward kernel for the MLPs inside model equations: the dense layers run
 * as matrix products on preallocated buffers, with no tape; forward passes are stored by input
 * so that repeated inputs are not recomputed, and weight gradients are summed in one product.
 *
 * For layer l with weights W_l [out, in] (PyTorch layout), bias b_l and activation φ (the
 * identity on the last layer):
 *
 *   z_l = h_{l−1}·W_lᵀ + b_l,   h_l = φ(z_l);
 *   backward, from g_L = ∂L/∂h_L:  ∂L/∂W_l += g_lᵀ·h_{l−1},  ∂L/∂b_l += Σ_rows g_l,
 *   g_{l−1} = (g_l·W_l) ⊙ φ′(z_{l−1}),  with φ′ from the stored h: tanh′ = 1 − h²,
 *   σ′ = h(1 − h), relu′ = [h > 0]; the Gaussian RBF h = e^{−z²} needs z as well,
 *   rbf′ = −2z·h, so its passes also store the pre-activations z_l.
 *
 * Used by {@link TensorNetRuntime} for tanh, sigmoid, relu, rbf and identity MLPs; it gives the
 * same values as the autodiff's `linear` layers followed by the activation.
 */
import { gemm, gemmPackedB, type PackedB, packB } from '../tensor/gemm.js';
import { wasmSigmoid, wasmTanh, wasmTanhBackward } from '../tensor/wasmElementwise.js';

/** The activations this kernel implements. */
export type KernelActivation = 'tanh' | 'sigmoid' | 'relu' | 'rbf' | 'identity';

/** Whether {@link MlpKernel} implements an activation. */
export function kernelSupports(activation: string): activation is KernelActivation {
  return (
    activation === 'tanh' ||
    activation === 'sigmoid' ||
    activation === 'relu' ||
    activation === 'rbf' ||
    activation === 'identity'
  );
}

/** One layer's parameters as flat arrays: w [out·in] row-major, b [out]. */
export interface KernelLayer {
  readonly w: Float64Array;
  readonly b: Float64Array;
}

/** One stored forward pass: the activations h[0 … L] for one input. */
interface CacheEntry {
  key: number;
  batch: number;
  /** h[l] [batch, widths[l]]: h[0] the input, h[L] the output. */
  readonly h: Float64Array[];
  /** The pre-activations z[l] of the hidden layers (rbf only, whose derivative needs them), else empty. */
  readonly z: Float64Array[];
}

/** Options of {@link MlpKernel}. */
export interface MlpKernelOptions {
  /**
   * Memory for stored forward passes, in bytes (default 32 MiB). Passes are kept in
   * least-recently-used order and looked up by the exact bits of their input.
   */
  readonly cacheBytes?: number;
  /** Memory for deferred weight-gradient rows, in bytes (default 16 MiB). */
  readonly pendingBytes?: number;
}

/**
 * Forward and backward passes of one MLP (fixed widths and activation) over batches of rows,
 * with reusable buffers, and two savings that matter inside a differentiated ODE solve:
 *
 * - **Stored forward passes.** Each forward pass is kept (up to `cacheBytes`) under the exact
 *   bits of its input, so the same input seen again — the discrete adjoint recomputing a
 *   stage, the compiled VJP re-running its forward phase — costs a lookup, not three matrix
 *   products. Same bits in, same bits out: the results are unchanged. The store is emptied by
 *   {@link MlpKernel.clear} (the runtime calls it when the weights change).
 * - **Deferred weight gradients.** ∂L/∂W_l = Σ_calls g_lᵀ·h_{l−1} is a sum over every backward
 *   call; the rows of g_l and h_{l−1} are queued and multiplied in one product with a long
 *   inner dimension at {@link MlpKernel.flush} (or when the queue is full), instead of one
 *   thin product per call. Call `flush` before reading the gradients.
 *
 * A `layers` array is taken as immutable: the kernel packs its weights for the products once
 * and recognises them by identity, so pass a new array for new weights (never edit one in place).
 *
 * @example
 * ```ts
 * const k = new MlpKernel([2, 64, 64, 2], 'tanh');
 * k.forward(layers, x, 25, out);                  // out [25, 2]
 * k.backward(layers, x, 25, outBar, xBar, grads); // xBar [25, 2]
 * k.flush();                                      // grads: [dW0, db0, dW1, db1, dW2, db2] accumulated
 * ```
 */
export class MlpKernel {
  private readonly L: number;
  /** Backward scratch g[l] [batch, widths[l]]. */
  private g: Float64Array[] = [];
  private capacity = 0;
  private readonly rowDoubles: number;
  /** The input of the current call, copied; its bits (u32 view) are the cache key. */
  private probe = new Float64Array(0);
  private probeBits = new Uint32Array(0);
  private readonly cache = new Map<number, CacheEntry>();
  /** Entries of a cleared cache, reused before new ones are allocated. */
  private free: CacheEntry[] = [];
  private readonly cacheDoubles: number;
  private cacheLayers: readonly KernelLayer[] | null = null;
  /** The weights of `cacheLayers` packed for the forward products (by Wᵀ) and the backward ones (by W). */
  private forwardW: PackedB[] = [];
  private backwardW: PackedB[] = [];
  /**
   * Queued weight-gradient rows per layer l = 1 … L: G[l] [rows, widths[l]] and
   * H[l] [rows, widths[l−1]], so that Gᵀ·H is ∂L/∂W_l and the column sums of G are ∂L/∂b_l.
   */
  private readonly pendingG: Float64Array[];
  private readonly pendingH: Float64Array[];
  private pendingRows = 0;
  private readonly pendingCapacity: number;
  private pendingGrads: readonly Float64Array[] | null = null;
  /** Gᵀ·H per layer, [widths[l], widths[l−1]]. */
  private readonly product: Float64Array[];
  /** Column sums of G (bias gradients), [max width]. */
  private readonly colSum: Float64Array;
  /** Each layer's bias repeated for `capacity` rows, [capacity, widths[l + 1]], for `cacheLayers`. */
  private biasRows: Float64Array[] = [];

  constructor(
    private readonly widths: readonly number[],
    private readonly activation: KernelActivation,
    options: MlpKernelOptions = {},
  ) {
    if (widths.length < 2) throw new RangeError('MlpKernel: need at least an input and an output width');
    this.L = widths.length - 1;
    this.rowDoubles = widths.reduce((a, w) => a + w, 0);
    this.cacheDoubles = Math.floor((options.cacheBytes ?? 32 * 2 ** 20) / 8);
    let perRow = 0;
    for (let l = 1; l <= this.L; l++) perRow += widths[l] + widths[l - 1];
    this.pendingCapacity = Math.max(1, Math.floor((options.pendingBytes ?? 16 * 2 ** 20) / 8 / perRow));
    this.pendingG = widths.map(() => new Float64Array(0));
    this.pendingH = widths.map(() => new Float64Array(0));
    this.product = widths.map((w, l) => new Float64Array(l === 0 ? 0 : w * widths[l - 1]));
    this.colSum = new Float64Array(Math.max(...widths));
  }

  private ensure(batch: number): void {
    if (batch <= this.capacity) return;
    this.capacity = Math.max(batch, 2 * this.capacity);
    this.g = this.widths.map((w) => new Float64Array(this.capacity * w));
    this.probe = new Float64Array(this.capacity * this.widths[0]);
    this.probeBits = new Uint32Array(this.probe.buffer);
    this.biasRows = [];
  }

  /** Layer l's bias repeated for `capacity` rows (built once per weights and capacity). */
  private biasBlock(layers: readonly KernelLayer[], l: number): Float64Array {
    if (this.biasRows.length === 0) {
      this.biasRows = layers.map(({ b }) => {
        const rows = new Float64Array(this.capacity * b.length);
        for (let r = 0; r < this.capacity; r++) rows.set(b, r * b.length);
        return rows;
      });
    }
    return this.biasRows[l];
  }

  /** out [batch, nOut] = MLP(x [batch, nIn]), from the stored pass for this input if there is one. */
  forward(layers: readonly KernelLayer[], x: Float64Array, batch: number, out: Float64Array): void {
    const entry = this.pass(layers, x, batch);
    out.set(entry.h[this.L].subarray(0, batch * this.widths[this.L]));
  }

  /**
   * xBar [batch, nIn] = ∂L/∂x for outBar = ∂L/∂out, and queues this call's contribution to
   * ∂L/∂W_l, ∂L/∂b_l for `grads` ([dW0, db0, dW1, db1, …]); it is added at the next
   * {@link MlpKernel.flush} (or earlier, when the queue fills or `grads` changes).
   */
  backward(
    layers: readonly KernelLayer[],
    x: Float64Array,
    batch: number,
    outBar: Float64Array,
    xBar: Float64Array,
    grads: readonly Float64Array[],
  ): void {
    const { h, z } = this.pass(layers, x, batch);
    if (this.pendingGrads !== grads || this.pendingRows + batch > this.pendingCapacity) this.flush();
    this.pendingGrads = grads;
    this.reservePending(this.pendingRows + batch);
    const { widths, L, g } = this;
    const row0 = this.pendingRows;
    g[L].set(outBar.subarray(0, batch * widths[L]));
    for (let l = L; l >= 1; l--) {
      const nIn = widths[l - 1];
      const nOut = widths[l];
      const gl = g[l];
      this.pendingG[l].set(gl.subarray(0, batch * nOut), row0 * nOut);
      this.pendingH[l].set(h[l - 1].subarray(0, batch * nIn), row0 * nIn);
      // g_{l−1} = g_l·W_l, then times φ′ for hidden layers.
      gemmPackedB(false, batch, gl, 0, this.backwardW[l - 1], g[l - 1], 0, false);
      if (l > 1) this.multiplyDerivative(g[l - 1], h[l - 1], z[l - 1], batch * nIn);
    }
    this.pendingRows += batch;
    xBar.set(g[0].subarray(0, batch * widths[0]));
  }

  /**
   * Adds the queued weight gradients into the `grads` given to {@link MlpKernel.backward}:
   * ∂L/∂W_l += Gᵀ·H and ∂L/∂b_l += column sums of G, over every queued row.
   */
  flush(): void {
    const grads = this.pendingGrads;
    const rows = this.pendingRows;
    this.pendingRows = 0;
    if (grads === null || rows === 0) return;
    const { widths, L } = this;
    for (let l = 1; l <= L; l++) {
      const nIn = widths[l - 1];
      const nOut = widths[l];
      const P = this.product[l];
      const G = this.pendingG[l];
      // Exact-length views: the product then copies only the queued rows, not the whole queue.
      const H = this.pendingH[l].subarray(0, rows * nIn);
      gemm(true, false, nOut, nIn, rows, G.subarray(0, rows * nOut), 0, H, 0, P, 0, false);
      const dW = grads[2 * (l - 1)];
      const db = grads[2 * (l - 1) + 1];
      for (let i = 0; i < nOut * nIn; i++) dW[i] += P[i];
      // ∂L/∂b_l: the column sums of G, in row order (as the product would add them).
      columnSums(G, rows, nOut, this.colSum);
      for (let o = 0; o < nOut; o++) db[o] += this.colSum[o];
    }
  }

  /** Forgets the stored forward passes (call when the weights change) and drops queued gradients. */
  clear(): void {
    for (const e of this.cache.values()) this.free.push(e);
    this.cache.clear();
    this.cacheLayers = null;
    this.forwardW = [];
    this.backwardW = [];
    this.biasRows = [];
    this.pendingRows = 0;
    this.pendingGrads = null;
  }

  private reservePending(rows: number): void {
    for (let l = 1; l <= this.L; l++) {
      const nOut = this.widths[l];
      const nIn = this.widths[l - 1];
      if (this.pendingG[l].length < rows * nOut) {
        // At least `rows`: one call's batch may exceed the capacity (then it is flushed alone).
        const size = Math.max(rows, Math.min(this.pendingCapacity, 2 * (this.pendingG[l].length / nOut)));
        const G = new Float64Array(size * nOut);
        G.set(this.pendingG[l].subarray(0, this.pendingRows * nOut));
        this.pendingG[l] = G;
        const H = new Float64Array(size * nIn);
        H.set(this.pendingH[l].subarray(0, this.pendingRows * nIn));
        this.pendingH[l] = H;
      }
    }
  }

  /** The stored forward pass for this input and these layers, computed now if missing. */
  private pass(layers: readonly KernelLayer[], x: Float64Array, batch: number): CacheEntry {
    this.ensure(batch);
    if (this.cacheLayers !== layers) {
      for (const e of this.cache.values()) this.free.push(e);
      this.cache.clear();
      this.cacheLayers = layers;
      const { widths } = this;
      this.forwardW = layers.map((l, i) => packB(true, widths[i + 1], widths[i], l.w, 0));
      this.biasRows = [];
      this.backwardW = layers.map((l, i) => packB(false, widths[i], widths[i + 1], l.w, 0));
    }
    const n0 = batch * this.widths[0];
    this.probe.set(x.subarray(0, n0));
    const bits = this.probeBits;
    let key = Math.imul(batch, 0x9e3779b1);
    for (let i = 0; i < 2 * n0; i++) key = Math.imul(key ^ bits[i], 0x01000193);
    const hit = this.cache.get(key);
    if (hit !== undefined && hit.batch === batch && sameBits(hit.h[0], this.probe, n0)) {
      this.cache.delete(key); // most recently used goes last
      this.cache.set(key, hit);
      return hit;
    }
    const entry = this.takeEntry(hit, batch);
    entry.key = key;
    entry.batch = batch;
    this.cache.set(key, entry);
    this.compute(layers, batch, entry);
    return entry;
  }

  /** A free entry for a batch: the colliding one, the least recently used one, or a new one. */
  private takeEntry(colliding: CacheEntry | undefined, batch: number): CacheEntry {
    let entry = colliding;
    if (entry !== undefined) this.cache.delete(entry.key);
    else if ((this.cache.size + 1) * this.rowDoubles * batch > this.cacheDoubles && this.cache.size > 0) {
      const oldest = this.cache.keys().next().value as number;
      entry = this.cache.get(oldest);
      this.cache.delete(oldest);
    }
    if (entry === undefined) entry = this.free.pop();
    if (entry === undefined || entry.h[0].length < batch * this.widths[0]) {
      const h = this.widths.map((w) => new Float64Array(batch * w));
      const z = this.activation === 'rbf' ? this.widths.map((w) => new Float64Array(batch * w)) : [];
      entry = { key: 0, batch, h, z };
    }
    return entry;
  }

  /** h[1 … L] (and z for rbf) from h[0] ← the probe. */
  private compute(layers: readonly KernelLayer[], batch: number, entry: CacheEntry): void {
    const { widths, L } = this;
    const { h, z: pre } = entry;
    h[0].set(this.probe.subarray(0, batch * widths[0]));
    for (let l = 1; l <= L; l++) {
      const nOut = widths[l];
      const z = h[l];
      z.set(this.biasBlock(layers, l - 1).subarray(0, batch * nOut));
      gemmPackedB(false, batch, h[l - 1], 0, this.forwardW[l - 1], z, 0, true);
      if (l < L) {
        if (pre.length > 0) pre[l].set(z.subarray(0, batch * nOut));
        this.activate(z.subarray(0, batch * nOut));
      }
    }
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
      case 'rbf':
        for (let i = 0; i < z.length; i++) z[i] = Math.exp(-z[i] * z[i]);
        return;
      case 'identity':
        return;
    }
  }

  /** g ⊙= φ′, from the activations h = φ(z) (and, for rbf, the pre-activations z). */
  private multiplyDerivative(g: Float64Array, h: Float64Array, z: Float64Array | undefined, n: number): void {
    switch (this.activation) {
      case 'tanh':
        if (!wasmTanhBackward(g, h, n)) for (let i = 0; i < n; i++) g[i] *= 1 - h[i] * h[i];
        return;
      case 'sigmoid':
        for (let i = 0; i < n; i++) g[i] *= h[i] * (1 - h[i]);
        return;
      case 'relu':
        for (let i = 0; i < n; i++) if (!(h[i] > 0)) g[i] = 0;
        return;
      case 'rbf':
        if (z === undefined) throw new Error('MlpKernel: rbf pass without stored pre-activations');
        for (let i = 0; i < n; i++) g[i] *= -2 * z[i] * h[i];
        return;
      case 'identity':
        return;
    }
  }
}

/**
 * out[o] = Σ_r G[r·n + o] for o < n, each column summed in row order from 0 (the rounding of
 * the plain loop), eight columns at a time in locals: about four times faster than
 * accumulating a whole row into `out` at each step.
 */
function columnSums(G: Float64Array, rows: number, n: number, out: Float64Array): void {
  const end = rows * n;
  let o = 0;
  for (; o + 8 <= n; o += 8) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let s5 = 0;
    let s6 = 0;
    let s7 = 0;
    for (let at = o; at < end; at += n) {
      s0 += G[at];
      s1 += G[at + 1];
      s2 += G[at + 2];
      s3 += G[at + 3];
      s4 += G[at + 4];
      s5 += G[at + 5];
      s6 += G[at + 6];
      s7 += G[at + 7];
    }
    out[o] = s0;
    out[o + 1] = s1;
    out[o + 2] = s2;
    out[o + 3] = s3;
    out[o + 4] = s4;
    out[o + 5] = s5;
    out[o + 6] = s6;
    out[o + 7] = s7;
  }
  for (; o < n; o++) {
    let s = 0;
    for (let at = o; at < end; at += n) s += G[at];
    out[o] = s;
  }
}

/** Whether a[0 … n) and b[0 … n) hold the same values, telling −0 from 0 (Object.is). */
function sameBits(a: Float64Array, b: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
