import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bernoulli,
  exponential,
  foldIn,
  normal,
  permutation,
  Rng,
  RngKey,
  randint,
  rngKey,
  splitKey,
  threefry2x32,
  uniform,
} from '../../src/tensor/random.js';
import { erfc } from '../../src/tensor/special.js';

// ---------------------------------------------------------------------------------------------
// Statistics helpers. Every statistical test uses a fixed key, so it is deterministic; the
// bounds are set at about 5 standard errors (or the 0.1 % critical value) so that a correct
// generator passes with a wide margin while a biased one fails.
// ---------------------------------------------------------------------------------------------

function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/** Central moments 2, 3, 4 of x. */
function moments(x: ArrayLike<number>): {
  m: number;
  variance: number;
  skewness: number;
  exKurtosis: number;
} {
  const m = mean(x);
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - m;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= x.length;
  m3 /= x.length;
  m4 /= x.length;
  return { m, variance: m2, skewness: m3 / m2 ** 1.5, exKurtosis: m4 / (m2 * m2) - 3 };
}

function correlation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Kolmogorov–Smirnov statistic sup |F_n(x) − F(x)| of the sample against the CDF F. */
function ksStatistic(sample: ArrayLike<number>, cdf: (x: number) => number): number {
  const xs = Float64Array.from(sample).sort();
  const n = xs.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(xs[i]);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

/** Asymptotic KS critical value at level 0.1 %: sqrt(−ln(α/2)/2)/√n = 1.9495/√n. */
function ksCritical(n: number): number {
  return Math.sqrt(-Math.log(0.001 / 2) / 2) / Math.sqrt(n);
}

function chiSquare(counts: ArrayLike<number>, expected: number): number {
  let s = 0;
  for (let i = 0; i < counts.length; i++) s += (counts[i] - expected) ** 2 / expected;
  return s;
}

/**
 * Upper critical value of χ² with `df` degrees of freedom at the level whose standard
 * normal quantile is `z` (3.0902 for 0.1 %), by the Wilson–Hilferty approximation.
 */
function chiSquareCritical(df: number, z = 3.0902): number {
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

const N = 100_000;
const standardNormalCdf = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

describe('threefry2x32', () => {
  it('matches the Random123 known-answer vectors for Threefry-2x32-20', () => {
    // tests/kat_vectors of the Random123 distribution (D. E. Shaw Research): counter, key → output.
    expect(threefry2x32([0, 0], [0, 0])).toEqual([0x6b200159, 0x99ba4efe]);
    expect(threefry2x32([0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])).toEqual([
      0x1cb996fc, 0xbb002be7,
    ]);
    expect(threefry2x32([0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3])).toEqual([
      0xc4923a9c, 0x483df7a0,
    ]);
  });

  it('rejects words outside [0, 2^32)', () => {
    expect(() => threefry2x32([-1, 0], [0, 0])).toThrow(/key must be two integers in \[0, 2\^32\)/);
    expect(() => threefry2x32([0, 0], [0, 2 ** 32])).toThrow(/counter must be two integers/);
    expect(() => threefry2x32([0, 0.5], [0, 0])).toThrow(RangeError);
  });

  it('is a bijection of the counter for a fixed key (no collisions among 2^16 counters)', () => {
    const seen = new Set<string>();
    for (let c = 0; c < 65536; c++) seen.add(threefry2x32([7, 11], [c >>> 8, c & 255]).join(','));
    expect(seen.size).toBe(65536);
  });
});

describe('keys', () => {
  it('rngKey stores the 64-bit two’s complement of the seed', () => {
    expect(rngKey(42).words).toEqual([0, 42]);
    expect(rngKey(0).words).toEqual([0, 0]);
    expect(rngKey(-1).words).toEqual([0xffffffff, 0xffffffff]);
    expect(rngKey(2 ** 32 + 5).words).toEqual([1, 5]);
    expect(rngKey(Number.MAX_SAFE_INTEGER).words).toEqual([0x1fffff, 0xffffffff]);
    expect(rngKey(Number.MIN_SAFE_INTEGER).words).toEqual([0xffe00000, 0x00000001]);
  });

  it('rngKey rejects seeds that are not safe integers, saying what to pass', () => {
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => rngKey(bad)).toThrow(/rngKey: seed must be a safe integer .*e\.g\. rngKey\(42\)/);
    }
  });

  it('keys are frozen values that round-trip through their words', () => {
    const key = rngKey(123);
    expect(Object.isFrozen(key)).toBe(true);
    expect(Reflect.set(key, 'k0', 5)).toBe(false);
    expect(key.k0).toBe(0);
    const [a, b] = splitKey(key);
    expect(RngKey.fromWords(...a.words).equals(a)).toBe(true);
    expect(a.equals(b)).toBe(false);
    expect(rngKey(42).toString()).toBe('RngKey(0x00000000, 0x0000002a)');
    expect(() => RngKey.fromWords(-1, 0)).toThrow(/words must be integers in \[0, 2\^32\)/);
  });

  it('splitKey and foldIn are deterministic and give distinct keys', () => {
    const key = rngKey(2024);
    expect(splitKey(key, 3).map((k) => k.words)).toEqual(splitKey(key, 3).map((k) => k.words));
    expect(foldIn(key, 5).equals(foldIn(key, 5))).toBe(true);
    const all = new Set<string>([key.toString()]);
    for (const k of splitKey(key, 1000)) all.add(k.toString());
    for (let i = 0; i < 1000; i++) all.add(foldIn(key, i).toString());
    all.add(foldIn(key, -1).toString());
    expect(all.size).toBe(2002);
  });

  it('splitKey(key, n) lists the first children of splitKey(key, m) for n < m', () => {
    const key = rngKey(9);
    const few = splitKey(key, 2).map(String);
    expect(splitKey(key, 5).slice(0, 2).map(String)).toEqual(few);
    expect(splitKey(key, 0)).toEqual([]);
  });

  it('validates splitKey and foldIn arguments', () => {
    expect(() => splitKey(rngKey(0), -1)).toThrow(/splitKey: n must be an integer in \[0, 2\^32\]/);
    expect(() => splitKey(rngKey(0), 1.5)).toThrow(RangeError);
    expect(() => foldIn(rngKey(0), 0.5)).toThrow(/foldIn: data must be a safe integer/);
  });

  it('samplers reject a missing key with a hint', () => {
    const notAKey: unknown = 42;
    // Runtime check for JavaScript callers who pass a seed instead of a key.
    expect(() => uniform(notAKey as RngKey, [2])).toThrow(/expected an RngKey .*rngKey\(seed\)/);
  });
});

