import { readFileSync } from 'node:fs';
import type { Dataset } from '../../src/data/dataset.js';
import { DataError, type DataProblem } from '../../src/data/problems.js';

/** The text of a fixture in test/fixtures/data. */
export function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/data/${name}`, import.meta.url), 'utf8');
}

/** The subjects of a dataset without line numbers, for comparing datasets read from different files. */
export function content(ds: Dataset) {
  return {
    observables: ds.observables,
    covariateNames: ds.covariateNames,
    inputNames: ds.inputNames,
    subjects: ds.subjects.map((s) => ({
      id: s.id,
      observations: s.observations.map(({ time, observable, value }) => ({ time, observable, value })),
      doses: s.doses.map(({ line: _, ...rest }) => rest),
      inputs: s.inputs,
      covariates: s.covariates,
    })),
  };
}

/** The problems of the DataError that `f` throws (fails when it throws nothing or something else). */
export function problemsOf(f: () => unknown): DataProblem[] {
  try {
    f();
  } catch (e) {
    if (e instanceof DataError) return [...e.problems];
    throw e;
  }
  throw new Error('expected a DataError, but nothing was thrown');
}
