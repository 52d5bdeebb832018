/**
 * Runs imported networks ({@link GraphNet}) inside compiled models: a {@link NetRuntime}
 * whose calls take the IR's flat input rows, assemble each network's input arguments, run
 * the network per trajectory on the autodiff and pick the outputs the model uses. The VJP
 * accumulates the gradient of every parameter array; the Jacobian is built from one VJP per
 * output.
 */
import { concat, gather, reshape } from '../autodiff/ops/layout.js';
import { Tensor } from '../autodiff/tensor.js';
import { vjp } from '../autodiff/transforms.js';
import type { NetRuntime } from '../expr/compile.js';
import { NDArray } from '../tensor/ndarray.js';
import type { GraphNet, NetParams } from './net.js';

/**
 * How a network meets the model: the sizes of its (vector) input arguments — the IR's inputs
 * are these arguments' entries, argument after argument — and, for each IR output, which
 * output argument and flat (row-major) position it reads.
 */
export interface NetBinding {
  readonly net: GraphNet;
  readonly argSizes: readonly number[];
  readonly outputs: readonly (readonly [number, number])[];
}

/** Gradient accumulators shaped like {@link NetParams}. */
export type NetGradients = Record<string, Record<string, Float64Array>>;

/**
 * The picked outputs of `binding.net` at flat input `x` (all arguments' entries) as one
 * vector tensor.
 *
 * @example
 * ```ts
 * const y = bindingForward(binding, params, tensor([0.5, 1.5]));
 * ```
 */
export function bindingForward(binding: NetBinding, params: NetParams, x: Tensor): Tensor {
  const args: Tensor[] = [];
  let off = 0;
  for (const n of binding.argSizes) {
    args.push(
      n === x.size && off === 0 && binding.argSizes.length === 1 ? x : gather(x, range(off, off + n)),
    );
    off += n;
  }
  return pickOutputs(binding, binding.net.apply(params, args));
}

/**
 * The entries of a network's outputs that a binding reads, as one vector tensor.
 *
 * @example
 * ```ts
 * pickOutputs(binding, net.apply(params, [x])).size; // binding.outputs.length
 * ```
 */
export function pickOutputs(binding: NetBinding, outs: readonly Tensor[]): Tensor {
  const picked = binding.outputs.map(([a, k]) => {
    const o = outs[a];
    if (o === undefined) throw new RangeError(`network ${binding.net.id} has no output argument ${a}`);
    if (k >= o.size)
      throw new RangeError(
        `network ${binding.net.id}: output ${a} has ${o.size} entries, the mapping reads entry ${k}`,
      );
    return gather(reshape(o, [o.size]), [k]);
  });
  return picked.length === 1 ? picked[0] : concat(picked, 0);
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/**
 * A {@link NetRuntime} for the dynamic networks of a PEtab problem (call k = binding k).
 *
 * @example
 * ```ts
 * const rt = new GraphNetRuntime([binding], [params]);
 * const compiled = compileModel(model, { nets: rt });
 * ```
 */
export class GraphNetRuntime implements NetRuntime {
  private params: NetParams[];
  private grads: NetGradients[];
  private v = 0;

  constructor(
    readonly bindings: readonly NetBinding[],
    params: readonly NetParams[],
  ) {
    this.params = params.slice();
    this.grads = params.map(zerosLike);
  }

  get version(): number {
    return this.v;
  }

  /** Replaces the parameters of every network (invalidates cached static calls). */
  setParams(params: readonly NetParams[]): void {
    this.params = params.slice();
    this.v++;
  }

  /** Sets every accumulated gradient to zero. */
  zeroGradients(): void {
    for (const g of this.grads)
      for (const layer of Object.values(g)) for (const a of Object.values(layer)) a.fill(0);
  }

  /** The accumulated gradients, per network (live buffers: copy to keep). */
  gradients(): readonly NetGradients[] {
    return this.grads;
  }

  forward(call: number, x: Float64Array, batch: number, out: Float64Array): void {
    const b = this.bindings[call];
    const nIn = sumOf(b.argSizes);
    const nOut = b.outputs.length;
    for (let r = 0; r < batch; r++) {
      const xi = new Tensor(new NDArray(x.slice(r * nIn, (r + 1) * nIn), [nIn]));
      const y = bindingForward(b, this.params[call], xi).data;
      out.set(y, r * nOut);
    }
  }

  backward(call: number, x: Float64Array, batch: number, outBar: Float64Array, xBar: Float64Array): void {
    const b = this.bindings[call];
    const nIn = sumOf(b.argSizes);
    const nOut = b.outputs.length;
    const acc = this.grads[call];
    for (let r = 0; r < batch; r++) {
      const ob = outBar.subarray(r * nOut, (r + 1) * nOut);
      if (ob.every((v) => v === 0)) {
        xBar.fill(0, r * nIn, (r + 1) * nIn);
        continue;
      }
      const xi = new Tensor(new NDArray(x.slice(r * nIn, (r + 1) * nIn), [nIn]));
      const [, back] = vjp((t: { x: Tensor; p: NetParams }) => bindingForward(b, t.p, t.x), {
        x: xi,
        p: this.params[call],
      });
      const g = back(new Tensor(new NDArray(Float64Array.from(ob), [nOut])));
      xBar.set(g.x.data, r * nIn);
      addInto(acc, g.p);
    }
  }

  jacobian(call: number, x: Float64Array, batch: number, jac: Float64Array): void {
    const b = this.bindings[call];
    const nIn = sumOf(b.argSizes);
    const nOut = b.outputs.length;
    for (let r = 0; r < batch; r++) {
      const xi = new Tensor(new NDArray(x.slice(r * nIn, (r + 1) * nIn), [nIn]));
      const [, back] = vjp((t: Tensor) => bindingForward(b, this.params[call], t), xi);
      for (let o = 0; o < nOut; o++) {
        const e = new Float64Array(nOut);
        e[o] = 1;
        const g = back(new Tensor(new NDArray(e, [nOut])));
        jac.set(g.data, (r * nOut + o) * nIn);
      }
    }
  }
}

const sumOf = (xs: readonly number[]) => xs.reduce((a, c) => a + c, 0);

/**
 * Zero accumulators with the shapes of `p`.
 *
 * @example
 * ```ts
 * zerosLike({ l: { weight: zeros([2, 3]) } }).l.weight.length; // 6
 * ```
 */
export function zerosLike(p: NetParams): NetGradients {
  const out: NetGradients = {};
  for (const [layer, arrays] of Object.entries(p)) {
    out[layer] = {};
    for (const [name, t] of Object.entries(arrays)) out[layer][name] = new Float64Array(t.size);
  }
  return out;
}

/**
 * acc += g, array by array (arrays missing from `acc` are skipped).
 *
 * @example
 * ```ts
 * const acc = zerosLike(params);
 * addInto(acc, gradTree);
 * ```
 */
export function addInto(acc: NetGradients, g: NetParams): void {
  for (const [layer, arrays] of Object.entries(g)) {
    for (const [name, t] of Object.entries(arrays)) {
      const a = acc[layer]?.[name];
      if (a === undefined) continue;
      const d = t.data;
      for (let i = 0; i < a.length; i++) a[i] += d[i];
    }
  }
}
