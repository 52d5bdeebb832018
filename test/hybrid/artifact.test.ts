import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseModel } from '../../src/expr/parse.js';
import {
  decodeNumber,
  encodeNumber,
  FITTED_MODEL_FORMAT,
  fittedModel,
  loadFittedModel,
} from '../../src/hybrid/artifact.js';
import { HybridModel } from '../../src/hybrid/hybridModel.js';
import { hybridOptions, solverFromSpec } from '../../src/hybrid/solverSpec.js';
import type { Subject } from '../../src/hybrid/subject.js';
import { rngKey } from '../../src/tensor/random.js';
import { VERSION } from '../../src/version.js';

const TEXT = `
  param w0 = 1.3 in [0, inf] scale log
  param k = 0.2 in [0, 1] scale logit
  param c = -0.25 fixed
  state th = 0.5
  state om = 0
  net F(th, om) -> (a) : mlp(8, 8, tanh)
  d/dt th = om
  d/dt om = -w0^2 * sin(th) - k * om + F.a + c
  obs angle = th ~ normal(0.05)
`;

const subjects: Subject[] = [0.3, -0.6].map((th0, i) => ({
  id: `s${i}`,
  times: Float64Array.from({ length: 6 }, (_, j) => 0.3 * (j + 1)),
  y0: Float64Array.of(th0, 0.1),
  observations: new Float64Array(6).fill(Number.NaN),
}));

describe('fitted-model files', () => {
  it('encode every double exactly, including -0, NaN and ±Infinity (property)', () => {
    fc.assert(
      fc.property(fc.double(), (x) => {
        const back = decodeNumber(JSON.parse(JSON.stringify(encodeNumber(x))), 'x');
        return Object.is(back, x);
      }),
    );
    expect(() => decodeNumber('1.5', 'estimates[0]')).toThrow(/estimates\[0\]: "1.5" is not a number/);
  });

  it('reload to bit-identical predictions', () => {
    const spec = { method: 'dopri5', rtol: 1e-8, atol: 1e-10 } as const;
    const hm = new HybridModel(parseModel(TEXT), hybridOptions(spec));
    const params = hm.init(rngKey(4));
    const doc = fittedModel(hm, params, {
      text: TEXT,
      solver: spec,
      seed: 4,
      createdAt: '2026-11-22T00:00:00.000Z',
      data: { fingerprint: 'abc', subjects: 2 },
    });
    expect(doc.format).toBe(FITTED_MODEL_FORMAT);
    expect(doc.parameters.map((p) => [p.name, p.estimated])).toEqual([
      ['w0', true],
      ['k', true],
      ['c', false],
    ]);
    expect(doc.parameters[0].value).toBeCloseTo(1.3, 14);
    const { model, params: back } = loadFittedModel(JSON.parse(JSON.stringify(doc)), 'model.json');
    const a = hm.predict(params, subjects);
    const b = model.predict(back, subjects);
    for (let i = 0; i < a.length; i++)
      expect(Array.from(b[i].observables)).toEqual(Array.from(a[i].observables));
  });

  it('names the file and the field when a document is damaged', () => {
    const spec = { method: 'tsit5' } as const;
    const hm = new HybridModel(parseModel(TEXT), hybridOptions(spec));
    const doc = fittedModel(hm, hm.init(), {
      text: TEXT,
      solver: spec,
      seed: 0,
      createdAt: 'now',
      data: { fingerprint: 'x' },
    });
    const damaged = (patch: Record<string, unknown>) => ({ ...JSON.parse(JSON.stringify(doc)), ...patch });
    expect(() => loadFittedModel([], 'm.json')).toThrow(/m.json: not a fitted-model file/);
    expect(() => loadFittedModel(damaged({ format: 'other' }), 'm.json')).toThrow(/format is "other"/);
    expect(() => loadFittedModel(damaged({ formatVersion: 9 }), 'm.json')).toThrow(/formatVersion 9/);
    expect(() => loadFittedModel(damaged({ estimates: [1] }), 'm.json')).toThrow(
      /1 estimates for the model's 2 estimated parameters \(w0, k\)/,
    );
    expect(() => loadFittedModel(damaged({ nets: {} }), 'm.json')).toThrow(/no weights for network "F"/);
    expect(() => loadFittedModel(damaged({ solver: { method: 'rk5' } }), 'm.json')).toThrow(
      /unknown integration method "rk5"; use one of euler/,
    );
    const bad = damaged({});
    bad.nets.F[0].w.data = bad.nets.F[0].w.data.slice(1);
    expect(() => loadFittedModel(bad, 'm.json')).toThrow(/nets.F\[0\].w: 15 values for shape \[8, 2\]/);
  });

  it('solver specs: constant steps, tolerances, clear errors', () => {
    expect(solverFromSpec({ method: 'rk4', dt: 0.1 }).controller.kind).toBe('constant');
    expect(() => solverFromSpec({ method: 'tsit5', rtol: -1 })).toThrow(/rtol must be a positive number/);
  });

  it('VERSION equals package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
  });
});
