/**
 * Agreement with PyTorch 1.13 in float64: outputs and the gradients of a fixed scalar loss
 * with respect to inputs and parameters, from the fixtures written by
 * test/fixtures/nn/generate.py (CI has no torch; the fixtures are committed). Tolerance: the
 * largest error over an array at most 1e-12 of the array's largest magnitude.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { add, mul } from '../../src/autodiff/ops/binary.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { Tensor } from '../../src/autodiff/tensor.js';
import { valueAndGrad } from '../../src/autodiff/transforms.js';
import type { Tree } from '../../src/autodiff/tree.js';
import { conv1dLayer, conv2dLayer } from '../../src/nn/conv.js';
import { gru } from '../../src/nn/gru.js';
import { linearLayer } from '../../src/nn/linear.js';
import { lstm } from '../../src/nn/lstm.js';
import { mlp } from '../../src/nn/mlp.js';
import {
  type BatchNormState,
  batchNorm1d,
  batchNorm2d,
  layerNorm,
  type NormParams,
} from '../../src/nn/norm.js';
import { loadStateDict, stateDict } from '../../src/nn/stateDict.js';
import { type JsonStateDict, stateDictFromJson } from '../../src/nn/stateDictJson.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { rngKey } from '../../src/tensor/random.js';

interface JsonArray {
  shape: number[];
  data: number[];
}

interface Case {
  name: string;
  config: Record<string, unknown>;
  state_dict: JsonStateDict;
  inputs: Record<string, JsonArray>;
  outputs: Record<string, JsonArray>;
  cotangents: Record<string, JsonArray>;
  loss: number;
  grads: Record<string, JsonArray>;
  state_after?: JsonStateDict;
}

function load(file: string): Case[] {
  const url = new URL(`../fixtures/nn/${file}`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: Case[] }).cases;
}

const toTensor = (a: JsonArray): Tensor => new Tensor(new NDArray(Float64Array.from(a.data), a.shape));

/** max |a − e| / max |e| over the array. */
function relError(actual: Float64Array, expected: Float64Array): number {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    err = Math.max(err, Math.abs(actual[i] - expected[i]));
  }
  return err / Math.max(scale, 1e-300);
}

function expectClose(
  actual: Tensor | NDArray,
  expected: JsonArray,
  what: string,
  select?: Float64Array,
): void {
  const a = actual instanceof Tensor ? actual.value : actual;
  expect(a.shape, what).toEqual(expected.shape);
  let av = a.data;
  let ev = Float64Array.from(expected.data);
  if (select !== undefined) {
    av = av.filter((_, i) => select[i] === 1);
    ev = ev.filter((_, i) => select[i] === 1);
  }
  expect(relError(av, ev), what).toBeLessThanOrEqual(1e-12);
}

type Run = (params: Tree, inputs: Record<string, Tensor>) => Record<string, Tensor>;

/**
 * Checks outputs, the loss Σ⟨R_k, out_k⟩ (weighted by `weights` where given) and its gradients
 * against the case. `strict: false` ignores state dict entries that are not parameters.
 */
function check(c: Case, template: Tree, run: Run, weights: Record<string, Tensor> = {}, strict = true): void {
  const params = loadStateDict(template, stateDictFromJson(c.state_dict), { strict });
  const inputs: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(c.inputs)) inputs[k] = toTensor(v);
  const differentiable = Object.keys(c.grads).filter((k) => k in inputs);
  const loss = (tree: { params: Tree; inputs: Record<string, Tensor> }): Tensor => {
    const outs = run(tree.params, { ...inputs, ...tree.inputs });
    let total: Tensor = new Tensor(NDArray.scalar(0));
    for (const [k, r] of Object.entries(c.cotangents)) {
      const w = weights[k] === undefined ? toTensor(r) : mul(toTensor(r), weights[k]);
      total = add(total, sum(mul(outs[k], w)));
    }
    return total;
  };
  const diffInputs = Object.fromEntries(differentiable.map((k) => [k, inputs[k]]));
  const [value, g] = valueAndGrad(loss)({ params, inputs: diffInputs });
  const outs = run(params, inputs);
  for (const [k, e] of Object.entries(c.outputs)) {
    const select = k === 'output' && weights.output !== undefined ? weights.output.data : undefined;
    expectClose(outs[k], e, `${c.name}: output ${k}`, select);
  }
  expect(Math.abs(value.item() - c.loss)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(c.loss)));
  const gradDict = stateDict(g.params);
  for (const [k, e] of Object.entries(c.grads)) {
    const actual = k in diffInputs ? g.inputs[k] : gradDict[k];
    expect(actual, `${c.name}: gradient of ${k}`).toBeDefined();
    expectClose(actual, e, `${c.name}: gradient of ${k}`);
  }
}