describe('determinism and platform independence', () => {
  it('reproduces pinned values bit for bit (a change here breaks saved experiments)', () => {
    const key = rngKey(2024);
    expect(Array.from(uniform(key, [4]).data)).toEqual([
      0.06900223977143294, 0.688171032902444, 0.8594147505667104, 0.35206362272356584,
    ]);
    expect(Array.from(normal(key, [4]).data)).toEqual([
      -0.453701450802852, 0.19808332781505572, 0.9281977598870254, -0.38204946730003886,
    ]);
    expect(Array.from(exponential(key, [3]).data)).toEqual([
      0.07149840747749439, 1.1653004238591764, 1.9619412166789512,
    ]);
    expect(Array.from(permutation(key, 8))).toEqual([0, 7, 6, 2, 3, 5, 4, 1]);
    expect(Array.from(randint(key, 6, -3, 4))).toEqual([-2, 1, -2, 1, -3, -2]);
    expect(splitKey(key, 3).map((k) => k.words)).toEqual([
      [4085360869, 733328924],
      [3465620500, 2967877255],
      [1739626194, 3167935078],
    ]);
    expect(foldIn(key, 5).words).toEqual([1057821488, 1363316697]);
  });

  it('the same key gives identical bits; a longer draw extends a shorter one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
        fc.integer({ min: 0, max: 50 }),
        (seed, n) => {
          const key = rngKey(seed);
          const a = normal(key, [n]).data;
          expect(normal(key, [n]).data).toEqual(a);
          expect(uniform(key, [n + 7]).data.subarray(0, n)).toEqual(uniform(key, [n]).data);
          expect(uniform(key, [2, n]).data).toEqual(uniform(key, [2 * n]).data);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('different seeds give different streams', () => {
    const first = new Set<number>();
    for (let seed = 0; seed < 1000; seed++) first.add(uniform(rngKey(seed), [1]).data[0]);
    expect(first.size).toBe(1000);
  });
});

describe('stream independence', () => {
  const bound = 4.5 / Math.sqrt(N); // about 4.5 standard errors of a correlation

  it('children of a split are uncorrelated with each other and with the parent', () => {
    const parent = rngKey(77);
    const [a, b] = splitKey(parent);
    const up = uniform(parent, [N]).data;
    const ua = uniform(a, [N]).data;
    const ub = uniform(b, [N]).data;
    expect(ua).not.toEqual(ub);
    expect(Math.abs(correlation(ua, ub))).toBeLessThan(bound);
    expect(Math.abs(correlation(up, ua))).toBeLessThan(bound);
    expect(Math.abs(correlation(up, ub))).toBeLessThan(bound);
    // and lagged by one within a stream
    expect(Math.abs(correlation(ua.subarray(1), ua.subarray(0, N - 1)))).toBeLessThan(bound);
  });

  it('neighbouring seeds and neighbouring fold-ins are uncorrelated', () => {
    const u0 = normal(rngKey(0), [N]).data;
    const u1 = normal(rngKey(1), [N]).data;
    expect(Math.abs(correlation(u0, u1))).toBeLessThan(bound);
    const f0 = normal(foldIn(rngKey(0), 0), [N]).data;
    const f1 = normal(foldIn(rngKey(0), 1), [N]).data;
    expect(Math.abs(correlation(f0, f1))).toBeLessThan(bound);
    expect(Math.abs(correlation(u0, f0))).toBeLessThan(bound);
  });
});

describe('uniform', () => {
  it('has mean 1/2, variance 1/12 and passes Kolmogorov–Smirnov at n = 1e5', () => {
    const x = uniform(rngKey(1), [N]).data;
    const { m, variance } = moments(x);
    expect(Math.abs(m - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N)); // 0.0046
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(5 * Math.sqrt((1 / 80 - 1 / 144) / N)); // 0.0012
    expect(ksStatistic(x, (t) => t)).toBeLessThan(ksCritical(N));
  });

  it('scales to [low, high) and keeps the shape', () => {
    const a = uniform(rngKey(2), [100, 50], -3, 5);
    expect(a.shape).toEqual([100, 50]);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of a.data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBeGreaterThanOrEqual(-3);
    expect(hi).toBeLessThan(5);
    expect(lo).toBeLessThan(-2.99);
    expect(hi).toBeGreaterThan(4.99);
    expect(ksStatistic(a.data, (t) => (t + 3) / 8)).toBeLessThan(ksCritical(a.size));
  });

  it('uses 53 random bits: every value is a multiple of 2^-53 and low bits vary', () => {
    const x = uniform(rngKey(3), [1000]).data;
    let oddCount = 0;
    for (const v of x) {
      const k = v * 2 ** 53;
      expect(Number.isInteger(k)).toBe(true);
      oddCount += k % 2;
    }
    expect(oddCount).toBeGreaterThan(400);
    expect(oddCount).toBeLessThan(600);
  });

  it('never returns high, even when low + (high − low)·u rounds up to it', () => {
    // With width one ulp, every u > 1/2 rounds to high; those results must come back below it.
    const a = uniform(rngKey(4), [1000], 1, 1 + 2 ** -52).data;
    expect(a.every((v) => v === 1)).toBe(true);
    const b = uniform(rngKey(4), [1000], -1 - 2 ** -52, -1).data;
    expect(b.every((v) => v === -1 - 2 ** -52)).toBe(true);
    const c = uniform(rngKey(4), [1000], -Number.MIN_VALUE, 0).data;
    expect(c.every((v) => v === -Number.MIN_VALUE)).toBe(true);
  });

  it('handles empty and scalar shapes', () => {
    expect(uniform(rngKey(0), [0, 3]).size).toBe(0);
    const s = uniform(rngKey(0), []);
    expect(s.shape).toEqual([]);
    expect(s.size).toBe(1);
  });

  it('validates its arguments with messages that say what to pass', () => {
    const key = rngKey(0);
    expect(() => uniform(key, [2, -1])).toThrow(/uniform: shape \[2, -1\] must hold non-negative integers/);
    expect(() => uniform(key, [1.5])).toThrow(RangeError);
    const notAShape: unknown = 3;
    expect(() => uniform(key, notAShape as number[])).toThrow(
      /shape must be an array of extents such as \[3, 4\]/,
    );
    expect(() => uniform(key, [2], 1, 1)).toThrow(/low must be below high; got low = 1, high = 1/);
    expect(() => uniform(key, [2], 0, Number.NaN)).toThrow(/high must be a finite number/);
    expect(() => uniform(key, [2], -Number.MAX_VALUE, Number.MAX_VALUE)).toThrow(/overflows/);
  });
});

describe('normal', () => {
  it('matches N(0, 1): mean, variance, skewness, kurtosis and Kolmogorov–Smirnov at n = 1e5', () => {
    const x = normal(rngKey(10), [N]).data;
    const { m, variance, skewness, exKurtosis } = moments(x);
    expect(Math.abs(m)).toBeLessThan(5 * Math.sqrt(1 / N)); // 0.016
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / N)); // 0.022
    expect(Math.abs(skewness)).toBeLessThan(5 * Math.sqrt(6 / N)); // 0.039
    expect(Math.abs(exKurtosis)).toBeLessThan(5 * Math.sqrt(24 / N)); // 0.077
    expect(ksStatistic(x, standardNormalCdf)).toBeLessThan(ksCritical(N));
  });

  it('has the right tail mass beyond 3σ (two-sided 0.27 %)', () => {
    const x = normal(rngKey(11), [N]).data;
    let tail = 0;
    for (const v of x) if (Math.abs(v) > 3) tail++;
    const p = 2 * standardNormalCdf(-3);
    expect(Math.abs(tail / N - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
  });

  it('applies mean and std; std = 0 gives the mean; odd sizes work', () => {
    const x = normal(rngKey(12), [N + 1], 3, 2).data;
    expect(x.length).toBe(N + 1);
    expect(ksStatistic(x, (t) => standardNormalCdf((t - 3) / 2))).toBeLessThan(ksCritical(N + 1));
    expect(normal(rngKey(12), [5], -1, 0).data.every((v) => v === -1)).toBe(true);
  });

  it('validates its arguments', () => {
    const key = rngKey(0);
    expect(() => normal(key, [2], 0, -1)).toThrow(/normal: std must be >= 0; got -1/);
    expect(() => normal(key, [2], Number.NaN)).toThrow(/mean must be a finite number/);
    expect(() => normal(key, [-2])).toThrow(/must hold non-negative integers/);
  });
});

describe('exponential', () => {
  it('matches Exp(2): mean 1/2, variance 1/4 and Kolmogorov–Smirnov at n = 1e5', () => {
    const x = exponential(rngKey(20), [N], 2).data;
    const { m, variance } = moments(x);
    expect(Math.abs(m - 0.5)).toBeLessThan(5 * (0.5 / Math.sqrt(N))); // 0.0079
    expect(Math.abs(variance - 0.25)).toBeLessThan(5 * (Math.sqrt(8) / 16 / Math.sqrt(N))); // 0.0028
    expect(ksStatistic(x, (t) => 1 - Math.exp(-2 * t))).toBeLessThan(ksCritical(N));
    expect(x.every((v) => v >= 0 && !Object.is(v, -0))).toBe(true);
  });

  it('validates the rate', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => exponential(rngKey(0), [2], bad)).toThrow(/exponential: rate must be a finite number > 0/);
    }
  });
});

