/**
 * Evaluates the neural networks declared in a model on the tensor path, for the compiled
 * model's three-phase calls (DESIGN.md §3): each call runs its network once on the whole
 * batch with the autodiff's `linear` layers; the backward pass is a VJP through the same
 * layers, accumulating the weights' gradients.
 */

import { type FusedActivation, linear } from '../autodiff/ops/linalg.js';
import { Tensor } from '../autodiff/tensor.js';
import { vjp } from '../autodiff/transforms.js';
import type { NetRuntime } from '../expr/compile.js';
import { callOutputCount, type MlpArchitecture, type Model } from '../expr/model.js';
import { activate } from '../nn/activation.js';
import { NDArray } from '../tensor/ndarray.js';
import { type RngKey, splitKey, uniform } from '../tensor/random.js';
import { MlpGradientKernel } from './mlpGradKernel.js';
import { type KernelLayer, kernelSupports, MlpKernel } from './mlpKernel.js';

/** One dense layer in PyTorch layout: w [out, in], b [out]. */
export type DenseLayer = {
  readonly w: Tensor;
  readonly b: Tensor;
};

/** The weights of every network of a model, by network name. */
export type NetWeights = Readonly<Record<string, readonly DenseLayer[]>>;

const FUSED = new Set<string>(['tanh', 'sigmoid', 'relu', 'identity']);

/**
 * Applies an MLP to x [batch, in]: hidden layers with the architecture's activation, a
 * linear output layer.
 *
 * @example
 * ```ts
 * const layers = initMlp(rngKey(0), 2, 1, { kind: 'mlp', hidden: [8], activation: 'tanh' });
 * applyMlp(layers, { kind: 'mlp', hidden: [8], activation: 'tanh' }, tensor([[0.1, 0.2]])).shape; // [1, 1]
 * ```
 */
export function applyMlp(layers: readonly DenseLayer[], arch: MlpArchitecture, x: Tensor): Tensor {
  let h = x;
  layers.forEach((layer, i) => {
    const last = i === layers.length - 1;
    if (last) h = linear(h, layer.w, layer.b);
    else if (FUSED.has(arch.activation)) h = linear(h, layer.w, layer.b, arch.activation as FusedActivation);
    else h = activate(arch.activation, linear(h, layer.w, layer.b));
  });
  return h;
}

/**
 * ∇ₓF_a for each row of x [B, nIn]: row b is (∂F_a/∂x₁, …, ∂F_a/∂x_nIn) at x[b], where F is the
 * MLP `layers`/`arch` and a = `output`. One forward and one reverse pass; the reverse pass is
 * recorded when this runs inside an enclosing transformation (`vjp`, `grad`), so the result
 * can be differentiated again with respect to x (giving Hessian–vector products ∇²ₓF_a·v) and
 * to the weights (docs/autodiff.md, second order).
 *
 * @example
 * ```ts
 * const arch = { kind: 'mlp', hidden: [8], activation: 'tanh' } as const;
 * const layers = initMlp(rngKey(0), 2, 1, arch);
 * mlpInputGradient(layers, arch, tensor([[0.1, 0.2]]), 0).shape; // [1, 2]
 * ```
 */
export function mlpInputGradient(
  layers: readonly DenseLayer[],
  arch: MlpArchitecture,
  x: Tensor,
  output: number,
): Tensor {
  const nOut = layers[layers.length - 1].b.size;
  if (!(Number.isInteger(output) && output >= 0 && output < nOut)) {
    throw new RangeError(`mlpInputGradient: output must be an integer in [0, ${nOut}), got ${output}`);
  }
  const [y, pullback] = vjp((xi: Tensor) => applyMlp(layers, arch, xi), x);
  const batch = y.shape[0];
  const seed = new Float64Array(batch * nOut);
  for (let b = 0; b < batch; b++) seed[b * nOut + output] = 1;
  return pullback(new Tensor(new NDArray(seed, [batch, nOut])));
}

/**
 * Glorot-uniform weights (U(±√(6/(in + out)))) and zero biases for an MLP with `nIn`
 * inputs and `nOut` outputs, from the seeded generator.
 *
 * @example
 * ```ts
 * initMlp(rngKey(0), 2, 2, { kind: 'mlp', hidden: [64, 64], activation: 'tanh' }).length; // 3
 * ```
 */
export function initMlp(key: RngKey, nIn: number, nOut: number, arch: MlpArchitecture): DenseLayer[] {
  const widths = [nIn, ...arch.hidden, nOut];
  const keys = splitKey(key, widths.length - 1);
  return keys.map((k, i) => {
    const limit = Math.sqrt(6 / (widths[i] + widths[i + 1]));
    const w = new Tensor(uniform(k, [widths[i + 1], widths[i]], -limit, limit));
    const b = new Tensor(NDArray.zeros([widths[i + 1]]));
    return { w, b };
  });
}

