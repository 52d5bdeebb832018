/**
 * Seeded, counter-based pseudo-random numbers with explicit keys, in the style of JAX.
 *
 * A {@link RngKey} is an immutable pair of 32-bit words. Every sampler is a pure function of
 * a key: the same key gives the same numbers, bit for bit, on every JavaScript engine and
 * operating system. Independent streams come from {@link splitKey} and {@link foldIn}, never
 * from reusing a key. The stateful {@link Rng} class is a thin convenience over these
 * functions; the functional form is the primitive.
 *
 * The bit generator is Threefry-2x32 with 20 rounds (Salmon, Moraes, Dror & Shaw 2011,
 * "Parallel random numbers: as easy as 1, 2, 3", SC11), the generator JAX uses. It is a keyed
 * bijection of a 64-bit counter built from 32-bit additions, rotations and xors only, so it
 * is exact in JavaScript's integer arithmetic.
 *
 * Key derivation. A key K is only ever fed to Threefry at three fixed counters (tags), which
 * derive sub-keys for three purposes; all further work happens under the sub-keys:
 *
 *     split:   child i of K  = T(T(K, (SPLIT, 0)), (0, i))
 *     fold-in: foldIn(K, d)  = T(T(K, (FOLD, 0)), (d_hi, d_lo))       (d as 64-bit two's complement)
 *     sample:  block b of K  = T(T(K, (BITS, 0)), (b_hi, b_lo)),  b = 0, 1, 2, …
 *
 * No Threefry input is shared between the three purposes, so split children, folded keys and
 * sampled bits of one key are independent streams.
 *
 * Reproducibility. Threefry, `uniform`, `bernoulli`, `randint` and `permutation` use only
 * integer operations and correctly rounded IEEE arithmetic, which ECMAScript fixes exactly.
 * `exponential` and `normal` also need a logarithm; they use {@link portableLog} (basic
 * operations only) rather than `Math.log`, whose last bit varies between engines. `normal`
 * also uses `Math.sqrt`, which IEEE 754 requires to be correctly rounded and every engine
 * computes with the hardware instruction.
 */

import { NDArray } from './ndarray.js';
import { checkShape, type Shape, sizeOf } from './shape.js';
import { portableLog } from './special.js';

const TWO_32 = 4294967296;
const TWO_53 = 9007199254740992;

// Threefry-2x32 rotation constants R_32x2_0 … R_32x2_7 = 13, 15, 26, 6, 17, 29, 16, 24 and the
// key-schedule parity constant 0x1BD11BDA, from Salmon et al. (2011) and the Random123 library
// (threefry.h, D. E. Shaw Research). They appear inline, unrolled, in threefryInto below.
const KEY_PARITY = 0x1bd11bda;

// Counter tags ('splt', 'fold', 'bits' in ASCII) for key derivation (see the module comment).
const TAG_SPLIT = 0x73706c74;
const TAG_FOLD = 0x666f6c64;
const TAG_BITS = 0x62697473;

/**
 * Threefry-2x32-20 of `(c0, c1)` under key `(k0, k1)`, written to `out[0]`, `out[1]`.
 * Inputs are uint32 values (or their int32 aliases); arithmetic is modulo 2³² (`| 0`).
 *
 * Each round mixes: x0 ← x0 + x1, x1 ← rotl(x1, R) ⊕ x0, with R cycling through the eight
 * rotation constants. The key schedule ks = (k0, k1, k0 ⊕ k1 ⊕ 0x1BD11BDA) is added before
 * round 0 and after every fourth round (injection s = 1 … 5: x0 += ks[s mod 3],
 * x1 += ks[(s + 1) mod 3] + s). Unrolled by hand: it is about 3.5 times faster than a loop
 * with a rotation table in V8. The known-answer tests pin it to Random123.
 */
