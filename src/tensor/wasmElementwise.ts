/**
 * WebAssembly SIMD (f64x2) kernels for elementwise transcendental functions: tanh, exp and
 * the logistic sigmoid; and the chain rule through tanh, g·(1 − h²), for network backward passes.
 *
 * The module is assembled at load time by `wasmAssembler.ts` and instantiated synchronously
 * on first use, like the gemm back end (`wasmGemm.ts`). Its memory holds a table of the
 * kernels' constants followed by two data regions of {@link CHUNK} doubles. A call copies a
 * chunk of its input in with `TypedArray.set` (and, for a two-operand kernel, the matching chunk
 * of the second operand into the second region), the kernel overwrites the first region in
 * place, and the chunk is copied out through a cached view; longer arrays go chunk by chunk, so
 * memory never grows.
 *
 * The constants are read from the table into locals once per call, rather than written as
 * `v128.const`: V8's optimizing compiler would otherwise rebuild each constant at every use
 * inside the loop (three instructions apiece), about 20% slower.
 *
 * Every lane runs the same branch-free instruction sequence (both branches of a piecewise
 * formula are computed and one is chosen by masks), so each result is a pure function of its
 * own input: it does not depend on the array's length, on the element's position, or on its
 * neighbour in the vector. Padding lanes past the end of the data are computed and never
 * copied out.
 *
 * Where WebAssembly or its SIMD proposal is missing, or a content security policy forbids
 * compiling, the functions here return `false` and the caller uses its JavaScript loop.
 */
import { encodeModule, FunctionBuilder, I32, V128 } from './wasmAssembler.js';

/** Bytes at the start of memory reserved for the constant table (16 bytes per constant). */
const TABLE_BYTES = 1024;
/** Doubles processed per call into WebAssembly (64 KiB). */
const CHUNK = 8192;
/** The data region holds two chunks: the operand (overwritten in place) and a second operand. */
const PAGES = Math.ceil((TABLE_BYTES + 2 * CHUNK * 8) / 65536);
/** Vectors of two doubles per loop iteration, their instructions interleaved. */
const UNROLL = 2;
/** Doubles per loop iteration; chunks are padded to a multiple of it. */
const STEP = 2 * UNROLL;

/**
 * The kernels' constants, stored from byte 0 of memory, each in both lanes of a 16-byte slot
 * and shared by all kernels that use the same value.
 */
class ConstantTable {
  readonly values: number[] = [];
  private readonly slots = new Map<string, number>();

  /** The byte offset of `value`'s slot, added on first use. */
  offset(value: number): number {
    const key = Object.is(value, -0) ? '-0' : String(value);
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.values.length;
      if (16 * (slot + 1) > TABLE_BYTES)
        throw new Error('wasmElementwise: constant table overflows its region');
      this.values.push(value);
      this.slots.set(key, slot);
    }
    return 16 * slot;
  }
}

/** Declares a local holding `value` in both lanes, read from the table at function entry. */
function loadConstant(f: FunctionBuilder, table: ConstantTable, value: number): number {
  const local = f.local(V128);
  f.i32(0).v128Load(table.offset(value)).set(local);
  return local;
}

/**
 * The loop of a kernel `(begin, end)` over the f64 byte range [begin, end), a multiple of
 * 16·UNROLL bytes long. `stages` are emitted in order, each for every vector of the
 * iteration in turn, so that independent work sits side by side for the out-of-order core
 * (about 10% faster than one vector after the other); `lanes(offset)` declares the locals of
 * the vector at byte `offset` of the iteration.
 */
function emitLoop<L>(
  f: FunctionBuilder,
  lanes: (offset: number) => L,
  stages: readonly ((l: L) => void)[],
): void {
  const [p, end] = [0, 1];
  const vectors = Array.from({ length: UNROLL }, (_, v) => lanes(16 * v));
  f.loopWhile(p, end, () => {
    for (const stage of stages) for (const l of vectors) stage(l);
    f.increment(p, 16 * UNROLL);
  });
}

// --- tanh coefficients -------------------------------------------------------------------

