/**
 * State dicts: dotted names, loading with every name and shape checked, and the JSON and binary
 * encodings — exact round trips of every float64 (−0, NaN, ±Infinity, subnormals) checked
 * property-based with fast-check, and validation of damaged input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autodiff/tensor.js';
import { gru } from '../../src/nn/gru.js';
import { linearLayer } from '../../src/nn/linear.js';
import { lstm } from '../../src/nn/lstm.js';
import { mlp } from '../../src/nn/mlp.js';
import { batchNorm1d } from '../../src/nn/norm.js';
import { loadStateDict, StateDictError, setEntry, stateDict } from '../../src/nn/stateDict.js';
import {
  decodeStateDictBinary,
  encodeStateDictBinary,
  STATE_DICT_MAGIC,
} from '../../src/nn/stateDictBinary.js';
import {
  decodeJsonFloat,
  decodeStateDictJson,
  encodeJsonFloat,
  encodeStateDictJson,
  stateDictFromJson,
  stateDictToJson,
} from '../../src/nn/stateDictJson.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { normal, rngKey } from '../../src/tensor/random.js';

/** Same names in the same order, same shapes, and the same values by Object.is (−0 ≠ 0, NaN = NaN). */
function expectSameDict(a: Record<string, NDArray>, b: Record<string, NDArray>): void {
  expect(Object.keys(a)).toEqual(Object.keys(b));
  for (const k of Object.keys(a)) {
    expect(a[k].shape).toEqual(b[k].shape);
    expect(a[k].data.length).toBe(b[k].data.length);
    for (let i = 0; i < a[k].data.length; i++) {
      if (!Object.is(a[k].data[i], b[k].data[i])) {
        throw new Error(`${k}[${i}]: ${a[k].data[i]} became ${b[k].data[i]}`);
      }
    }
  }
}

const lone = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const nameArb = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }),
  fc.string({ unit: lone, minLength: 1, maxLength: 6 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', '0', '0.weight', 'a.b.c'),
);
const entryArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }).chain((shape) => {
  const size = shape.reduce((p, d) => p * d, 1);
  return fc.array(fc.double(), { minLength: size, maxLength: size }).map((data) => ({ shape, data }));
});
const dictArb = fc
  .uniqueArray(fc.tuple(nameArb, entryArb), { selector: ([name]) => name, maxLength: 6 })
  .map((entries) => {
    const dict: Record<string, NDArray> = {};
    for (const [name, { shape, data }] of entries)
      setEntry(dict, name, new NDArray(Float64Array.from(data), shape));
    return dict;
  });

const specials = (): Record<string, NDArray> => ({
  special: new NDArray(
    Float64Array.from([
      0,
      -0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.MIN_VALUE,
      -Number.MIN_VALUE,
      Number.MAX_VALUE,
      2.2250738585072014e-308,
      0.1,
      1 / 3,
      -1e-300,
    ]),
    [3, 4],
  ),
  scalar: NDArray.scalar(-0),
  empty: NDArray.zeros([2, 0]),
});