function threefryInto(k0: number, k1: number, c0: number, c1: number, out: Uint32Array): void {
  const ks0 = k0 | 0;
  const ks1 = k1 | 0;
  const ks2 = KEY_PARITY ^ ks0 ^ ks1;
  let x0 = (c0 + ks0) | 0;
  let x1 = (c1 + ks1) | 0;
  // rounds 0–3: R = 13, 15, 26, 6; then injection 1
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0;
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0;
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0;
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0;
  x0 = (x0 + ks1) | 0;
  x1 = (x1 + ks2 + 1) | 0;
  // rounds 4–7: R = 17, 29, 16, 24; then injection 2
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 17) | (x1 >>> 15)) ^ x0;
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 29) | (x1 >>> 3)) ^ x0;
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 16) | (x1 >>> 16)) ^ x0;
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 24) | (x1 >>> 8)) ^ x0;
  x0 = (x0 + ks2) | 0;
  x1 = (x1 + ks0 + 2) | 0;
  // rounds 8–11: R = 13, 15, 26, 6; then injection 3
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0;
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0;
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0;
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0;
  x0 = (x0 + ks0) | 0;
  x1 = (x1 + ks1 + 3) | 0;
  // rounds 12–15: R = 17, 29, 16, 24; then injection 4
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 17) | (x1 >>> 15)) ^ x0;
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 29) | (x1 >>> 3)) ^ x0;
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 16) | (x1 >>> 16)) ^ x0;
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 24) | (x1 >>> 8)) ^ x0;
  x0 = (x0 + ks1) | 0;
  x1 = (x1 + ks2 + 4) | 0;
  // rounds 16–19: R = 13, 15, 26, 6; then injection 5
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0;
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0;
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0;
  x0 = (x0 + x1) | 0;
  x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0;
  x0 = (x0 + ks2) | 0;
  x1 = (x1 + ks0 + 5) | 0;
  out[0] = x0;
  out[1] = x1;
}

function isUint32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < TWO_32;
}

function requireWordPair(words: readonly number[], name: string): void {
  if (words.length !== 2 || !isUint32(words[0]) || !isUint32(words[1])) {
    throw new RangeError(
      `threefry2x32: ${name} must be two integers in [0, 2^32), e.g. [0, 42]; got [${words.join(', ')}]`,
    );
  }
}

/**
 * The Threefry-2x32 block function with 20 rounds: a keyed pseudo-random bijection of
 * pairs of 32-bit words (Salmon et al. 2011, as in Random123 and JAX). This is the raw bit
 * generator under the samplers; most code wants {@link uniform} and friends instead.
 *
 * Each round adds, rotates and xors: x0 ← x0 + x1, x1 ← rotl(x1, R[r mod 8]) ⊕ x0, with
 * rotation constants R = 13, 15, 26, 6, 17, 29, 16, 24; the key schedule
 * (k0, k1, k0 ⊕ k1 ⊕ 0x1BD11BDA) is injected before round 0 and after every fourth round.
 *
 * @param key - two uint32 key words `[k0, k1]`.
 * @param counter - two uint32 counter words `[c0, c1]`.
 * @returns the two uint32 output words.
 * @throws RangeError when a word is not an integer in [0, 2³²).
 * @example
 * ```ts
 * threefry2x32([0, 0], [0, 0]); // [0x6b200159, 0x99ba4efe], Random123's known answer
 * ```
 */
export function threefry2x32(
  key: readonly [number, number],
  counter: readonly [number, number],
): [number, number] {
  requireWordPair(key, 'key');
  requireWordPair(counter, 'counter');
  const out = new Uint32Array(2);
  threefryInto(key[0], key[1], counter[0], counter[1], out);
  return [out[0], out[1]];
}