/**
 * Cephes `tanh.c` (S. L. Moshier, Cephes Math Library 2.8, 2000) for |x| ≤ 0.625:
 * tanh x = x + x·z·P(z)/Q(z), z = x², relative error ≈ 2.5e-16. P is listed highest degree
 * first; Q is monic (its leading 1 is implicit). Here and below, each literal is the shortest
 * decimal of the double nearest to the published 21-digit value.
 */
const TANH_P = [-0.9643991794250523, -99.28772310019185, -1614.6876844170845] as const;
const TANH_Q = [112.81167849163293, 2235.4883906010045, 4844.063053251255] as const;
/** Below this |x| the rational form is used; from it on, 1 − 2/(e^{2|x|} + 1). */
const TANH_RATIONAL_BOUND = 0.625;
/**
 * |x| is clamped to this first: tanh rounds to exactly ±1 for |x| > 19.06 (where
 * 2·e^{−2|x|} < 2⁻⁵⁴, half an ulp below 1), and e^{40} < 2⁵⁸ keeps 2^k a normal double.
 */
const TANH_CLAMP = 20;

/**
 * fdlibm `e_exp.c` (Sun Microsystems, 1993): Remez coefficients P1…P5 of
 * R(r²) ≈ r·(e^r + 1)/(e^r − 1) − 2 on |r| ≤ ln2/2 (error < 2⁻⁵⁹), with which
 * c = r − r²·(P1 + r²·(P2 + … + r²·P5)) gives e^r = 1 + 2r/(2 − c).
 */
const EXP_P = [
  0.16666666666666602, -0.0027777777777015593, 0.00006613756321437934, -0.0000016533902205465252,
  4.1381367970572385e-8,
] as const;
/** ln 2 split for Cody–Waite reduction (fdlibm): k·LN2_HI is exact for |k| < 2²⁰. */
const LN2_HI = 0.6931471803691238; // 0x3FE62E42FEE00000
const LN2_LO = 1.9082149292705877e-10; // 0x3DEA39EF35793C76
/**
 * 1.5·2⁵² + 1023: adding it to t (|t| < 2⁵⁰) rounds t to an integer k and leaves k + 1023 in
 * the low bits of the sum's mantissa, so shifting the sum's bits left by 52 gives 2^k.
 */
const ROUND_SHIFTER = 6755399441055744 + 1023;

/**
 * `tanh(begin, end)`: replaces each f64 in the byte range [begin, end) (a multiple of
 * 16·UNROLL bytes long) with its hyperbolic tangent, reading its constants from `table`
 * (filled by this function, to be stored at byte 0, each constant in both lanes).
 *
 * With a = min(|x|, 20), in every lane:
 *
 * - rational branch (a < 0.625), on aₛ = a, and 0 in the other lanes:
 *   tanh a = aₛ − n/d, n = aₛ·z·(−P)(z), d = Q(z), z = aₛ²;
 * - exponential branch: 2a = k·ln2 + 2ρ (Cody–Waite, |ρ| ≤ ln2/4). fdlibm's
 *   e^r = 1 + 2r/(2 − c) with r = 2ρ reads e^{2ρ} = (T + ρ)/(T − ρ), where T = 1 + ρ²·H(ρ²) and
 *   H has fdlibm's coefficients scaled exactly by powers of two (Hⱼ = P_{j+1}·2^{2j+1}), so
 *   every rounding is that of the unscaled formula. With w = T − ρ, v = T + ρ:
 *   2/(e^{2a} + 1) = 2w/(2^k·v + w), and tanh a = 1 − n/d with n = 2w, d = 2^k·v + w.
 *
 * One division serves both: n is the sum of the rational numerator (0 off its lanes) and 2w
 * masked to the exponential lanes; d = pmax(2^k·v + w, Q) where Q's constant term is masked
 * to the rational lanes (there Q ≥ 4844 > 2^k·v + w, elsewhere Q = 0). The result is
 * (a or 1) − n/d with the sign of x copied on (both terms are ≥ 0), which keeps tanh(−0) = −0.
 */