describe('agreement with PyTorch', () => {
  it('Linear', () => {
    for (const c of load('linear.json')) {
      const layer = linearLayer(c.config as { inFeatures: number; outFeatures: number; bias?: boolean });
      check(c, layer.init(rngKey(0)), (p, { x }) => ({ y: layer.apply(p as never, x) }));
    }
  });

  it('MLP (as nn.Sequential) with every activation', () => {
    const cases = load('mlp.json');
    expect(cases.length).toBe(9);
    for (const c of cases) {
      const net = mlp(c.config as never);
      check(c, net.init(rngKey(0)), (p, { x }) => ({ y: net.apply(p as never, x) }));
    }
  });

  for (const kind of ['lstm', 'gru'] as const) {
    it(`${kind.toUpperCase()}: one and two layers, initial states, no bias, variable lengths by masking`, () => {
      const cases = load(`${kind}.json`);
      expect(cases.length).toBe(4);
      for (const c of cases) {
        const module = (kind === 'lstm' ? lstm : gru)(c.config as never);
        const masked = 'mask' in c.inputs;
        // PyTorch's packed sequences give zero outputs at padded steps; greybox repeats the
        // carried state there, so outputs are compared (and weighted in the loss) where observed.
        const weights: Record<string, Tensor> = {};
        if (masked) {
          const m = toTensor(c.inputs.mask);
          const [b, t] = m.shape;
          const h = module.hiddenSize;
          const w = new Float64Array(b * t * h);
          for (let i = 0; i < w.length; i++) w[i] = m.data[Math.floor(i / h)];
          weights.output = new Tensor(new NDArray(w, [b, t, h]));
        }
        check(
          c,
          module.init(rngKey(0)),
          (p, inp) => {
            const r = module.apply(p as never, inp.x, {
              mask: inp.mask,
              initialHidden: inp.h0,
              ...(kind === 'lstm' && inp.c0 !== undefined ? { initialCell: inp.c0 } : {}),
            });
            return { ...r };
          },
          weights,
        );
      }
    });
  }

  it('Conv1d and Conv2d: stride, padding (zeros, same, circular, replicate), dilation, groups', () => {
    const cases = load('conv.json');
    expect(cases.length).toBe(7);
    for (const c of cases) {
      const layer = c.name.startsWith('conv1d')
        ? conv1dLayer(c.config as never)
        : conv2dLayer(c.config as never);
      check(c, layer.init(rngKey(0)), (p, { x }) => ({ y: layer.apply(p as never, x) }));
    }
  });

  it('BatchNorm1d/2d in training (batch statistics, running statistics updated) and evaluation mode', () => {
    const cases = load('batchnorm.json');
    expect(cases.length).toBe(7);
    for (const c of cases) {
      const { training, ...options } = c.config as { training: boolean; numFeatures: number };
      const bn = c.name.startsWith('bn1d') ? batchNorm1d(options) : batchNorm2d(options);
      // PyTorch's state dict holds parameters and buffers together.
      const loaded = loadStateDict(bn.initState(), stateDictFromJson(c.state_dict), { strict: false });
      let after: BatchNormState | null = null;
      check(
        c,
        bn.init(rngKey(0)),
        (p, { x }) => {
          const r = bn.apply(p as NormParams, loaded, x, { training });
          after = r.state;
          return { y: r.output };
        },
        {},
        false,
      );
      const expected = stateDictFromJson(c.state_after!);
      const got = stateDict(after!);
      for (const [k, e] of Object.entries(expected)) {
        expect(got[k].shape, `${c.name}: ${k}`).toEqual(e.shape);
        expect(relError(got[k].data, e.data), `${c.name}: ${k}`).toBeLessThanOrEqual(1e-12);
      }
      if (!training) expect(after).toBe(loaded);
    }
  });

  it('LayerNorm over one and two trailing axes, with and without the affine map', () => {
    const cases = load('layernorm.json');
    expect(cases.length).toBe(3);
    for (const c of cases) {
      const ln = layerNorm(c.config as never);
      check(c, ln.init(rngKey(0)), (p, { x }) => ({ y: ln.apply(p as NormParams, x) }));
    }
  });
});
