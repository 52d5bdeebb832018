import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Dataset, DatasetSubject } from '../../src/data/dataset.js';
import { applyScaling, fitScaling, invertScaling, type ScalingMethod } from '../../src/data/scaling.js';
import { foldIndices, kFolds, splitSubjects } from '../../src/data/split.js';

/** A dataset of n subjects with values of two observables. */
function dataset(n: number, values: (i: number) => number[] = (i) => [i, 10 * i + 1]): Dataset {
  const subjects: DatasetSubject[] = Array.from({ length: n }, (_, i) => ({
    id: `s${i}`,
    observations: values(i).flatMap((v, k) => [
      { time: k, observable: 'a', value: v, line: 0 },
      { time: k, observable: 'b', value: -v / 3, line: 0 },
    ]),
    doses: [],
    inputs: {},
    covariates: {},
    line: i + 2,
  }));
  return {
    observables: ['a', 'b'],
    subjects,
    covariateNames: [],
    inputNames: [],
    source: { file: 'mem', format: 'long', rows: 0, ignored: { count: 0, reasons: {} }, notes: [] },
  };
}

const ids = (ds: Dataset): string[] => ds.subjects.map((s) => s.id);

describe('splitSubjects', () => {
  it('is deterministic, disjoint and covering, with the requested sizes', () => {
    const ds = dataset(20);
    const a = splitSubjects(ds, { validation: 0.2, test: 0.1, seed: 3 });
    const b = splitSubjects(ds, { validation: 0.2, test: 0.1, seed: 3 });
    expect([ids(a.train), ids(a.validation), ids(a.test)]).toEqual([
      ids(b.train),
      ids(b.validation),
      ids(b.test),
    ]);
    expect([a.train, a.validation, a.test].map((d) => d.subjects.length)).toEqual([14, 4, 2]);
    const all = [...ids(a.train), ...ids(a.validation), ...ids(a.test)];
    expect(new Set(all).size).toBe(20);
    expect(all.sort()).toEqual(ids(ds).sort());
    const other = splitSubjects(ds, { validation: 0.2, test: 0.1, seed: 4 });
    expect(ids(other.validation)).not.toEqual(ids(a.validation));
  });

  it('holds for any size, fractions and seed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.45, noNaN: true }),
        fc.double({ min: 0, max: 0.45, noNaN: true }),
        fc.integer({ min: -1000, max: 1000 }),
        (n, v, t, seed) => {
          const ds = dataset(n);
          if (n - Math.round(v * n) - Math.round(t * n) < 1) {
            expect(() => splitSubjects(ds, { validation: v, test: t, seed })).toThrow(RangeError);
            return;
          }
          const s = splitSubjects(ds, { validation: v, test: t, seed });
          const all = [...ids(s.train), ...ids(s.validation), ...ids(s.test)];
          expect(all.length).toBe(n);
          expect(new Set(all).size).toBe(n);
          expect(s.validation.subjects.length).toBe(Math.round(v * n));
        },
      ),
    );
  });

  it('rejects bad fractions and seeds', () => {
    expect(() => splitSubjects(dataset(5), { validation: 1 })).toThrow(
      /validation fraction must be in \[0, 1\)/,
    );
    expect(() => splitSubjects(dataset(5), { seed: 0.5 })).toThrow(/seed/);
    expect(() => splitSubjects(dataset(1), { validation: 0.6 })).toThrow(/leave none to train on/);
  });
});

describe('kFolds', () => {
  it('partitions the subjects into k validation folds of near-equal size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 30 }), fc.integer({ min: 0, max: 100 }), (n, seed) => {
        const k = 2 + (seed % (n - 1));
        const folds = kFolds(dataset(n), k, { seed });
        expect(folds.length).toBe(k);
        const held = folds.flatMap((f) => ids(f.validation));
        expect(held.sort()).toEqual(ids(dataset(n)).sort());
        const sizes = folds.map((f) => f.validation.subjects.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        for (const f of folds) {
          const v = new Set(ids(f.validation));
          expect(ids(f.train).some((id) => v.has(id))).toBe(false);
          expect(f.train.subjects.length + f.validation.subjects.length).toBe(n);
        }
        expect(folds.map((f) => ids(f.validation))).toEqual(
          kFolds(dataset(n), k, { seed }).map((f) => ids(f.validation)),
        );
      }),
    );
  });

  it('rejects k outside [2, n]', () => {
    expect(() => kFolds(dataset(3), 4)).toThrow(
      /k must be a whole number from 2 to the number of subjects \(3\)/,
    );
    expect(() => kFolds(dataset(3), 1)).toThrow(RangeError);
  });
});

describe('scaling', () => {
  it('standardizes to mean 0 and sd 1, or median 0 and IQR 1', () => {
    const ds = dataset(5);
    const z = applyScaling(ds, fitScaling(ds));
    const values = z.subjects.flatMap((s) =>
      s.observations.filter((o) => o.observable === 'a').map((o) => o.value),
    );
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
    expect(mean).toBeCloseTo(0, 14);
    expect(sd).toBeCloseTo(1, 14);
    const robust = fitScaling(
      dataset(4, (i) => [i]),
      'robust',
    );
    // a: 0, 1, 2, 3 → median 1.5, quartiles 0.75 and 2.25 (type 7)
    expect(robust.a).toEqual({ center: 1.5, scale: 1.5 });
  });

  it('gives scale 1 for constant or absent observables and survives JSON', () => {
    const ds = dataset(3, () => [7]);
    const s = fitScaling({ ...ds, observables: ['a', 'b', 'c'] });
    expect(s.a).toEqual({ center: 7, scale: 1 });
    expect(s.c).toEqual({ center: 0, scale: 1 });
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('is invertible (up to rounding) for any data and either method', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 6 }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.constantFrom<ScalingMethod>('standard', 'robust'),
        (rows, method) => {
          const ds = dataset(rows.length, (i) => rows[i]);
          const scaling = fitScaling(ds, method);
          const back = invertScaling(applyScaling(ds, scaling), scaling);
          ds.subjects.forEach((s, i) => {
            s.observations.forEach((o, j) => {
              const got = back.subjects[i].observations[j].value;
              const { center, scale } = scaling[o.observable];
              const tol = 8 * Number.EPSILON * (Math.abs(o.value) + Math.abs(center) + scale);
              expect(Math.abs(got - o.value)).toBeLessThanOrEqual(tol);
            });
          });
        },
      ),
    );
  });

  it('rejects statistics that do not cover the data or cannot be inverted', () => {
    const ds = dataset(2);
    expect(() => applyScaling(ds, { a: { center: 0, scale: 1 } })).toThrow(/no scaling for observable b/);
    expect(() => applyScaling(ds, { a: { center: 0, scale: 0 }, b: { center: 0, scale: 1 } })).toThrow(
      /scale finite and > 0/,
    );
  });
});

describe('foldIndices', () => {
  it('deals every item into exactly one fold, sizes differing by at most one, same for a seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 60 }), fc.integer({ min: 0, max: 1000 }), (n, seed) => {
        const k = 2 + (seed % (n - 1));
        const folds = foldIndices(n, k, seed);
        expect(folds).toHaveLength(k);
        expect(
          folds
            .flat()
            .slice()
            .sort((a, b) => a - b),
        ).toEqual(Array.from({ length: n }, (_, i) => i));
        const sizes = folds.map((f) => f.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        expect(foldIndices(n, k, seed)).toEqual(folds);
      }),
    );
    expect(() => foldIndices(3, 4, 0)).toThrow(/from 2 to the number of subjects \(3\); got 4/);
  });
});