function buildTanh(table: ConstantTable): FunctionBuilder {
  const f = new FunctionBuilder('tanh', [I32, I32]);
  const p = 0;
  const constant = (value: number): number => loadConstant(f, table, value);
  const clamp = constant(TANH_CLAMP);
  const bound = constant(TANH_RATIONAL_BOUND);
  const negP = TANH_P.map((c) => constant(-c));
  const q = TANH_Q.map(constant);
  const twoInvLn2 = constant(2 * Math.LOG2E);
  const shifter = constant(ROUND_SHIFTER);
  const halfLn2Hi = constant(LN2_HI / 2);
  const halfLn2Lo = constant(LN2_LO / 2);
  const hCoef = EXP_P.map((c, j) => constant(c * 2 ** (2 * j + 1)));
  const one = constant(1);

  /** Locals of one vector in flight. */
  const lanes = (offset: number) => ({
    offset,
    x: f.local(V128),
    a: f.local(V128),
    sign: f.local(V128),
    mask: f.local(V128),
    aSmall: f.local(V128),
    z: f.local(V128),
    kShifted: f.local(V128),
    k: f.local(V128),
    rho: f.local(V128),
    s: f.local(V128),
    s2: f.local(V128),
    t1: f.local(V128),
    w: f.local(V128),
    num: f.local(V128),
    den: f.local(V128),
  });
  type Lanes = ReturnType<typeof lanes>;

  const stages: ((l: Lanes) => void)[] = [
    ({ offset, x, a, sign, mask, aSmall }) => {
      f.get(p).v128Load(offset).set(x);
      f.get(x).f64x2Abs().set(a);
      f.get(x).get(a).v128Xor().set(sign);
      f.get(a).get(clamp).f64x2Pmin().set(a); // clamp < a ? clamp : a (NaN stays NaN)
      f.get(a).get(bound).f64x2Lt().set(mask); // the rational lanes
      f.get(a).get(mask).v128And().set(aSmall);
    },
    ({ a, kShifted, k, rho }) => {
      // 2a = k·ln2 + 2ρ, computed halved: ρ = a − k·ln2/2.
      f.get(a).get(twoInvLn2).f64x2Mul().get(shifter).f64x2Add().set(kShifted);
      f.get(kShifted).get(shifter).f64x2Sub().set(k);
      f.get(a).get(k).get(halfLn2Hi).f64x2Mul().f64x2Sub();
      f.get(k).get(halfLn2Lo).f64x2Mul().f64x2Sub().set(rho);
    },
    ({ aSmall, z, num, den, mask }) => {
      // Rational numerator aₛ·z·(−P)(z) and denominator Q(z), constant term masked.
      f.get(aSmall).get(aSmall).f64x2Mul().set(z);
      f.get(aSmall).get(z).f64x2Mul();
      f.get(negP[0]).get(z).f64x2Mul().get(negP[1]).f64x2Add().get(z).f64x2Mul().get(negP[2]).f64x2Add();
      f.f64x2Mul().set(num);
      f.get(z).get(q[0]).f64x2Add().get(z).f64x2Mul().get(q[1]).f64x2Add().get(z).f64x2Mul();
      f.get(q[2]).get(mask).v128And().f64x2Add().set(den);
    },
    ({ rho, s, s2, t1 }) => {
      // T = 1 + s·H(s), s = ρ², H by Estrin's scheme (a shorter dependency chain than Horner's).
      f.get(rho).get(rho).f64x2Mul().set(s);
      f.get(s).get(s).f64x2Mul().set(s2);
      f.get(hCoef[1]).get(s).f64x2Mul().get(hCoef[0]).f64x2Add();
      f.get(hCoef[4]).get(s2).f64x2Mul();
      f.get(hCoef[3]).get(s).f64x2Mul().get(hCoef[2]).f64x2Add().f64x2Add();
      f.get(s2).f64x2Mul().f64x2Add();
      f.get(s).f64x2Mul().get(one).f64x2Add().set(t1);
    },
    ({ num, w, mask, den, kShifted, rho, t1 }) => {
      f.get(t1).get(rho).f64x2Sub().set(w);
      // n += 2w on the exponential lanes; d = pmax(2^k·(T + ρ) + w, Q) with
      // 2^k = (k + 1023) << 52 from the low mantissa bits of kShifted.
      f.get(num).get(w).get(w).f64x2Add().get(mask).v128Andnot().f64x2Add().set(num);
      f.get(kShifted).i32(52).i64x2Shl();
      f.get(t1).get(rho).f64x2Add().f64x2Mul().get(w).f64x2Add();
      f.get(den).f64x2Pmax().set(den);
    },
    ({ num, den }) => {
      f.get(num).get(den).f64x2Div().set(num);
    },
    ({ offset, mask, aSmall, num, sign }) => {
      // (aₛ or 1) − n/d, then the sign of x.
      f.get(p);
      f.get(one).get(mask).v128Andnot().get(aSmall).v128Or();
      f.get(num).f64x2Sub().get(sign).v128Or();
      f.v128Store(offset);
    },
  ];
  emitLoop(f, lanes, stages);
  return f;
}

