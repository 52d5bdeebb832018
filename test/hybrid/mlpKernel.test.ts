import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autodiff/tensor.js';
import { vjp } from '../../src/autodiff/transforms.js';
import { type KernelActivation, MlpKernel } from '../../src/hybrid/mlpKernel.js';
import { applyMlp, type DenseLayer, initMlp } from '../../src/hybrid/netRuntime.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { rngKey, uniform } from '../../src/tensor/random.js';
import { maxRelErr } from '../support/fd.js';

function compare(widths: number[], activation: KernelActivation, batch: number, seed: number) {
  const arch = { kind: 'mlp' as const, hidden: widths.slice(1, -1), activation };
  const layers: DenseLayer[] = initMlp(rngKey(seed), widths[0], widths.at(-1)!, arch);
  const flat = layers.map((l) => ({ w: l.w.data, b: l.b.data }));
  const x = uniform(rngKey(seed + 1), [batch * widths[0]], -2, 2).data;
  const outBar = uniform(rngKey(seed + 2), [batch * widths.at(-1)!], -1, 1).data;
  const k = new MlpKernel(widths, activation);
  const out = new Float64Array(batch * widths.at(-1)!);
  k.forward(flat, x, batch, out);
  type P = { x: Tensor; layers: readonly DenseLayer[] };
  const [y, pullback] = vjp((p: P) => applyMlp(p.layers, arch, p.x), {
    x: new Tensor(new NDArray(x.slice(), [batch, widths[0]])),
    layers,
  });
  expect(maxRelErr(out, y.data, 1e-12)).toBeLessThan(1e-13);
  const g = pullback(new Tensor(new NDArray(outBar.slice(), [batch, widths.at(-1)!])));
  const grads = flat.flatMap((l) => [new Float64Array(l.w.length), new Float64Array(l.b.length)]);
  const xBar = new Float64Array(batch * widths[0]);
  k.backward(flat, x, batch, outBar, xBar, grads);
  k.flush();
  expect(maxRelErr(xBar, g.x.data, 1e-12)).toBeLessThan(1e-12);
  g.layers.forEach((l, i) => {
    expect(maxRelErr(grads[2 * i], l.w.data, 1e-12)).toBeLessThan(1e-12);
    expect(maxRelErr(grads[2 * i + 1], l.b.data, 1e-12)).toBeLessThan(1e-12);
  });
  // A different input (no stored forward pass for it) gives the same as a fresh kernel.
  const x2 = x.map((v) => v * 0.5);
  const xBar2 = new Float64Array(xBar.length);
  const fresh = new Float64Array(xBar.length);
  k.backward(
    flat,
    x2,
    batch,
    outBar,
    xBar2,
    grads.map((a) => new Float64Array(a.length)),
  );
  new MlpKernel(widths, activation).backward(
    flat,
    x2,
    batch,
    outBar,
    fresh,
    grads.map((a) => new Float64Array(a.length)),
  );
  expect(Array.from(xBar2)).toEqual(Array.from(fresh));
}

describe('MlpKernel', () => {
  it('agrees with the autodiff MLP in values and gradients (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 4 }),
        fc.constantFrom<KernelActivation>('tanh', 'sigmoid', 'relu', 'rbf', 'identity'),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 1000 }),
        (widths, act, batch, seed) => compare(widths, act, batch, seed),
      ),
      { numRuns: 60 },
    );
  });

  it('gives the same forward pass as a fresh kernel when the batch grows and the weights change', () => {
    const widths = [2, 9, 3];
    const arch = { kind: 'mlp' as const, hidden: [9], activation: 'tanh' as const };
    const weights = [1, 2].map((s) =>
      initMlp(rngKey(s), 2, 3, arch).map((l) => ({ w: l.w.data, b: l.b.data })),
    );
    const k = new MlpKernel(widths, 'tanh');
    for (const [flat, batch] of [
      [weights[0], 3],
      [weights[0], 40],
      [weights[1], 40],
      [weights[1], 2],
      [weights[0], 5],
    ] as const) {
      const x = uniform(rngKey(batch), [batch * 2], -2, 2).data;
      const got = new Float64Array(batch * 3);
      const want = new Float64Array(batch * 3);
      k.forward(flat, x, batch, got);
      new MlpKernel(widths, 'tanh').forward(flat, x, batch, want);
      expect(Array.from(got)).toEqual(Array.from(want));
    }
  });

  it('handles the benchmark size (2 → 64 → 64 → 2, batch 25)', () => {
    compare([2, 64, 64, 2], 'tanh', 25, 3);
  });

  it('sums queued weight gradients over many calls the same for any queue size (even smaller than one batch)', () => {
    const widths = [3, 8, 5, 2];
    const arch = { kind: 'mlp' as const, hidden: [8, 5], activation: 'tanh' as const };
    const flat = initMlp(rngKey(4), 3, 2, arch).map((l) => ({ w: l.w.data, b: l.b.data }));
    const batch = 6;
    const calls = Array.from({ length: 9 }, (_, c) => ({
      x: uniform(rngKey(10 + c), [batch * 3], -2, 2).data,
      outBar: uniform(rngKey(50 + c), [batch * 2], -1, 1).data,
    }));
    const run = (pendingBytes: number) => {
      const k = new MlpKernel(widths, 'tanh', { pendingBytes });
      const grads = flat.flatMap((l) => [new Float64Array(l.w.length), new Float64Array(l.b.length)]);
      const xBar = new Float64Array(batch * 3);
      for (const c of calls) k.backward(flat, c.x, batch, c.outBar, xBar, grads);
      k.flush();
      return grads;
    };
    const big = run(1 << 20);
    // 8 bytes: capacity one row, below the batch of 6; 200 rows·… bytes: flushes mid-way.
    for (const bytes of [8, 8 * 40 * 3, 8 * 40 * 13]) {
      run(bytes).forEach((g, i) => {
        expect(maxRelErr(g, big[i], 1e-12)).toBeLessThan(1e-13);
      });
    }
    // And each equals the sum of the single-call gradients.
    const sum = flat.flatMap((l) => [new Float64Array(l.w.length), new Float64Array(l.b.length)]);
    for (const c of calls) {
      const k = new MlpKernel(widths, 'tanh');
      const g = flat.flatMap((l) => [new Float64Array(l.w.length), new Float64Array(l.b.length)]);
      k.backward(flat, c.x, batch, c.outBar, new Float64Array(batch * 3), g);
      k.flush();
      g.forEach((a, i) => {
        for (let j = 0; j < a.length; j++) sum[i][j] += a[j];
      });
    }
    big.forEach((g, i) => {
      expect(maxRelErr(g, sum[i], 1e-12)).toBeLessThan(1e-12);
    });
  });
});