/**
 * An immutable pseudo-random key: two 32-bit words. Make one with {@link rngKey}, derive
 * more with {@link splitKey} and {@link foldIn}. A key should be consumed once: pass it to
 * one sampler, or split it, but not both.
 *
 * The class cannot be subclassed and its instances are frozen.
 *
 * @example
 * ```ts
 * const key = rngKey(0);
 * const [a, b] = splitKey(key);
 * uniform(a, [2]); // two numbers in [0, 1)
 * a.equals(b); // false
 * ```
 */
export class RngKey {
  /** First key word, an integer in [0, 2³²). */
  readonly k0: number;
  /** Second key word, an integer in [0, 2³²). */
  readonly k1: number;

  private constructor(k0: number, k1: number) {
    this.k0 = k0;
    this.k1 = k1;
    Object.freeze(this);
  }

  /**
   * The key with the given words (for restoring a key saved with {@link RngKey.words}).
   *
   * @throws RangeError when a word is not an integer in [0, 2³²).
   * @example
   * ```ts
   * RngKey.fromWords(0, 42).equals(rngKey(42)); // true
   * ```
   */
  static fromWords(k0: number, k1: number): RngKey {
    if (!isUint32(k0) || !isUint32(k1)) {
      throw new RangeError(`RngKey.fromWords: words must be integers in [0, 2^32); got ${k0} and ${k1}`);
    }
    return new RngKey(k0, k1);
  }

  /** The two words `[k0, k1]`, e.g. for saving in a JSON artifact. */
  get words(): [number, number] {
    return [this.k0, this.k1];
  }

  /** True when both keys hold the same words. */
  equals(other: RngKey): boolean {
    return this.k0 === other.k0 && this.k1 === other.k1;
  }

  /** E.g. `RngKey(0x00000000, 0x0000002a)`. */
  toString(): string {
    const hex = (w: number): string => `0x${w.toString(16).padStart(8, '0')}`;
    return `RngKey(${hex(this.k0)}, ${hex(this.k1)})`;
  }
}

/** Splits a safe integer into the high and low words of its 64-bit two's complement. */
function wordsOf(value: number): [number, number] {
  return [Math.floor(value / TWO_32) >>> 0, value >>> 0];
}

/** The sub-key T(key, (tag, 0)) used for one purpose (see the module comment). */
function deriveKey(key: RngKey, tag: number, out: Uint32Array): void {
  threefryInto(key.k0, key.k1, tag, 0, out);
}

function requireKey(key: unknown, op: string): RngKey {
  if (!(key instanceof RngKey)) {
    throw new TypeError(`${op}: expected an RngKey as the first argument; make one with rngKey(seed)`);
  }
  return key;
}

/**
 * The key for an integer seed. Like JAX's `PRNGKey`, the words are the high and low halves
 * of the seed as a 64-bit two's-complement integer, so seeds 0, 1, 2, … give unrelated
 * streams (Threefry scrambles every bit) and negative seeds are allowed.
 *
 * @param seed - a safe integer (|seed| ≤ 2⁵³ − 1).
 * @throws RangeError when `seed` is not a safe integer.
 * @example
 * ```ts
 * const key = rngKey(42);
 * key.words; // [0, 42]
 * ```
 */
export function rngKey(seed: number): RngKey {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(
      `rngKey: seed must be a safe integer (|seed| <= 2^53 - 1), e.g. rngKey(42); got ${seed}`,
    );
  }
  const [hi, lo] = wordsOf(seed);
  return RngKey.fromWords(hi, lo);
}

/**
 * Derives `n` new keys from `key`, statistically independent of each other and of anything
 * else drawn from `key`. Child i is T(T(key, (SPLIT, 0)), (0, i)) with T Threefry-2x32-20.
 * After splitting, use the children and drop `key`.
 *
 * @param key - the key to split.
 * @param n - how many keys, an integer in [0, 2³²]; default 2.
 * @returns `n` keys.
 * @example
 * ```ts
 * const [key, sub] = splitKey(rngKey(0)); // carry `key` forward, consume `sub`
 * const keys = splitKey(rngKey(1), 8); // one key per worker
 * ```
 */