// --- exp and sigmoid -----------------------------------------------------------------------

/**
 * Arguments are clamped to [EXP_LOW, EXP_HIGH]: e^x rounds to 0 below −745.14 and overflows
 * above 709.79, and the clamped values still do, so ±∞ map to 0 and +∞ and k stays in range.
 */
const EXP_LOW = -745.2;
const EXP_HIGH = 709.79;
/** 2^k is applied as 2^{k₁}·2^{k₂} with k₁ clamped to this range, so y·2^{k₁} is exact. */
const EXP_K1_MIN = -1021;
const EXP_K1_MAX = 1023;

/** The per-vector locals of {@link expStages}. */
interface ExpLanes {
  /** The argument v on entry (clamped in place); e^v on exit. */
  v: number;
  kShifted: number;
  k: number;
  hi: number;
  lo: number;
  r: number;
  t: number;
  t2: number;
  c: number;
  k1: number;
}

function expLanes(f: FunctionBuilder): ExpLanes {
  return {
    v: f.local(V128),
    kShifted: f.local(V128),
    k: f.local(V128),
    hi: f.local(V128),
    lo: f.local(V128),
    r: f.local(V128),
    t: f.local(V128),
    t2: f.local(V128),
    c: f.local(V128),
    k1: f.local(V128),
  };
}

/**
 * Stages replacing `v` by e^v, the algorithm of fdlibm `e_exp.c`: v = k·ln2 + r with
 * r = hi − lo (Cody–Waite, |r| ≤ ln2/2), c = r − r²·R(r²) with its Remez polynomial R, and
 *
 *   e^v = 2^k·y,   y = 1 − ((lo − r·c/(2 − c)) − hi),
 *
 * R evaluated by Estrin's scheme. 2^k is applied in two exact factors, k₁ = clamp(k, −1021,
 * 1023) and k₂ = k − k₁ ∈ [−56, 1]: y·2^{k₁} is a normal double, and the product with 2^{k₂}
 * rounds once, into the subnormal range or to +∞ where e^v does.
 */
