/**
 * The direct input-gradient kernel (gradient calls `grad(F.a, x)`) against the autodiff tape:
 * ∇ₓF_a, its VJP (Hessian–vector product and weight gradients, second-order autodiff) and the
 * Hessian, for every activation the kernel implements; and against central differences.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autodiff/tensor.js';
import { vjp } from '../../src/autodiff/transforms.js';
import { MlpGradientKernel } from '../../src/hybrid/mlpGradKernel.js';
import type { KernelActivation } from '../../src/hybrid/mlpKernel.js';
import { type DenseLayer, initMlp, mlpInputGradient } from '../../src/hybrid/netRuntime.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { rngKey, uniform } from '../../src/tensor/random.js';
import { maxRelErr, richardsonVec } from '../support/fd.js';

function setup(widths: number[], activation: KernelActivation, batch: number, seed: number) {
  const arch = { kind: 'mlp' as const, hidden: widths.slice(1, -1), activation };
  // Random biases too (initMlp zeros them), so that every bias gradient is exercised.
  const layers: DenseLayer[] = initMlp(rngKey(seed), widths[0], widths.at(-1)!, arch).map((l, i) => ({
    w: l.w,
    b: new Tensor(uniform(rngKey(seed + 10 + i), [l.b.size], -0.5, 0.5)),
  }));
  const flat = layers.map((l) => ({ w: l.w.data, b: l.b.data }));
  const x = uniform(rngKey(seed + 1), [batch * widths[0]], -1.5, 1.5).data;
  const gBar = uniform(rngKey(seed + 2), [batch * widths[0]], -1, 1).data;
  return { arch, layers, flat, x, gBar };
}

function compare(
  widths: number[],
  activation: KernelActivation,
  batch: number,
  output: number,
  seed: number,
) {
  const n = widths[0];
  const { arch, layers, flat, x, gBar } = setup(widths, activation, batch, seed);
  const k = new MlpGradientKernel(widths, activation, output);
  const xT = new Tensor(new NDArray(x.slice(), [batch, n]));
  // ∇ₓF_a
  const g = new Float64Array(batch * n);
  k.forward(flat, x, batch, g);
  expect(maxRelErr(g, mlpInputGradient(layers, arch, xT, output).data, 1e-12)).toBeLessThan(1e-12);
  // VJP: Hessian–vector product and weight gradients
  type P = { x: Tensor; layers: readonly DenseLayer[] };
  const [, pullback] = vjp((p: P) => mlpInputGradient(p.layers, arch, p.x, output), { x: xT, layers });
  const want = pullback(new Tensor(new NDArray(gBar.slice(), [batch, n])));
  const grads = flat.flatMap((l) => [new Float64Array(l.w.length), new Float64Array(l.b.length)]);
  const xBar = new Float64Array(batch * n);
  k.backward(flat, x, batch, gBar, xBar, grads);
  expect(maxRelErr(xBar, want.x.data, 1e-12)).toBeLessThan(1e-11);
  want.layers.forEach((l, i) => {
    expect(maxRelErr(grads[2 * i], l.w.data, 1e-12)).toBeLessThan(1e-11);
    expect(maxRelErr(grads[2 * i + 1], l.b.data, 1e-12)).toBeLessThan(1e-11);
  });
  // Hessian: row i is the VJP with the unit cotangent e_i
  const hess = new Float64Array(batch * n * n);
  k.hessian(flat, x, batch, hess);
  const [, pullX] = vjp((xi: Tensor) => mlpInputGradient(layers, arch, xi, output), xT);
  for (let i = 0; i < n; i++) {
    const e = new Float64Array(batch * n);
    for (let r = 0; r < batch; r++) e[r * n + i] = 1;
    const row = pullX(new Tensor(new NDArray(e, [batch, n]))).data;
    for (let r = 0; r < batch; r++)
      for (let j = 0; j < n; j++) {
        const a = hess[(r * n + i) * n + j];
        const b = row[r * n + j];
        expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-11 * Math.max(1, Math.abs(b)));
      }
  }
  // A fresh kernel on another input, then back: the stored pass does not leak.
  const x2 = x.map((v) => 0.5 * v);
  const g2 = new Float64Array(batch * n);
  k.forward(flat, x2, batch, g2);
  const fresh = new Float64Array(batch * n);
  new MlpGradientKernel(widths, activation, output).forward(flat, x2, batch, fresh);
  expect(Array.from(g2)).toEqual(Array.from(fresh));
}

describe('MlpGradientKernel', () => {
  it('agrees with second-order autodiff in ∇ₓF, the Hessian–vector product, weight gradients and the Hessian (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 2, maxLength: 5 }),
        fc.constantFrom<KernelActivation>('tanh', 'sigmoid', 'relu', 'rbf', 'identity'),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.nat(),
        (widths, act, batch, seed, out) => compare(widths, act, batch, out % widths.at(-1)!, seed),
      ),
      { numRuns: 80 },
    );
  });

  it('gives ∇ₓF and the Hessian–vector product equal to central differences', () => {
    for (const act of ['tanh', 'sigmoid', 'rbf'] as const) {
      const widths = [3, 8, 6, 2];
      const batch = 4;
      const { flat, x, gBar } = setup(widths, act, batch, 5);
      const k = new MlpGradientKernel(widths, act, 1);
      const fOut = new MlpGradientKernel([3, 8, 6, 2], act, 1);
      // F_1 itself, by the forward pass of a plain MLP: finite differences of it give ∇ₓF_1.
      const value = (xs: Float64Array): Float64Array => {
        const out = new Float64Array(batch);
        for (let r = 0; r < batch; r++) {
          let h = Array.from(xs.subarray(r * 3, r * 3 + 3));
          flat.forEach((l, li) => {
            const nOut = l.b.length;
            const next = Array.from({ length: nOut }, (_, o) => {
              let s = l.b[o];
              for (let i = 0; i < h.length; i++) s += l.w[o * h.length + i] * h[i];
              if (li === flat.length - 1) return s;
              if (act === 'tanh') return Math.tanh(s);
              if (act === 'sigmoid') return 1 / (1 + Math.exp(-s));
              return Math.exp(-s * s);
            });
            h = next;
          });
          out[r] = h[1];
        }
        return out;
      };
      const g = new Float64Array(batch * 3);
      k.forward(flat, x, batch, g);
      for (let i = 0; i < 3; i++) {
        const fd = richardsonVec((s) => value(x.map((v, j) => (j % 3 === i ? v + s : v))));
        for (let r = 0; r < batch; r++) expect(Math.abs(g[r * 3 + i] - fd[r])).toBeLessThan(1e-9);
      }
      // (∇²F)·gBar per row = d/ds ∇F(x + s·gBar)
      const xBar = new Float64Array(batch * 3);
      k.backward(flat, x, batch, gBar, xBar, null);
      const fd = richardsonVec((s) => {
        const out = new Float64Array(batch * 3);
        fOut.forward(
          flat,
          x.map((v, j) => v + s * gBar[j]),
          batch,
          out,
        );
        return out;
      });
      expect(maxRelErr(xBar, fd, 1e-8)).toBeLessThan(1e-8);
    }
  });

  it('rejects an output index outside the network', () => {
    expect(() => new MlpGradientKernel([2, 4, 1], 'tanh', 1)).toThrow(
      /output must be an integer in \[0, 1\)/,
    );
  });
});