export function splitKey(key: RngKey, n = 2): RngKey[] {
  requireKey(key, 'splitKey');
  if (!Number.isInteger(n) || n < 0 || n > TWO_32) {
    throw new RangeError(`splitKey: n must be an integer in [0, 2^32], the number of keys wanted; got ${n}`);
  }
  const sub = new Uint32Array(2);
  deriveKey(key, TAG_SPLIT, sub);
  const out = new Uint32Array(2);
  const keys: RngKey[] = [];
  for (let i = 0; i < n; i++) {
    threefryInto(sub[0], sub[1], 0, i >>> 0, out);
    keys.push(RngKey.fromWords(out[0], out[1]));
  }
  return keys;
}

/**
 * A new key determined by `key` and an integer `data`, e.g. a step number, a worker index
 * or a subject id: foldIn(key, d) = T(T(key, (FOLD, 0)), (d_hi, d_lo)). Different `data`
 * give independent keys, without having to split ahead of time.
 *
 * @param key - the base key.
 * @param data - a safe integer; negative values are read as 64-bit two's complement.
 * @throws RangeError when `data` is not a safe integer.
 * @example
 * ```ts
 * const base = rngKey(7);
 * const stepKey = foldIn(base, 1000); // the key for training step 1000
 * ```
 */
export function foldIn(key: RngKey, data: number): RngKey {
  requireKey(key, 'foldIn');
  if (!Number.isSafeInteger(data)) {
    throw new RangeError(`foldIn: data must be a safe integer, e.g. a step or worker index; got ${data}`);
  }
  const sub = new Uint32Array(2);
  deriveKey(key, TAG_FOLD, sub);
  const [hi, lo] = wordsOf(data);
  const out = new Uint32Array(2);
  threefryInto(sub[0], sub[1], hi, lo, out);
  return RngKey.fromWords(out[0], out[1]);
}

/**
 * The sequence of 32-bit words drawn under one key: blocks T(K_bits, (b_hi, b_lo)) for
 * b = 0, 1, 2, …, two words per block. Samplers that may reject draws read as many words as
 * they need.
 */
class WordStream {
  readonly #key = new Uint32Array(2);
  readonly #block = new Uint32Array(2);
  #counter = 0;
  #next = 2;