function expStages(f: FunctionBuilder, table: ConstantTable): ((l: ExpLanes) => void)[] {
  const constant = (value: number): number => loadConstant(f, table, value);
  const low = constant(EXP_LOW);
  const high = constant(EXP_HIGH);
  const invLn2 = constant(Math.LOG2E);
  const shifter = constant(ROUND_SHIFTER);
  const ln2Hi = constant(LN2_HI);
  const ln2Lo = constant(LN2_LO);
  const pc = EXP_P.map(constant);
  const one = constant(1);
  const two = constant(2);
  const k1Min = constant(ROUND_SHIFTER + EXP_K1_MIN);
  const k1Max = constant(ROUND_SHIFTER + EXP_K1_MAX);
  return [
    ({ v, kShifted, k }) => {
      // high < v ? high : v, then v < low ? low : v: NaN stays NaN.
      f.get(v).get(high).f64x2Pmin().get(low).f64x2Pmax().set(v);
      f.get(v).get(invLn2).f64x2Mul().get(shifter).f64x2Add().set(kShifted);
      f.get(kShifted).get(shifter).f64x2Sub().set(k);
    },
    ({ v, k, hi, lo, r }) => {
      f.get(v).get(k).get(ln2Hi).f64x2Mul().f64x2Sub().set(hi);
      f.get(k).get(ln2Lo).f64x2Mul().set(lo);
      f.get(hi).get(lo).f64x2Sub().set(r);
    },
    ({ r, t, t2, c }) => {
      // c = r − t·R(t), t = r², R = (P1 + P2·t) + t²·((P3 + P4·t) + P5·t²).
      f.get(r).get(r).f64x2Mul().set(t);
      f.get(t).get(t).f64x2Mul().set(t2);
      f.get(r).get(t);
      f.get(pc[1]).get(t).f64x2Mul().get(pc[0]).f64x2Add();
      f.get(pc[4]).get(t2).f64x2Mul();
      f.get(pc[3]).get(t).f64x2Mul().get(pc[2]).f64x2Add().f64x2Add();
      f.get(t2).f64x2Mul().f64x2Add();
      f.f64x2Mul().f64x2Sub().set(c);
    },
    ({ v, r, c, hi, lo }) => {
      // y = 1 − ((lo − r·c/(2 − c)) − hi), kept in v.
      f.get(one).get(lo);
      f.get(r).get(c).f64x2Mul().get(two).get(c).f64x2Sub().f64x2Div();
      f.f64x2Sub().get(hi).f64x2Sub().f64x2Sub().set(v);
    },
    ({ v, kShifted, k1 }) => {
      // 2^{k₁}, 2^{k₂} = (k₁ + 1023) << 52, (k₂ + 1023) << 52 from the shifted forms.
      f.get(kShifted).get(k1Min).f64x2Pmax().get(k1Max).f64x2Pmin().set(k1);
      f.get(v).get(k1).i32(52).i64x2Shl().f64x2Mul();
      f.get(kShifted).get(k1).f64x2Sub().get(shifter).f64x2Add().i32(52).i64x2Shl();
      f.f64x2Mul().set(v);
    },
  ];
}

/** `exp(begin, end)`: replaces each f64 in [begin, end) with its exponential. */
function buildExp(table: ConstantTable): FunctionBuilder {
  const f = new FunctionBuilder('exp', [I32, I32]);
  const p = 0;
  const stages = expStages(f, table);
  const lanes = (offset: number) => ({ offset, ...expLanes(f) });
  emitLoop(f, lanes, [
    ({ offset, v }) => {
      f.get(p).v128Load(offset).set(v);
    },
    ...stages,
    ({ offset, v }) => {
      f.get(p).get(v).v128Store(offset);
    },
  ]);
  return f;
}

/**
 * `sigmoid(begin, end)`: replaces each f64 x in [begin, end) with 1/(1 + e^{−x}), as
 * 1/(1 + t) for x ≥ 0 and t/(1 + t) for x < 0, t = e^{−|x|} ≤ 1 (no overflow either side).
 * The numerator is pmax(t, 1 or 0): 1 where x ≥ 0 (and for −0), t where x < 0.
 */
function buildSigmoid(table: ConstantTable): FunctionBuilder {
  const f = new FunctionBuilder('sigmoid', [I32, I32]);
  const p = 0;
  const signBit = loadConstant(f, table, -0);
  const zero = loadConstant(f, table, 0);
  const one = loadConstant(f, table, 1);
  const stages = expStages(f, table);
  const lanes = (offset: number) => ({ offset, x: f.local(V128), oneOrZero: f.local(V128), ...expLanes(f) });
  emitLoop(f, lanes, [
    ({ offset, x, v, oneOrZero }) => {
      f.get(p).v128Load(offset).set(x);
      f.get(x).get(signBit).v128Or().set(v); // −|x|
      f.get(one).get(x).get(zero).f64x2Lt().v128Andnot().set(oneOrZero);
    },
    ...stages,
    ({ offset, v, oneOrZero }) => {
      f.get(p);
      f.get(v).get(oneOrZero).f64x2Pmax().get(one).get(v).f64x2Add().f64x2Div();
      f.v128Store(offset);
    },
  ]);
  return f;
}

/**
 * `tanhBackward(begin, end)`: g ← g·(1 − h²) for each f64 g in [begin, end) and the h
 * `CHUNK` doubles after it — the chain rule through tanh, from the activations h = tanh(z).
 * The operations and their order are those of the JavaScript expression `g * (1 - h * h)`.
 */