describe('bernoulli', () => {
  it('gives 0/1 values with frequency p', () => {
    const x = bernoulli(rngKey(30), [N], 0.3).data;
    expect(x.every((v) => v === 0 || v === 1)).toBe(true);
    expect(Math.abs(mean(x) - 0.3)).toBeLessThan(5 * Math.sqrt((0.3 * 0.7) / N)); // 0.0072
  });

  it('p = 0 gives all zeros and p = 1 all ones', () => {
    expect(bernoulli(rngKey(31), [1000], 0).data.every((v) => v === 0)).toBe(true);
    expect(bernoulli(rngKey(31), [1000], 1).data.every((v) => v === 1)).toBe(true);
  });

  it('validates p', () => {
    for (const bad of [-0.1, 1.5, Number.NaN]) {
      expect(() => bernoulli(rngKey(0), [2], bad)).toThrow(/bernoulli: p must be a probability in \[0, 1\]/);
    }
  });
});

describe('permutation', () => {
  it('returns a permutation of 0 … n − 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), fc.integer(), (n, seed) => {
        const p = permutation(rngKey(seed), n);
        expect(p.length).toBe(n);
        const sorted = Int32Array.from(p).sort();
        for (let i = 0; i < n; i++) expect(sorted[i]).toBe(i);
      }),
      { numRuns: 30 },
    );
    expect(Array.from(permutation(rngKey(0), 1))).toEqual([0]);
  });

  it('puts every value at every position with equal probability (chi-square per position)', () => {
    const n = 5;
    const draws = 20_000;
    const counts = Array.from({ length: n }, () => new Float64Array(n)); // counts[position][value]
    const base = rngKey(40);
    for (let t = 0; t < draws; t++) {
      const p = permutation(foldIn(base, t), n);
      for (let pos = 0; pos < n; pos++) counts[pos][p[pos]]++;
    }
    // Each row is multinomial with n equally likely cells: χ² with n − 1 df. Bonferroni over rows.
    const critical = chiSquareCritical(n - 1, 3.5401); // upper 0.02 % quantile
    for (const row of counts) expect(chiSquare(row, draws / n)).toBeLessThan(critical);
  });

  it('makes all 24 orders of 4 elements equally likely', () => {
    const draws = 24_000;
    const counts = new Map<string, number>();
    const base = rngKey(41);
    for (let t = 0; t < draws; t++) {
      const key = Array.from(permutation(foldIn(base, t), 4)).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    expect(chiSquare(Array.from(counts.values()), draws / 24)).toBeLessThan(chiSquareCritical(23));
  });

  it('validates n', () => {
    expect(() => permutation(rngKey(0), -1)).toThrow(/permutation: n must be an integer in \[0, 2\^31 - 1\]/);
    expect(() => permutation(rngKey(0), 2.5)).toThrow(RangeError);
  });
});