  constructor(key: RngKey) {
    deriveKey(key, TAG_BITS, this.#key);
  }

  /** The next uint32 word. */
  word(): number {
    if (this.#next === 2) {
      const c = this.#counter++;
      threefryInto(this.#key[0], this.#key[1], Math.floor(c / TWO_32), c >>> 0, this.#block);
      this.#next = 0;
    }
    return this.#block[this.#next++];
  }

  /** A uniform double in [0, 1) on the grid k·2⁻⁵³: 27 bits of one word, 26 of the next. */
  unit(): number {
    const hi = this.word() >>> 5;
    const lo = this.word() >>> 6;
    return (hi * 67108864 + lo) / TWO_53;
  }

  /**
   * A uniform integer in [0, range), 1 ≤ range ≤ 2³², without modulo bias: words at or
   * above the largest multiple of `range` below 2³² are rejected and redrawn (each draw is
   * accepted with probability > 1/2).
   */
  below(range: number): number {
    const limit = TWO_32 - (TWO_32 % range);
    for (;;) {
      const w = this.word();
      if (w < limit) return w % range;
    }
  }
}

/** Checks a shape argument and returns its size. */
function sizeOfShape(shape: Shape, op: string): number {
  if (!Array.isArray(shape)) {
    throw new TypeError(`${op}: shape must be an array of extents such as [3, 4] (or [] for a scalar)`);
  }
  checkShape(shape, op);
  return sizeOf(shape);
}

function requireFinite(value: number, name: string, op: string, hint: string): void {
  if (!Number.isFinite(value))
    throw new RangeError(`${op}: ${name} must be a finite number; got ${value}. ${hint}`);
}

// Scratch for nextDown.
const doubleBits = new DataView(new ArrayBuffer(8));

/** The largest double below the finite number `x`. */
function nextDown(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  doubleBits.setFloat64(0, x);
  const hi = doubleBits.getUint32(0);
  const lo = doubleBits.getUint32(4);
  // Away from zero for negatives, toward zero for positives: ±1 on the 64-bit magnitude.
  if (x > 0) {
    doubleBits.setUint32(4, (lo - 1) >>> 0);
    if (lo === 0) doubleBits.setUint32(0, hi - 1);
  } else {
    doubleBits.setUint32(4, (lo + 1) >>> 0);
    if (lo === 0xffffffff) doubleBits.setUint32(0, hi + 1);
  }
  return doubleBits.getFloat64(0);
}

/**
 * Uniform samples on [low, high): x = low + (high − low)·u with u = k·2⁻⁵³, k uniform on
 * {0, …, 2⁵³ − 1} (53 random bits per sample, every double of [0, 1) on that grid equally
 * likely). A result that rounds up to `high` is replaced by the largest double below it.
 *
 * @param key - the key to consume.
 * @param shape - shape of the result.
 * @param low - inclusive lower bound (default 0).
 * @param high - exclusive upper bound (default 1), with low < high and high − low finite.
 * @example
 * ```ts
 * const w = uniform(rngKey(0), [64, 2], -0.5, 0.5);
 * ```
 */
export function uniform(key: RngKey, shape: Shape, low = 0, high = 1): NDArray {
  const op = 'uniform';
  requireKey(key, op);
  const n = sizeOfShape(shape, op);
  const hint = 'Pass finite bounds with low < high, e.g. uniform(key, [3], -1, 1).';
  requireFinite(low, 'low', op, hint);
  requireFinite(high, 'high', op, hint);
  if (!(low < high))
    throw new RangeError(`${op}: low must be below high; got low = ${low}, high = ${high}. ${hint}`);
  const width = high - low;
  if (!Number.isFinite(width)) throw new RangeError(`${op}: high - low overflows to infinity. ${hint}`);
  const top = nextDown(high);
  const stream = new WordStream(key);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = low + width * stream.unit();
    data[i] = x < high ? x : top;
  }
  return new NDArray(data, shape);
}

/**
 * Normal (Gaussian) samples with the given mean and standard deviation, by Marsaglia's
 * polar method: draw v1, v2 uniform on [−1, 1) until s = v1² + v2² ∈ (0, 1), then
 * v1·√(−2 ln s / s) and v2·√(−2 ln s / s) are two independent standard normals. The method
 * is exact in distribution (no approximation of the normal CDF or its inverse); it is the
 * Box–Muller transform without sine and cosine. With 53-bit uniforms the largest attainable
 * |z| is about 12.
 *
 * Reproducibility: uses {@link portableLog} (basic IEEE operations) and `Math.sqrt` (correctly
 * rounded under IEEE 754, a hardware instruction in every engine), so the bits do not depend
 * on an engine's `Math.log`.
 *
 * @param key - the key to consume.
 * @param shape - shape of the result.
 * @param mean - the mean μ (default 0), finite.
 * @param std - the standard deviation σ ≥ 0 (default 1), finite.
 * @example
 * ```ts
 * const noise = normal(rngKey(3), [100], 0, 0.1);
 * ```
 */
export function normal(key: RngKey, shape: Shape, mean = 0, std = 1): NDArray {
  const op = 'normal';
  requireKey(key, op);
  const n = sizeOfShape(shape, op);
  const hint = 'Pass the mean and a standard deviation >= 0, e.g. normal(key, [3], 0, 1).';
  requireFinite(mean, 'mean', op, hint);
  requireFinite(std, 'std', op, hint);
  if (std < 0) throw new RangeError(`${op}: std must be >= 0; got ${std}. ${hint}`);
  const stream = new WordStream(key);
  const data = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let v1: number;
    let v2: number;
    let s: number;
    do {
      v1 = 2 * stream.unit() - 1;
      v2 = 2 * stream.unit() - 1;
      s = v1 * v1 + v2 * v2;
    } while (s >= 1 || s === 0);
    const scale = Math.sqrt((-2 * portableLog(s)) / s);
    data[i++] = mean + std * (v1 * scale);
    if (i < n) data[i++] = mean + std * (v2 * scale);
  }
  return new NDArray(data, shape);
}

