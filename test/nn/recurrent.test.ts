/**
 * Masking semantics of the recurrent encoders: masked steps are no-ops, a masked tail ends in
 * the truncated history's state, inputs at masked steps get no gradient; plus shapes and the
 * errors of bad masks and states.
 */
import { describe, expect, it } from 'vitest';
import { sliceRaw } from '../../src/autodiff/ops/layout.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { square } from '../../src/autodiff/ops/unary.js';
import { Tensor } from '../../src/autodiff/tensor.js';
import { grad } from '../../src/autodiff/transforms.js';
import { gru } from '../../src/nn/gru.js';
import { lstm } from '../../src/nn/lstm.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { normal, rngKey } from '../../src/tensor/random.js';
import { maxRelErr } from '../support/fd.js';

const B = 3;
const T = 7;
const I = 2;
const H = 5;

const x = new Tensor(normal(rngKey(10), [B, T, I]));
const maskOf = (rows: number[][]): NDArray =>
  new NDArray(Float64Array.from(rows.flat()), [rows.length, rows[0].length]);

/** Row b of x keeping only the listed time steps, as a [1, steps, I] tensor. */
function rowSteps(b: number, steps: number[]): Tensor {
  const out = new Float64Array(steps.length * I);
  steps.forEach((t, k) => {
    for (let i = 0; i < I; i++) out[k * I + i] = x.data[(b * T + t) * I + i];
  });
  return new Tensor(new NDArray(out, [1, steps.length, I]));
}

const encoders = [
  { name: 'LSTM', make: () => lstm({ inputSize: I, hiddenSize: H, numLayers: 2 }) },
  { name: 'GRU', make: () => gru({ inputSize: I, hiddenSize: H, numLayers: 2 }) },
] as const;