/**
 * A {@link NetRuntime} that evaluates a model's networks with given weights on the tensor
 * path, and accumulates weight gradients (read them with {@link TensorNetRuntime.gradients},
 * reset with {@link TensorNetRuntime.zeroGradients}).
 *
 * Gradient calls (`grad(F.a, x)`, `NetCall.gradOf`): `forward` is ∇ₓF_a, `backward` the
 * Hessian–vector product ∇²ₓF_a·ḡ with the weight gradient of ḡ·∇ₓF_a, `jacobian` the
 * Hessian. For the activations of {@link MlpKernel} they run on the direct
 * {@link MlpGradientKernel} (forward-over-reverse by hand); for the others on the autodiff
 * tape ({@link mlpInputGradient}, differentiated again by second-order autodiff).
 *
 * @example
 * ```ts
 * const model = parseModel(`
 *   state x = 1
 *   net F(x) -> (a) : mlp(16, tanh)
 *   d/dt x = F.a
 * `);
 * const nets = new TensorNetRuntime(model, TensorNetRuntime.init(model, rngKey(0)));
 * const c = compileModel(model, { nets });
 * ```
 */
export class TensorNetRuntime implements NetRuntime {
  private readonly grads: Float64Array[][];
  private layersOfCall: (readonly DenseLayer[])[];
  private readonly archOfCall: MlpArchitecture[];
  /** Per call: the direct kernel (tanh, sigmoid, relu, rbf, identity MLPs), else null (autodiff). */
  private readonly kernels: (MlpKernel | null)[];
  private flatOfCall: (readonly KernelLayer[])[];
  /** Per call: the output whose input gradient a gradient call evaluates, else undefined. */
  private readonly gradOfCall: (number | undefined)[];
  /** Per gradient call: the direct kernel when the activation has one, else null (autodiff). */
  private readonly gradKernels: (MlpGradientKernel | null)[];
  private currentWeights: NetWeights;
  private currentVersion = 0;

  constructor(
    readonly model: Model,
    weights: NetWeights,
  ) {
    checkWeights(model, weights);
    this.currentWeights = weights;
    this.layersOfCall = model.calls.map((c) => weights[model.nets[c.net].name]);
    this.archOfCall = model.calls.map((c) => model.nets[c.net].architecture);
    this.gradOfCall = model.calls.map((c) => c.gradOf);
    this.kernels = model.calls.map((c) => {
      const net = model.nets[c.net];
      const a = net.architecture;
      return c.gradOf === undefined && kernelSupports(a.activation)
        ? new MlpKernel([net.inputs.length, ...a.hidden, net.outputs.length], a.activation)
        : null;
    });
    this.gradKernels = model.calls.map((c) => {
      const net = model.nets[c.net];
      const a = net.architecture;
      return c.gradOf !== undefined && kernelSupports(a.activation)
        ? new MlpGradientKernel([net.inputs.length, ...a.hidden, net.outputs.length], a.activation, c.gradOf)
        : null;
    });
    this.flatOfCall = this.layersOfCall.map(flatLayers);
    this.grads = model.nets.map((n) =>
      weights[n.name].flatMap((l) => [new Float64Array(l.w.size), new Float64Array(l.b.size)]),
    );
  }

  /** The current weights. */
  get weights(): NetWeights {
    return this.currentWeights;
  }

  /** Increases whenever {@link TensorNetRuntime.setWeights} is called, so compiled models re-evaluate cached networks. */
  get version(): number {
    return this.currentVersion;
  }

  /** Replaces the weights (same shapes), e.g. after an optimizer step. */
  setWeights(weights: NetWeights): void {
    checkWeights(this.model, weights);
    this.currentWeights = weights;
    this.layersOfCall = this.model.calls.map((c) => weights[this.model.nets[c.net].name]);
    this.flatOfCall = this.layersOfCall.map(flatLayers);
    this.currentVersion++;
    for (const k of this.kernels) {
      k?.flush();
      k?.clear();
    }
  }

  /** Fresh Glorot-initialized weights for every network of `model`. */
  static init(model: Model, key: RngKey): NetWeights {
    const keys = splitKey(key, Math.max(model.nets.length, 1));
    const out: Record<string, DenseLayer[]> = {};
    model.nets.forEach((n, i) => {
      out[n.name] = initMlp(keys[i], n.inputs.length, n.outputs.length, n.architecture);
    });
    return out;
  }

  private input(call: number, x: Float64Array, batch: number): Tensor {
    const n = this.model.calls[call].inputs.length;
    return new Tensor(new NDArray(x.slice(0, batch * n), [batch, n]));
  }

  /** The function a call evaluates on the tape: the MLP, or x ↦ ∇ₓF_a for a gradient call. */
  private callFunction(call: number, layers: readonly DenseLayer[], x: Tensor): Tensor {
    const a = this.gradOfCall[call];
    const arch = this.archOfCall[call];
    return a === undefined ? applyMlp(layers, arch, x) : mlpInputGradient(layers, arch, x, a);
  }