/**
 * Exponential samples with the given rate λ (mean 1/λ), by inversion: x = −ln(u)/λ with
 * u = 1 − k·2⁻⁵³ uniform on (0, 1]. Exact in distribution; results lie in [0, 53·ln2/λ] ≈ [0, 36.74/λ].
 *
 * @param key - the key to consume.
 * @param shape - shape of the result.
 * @param rate - the rate λ > 0 (default 1), finite.
 * @example
 * ```ts
 * const waits = exponential(rngKey(5), [10], 0.5); // mean 2
 * ```
 */
export function exponential(key: RngKey, shape: Shape, rate = 1): NDArray {
  const op = 'exponential';
  requireKey(key, op);
  const n = sizeOfShape(shape, op);
  if (!(rate > 0) || !Number.isFinite(rate)) {
    throw new RangeError(
      `${op}: rate must be a finite number > 0 (the inverse of the mean); got ${rate}, e.g. exponential(key, [3], 2)`,
    );
  }
  const stream = new WordStream(key);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - stream.unit(); // exact: (2^53 − k)·2^−53 ∈ (0, 1]
    data[i] = (0 - portableLog(u)) / rate; // 0 − (+0) = +0, never −0
  }
  return new NDArray(data, shape);
}

/**
 * Bernoulli samples: 1 with probability p, else 0 (as float64). Each is [u < p] with u a
 * 53-bit uniform on [0, 1), so p = 0 gives all zeros and p = 1 all ones.
 *
 * @param key - the key to consume.
 * @param shape - shape of the result.
 * @param p - the probability of a 1, in [0, 1].
 * @example
 * ```ts
 * const keep = bernoulli(rngKey(9), [25, 64], 0.9); // a dropout mask
 * ```
 */
export function bernoulli(key: RngKey, shape: Shape, p: number): NDArray {
  const op = 'bernoulli';
  requireKey(key, op);
  const n = sizeOfShape(shape, op);
  if (!(p >= 0 && p <= 1)) {
    throw new RangeError(`${op}: p must be a probability in [0, 1]; got ${p}, e.g. bernoulli(key, [3], 0.5)`);
  }
  const stream = new WordStream(key);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = stream.unit() < p ? 1 : 0;
  return new NDArray(data, shape);
}

/**
 * A uniformly random permutation of 0, 1, …, n − 1, by the Fisher–Yates shuffle: for
 * i = n − 1 down to 1, swap entry i with entry j, j uniform on {0, …, i} drawn without bias
 * by rejection sampling. All n! orders are equally likely (up to the generator).
 *
 * @param key - the key to consume.
 * @param n - the length, an integer in [0, 2³¹ − 1].
 * @example
 * ```ts
 * const order = permutation(rngKey(0), 100); // shuffled indices for mini-batches
 * ```
 */
