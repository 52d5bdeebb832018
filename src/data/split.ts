/**
 * Subject-wise splits of a dataset: train / validation / test by fractions, and K folds for
 * cross-validation. A subject's rows never straddle two parts. Both are deterministic given
 * the seed: the subjects are shuffled by a Fisher–Yates permutation drawn from
 * `rngKey(seed)`, so the same dataset and seed always give the same parts.
 */
import { permutation, rngKey } from '../tensor/random.js';
import { type Dataset, subsetDataset } from './dataset.js';

/** Options of {@link splitSubjects}. */
export interface SplitOptions {
  /** Fraction of subjects for validation, in [0, 1). Default 0.2. */
  readonly validation?: number;
  /** Fraction of subjects for testing, in [0, 1). Default 0. */
  readonly test?: number;
  /** The seed of the shuffle (a safe integer). Default 0. */
  readonly seed?: number;
}

/** The parts of a split, each a dataset of whole subjects. */
export interface DataSplit {
  readonly train: Dataset;
  readonly validation: Dataset;
  readonly test: Dataset;
}

function checkSeed(seed: number, op: string): void {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${op}: seed must be a safe integer; got ${seed}`);
}

/**
 * Splits the subjects of a dataset at random into train, validation and test parts:
 * round(validation · n) subjects for validation, round(test · n) for test, the rest (at least
 * one) for training. Subjects keep their dataset order within each part.
 *
 * @throws RangeError when a fraction is outside [0, 1) or nothing would be left to train on
 * @example
 * ```ts
 * const { train, validation, test } = splitSubjects(dataset, { validation: 0.2, test: 0.1, seed: 7 });
 * ```
 */
export function splitSubjects(dataset: Dataset, options: SplitOptions = {}): DataSplit {
  const validation = options.validation ?? 0.2;
  const test = options.test ?? 0;
  const seed = options.seed ?? 0;
  checkSeed(seed, 'splitSubjects');
  for (const [name, f] of [
    ['validation', validation],
    ['test', test],
  ] as const) {
    if (!(f >= 0 && f < 1)) {
      throw new RangeError(`splitSubjects: the ${name} fraction must be in [0, 1), e.g. 0.2; got ${f}`);
    }
  }
  const n = dataset.subjects.length;
  const nVal = Math.round(validation * n);
  const nTest = Math.round(test * n);
  if (n - nVal - nTest < 1) {
    throw new RangeError(
      `splitSubjects: ${n} subject${n === 1 ? '' : 's'} with ${nVal} for validation and ${nTest} for test leave none to train on; lower the fractions`,
    );
  }
  const order = permutation(rngKey(seed), n);
  const part = (from: number, to: number): Dataset =>
    subsetDataset(
      dataset,
      [...order.subarray(from, to)].sort((a, b) => a - b),
    );
  return {
    validation: part(0, nVal),
    test: part(nVal, nVal + nTest),
    train: part(nVal + nTest, n),
  };
}

/** One fold of a cross-validation: the subjects held out and the rest. */
export interface DataFold {
  readonly train: Dataset;
  readonly validation: Dataset;
}

/**
 * The held-out indices of each of k folds over n items: a permutation drawn from `seed`,
 * dealt round-robin, so fold sizes differ by at most one and every item is held out once.
 * Each fold's indices are in the permutation's order.
 *
 * @example
 * ```ts
 * foldIndices(5, 2, 0); // e.g. [[3, 0, 4], [1, 2]]
 * ```
 */
export function foldIndices(n: number, k: number, seed: number): number[][] {
  if (!Number.isInteger(k) || k < 2 || k > n) {
    throw new RangeError(`folds: k must be a whole number from 2 to the number of subjects (${n}); got ${k}`);
  }
  const folds: number[][] = Array.from({ length: k }, () => []);
  permutation(rngKey(seed), n).forEach((item, j) => {
    folds[j % k].push(item);
  });
  return folds;
}

/**
 * K-fold cross-validation by subject: the shuffled subjects are dealt into k folds whose
 * sizes differ by at most one; fold i validates on its subjects and trains on all others.
 * Every subject is validated on in exactly one fold.
 *
 * @param k - the number of folds, an integer in [2, number of subjects].
 * @throws RangeError when k is not such an integer
 * @example
 * ```ts
 * for (const { train, validation } of kFolds(dataset, 5, { seed: 1 })) {
 *   // fit on train, score on validation
 * }
 * ```
 */
export function kFolds(dataset: Dataset, k: number, options: { readonly seed?: number } = {}): DataFold[] {
  const n = dataset.subjects.length;
  const seed = options.seed ?? 0;
  checkSeed(seed, 'kFolds');
  if (!Number.isInteger(k) || k < 2 || k > n) {
    throw new RangeError(
      `kFolds: k must be a whole number from 2 to the number of subjects (${n}); got ${k}`,
    );
  }
  return foldIndices(n, k, seed).map((held) => {
    const out = new Set(held);
    const rest: number[] = [];
    for (let i = 0; i < n; i++) if (!out.has(i)) rest.push(i);
    return {
      train: subsetDataset(dataset, rest),
      validation: subsetDataset(
        dataset,
        [...held].sort((a, b) => a - b),
      ),
    };
  });
}