for (const { name, make } of encoders) {
  describe(`${name} masking`, () => {
    const enc = make();
    const params = enc.init(rngKey(1));
    const run = (input: Tensor, mask?: NDArray) =>
      (
        enc.apply as (
          p: typeof params,
          x: Tensor,
          o?: { mask?: NDArray },
        ) => {
          output: Tensor;
          hidden: Tensor;
          last: Tensor;
          cell?: Tensor;
        }
      )(params, input, mask === undefined ? {} : { mask });

    it('a fully masked tail gives exactly the truncated history’s final states', () => {
      const lengths = [7, 4, 1];
      const mask = maskOf(lengths.map((n) => Array.from({ length: T }, (_, t) => (t < n ? 1 : 0))));
      const full = run(x, mask);
      lengths.forEach((n, b) => {
        const alone = run(
          rowSteps(
            b,
            Array.from({ length: n }, (_, t) => t),
          ),
        );
        for (const key of ['hidden', 'cell'] as const) {
          const a = full[key];
          const e = alone[key];
          if (a === undefined || e === undefined) continue;
          const got = sliceRaw(a, [0, b, 0], [2, b + 1, H], [1, 1, 1]).data;
          expect(maxRelErr(got, e.data)).toBeLessThanOrEqual(1e-14);
        }
      });
    });

    it('masked steps inside a history are skipped; the output repeats the carried state there', () => {
      const rows = [
        [1, 0, 1, 1, 0, 0, 1],
        [0, 1, 1, 0, 1, 1, 1],
        [1, 1, 1, 1, 1, 1, 0],
      ];
      const full = run(x, maskOf(rows));
      rows.forEach((row, b) => {
        const observed = row.flatMap((m, t) => (m === 1 ? [t] : []));
        const alone = run(rowSteps(b, observed));
        const got = sliceRaw(full.last, [b, 0], [b + 1, H], [1, 1]).data;
        expect(maxRelErr(got, alone.last.data)).toBeLessThanOrEqual(1e-14);
        // output at step t = the top layer's state after the last observed step ≤ t (zeros before any)
        let k = -1;
        row.forEach((m, t) => {
          if (m === 1) k++;
          const out = sliceRaw(full.output, [b, t, 0], [b + 1, t + 1, H], [1, 1, 1]).data;
          const expected =
            k < 0 ? new Float64Array(H) : sliceRaw(alone.output, [0, k, 0], [1, k + 1, H], [1, 1, 1]).data;
          expect(maxRelErr(out, expected)).toBeLessThanOrEqual(1e-14);
        });
      });
    });

    it('inputs at masked steps get exactly zero gradient', () => {
      const rows = [
        [1, 0, 1, 1, 0, 0, 1],
        [0, 1, 1, 0, 1, 1, 1],
        [1, 1, 1, 0, 0, 0, 0],
      ];
      const mask = maskOf(rows);
      const g = grad((xx: Tensor) => sum(square(run(xx, mask).output)))(x);
      rows.forEach((row, b) => {
        row.forEach((m, t) => {
          const gs = Array.from({ length: I }, (_, i) => g.data[(b * T + t) * I + i]);
          if (m === 0) expect(gs).toEqual(gs.map(() => 0));
          else expect(gs.some((v) => v !== 0)).toBe(true);
        });
      });
    });

    it('an all-ones mask changes nothing; a row never observed keeps its initial (zero) state', () => {
      const plain = run(x);
      const ones = run(x, new NDArray(new Float64Array(B * T).fill(1), [B, T]));
      expect(ones.hidden.data).toEqual(plain.hidden.data);
      const rows = [Array(T).fill(0), Array(T).fill(1), Array(T).fill(1)];
      const r = run(x, maskOf(rows));
      expect(Array.from(sliceRaw(r.hidden, [0, 0, 0], [2, 1, H], [1, 1, 1]).data)).toEqual(
        Array(2 * H).fill(0),
      );
    });

    it('shapes: output [batch, time, hidden], hidden [layers, batch, hidden], last [batch, hidden]', () => {
      const r = run(x);
      expect(r.output.shape).toEqual([B, T, H]);
      expect(r.hidden.shape).toEqual([2, B, H]);
      expect(r.last.shape).toEqual([B, H]);
      expect(Array.from(r.last.data)).toEqual(
        Array.from(sliceRaw(r.output, [0, T - 1, 0], [B, T, H], [1, 1, 1]).data),
      );
      const empty = run(new Tensor(NDArray.zeros([B, 0, I])));
      expect(empty.output.shape).toEqual([B, 0, H]);
      expect(Array.from(empty.hidden.data)).toEqual(Array(2 * B * H).fill(0));
    });

    it('rejects bad masks, inputs and states with messages that say what to pass', () => {
      expect(() => run(x, maskOf([[1, 0.5, 1, 1, 1, 1, 1], Array(T).fill(1), Array(T).fill(1)]))).toThrow(
        /mask entries must be 0 \(skip the step\) or 1 \(observed\); mask\[0\]\[1\] = 0.5/,
      );
      expect(() => run(x, new NDArray(new Float64Array(T), [1, T]))).toThrow(
        /mask must have shape \[batch, time\] = \[3, 7\]/,
      );
      expect(() => run(new Tensor(NDArray.zeros([B, T, I + 1])))).toThrow(
        /input must be a Tensor of shape \[batch, time, 2\]/,
      );
      expect(() =>
        (enc.apply as (p: unknown, x: Tensor, o: unknown) => unknown)(params, x, {
          initialHidden: new Tensor(NDArray.zeros([1, B, H])),
        }),
      ).toThrow(/initialHidden must be a Tensor of shape \[numLayers, batch, hidden\] = \[2, 3, 5\]/);
      expect(() =>
        (enc.apply as (p: unknown, x: Tensor, o: unknown) => unknown)(params, x, { masks: null }),
      ).toThrow(/unknown option "masks"/);
      const { weight_hh_l1: _dropped, ...missing } = params;
      expect(() => (enc.apply as (p: unknown, x: Tensor) => unknown)(missing, x)).toThrow(
        /parameter "weight_hh_l1" is missing/,
      );
    });
  });
}

describe('recurrent parameters', () => {
  it('are named and shaped as PyTorch’s, drawn from U(±1/√H) by default', () => {
    const enc = lstm({ inputSize: 3, hiddenSize: 16, numLayers: 2 });
    const p = enc.init(rngKey(0));
    expect(Object.keys(p)).toEqual([
      'weight_ih_l0',
      'weight_hh_l0',
      'bias_ih_l0',
      'bias_hh_l0',
      'weight_ih_l1',
      'weight_hh_l1',
      'bias_ih_l1',
      'bias_hh_l1',
    ]);
    expect(p.weight_ih_l0.shape).toEqual([64, 3]);
    expect(p.weight_hh_l1.shape).toEqual([64, 16]);
    expect(p.weight_ih_l1.shape).toEqual([64, 16]);
    for (const t of Object.values(p)) for (const v of t.data) expect(Math.abs(v)).toBeLessThan(0.25);
    const g = gru({ inputSize: 3, hiddenSize: 4, bias: false }).init(rngKey(0));
    expect(Object.keys(g)).toEqual(['weight_ih_l0', 'weight_hh_l0']);
    expect(g.weight_ih_l0.shape).toEqual([12, 3]);
  });

  it('rejects unknown options and bad sizes', () => {
    expect(() => lstm({ inputSize: 3, hiddenSize: 4, batchFirst: true } as never)).toThrow(
      /unknown option "batchFirst"/,
    );
    expect(() => gru({ inputSize: 3, hiddenSize: 0 })).toThrow(/hiddenSize must be an integer ≥ 1, got 0/);
  });
});
