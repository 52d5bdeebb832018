/**
 * Weight initializers drawn from the seeded generator of `src/tensor/random.ts`: the same key
 * and shape always give the same values, bit for bit.
 *
 * An {@link Initializer} is a small typed object; build one with a factory
 * ({@link glorotUniform}, {@link kaimingNormal}, {@link orthogonal}, …) and pass it to a
 * module, or call `sample(key, shape)` yourself. Fans follow PyTorch: for a weight of shape
 * [out, in, k₁, k₂, …], fan_in = in·k₁·k₂·… and fan_out = out·k₁·k₂·….
 */
import { Tensor } from '../autodiff/tensor.js';
import { rejectUnknown } from '../ode/options.js';
import { NDArray } from '../tensor/ndarray.js';
import { normal, type RngKey, uniform } from '../tensor/random.js';
import { checkShape, formatShape, type Shape, sizeOf } from '../tensor/shape.js';

/**
 * Draws a parameter tensor of a given shape from a key.
 *
 * @example
 * ```ts
 * const init: Initializer = glorotUniform();
 * init.sample(rngKey(0), [4, 3]).shape; // [4, 3]
 * init.name;                            // 'glorotUniform(gain = 1)'
 * ```
 */
export interface Initializer {
  /** What it draws, with its settings, e.g. `'kaimingUniform(a = 0, fanIn, leakyRelu)'`. */
  readonly name: string;
  /** A tensor of `shape` drawn from `key`; the same key and shape give the same tensor. */
  sample(key: RngKey, shape: Shape): Tensor;
}

/** The nonlinearities with a recommended gain (PyTorch's `nn.init.calculate_gain`). */
export type Nonlinearity = 'linear' | 'identity' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'selu';

const NONLINEARITIES: readonly Nonlinearity[] = [
  'linear',
  'identity',
  'sigmoid',
  'tanh',
  'relu',
  'leakyRelu',
  'selu',
];

/**
 * The recommended gain for a nonlinearity (PyTorch's `calculate_gain`): 1 for linear,
 * identity and sigmoid; 5/3 for tanh; √2 for relu; √(2/(1 + a²)) for leaky relu with
 * negative slope a (default 0.01); 3/4 for selu.
 *
 * @param nonlinearity - the activation that follows the layer.
 * @param negativeSlope - a, for `'leakyRelu'` only (default 0.01).
 * @example
 * ```ts
 * gain('tanh');               // 1.6666666666666667
 * gain('leakyRelu', Math.sqrt(5)); // √(1/3) = 0.5773502691896258
 * ```
 */
export function gain(nonlinearity: Nonlinearity, negativeSlope = 0.01): number {
  switch (nonlinearity) {
    case 'linear':
    case 'identity':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu':
      if (!Number.isFinite(negativeSlope)) {
        throw new RangeError(`gain: the leaky relu slope must be a finite number, got ${negativeSlope}`);
      }
      return Math.sqrt(2 / (1 + negativeSlope * negativeSlope));
    case 'selu':
      return 3 / 4;
    default:
      throw new TypeError(
        `gain: unknown nonlinearity ${JSON.stringify(nonlinearity)}; use one of ${NONLINEARITIES.join(', ')}`,
      );
  }
}

/**
 * fan_in and fan_out of a weight of shape [out, in, k₁, …] (PyTorch's convention):
 * fan_in = in·Πkᵢ, fan_out = out·Πkᵢ.
 *
 * @throws RangeError for shapes of rank below 2 (a bias has no fans: give it its own
 * initializer, e.g. {@link uniformInit} with the weight's bound).
 * @example
 * ```ts
 * fans([8, 3]);        // { fanIn: 3, fanOut: 8 }
 * fans([16, 4, 3, 3]); // { fanIn: 36, fanOut: 144 }
 * ```
 */