describe('randint', () => {
  it('is uniform on {low, …, high − 1} (chi-square, 7 values)', () => {
    const x = randint(rngKey(50), 70_000, -2, 5);
    expect(x.every((v) => v >= -2 && v < 5)).toBe(true);
    const counts = new Float64Array(7);
    for (const v of x) counts[v + 2]++;
    expect(chiSquare(counts, 10_000)).toBeLessThan(chiSquareCritical(6));
  });

  it('has no modulo bias for a range of 3·2^30 (where w mod range would favour the first third 2:1)', () => {
    const low = -(2 ** 31);
    const x = randint(rngKey(51), 30_000, low, low + 3 * 2 ** 30);
    const thirds = new Float64Array(3);
    for (const v of x) thirds[Math.floor((v - low) / 2 ** 30)]++;
    expect(chiSquare(thirds, 10_000)).toBeLessThan(chiSquareCritical(2));
  });

  it('covers the full int32 range and accepts a shape', () => {
    const x = randint(rngKey(52), [100, 10], -(2 ** 31), 2 ** 31);
    expect(x.length).toBe(1000);
    expect(x.some((v) => v < -(2 ** 30))).toBe(true);
    expect(x.some((v) => v > 2 ** 30)).toBe(true);
    expect(randint(rngKey(52), 10, 3, 4).every((v) => v === 3)).toBe(true);
  });

  it('validates its arguments', () => {
    const key = rngKey(0);
    expect(() => randint(key, 3, 5, 5)).toThrow(
      /randint: low and high must be integers with -2\^31 <= low < high/,
    );
    expect(() => randint(key, 3, 0, 2 ** 31 + 1)).toThrow(RangeError);
    expect(() => randint(key, 3, 0.5, 2)).toThrow(RangeError);
    expect(() => randint(key, -3, 0, 2)).toThrow(/the length must be a non-negative integer/);
    expect(() => randint(key, [3, -1], 0, 2)).toThrow(/must hold non-negative integers/);
  });
});