  forward(call: number, x: Float64Array, batch: number, out: Float64Array): void {
    const kernel = this.kernels[call] ?? this.gradKernels[call];
    if (kernel !== null) {
      kernel.forward(this.flatOfCall[call], x, batch, out);
      return;
    }
    const y = this.callFunction(call, this.layersOfCall[call], this.input(call, x, batch));
    out.set(y.data);
  }

  backward(call: number, x: Float64Array, batch: number, outBar: Float64Array, xBar: Float64Array): void {
    const kernel = this.kernels[call];
    if (kernel !== null) {
      kernel.backward(this.flatOfCall[call], x, batch, outBar, xBar, this.grads[this.model.calls[call].net]);
      return;
    }
    const gradKernel = this.gradKernels[call];
    if (gradKernel !== null) {
      gradKernel.backward(
        this.flatOfCall[call],
        x,
        batch,
        outBar,
        xBar,
        this.grads[this.model.calls[call].net],
      );
      return;
    }
    const layers = this.layersOfCall[call];
    const nOut = callOutputCount(this.model, this.model.calls[call]);
    type Primals = { x: Tensor; layers: readonly DenseLayer[] };
    const [, pullback] = vjp((p: Primals) => this.callFunction(call, p.layers, p.x), {
      x: this.input(call, x, batch),
      layers,
    });
    const g = pullback(new Tensor(new NDArray(outBar.slice(0, batch * nOut), [batch, nOut])));
    xBar.set(g.x.data);
    const acc = this.grads[this.model.calls[call].net];
    g.layers.forEach((l, i) => {
      addInto(acc[2 * i], l.w.data);
      addInto(acc[2 * i + 1], l.b.data);
    });
  }

  jacobian(call: number, x: Float64Array, batch: number, jac: Float64Array): void {
    const gradKernel = this.gradKernels[call];
    if (gradKernel !== null) {
      gradKernel.hessian(this.flatOfCall[call], x, batch, jac);
      return;
    }
    const layers = this.layersOfCall[call];
    const nIn = this.model.calls[call].inputs.length;
    const nOut = callOutputCount(this.model, this.model.calls[call]);
    const [, pullback] = vjp((xi: Tensor) => this.callFunction(call, layers, xi), this.input(call, x, batch));
    for (let o = 0; o < nOut; o++) {
      const e = new Float64Array(batch * nOut);
      for (let b = 0; b < batch; b++) e[b * nOut + o] = 1;
      const rows = pullback(new Tensor(new NDArray(e, [batch, nOut]))).data;
      for (let b = 0; b < batch; b++)
        for (let i = 0; i < nIn; i++) jac[(b * nOut + o) * nIn + i] = rows[b * nIn + i];
    }
  }

  /** The accumulated weight gradients, shaped like the weights. */
  gradients(): NetWeights {
    this.flushKernels();
    const out: Record<string, DenseLayer[]> = {};
    this.model.nets.forEach((n, k) => {
      out[n.name] = this.currentWeights[n.name].map((l, i) => ({
        w: new Tensor(new NDArray(this.grads[k][2 * i].slice(), l.w.shape)),
        b: new Tensor(new NDArray(this.grads[k][2 * i + 1].slice(), l.b.shape)),
      }));
    });
    return out;
  }

  private flushKernels(): void {
    for (const k of this.kernels) k?.flush();
  }

  /** Sets the accumulated weight gradients to zero. */
  zeroGradients(): void {
    this.flushKernels();
    for (const g of this.grads) for (const a of g) a.fill(0);
  }
}

/** Throws unless `weights` has layers of the right shapes for every network of `model`. */
function checkWeights(model: Model, weights: NetWeights): void {
  for (const net of model.nets) {
    const layers = weights[net.name];
    if (layers === undefined) throw new RangeError(`TensorNetRuntime: no weights for network "${net.name}"`);
    const widths = [net.inputs.length, ...net.architecture.hidden, net.outputs.length];
    if (layers.length !== widths.length - 1) {
      throw new RangeError(
        `TensorNetRuntime: network "${net.name}" needs ${widths.length - 1} layers, got ${layers.length}`,
      );
    }
    layers.forEach((l, i) => {
      if (l.w.shape[0] !== widths[i + 1] || l.w.shape[1] !== widths[i] || l.b.shape[0] !== widths[i + 1]) {
        throw new RangeError(
          `TensorNetRuntime: layer ${i} of "${net.name}" must have w [${widths[i + 1]}, ${widths[i]}] and b [${widths[i + 1]}]`,
        );
      }
    });
  }
}

function flatLayers(layers: readonly DenseLayer[]): KernelLayer[] {
  return layers.map((l) => ({ w: l.w.data, b: l.b.data }));
}

function addInto(acc: Float64Array, v: Float64Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] += v[i];
}