function buildTanhBackward(table: ConstantTable): FunctionBuilder {
  const f = new FunctionBuilder('tanhBackward', [I32, I32]);
  const p = 0;
  const one = loadConstant(f, table, 1);
  const lanes = (offset: number) => ({ offset, g: f.local(V128), h: f.local(V128) });
  emitLoop(f, lanes, [
    ({ offset, g, h }) => {
      f.get(p).v128Load(offset).set(g);
      f.get(p)
        .v128Load(offset + CHUNK * 8)
        .set(h);
    },
    ({ offset, g, h }) => {
      f.get(p);
      f.get(g).get(one).get(h).get(h).f64x2Mul().f64x2Sub().f64x2Mul();
      f.v128Store(offset);
    },
  ]);
  return f;
}

/** The module's bytes and the constant table its kernels expect at byte 0. */
function assemble(): { bytes: Uint8Array; table: readonly number[] } {
  const table = new ConstantTable();
  const kernels = [buildTanh(table), buildExp(table), buildSigmoid(table), buildTanhBackward(table)];
  const bytes = encodeModule(kernels, PAGES);
  return { bytes, table: table.values };
}

/** The bytes of the elementwise module (exported for inspection and tests). */
export function elementwiseModuleBytes(): Uint8Array {
  return assemble().bytes;
}

// --- Instantiation -----------------------------------------------------------------------

/** The slice of the WebAssembly JS API used here (the project compiles without DOM types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}
type Kernel = (begin: number, end: number) => void;

interface ElementwiseInstance {
  readonly tanh: Kernel;
  readonly exp: Kernel;
  readonly sigmoid: Kernel;
  readonly tanhBackward: Kernel;
  readonly buffer: ArrayBuffer;
  /** The data region, `CHUNK` doubles from byte `TABLE_BYTES` (the memory never grows). */
  readonly data: Float64Array;
  /** The second operand's region, the `CHUNK` doubles after `data`. */
  readonly second: Float64Array;
  /** Views of the first `length` doubles of the data region, by length, for copying out without allocating. */
  readonly outViews: Map<number, Float64Array>;
}

function isKernel(value: unknown): value is Kernel {
  return typeof value === 'function';
}

function memoryBuffer(value: unknown): ArrayBuffer | null {
  if (typeof value !== 'object' || value === null || !('buffer' in value)) return null;
  const buffer = value.buffer;
  return buffer instanceof ArrayBuffer ? buffer : null;
}

/** `undefined`: not tried yet; `null`: unavailable. */
let instance: ElementwiseInstance | null | undefined;

function instantiate(): ElementwiseInstance | null {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) return null;
  try {
    const { bytes, table } = assemble();
    const { exports } = new api.Instance(new api.Module(bytes), {});
    const buffer = memoryBuffer(exports.memory);
    const { tanh, exp, sigmoid, tanhBackward } = exports;
    if (buffer === null || !isKernel(tanh) || !isKernel(exp) || !isKernel(sigmoid) || !isKernel(tanhBackward))
      return null;
    const constants = new Float64Array(buffer, 0, 2 * table.length);
    for (const [i, value] of table.entries()) constants.fill(value, 2 * i, 2 * i + 2);
    const data = new Float64Array(buffer, TABLE_BYTES, CHUNK);
    const second = new Float64Array(buffer, TABLE_BYTES + CHUNK * 8, CHUNK);
    return { tanh, exp, sigmoid, tanhBackward, buffer, data, second, outViews: new Map() };
  } catch {
    // No SIMD support, or compilation forbidden (CSP): the caller uses its JavaScript loop.
    return null;
  }
}

function getInstance(): ElementwiseInstance | null {
  if (instance === undefined) instance = instantiate();
  return instance;
}

/** True when the WebAssembly kernels can run here (compiles the module on first call). */
export function wasmElementwiseAvailable(): boolean {
  return getInstance() !== null;
}

/** A cached view of the first `length` doubles of the data region. */
function outView(inst: ElementwiseInstance, length: number): Float64Array {
  let view = inst.outViews.get(length);
  if (view === undefined) {
    if (inst.outViews.size >= 64) inst.outViews.clear();
    view = new Float64Array(inst.buffer, TABLE_BYTES, length);
    inst.outViews.set(length, view);
  }
  return view;
}