describe('Rng', () => {
  it('is the functional form with keys from successive splits', () => {
    const rng = new Rng(5);
    const [state, fresh] = splitKey(rngKey(5));
    expect(rng.normal([10]).data).toEqual(normal(fresh, [10]).data);
    expect(rng.key.equals(state)).toBe(true);
    const [, fresh2] = splitKey(state);
    expect(Array.from(rng.permutation(10))).toEqual(Array.from(permutation(fresh2, 10)));
  });

  it('continues identically from a saved key, and next() never repeats a key', () => {
    const a = new Rng(rngKey(6));
    a.uniform([3]);
    const b = new Rng(a.key);
    expect(a.uniform([5], -1, 1).data).toEqual(b.uniform([5], -1, 1).data);
    expect(a.exponential([3], 2).data).toEqual(b.exponential([3], 2).data);
    expect(a.bernoulli([3], 0.5).data).toEqual(b.bernoulli([3], 0.5).data);
    expect(Array.from(a.randint(4, 0, 9))).toEqual(Array.from(b.randint(4, 0, 9)));
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(a.next().toString());
    expect(seen.size).toBe(1000);
  });

  it('rejects a seed that is neither an integer nor a key', () => {
    expect(() => new Rng(0.5)).toThrow(/seed must be a safe integer/);
  });
});