export function permutation(key: RngKey, n: number): Int32Array {
  requireKey(key, 'permutation');
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
    throw new RangeError(`permutation: n must be an integer in [0, 2^31 - 1], the length; got ${n}`);
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  const stream = new WordStream(key);
  for (let i = n - 1; i > 0; i--) {
    const j = stream.below(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/**
 * Uniform random integers on {low, …, high − 1}, without modulo bias (a 32-bit draw is
 * rejected when it falls in the incomplete last block of size 2³² mod (high − low)).
 *
 * @param key - the key to consume.
 * @param shape - shape of the result (row-major in the flat output), or a length `n`.
 * @param low - inclusive lower bound, an integer ≥ −2³¹.
 * @param high - exclusive upper bound, an integer ≤ 2³¹ with low < high.
 * @returns the draws as an `Int32Array`.
 * @example
 * ```ts
 * const batch = randint(rngKey(1), 32, 0, 1000); // 32 indices into a data set of 1000
 * ```
 */
export function randint(key: RngKey, shape: Shape | number, low: number, high: number): Int32Array {
  const op = 'randint';
  requireKey(key, op);
  let n: number;
  if (typeof shape === 'number') {
    if (!Number.isInteger(shape) || shape < 0) {
      throw new RangeError(
        `${op}: the length must be a non-negative integer, or pass a shape such as [3, 4]; got ${shape}`,
      );
    }
    n = shape;
  } else {
    n = sizeOfShape(shape, op);
  }
  if (
    !Number.isInteger(low) ||
    !Number.isInteger(high) ||
    low < -0x80000000 ||
    high > 0x80000000 ||
    !(low < high)
  ) {
    throw new RangeError(
      `${op}: low and high must be integers with -2^31 <= low < high <= 2^31 (high is exclusive); ` +
        `got low = ${low}, high = ${high}, e.g. randint(key, 10, 0, 6) for die rolls 0..5`,
    );
  }
  const range = high - low;
  const stream = new WordStream(key);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = low + stream.below(range);
  return out;
}

/**
 * A stateful stream of keys and samples, for code that wants one (weight initializers,
 * mini-batch shuffling). It holds one key; {@link Rng.next} splits it into a new state and a
 * fresh key, and each sampler method consumes one such key. The functional samplers
 * ({@link uniform}, {@link normal}, …) are the primitive: `rng.normal(shape)` is exactly
 * `normal(rng.next(), shape)`. For parallel or reorderable work prefer explicit keys with
 * {@link splitKey} and {@link foldIn}, whose results do not depend on call order.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * const w = rng.normal([2, 64], 0, 0.1);
 * const order = rng.permutation(25);
 * const saved = rng.key; // resume later with new Rng(saved)
 * ```
 */
export class Rng {
  #key: RngKey;

  /** @param seed - an integer seed (see {@link rngKey}) or a key. */
  constructor(seed: number | RngKey) {
    this.#key = typeof seed === 'number' ? rngKey(seed) : requireKey(seed, 'Rng');
  }

  /** The current state; `new Rng(rng.key)` continues this stream identically. */
  get key(): RngKey {
    return this.#key;
  }

  /** A fresh key: splits the state into (new state, returned key). */
  next(): RngKey {
    const [state, fresh] = splitKey(this.#key, 2);
    this.#key = state;
    return fresh;
  }

  /** {@link uniform} with a fresh key. */
  uniform(shape: Shape, low = 0, high = 1): NDArray {
    return uniform(this.next(), shape, low, high);
  }

  /** {@link normal} with a fresh key. */
  normal(shape: Shape, mean = 0, std = 1): NDArray {
    return normal(this.next(), shape, mean, std);
  }

  /** {@link exponential} with a fresh key. */
  exponential(shape: Shape, rate = 1): NDArray {
    return exponential(this.next(), shape, rate);
  }

  /** {@link bernoulli} with a fresh key. */
  bernoulli(shape: Shape, p: number): NDArray {
    return bernoulli(this.next(), shape, p);
  }

  /** {@link permutation} with a fresh key. */
  permutation(n: number): Int32Array {
    return permutation(this.next(), n);
  }

  /** {@link randint} with a fresh key. */
  randint(shape: Shape | number, low: number, high: number): Int32Array {
    return randint(this.next(), shape, low, high);
  }
}