/** Runs `kernel` over `x`, writing `out` (same length), one chunk at a time. */
function mapChunks(inst: ElementwiseInstance, kernel: Kernel, x: Float64Array, out: Float64Array): void {
  const n = x.length;
  for (let start = 0; start < n; start += CHUNK) {
    const length = Math.min(CHUNK, n - start);
    inst.data.set(length === n ? x : x.subarray(start, start + length));
    kernel(TABLE_BYTES, TABLE_BYTES + Math.ceil(length / STEP) * STEP * 8);
    out.set(outView(inst, length), start);
  }
}

/**
 * Hyperbolic tangent of every element, `out[i] = tanh(x[i])`, in WebAssembly SIMD.
 *
 * With a = |x| (clamped to 20, beyond which tanh rounds to ±1):
 *
 * - a < 0.625: the rational approximation of Cephes `tanh.c`,
 *   tanh a = a + a·z·P(z)/Q(z), z = a²;
 * - a ≥ 0.625: tanh a = 1 − 2/(e^{2a} + 1), with 2a = k·ln2 + r (Cody–Waite, |r| ≤ ln2/2)
 *   and e^r = (2 − c + 2r)/(2 − c) from the Remez polynomial c(r) of fdlibm `e_exp.c`, so
 *   that 2/(e^{2a} + 1) = 2(2 − c)/(2^k·(2 − c + 2r) + (2 − c)) takes one division, shared
 *   with the rational branch;
 *
 * then the sign of x is copied onto the result. Both branches run in every lane and one is
 * selected, so the result for an element depends only on its value, never on the array's
 * length or the element's position. No fused multiply–add is used, so results are the same
 * on every engine.
 *
 * Accuracy: within 2 ulp of the exact tanh over the whole double range (1.3 ulp is the
 * largest error observed, just above 0.625; under 0.8 ulp below it). tanh(±0) = ±0,
 * tanh(±∞) = ±1, NaN gives NaN, |x| < 2⁻²⁸ gives x exactly and |x| > 19.1 gives exactly ±1.
 *
 * `out` may be `x` itself. Returns `false`, having written nothing, when WebAssembly SIMD is
 * unavailable here; the caller then uses `Math.tanh`.
 *
 * @param x - the arguments.
 * @param out - receives tanh of each argument; same length as `x`.
 * @returns whether the WebAssembly kernel ran.
 * @throws RangeError when `out` and `x` differ in length.
 * @example
 * ```ts
 * const out = new Float64Array(3);
 * if (!wasmTanh(new Float64Array([-1, 0, 2]), out)) throw new Error('no WebAssembly SIMD');
 * out; // Float64Array [-0.7615941559557649, 0, 0.9640275800758169]
 * ```
 */
export function wasmTanh(x: Float64Array, out: Float64Array): boolean {
  return run('tanh', x, out);
}

/**
 * Exponential of every element, `out[i] = e^{x[i]}`, in WebAssembly SIMD, by the algorithm of
 * fdlibm `e_exp.c` (Sun Microsystems, 1993):
 *
 *   x = k·ln2 + r (Cody–Waite, |r| ≤ ln2/2),  c = r − r²·R(r²),
 *   e^x = 2^k·(1 − ((lo − r·c/(2 − c)) − hi)),  r = hi − lo,
 *
 * with fdlibm's Remez polynomial R; 2^k is applied as two exact powers of two, so results in
 * the subnormal range are rounded once and overflow gives +∞.
 *
 * Accuracy: within 1 ulp (0.8 ulp is the largest error observed). e^{±0} = 1, e^{+∞} = +∞,
 * e^{−∞} = 0, NaN gives NaN; x > 709.79 gives +∞ and x < −745.14 gives 0, like `Math.exp`.
 * Each result depends only on its own argument, never on the array's length or position.
 *
 * `out` may be `x` itself. Returns `false`, having written nothing, when WebAssembly SIMD is
 * unavailable here; the caller then uses `Math.exp`.
 *
 * @param x - the arguments.
 * @param out - receives e to each argument; same length as `x`.
 * @returns whether the WebAssembly kernel ran.
 * @throws RangeError when `out` and `x` differ in length.
 * @example
 * ```ts
 * const out = new Float64Array(3);
 * if (!wasmExp(new Float64Array([0, 1, -1000]), out)) throw new Error('no WebAssembly SIMD');
 * out; // Float64Array [1, 2.718281828459045, 0]
 * ```
 */