describe('JSON and binary encodings', () => {
  it('round-trip every float64 exactly (fast-check, with −0, NaN, ±Infinity and odd names)', () => {
    fc.assert(
      fc.property(dictArb, (dict) => {
        expectSameDict(decodeStateDictJson(encodeStateDictJson(dict)), dict);
        expectSameDict(decodeStateDictBinary(encodeStateDictBinary(dict)), dict);
        expectSameDict(stateDictFromJson(JSON.parse(JSON.stringify(stateDictToJson(dict)))), dict);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trip the special values and keep the binary payload bit for bit', () => {
    const dict = specials();
    expectSameDict(decodeStateDictJson(encodeStateDictJson(dict, 2)), dict);
    const bytes = encodeStateDictBinary(dict);
    const back = decodeStateDictBinary(bytes);
    expectSameDict(back, dict);
    expect(new Uint8Array(back.special.data.buffer)).toEqual(new Uint8Array(dict.special.data.buffer));
    // also from an unaligned copy inside a larger buffer, and from an ArrayBuffer
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    expectSameDict(decodeStateDictBinary(big.subarray(3)), dict);
    expectSameDict(decodeStateDictBinary(bytes.slice().buffer), dict);
  });

  it('writes the documented layout: magic, version 1, 8-aligned ASCII header, little-endian float64', () => {
    const bytes = encodeStateDictBinary({ 'é.w': new NDArray(Float64Array.from([1.5, -2]), [2]) });
    expect(Array.from(bytes.subarray(0, 8))).toEqual(STATE_DICT_MAGIC);
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(8, true)).toBe(1);
    const h = view.getUint32(12, true);
    expect(h % 8).toBe(0);
    const header = String.fromCharCode(...bytes.subarray(16, 16 + h));
    expect(header.trimEnd()).toBe('{"tensors":[{"name":"\\u00e9.w","shape":[2]}]}');
    expect(view.getFloat64(16 + h, true)).toBe(1.5);
    expect(view.getFloat64(24 + h, true)).toBe(-2);
    expect(bytes.length).toBe(16 + h + 16);
    const doc = stateDictToJson({
      w: new NDArray(Float64Array.from([1, -0, Number.NaN, -Infinity]), [2, 2]),
    });
    expect(doc).toEqual({
      format: 'greybox.stateDict',
      version: 1,
      tensors: [{ name: 'w', shape: [2, 2], data: [1, '-0', 'NaN', '-Infinity'] }],
    });
  });

  it('rejects damaged binary input with a StateDictError that says what is wrong', () => {
    const good = encodeStateDictBinary({
      a: new NDArray(Float64Array.from([1, 2, 3]), [3]),
      b: NDArray.zeros([2]),
    });
    const damaged =
      (edit: (b: Uint8Array) => Uint8Array): (() => unknown) =>
      () =>
        decodeStateDictBinary(edit(good.slice()));
    expect(damaged((b) => b.subarray(0, 10))).toThrow(/10 bytes is too short/);
    expect(
      damaged((b) => {
        b[1] = 0x48;
        return b;
      }),
    ).toThrow(/not a greybox binary state dict: byte 1 is 0x48/);
    expect(
      damaged((b) => {
        new DataView(b.buffer).setUint32(8, 2, true);
        return b;
      }),
    ).toThrow(/format version 2 is not supported/);
    expect(damaged((b) => b.subarray(0, b.length - 8))).toThrow(/payload ends inside "b"/);
    expect(
      damaged((b) => {
        const c = new Uint8Array(b.length + 8);
        c.set(b);
        return c;
      }),
    ).toThrow(/trailing bytes or a wrong header/);
    expect(
      damaged((b) => {
        new DataView(b.buffer).setUint32(12, 4096, true);
        return b;
      }),
    ).toThrow(/header length 4096/);
    expect(
      damaged((b) => {
        b[16] = 0x5b; // '[' instead of '{'
        return b;
      }),
    ).toThrow(/the header must be|not valid JSON/);
    expect(
      damaged((b) => {
        b[17] = 0xc3;
        return b;
      }),
    ).toThrow(/non-ASCII byte at offset 17/);
    const twice = new TextEncoder().encode('{"tensors":[{"name":"a","shape":[]},{"name":"a","shape":[]}]}');
    const dup = new Uint8Array(16 + 64 + 16);
    dup.set(STATE_DICT_MAGIC);
    new DataView(dup.buffer).setUint32(8, 1, true);
    new DataView(dup.buffer).setUint32(12, 64, true);
    dup.fill(0x20, 16, 80);
    dup.set(twice, 16);
    expect(() => decodeStateDictBinary(dup)).toThrow(/header entry 1 \("a"\): the name appears twice/);
    expect(() => decodeStateDictBinary(dup)).toThrow(StateDictError);
  });

  it('encodes single numbers the same way', () => {
    expect([0, -0, 1.5, Number.NaN, Infinity, -Infinity].map(encodeJsonFloat)).toEqual([
      0,
      '-0',
      1.5,
      'NaN',
      'Infinity',
      '-Infinity',
    ]);
    expect(Object.is(decodeJsonFloat('-0'), -0)).toBe(true);
    expect(decodeJsonFloat('nan')).toBeUndefined();
    expect(decodeJsonFloat(null)).toBeUndefined();
  });

  it('rejects damaged JSON input naming the entry', () => {
    const doc = (tensors: unknown, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ format: 'greybox.stateDict', version: 1, tensors, ...extra });
    expect(() => decodeStateDictJson('{')).toThrow(/not valid JSON/);
    expect(() => decodeStateDictJson(doc([], { format: 'pytorch' }))).toThrow(/format is "pytorch"/);
    expect(() => decodeStateDictJson(doc([], { version: 9 }))).toThrow(/version 9 is not supported/);
    expect(() => decodeStateDictJson(doc([{ name: 'w', shape: [2], data: [1] }]))).toThrow(
      /tensors\[0\] \("w"\): data must be an array of 2 numbers for shape \[2\], got 1/,
    );
    expect(() => decodeStateDictJson(doc([{ name: 'w', shape: [1], data: ['nan'] }]))).toThrow(
      /data\[0\] is "nan"; entries are JSON numbers or one of "NaN", "Infinity", "-Infinity", "-0"/,
    );
    expect(() => decodeStateDictJson(doc([{ name: 'w', shape: [-1], data: [] }]))).toThrow(
      /non-negative integers/,
    );
    expect(() =>
      decodeStateDictJson(
        doc([
          { name: 'w', shape: [], data: [1] },
          { name: 'w', shape: [], data: [1] },
        ]),
      ),
    ).toThrow(/the name appears twice/);
    expect(() => decodeStateDictJson(doc([{ name: '', shape: [], data: [1] }]))).toThrow(
      /name must be a non-empty string/,
    );
  });
});

describe('stateDict and loadStateDict', () => {
  it('names an MLP as nn.Sequential, recurrent nets and nested trees by dotted paths', () => {
    const net = mlp({ sizes: [2, 8, 8, 1], outputActivation: 'sigmoid' });
    expect(Object.keys(stateDict(net.init(rngKey(0))))).toEqual([
      '0.weight',
      '0.bias',
      '2.weight',
      '2.bias',
      '4.weight',
      '4.bias',
    ]);
    const model = {
      encoder: lstm({ inputSize: 3, hiddenSize: 4 }).init(rngKey(1)),
      heads: [linearLayer({ inFeatures: 4, outFeatures: 2, bias: false }).init(rngKey(2))],
    };
    expect(Object.keys(stateDict(model))).toEqual([
      'encoder.weight_ih_l0',
      'encoder.weight_hh_l0',
      'encoder.bias_ih_l0',
      'encoder.bias_hh_l0',
      'heads.0.weight',
    ]);
    expect(() => stateDict({ 'a.b': new Tensor(NDArray.zeros([1])) })).toThrow(
      /key "a.b" .* rename it without dots/,
    );
  });

  it('loads back into the template’s structure, copying the values', () => {
    const enc = gru({ inputSize: 2, hiddenSize: 3, numLayers: 2 });
    const p = enc.init(rngKey(3));
    const dict = stateDict(p);
    const q = loadStateDict(enc.init(rngKey(4)), dict);
    expect(Object.keys(q)).toEqual(Object.keys(p));
    for (const k of Object.keys(p)) {
      expect(Array.from(q[k].data)).toEqual(Array.from(p[k].data));
      expect(q[k].data).not.toBe(p[k].data);
    }
    const nested = { layers: [{ w: new Tensor(NDArray.zeros([2])) }], s: new Tensor(NDArray.scalar(0)) };
    const loaded = loadStateDict(nested, {
      'layers.0.w': new NDArray(Float64Array.from([1, 2]), [2]),
      s: NDArray.scalar(5),
    });
    expect(Array.isArray(loaded.layers)).toBe(true);
    expect(Array.from(loaded.layers[0].w.data)).toEqual([1, 2]);
    expect(loaded.s.item()).toBe(5);
  });

  it('reports every missing name, unexpected name (with a suggestion) and shape mismatch at once', () => {
    const template = mlp({ sizes: [3, 4, 2] }).init(rngKey(0));
    const dict = { ...stateDict(template) };
    delete dict['2.bias'];
    dict['2.bais'] = NDArray.zeros([2]);
    dict['0.weight'] = NDArray.zeros([3, 4]);
    let error: unknown;
    try {
      loadStateDict(template, dict);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDictError);
    const problems = (error as StateDictError).problems;
    expect(problems).toEqual([
      'missing "2.bias"',
      'unexpected "2.bais" (did you mean "2.bias"?)',
      'shape mismatch: "0.weight" has shape [3, 4] but the template needs [4, 3]',
    ]);
    delete dict['2.bais'];
    dict['0.weight'] = NDArray.zeros([4, 3]);
    dict['2.bias'] = NDArray.zeros([2]);
    dict.extra = NDArray.zeros([1]);
    expect(() => loadStateDict(template, dict)).toThrow(/unexpected "extra"/);
    expect(() => loadStateDict(template, dict, { strict: false })).not.toThrow();
  });

  it('saves and reloads a model to identical predictions (JSON and binary)', () => {
    const net = mlp({ sizes: [2, 16, 16, 1], activation: 'gelu' });
    const p = net.init(rngKey(8));
    const x = new Tensor(normal(rngKey(9), [10, 2]));
    const y = net.apply(p, x).data;
    const fromJson = loadStateDict(
      net.init(rngKey(0)),
      decodeStateDictJson(encodeStateDictJson(stateDict(p))),
    );
    const fromBinary = loadStateDict(
      net.init(rngKey(0)),
      decodeStateDictBinary(encodeStateDictBinary(stateDict(p))),
    );
    expect(Array.from(net.apply(fromJson, x).data)).toEqual(Array.from(y));
    expect(Array.from(net.apply(fromBinary, x).data)).toEqual(Array.from(y));
    // batch normalization: parameters and running statistics together, as in PyTorch
    const bn = batchNorm1d({ numFeatures: 2 });
    const r = bn.apply(bn.init(rngKey(1)), bn.initState(), new Tensor(normal(rngKey(2), [8, 2])), {
      training: true,
    });
    const saved = encodeStateDictBinary(stateDict({ ...bn.init(rngKey(1)), ...r.state }));
    expect(Object.keys(decodeStateDictBinary(saved))).toEqual([
      'weight',
      'bias',
      'running_mean',
      'running_var',
      'num_batches_tracked',
    ]);
  });
});