export function fans(shape: Shape): { fanIn: number; fanOut: number } {
  if (shape.length < 2) {
    throw new RangeError(
      `fans: a weight of shape ${formatShape(shape)} has no fan-in/fan-out (rank < 2); ` +
        'initialize vectors such as biases with uniformInit, normalInit, zerosInit or constantInit',
    );
  }
  const receptive = sizeOf(shape.slice(2));
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

function checkFinite(value: number, name: string, where: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${where}: ${name} must be a finite number, got ${String(value)}`);
  }
}

function checkFanNonZero(fan: number, shape: Shape, where: string): void {
  if (fan === 0) throw new RangeError(`${where}: the weight shape ${formatShape(shape)} has a zero fan`);
}

function makeInitializer(name: string, sample: (key: RngKey, shape: Shape) => NDArray): Initializer {
  return Object.freeze({
    name,
    sample: (key: RngKey, shape: Shape): Tensor => {
      checkShape(shape, name);
      return new Tensor(sample(key, shape.slice()));
    },
  });
}

/**
 * Samples U(low, high).
 *
 * @example
 * ```ts
 * const h = 16;
 * uniformInit(-1 / Math.sqrt(h), 1 / Math.sqrt(h)).sample(rngKey(0), [64, h]);
 * ```
 */
export function uniformInit(low: number, high: number): Initializer {
  checkFinite(low, 'low', 'uniformInit');
  checkFinite(high, 'high', 'uniformInit');
  if (!(low < high)) throw new RangeError(`uniformInit: need low < high, got low = ${low}, high = ${high}`);
  return makeInitializer(`uniform(${low}, ${high})`, (key, shape) => uniform(key, shape, low, high));
}

/**
 * Samples N(mean, std²).
 *
 * @example
 * ```ts
 * normalInit(0, 0.01).sample(rngKey(0), [3, 3]);
 * ```
 */
export function normalInit(mean: number, std: number): Initializer {
  checkFinite(mean, 'mean', 'normalInit');
  checkFinite(std, 'std', 'normalInit');
  if (std < 0) throw new RangeError(`normalInit: std must be ≥ 0, got ${std}`);
  return makeInitializer(`normal(${mean}, ${std})`, (key, shape) => normal(key, shape, mean, std));
}

/**
 * Every entry equal to `value` (the key is not used).
 *
 * @example
 * ```ts
 * constantInit(0.5).sample(rngKey(0), [2]).toArray(); // [0.5, 0.5]
 * ```
 */
export function constantInit(value: number): Initializer {
  if (typeof value !== 'number') throw new TypeError(`constantInit: value must be a number, got ${value}`);
  return makeInitializer(`constant(${value})`, (_key, shape) => NDArray.full(shape, value));
}

/**
 * Zeros (the key is not used).
 *
 * @example
 * ```ts
 * zerosInit().sample(rngKey(0), [2]).toArray(); // [0, 0]
 * ```
 */
export function zerosInit(): Initializer {
  return makeInitializer('zeros', (_key, shape) => NDArray.zeros(shape));
}

/**
 * Ones (the key is not used).
 *
 * @example
 * ```ts
 * onesInit().sample(rngKey(0), [2]).toArray(); // [1, 1]
 * ```
 */
export function onesInit(): Initializer {
  return makeInitializer('ones', (_key, shape) => NDArray.full(shape, 1));
}

/** Options of the Glorot (Xavier) initializers. */
export interface GlorotOptions {
  /** Scale factor g (default 1; use {@link gain} for the layer's nonlinearity). */
  gain?: number;
}

function glorotGain(options: GlorotOptions, where: string): number {
  rejectUnknown(where, options, ['gain']);
  const g = options.gain ?? 1;
  checkFinite(g, 'gain', where);
  return g;
}

/**
 * Glorot (Xavier) uniform: U(−a, a) with a = g·√(6/(fan_in + fan_out)), so that
 * Var = g²·2/(fan_in + fan_out) (Glorot & Bengio 2010, "Understanding the difficulty of
 * training deep feedforward neural networks"). PyTorch's `xavier_uniform_`.
 *
 * @example
 * ```ts
 * glorotUniform({ gain: gain('tanh') }).sample(rngKey(1), [64, 2]);
 * ```
 */
export function glorotUniform(options: GlorotOptions = {}): Initializer {
  const g = glorotGain(options, 'glorotUniform');
  return makeInitializer(`glorotUniform(gain = ${g})`, (key, shape) => {
    const { fanIn, fanOut } = fans(shape);
    checkFanNonZero(fanIn + fanOut, shape, 'glorotUniform');
    const a = g * Math.sqrt(6 / (fanIn + fanOut));
    return a > 0 ? uniform(key, shape, -a, a) : NDArray.zeros(shape);
  });
}

/**
 * Glorot (Xavier) normal: N(0, σ²) with σ = g·√(2/(fan_in + fan_out)). PyTorch's
 * `xavier_normal_`.
 *
 * @example
 * ```ts
 * glorotNormal().sample(rngKey(1), [64, 2]);
 * ```
 */
export function glorotNormal(options: GlorotOptions = {}): Initializer {
  const g = glorotGain(options, 'glorotNormal');
  return makeInitializer(`glorotNormal(gain = ${g})`, (key, shape) => {
    const { fanIn, fanOut } = fans(shape);
    checkFanNonZero(fanIn + fanOut, shape, 'glorotNormal');
    return normal(key, shape, 0, Math.abs(g) * Math.sqrt(2 / (fanIn + fanOut)));
  });
}

/** Which fan a Kaiming initializer preserves the variance of. */
export type FanMode = 'fanIn' | 'fanOut';

/** Options of the Kaiming (He) initializers; the defaults are PyTorch's. */
export interface KaimingOptions {
  /** Negative slope of the leaky relu that follows (default 0; only used by `'leakyRelu'`). */
  a?: number;
  /** `'fanIn'` (default) keeps the forward variance, `'fanOut'` the backward variance. */
  mode?: FanMode;
  /** The nonlinearity after the layer, for its {@link gain} (default `'leakyRelu'`). */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(options: KaimingOptions, shape: Shape, where: string): number {
  const { fanIn, fanOut } = fans(shape);
  const fan = (options.mode ?? 'fanIn') === 'fanIn' ? fanIn : fanOut;
  checkFanNonZero(fan, shape, where);
  return gain(options.nonlinearity ?? 'leakyRelu', options.a ?? 0) / Math.sqrt(fan);
}

function checkKaiming(options: KaimingOptions, where: string): string {
  rejectUnknown(where, options, ['a', 'mode', 'nonlinearity']);
  const a = options.a ?? 0;
  checkFinite(a, 'a', where);
  const mode = options.mode ?? 'fanIn';
  if (mode !== 'fanIn' && mode !== 'fanOut') {
    throw new TypeError(`${where}: mode must be 'fanIn' or 'fanOut', got ${JSON.stringify(mode)}`);
  }
  const nl = options.nonlinearity ?? 'leakyRelu';
  gain(nl, a); // validates the name
  return `${where}(a = ${a}, ${mode}, ${nl})`;
}

/**
 * Kaiming (He) uniform: U(−b, b) with b = √3·gain/√fan, so that Var = gain²/fan (He et al.
 * 2015, "Delving deep into rectifiers"). PyTorch's `kaiming_uniform_`; with
 * `{ a: √5 }` it is PyTorch's default for `nn.Linear` and `nn.Conv*` weights,
 * U(±1/√fan_in).
 *
 * @example
 * ```ts
 * kaimingUniform({ nonlinearity: 'relu' }).sample(rngKey(2), [128, 64]);
 * kaimingUniform({ a: Math.sqrt(5) }).sample(rngKey(2), [8, 4]); // U(±1/2)
 * ```
 */
export function kaimingUniform(options: KaimingOptions = {}): Initializer {
  const name = checkKaiming(options, 'kaimingUniform');
  return makeInitializer(name, (key, shape) => {
    const bound = Math.sqrt(3) * kaimingStd(options, shape, 'kaimingUniform');
    return uniform(key, shape, -bound, bound);
  });
}

/**
 * Kaiming (He) normal: N(0, σ²) with σ = gain/√fan. PyTorch's `kaiming_normal_`.
 *
 * @example
 * ```ts
 * kaimingNormal({ nonlinearity: 'relu', mode: 'fanOut' }).sample(rngKey(2), [16, 3, 3, 3]);
 * ```
 */
export function kaimingNormal(options: KaimingOptions = {}): Initializer {
  const name = checkKaiming(options, 'kaimingNormal');
  return makeInitializer(name, (key, shape) =>
    normal(key, shape, 0, kaimingStd(options, shape, 'kaimingNormal')),
  );
}

/**
 * LeCun uniform: U(−b, b) with b = √(3/fan_in), so that Var = 1/fan_in (LeCun et al. 1998,
 * "Efficient BackProp"; the SELU initialization).
 *
 * @example
 * ```ts
 * lecunUniform().sample(rngKey(3), [32, 16]);
 * ```
 */
export function lecunUniform(): Initializer {
  return makeInitializer('lecunUniform', (key, shape) => {
    const { fanIn } = fans(shape);
    checkFanNonZero(fanIn, shape, 'lecunUniform');
    const bound = Math.sqrt(3 / fanIn);
    return uniform(key, shape, -bound, bound);
  });
}

/**
 * LeCun normal: N(0, 1/fan_in) (untruncated; JAX's `lecun_normal` truncates at 2σ and
 * rescales, this does not).
 *
 * @example
 * ```ts
 * lecunNormal().sample(rngKey(3), [32, 16]);
 * ```
 */
export function lecunNormal(): Initializer {
  return makeInitializer('lecunNormal', (key, shape) => {
    const { fanIn } = fans(shape);
    checkFanNonZero(fanIn, shape, 'lecunNormal');
    return normal(key, shape, 0, Math.sqrt(1 / fanIn));
  });
}

/** Options of {@link orthogonal}. */
export interface OrthogonalOptions {
  /** Scale factor g of the orthogonal matrix (default 1). */
  gain?: number;
}

/**
 * A (semi-)orthogonal matrix times g (Saxe, McClelland & Ganguli 2014, "Exact solutions to
 * the nonlinear dynamics of learning in deep linear neural networks"), as PyTorch's
 * `orthogonal_`: the weight is viewed as a matrix of r = shape[0] rows and c = Π shape[1:]
 * columns; a Gaussian matrix of the taller orientation (max(r, c) × min(r, c)) is factored
 * A = QR by Householder reflections, Q's columns are multiplied by sign(diag R) (which makes
 * the factorization unique and Q Haar-distributed, Mezzadri 2007), and Q or Qᵀ is returned.
 * So QᵀQ = I when r ≥ c and QQᵀ = I when r < c.
 *
 * @example
 * ```ts
 * const q = orthogonal().sample(rngKey(4), [6, 6]); // qᵀq = I to rounding
 * orthogonal({ gain: gain('tanh') }).sample(rngKey(4), [4 * 32, 32]); // recurrent weights
 * ```
 */
export function orthogonal(options: OrthogonalOptions = {}): Initializer {
  rejectUnknown('orthogonal', options, ['gain']);
  const g = options.gain ?? 1;
  checkFinite(g, 'gain', 'orthogonal');
  return makeInitializer(`orthogonal(gain = ${g})`, (key, shape) => {
    if (shape.length < 2) {
      throw new RangeError(
        `orthogonal: needs a weight of rank ≥ 2, got ${formatShape(shape)}; for vectors use another initializer`,
      );
    }
    const rows = shape[0];
    const cols = sizeOf(shape) / Math.max(rows, 1);
    const out = new Float64Array(rows * cols);
    if (rows === 0 || cols === 0) return new NDArray(out, shape);
    const m = Math.max(rows, cols);
    const n = Math.min(rows, cols);
    const a = normal(key, [m, n]).data;
    const q = householderQ(a, m, n);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        // rows ≥ cols: W = Q (m = rows); otherwise W = Qᵀ (m = cols)
        out[i * cols + j] = g * (rows >= cols ? q[i * n + j] : q[j * n + i]);
      }
    }
    return new NDArray(out, shape);
  });
}

/**
 * The m × n factor Q (m ≥ n, row-major) of A = QR by Householder reflections, with its columns
 * signed so that diag(R) > 0. `a` is overwritten.
 *
 * Column k: v = x − αe₁ with x = A[k:, k], α = −sign(x₀)‖x‖ (no cancellation), H = I − 2vvᵀ/vᵀv;
 * R_kk = α. Q = H₀H₁⋯H_{n−1}·I[:, :n] is formed by applying the reflections in reverse.
 */
function householderQ(a: Float64Array, m: number, n: number): Float64Array {
  const vs: Float64Array[] = [];
  const signs = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let norm2 = 0;
    for (let i = k; i < m; i++) norm2 += a[i * n + k] * a[i * n + k];
    const norm = Math.sqrt(norm2);
    const x0 = a[k * n + k];
    const alpha = x0 >= 0 ? -norm : norm;
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = a[i * n + k];
    v[0] -= alpha;
    let vv = 0;
    for (let i = 0; i < v.length; i++) vv += v[i] * v[i];
    if (vv > 0) {
      // A[k:, k:] ← (I − 2vvᵀ/vᵀv)·A[k:, k:]
      for (let j = k; j < n; j++) {
        let s = 0;
        for (let i = k; i < m; i++) s += v[i - k] * a[i * n + j];
        const f = (2 * s) / vv;
        for (let i = k; i < m; i++) a[i * n + j] -= f * v[i - k];
      }
    } else v.fill(0);
    vs.push(v);
    // R_kk = α after the reflection (or x₀ when x was already a multiple of e₁, vv = 0)
    const rkk = vv > 0 ? alpha : x0;
    signs[k] = rkk < 0 ? -1 : 1;
  }
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    let vv = 0;
    for (let i = 0; i < v.length; i++) vv += v[i] * v[i];
    if (vv === 0) continue;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += v[i - k] * q[i * n + j];
      const f = (2 * s) / vv;
      for (let i = k; i < m; i++) q[i * n + j] -= f * v[i - k];
    }
  }
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) q[i * n + j] *= signs[j];
  return q;
}