export function wasmExp(x: Float64Array, out: Float64Array): boolean {
  return run('exp', x, out);
}

/**
 * The logistic function of every element, `out[i] = 1/(1 + e^{−x[i]})`, in WebAssembly SIMD:
 * with t = e^{−|x|} from the kernel of {@link wasmExp} (so t ≤ 1, nothing overflows),
 *
 *   σ(x) = 1/(1 + t) for x ≥ 0,   σ(x) = t/(1 + t) for x < 0,
 *
 * the same formulas as `sigmoidScalar`, computed branch-free in every lane.
 *
 * Accuracy: within 2 ulp (1.5 ulp is the largest error observed, for x < 0; under 1 ulp for
 * x ≥ 0). σ(±0) = 0.5, σ(+∞) = 1, σ(−∞) = 0, NaN gives NaN, and σ(x) rounds to 1 from
 * x ≈ 36.7 on; for x < −745.14 it is 0.
 *
 * `out` may be `x` itself. Returns `false`, having written nothing, when WebAssembly SIMD is
 * unavailable here.
 *
 * @param x - the arguments.
 * @param out - receives σ of each argument; same length as `x`.
 * @returns whether the WebAssembly kernel ran.
 * @throws RangeError when `out` and `x` differ in length.
 * @example
 * ```ts
 * const out = new Float64Array(3);
 * if (!wasmSigmoid(new Float64Array([0, 2, -2]), out)) throw new Error('no WebAssembly SIMD');
 * out; // Float64Array [0.5, 0.8807970779778823, 0.11920292202211755]
 * ```
 */
export function wasmSigmoid(x: Float64Array, out: Float64Array): boolean {
  return run('sigmoid', x, out);
}

/**
 * The chain rule through tanh, in place: `g[i] *= 1 − h[i]²` for i < n, where h = tanh(z) are
 * the activations and g the gradient arriving at them; in WebAssembly SIMD, with the
 * operations (and so the rounding) of that JavaScript expression.
 *
 * Returns `false`, having written nothing, when WebAssembly SIMD is unavailable here; the
 * caller then uses its JavaScript loop.
 *
 * @param g - the gradients, overwritten with g·(1 − h²) in [0, n).
 * @param h - the tanh activations.
 * @param n - how many leading elements to update.
 * @returns whether the WebAssembly kernel ran.
 * @throws RangeError when `g` or `h` is shorter than `n`.
 * @example
 * ```ts
 * const g = new Float64Array([1, 2]);
 * if (!wasmTanhBackward(g, new Float64Array([0.5, 0]), 2)) throw new Error('no WebAssembly SIMD');
 * g; // Float64Array [0.75, 2]
 * ```
 */
export function wasmTanhBackward(g: Float64Array, h: Float64Array, n: number): boolean {
  if (g.length < n || h.length < n) {
    throw new RangeError(
      `wasmTanhBackward: n = ${n} but g has length ${g.length} and h ${h.length}; pass arrays of at least n elements`,
    );
  }
  const inst = getInstance();
  if (inst === null) return false;
  for (let start = 0; start < n; start += CHUNK) {
    const length = Math.min(CHUNK, n - start);
    inst.data.set(g.subarray(start, start + length));
    inst.second.set(h.subarray(start, start + length));
    inst.tanhBackward(TABLE_BYTES, TABLE_BYTES + Math.ceil(length / STEP) * STEP * 8);
    g.set(outView(inst, length), start);
  }
  return true;
}

function run(kernel: 'tanh' | 'exp' | 'sigmoid', x: Float64Array, out: Float64Array): boolean {
  if (out.length !== x.length) {
    const name = `wasm${kernel[0].toUpperCase()}${kernel.slice(1)}`;
    throw new RangeError(
      `${name}: out has length ${out.length} but x has length ${x.length}; pass arrays of equal length`,
    );
  }
  const inst = getInstance();
  if (inst === null) return false;
  mapChunks(inst, inst[kernel], x, out);
  return true;
}
