/**
 * Special functions in float64: the error function `erf`, its complement `erfc`, and a
 * natural logarithm `portableLog` built from IEEE basic operations only.
 *
 * `erf` and `erfc` follow the method and the minimax rational coefficients of Sun's fdlibm
 * `s_erf.c` (Sun Microsystems, 1993; the coefficients are published constants, the code here
 * is written afresh). `portableLog` follows the method and coefficients of fdlibm `e_log.c`.
 */

// A scratch view for reading and writing the two 32-bit words of a double. DataView fixes
// the byte order, so this is independent of the platform's endianness.
const bits = new DataView(new ArrayBuffer(8));

/**
 * The double with the given high and low 32-bit words. The published coefficients below are
 * written this way, as bit patterns, so that no decimal-to-binary rounding is involved.
 */
function fromWords(hi: number, lo: number): number {
  bits.setUint32(0, hi);
  bits.setUint32(4, lo);
  return bits.getFloat64(0);
}

/** `x` with the low 32 bits of its significand cleared (21 significant bits remain). */
function dropLowWord(x: number): number {
  bits.setFloat64(0, x);
  bits.setUint32(4, 0);
  return bits.getFloat64(0);
}

// fdlibm s_erf.c, Sun Microsystems 1993. erx = erf(1) rounded to single precision.
const ERX = fromWords(0x3feb0ac1, 0x60000000); // 8.45062911510467529297e-1
// 2/√π − 1, and 8 times it (for subnormal arguments).
const EFX = fromWords(0x3fc06eba, 0x8214db69); // 1.28379167095512586316e-1
const EFX8 = fromWords(0x3ff06eba, 0x8214db69); // 1.02703333676410069053

// erf(x) = x + x R(x^2) on |x| < 0.84375, R = PP(z) / QQ(z).
const PP0 = fromWords(0x3fc06eba, 0x8214db68); // 1.28379167095512558561e-1
const PP1 = fromWords(0xbfd4cd7d, 0x691cb913); // -3.25042107247001499370e-1
const PP2 = fromWords(0xbf9d2a51, 0xdbd7194f); // -2.84817495755985104766e-2
const PP3 = fromWords(0xbf77a291, 0x236668e4); // -5.77027029648944159157e-3
const PP4 = fromWords(0xbef8ead6, 0x120016ac); // -2.37630166566501626084e-5
const QQ1 = fromWords(0x3fd97779, 0xcddadc09); // 3.97917223959155352819e-1
const QQ2 = fromWords(0x3fb0a54c, 0x5536ceba); // 6.50222499887672944485e-2
const QQ3 = fromWords(0x3f74d022, 0xc4d36b0f); // 5.08130628187576562776e-3
const QQ4 = fromWords(0x3f215dc9, 0x221c1a10); // 1.32494738004321644526e-4
const QQ5 = fromWords(0xbed09c43, 0x42a26120); // -3.96022827877536812320e-6

// erf(1 + s) - erx = PA(s) / QA(s) on 0.84375 <= |x| < 1.25, s = |x| - 1.
const PA0 = fromWords(0xbf6359b8, 0xbef77538); // -2.36211856075265944077e-3
const PA1 = fromWords(0x3fda8d00, 0xad92b34d); // 4.14856118683748331666e-1
const PA2 = fromWords(0xbfd7d240, 0xfbb8c3f1); // -3.72207876035701323847e-1
const PA3 = fromWords(0x3fd45fca, 0x805120e4); // 3.18346619901161753674e-1
const PA4 = fromWords(0xbfbc6398, 0x3d3e28ec); // -1.10894694282396677476e-1
const PA5 = fromWords(0x3fa22a36, 0x599795eb); // 3.54783043256182359371e-2
const PA6 = fromWords(0xbf61bf38, 0x0a96073f); // -2.16637559486879084300e-3
const QA1 = fromWords(0x3fbb3e66, 0x18eee323); // 1.06420880400844228286e-1
const QA2 = fromWords(0x3fe14af0, 0x92eb6f33); // 5.40397917702171048937e-1
const QA3 = fromWords(0x3fb2635c, 0xd99fe9a7); // 7.18286544141962662868e-2
const QA4 = fromWords(0x3fc02660, 0xe763351f); // 1.26171219808761642112e-1
const QA5 = fromWords(0x3f8bedc2, 0x6b51dd1c); // 1.36370839120290507362e-2
const QA6 = fromWords(0x3f888b54, 0x5735151d); // 1.19844998467991074170e-2

// log(x erfc(x)) + x^2 + 0.5625 = RA(1/x^2) / SA(1/x^2) on 1.25 <= x < 1/0.35.
const RA0 = fromWords(0xbf843412, 0x600d6435); // -9.86494403484714822705e-3
const RA1 = fromWords(0xbfe63416, 0xe4ba7360); // -6.93858572707181764372e-1
const RA2 = fromWords(0xc0251e04, 0x41b0e726); // -1.05586262253232909814e1
const RA3 = fromWords(0xc04f300a, 0xe4cba38d); // -6.23753324503260060396e1
const RA4 = fromWords(0xc0644cb1, 0x84282266); // -1.62396669462573470355e2
const RA5 = fromWords(0xc067135c, 0xebccabb2); // -1.84605092906711035994e2
const RA6 = fromWords(0xc0545265, 0x57e4d2f2); // -8.12874355063065934246e1
const RA7 = fromWords(0xc023a0ef, 0xc69ac25c); // -9.81432934416914548592
const SA1 = fromWords(0x4033a6b9, 0xbd707687); // 1.96512716674392571292e1
const SA2 = fromWords(0x4061350c, 0x526ae721); // 1.37657754143519042600e2
const SA3 = fromWords(0x407b290d, 0xd58a1a71); // 4.34565877475229228821e2
const SA4 = fromWords(0x40842b19, 0x21ec2868); // 6.45387271733267880336e2
const SA5 = fromWords(0x407ad021, 0x57700314); // 4.29008140027567833386e2
const SA6 = fromWords(0x405b28a3, 0xee48ae2c); // 1.08635005541779435134e2
const SA7 = fromWords(0x401a47ef, 0x8e484a93); // 6.57024977031928170135
const SA8 = fromWords(0xbfaeeff2, 0xee749a62); // -6.04244152148580987438e-2

// The same on 1/0.35 <= x < 28: RB(1/x^2) / SB(1/x^2).
const RB0 = fromWords(0xbf843412, 0x39e86f4a); // -9.86494292470009928597e-3
const RB1 = fromWords(0xbfe993ba, 0x70c285de); // -7.99283237680523006574e-1
const RB2 = fromWords(0xc031c209, 0x555f995a); // -1.77579549177547519889e1
const RB3 = fromWords(0xc064145d, 0x43c5ed98); // -1.60636384855821916062e2
const RB4 = fromWords(0xc083ec88, 0x1375f228); // -6.37566443368389627722e2
const RB5 = fromWords(0xc0900461, 0x6a2e5992); // -1.02509513161107724954e3
const RB6 = fromWords(0xc07e384e, 0x9bdc383f); // -4.83519191608651397019e2
const SB1 = fromWords(0x403e568b, 0x261d5190); // 3.03380607434824582924e1
const SB2 = fromWords(0x40745cae, 0x221b9f0a); // 3.25792512996573918826e2
const SB3 = fromWords(0x409802eb, 0x189d5118); // 1.53672958608443695994e3
const SB4 = fromWords(0x40a8ffb7, 0x688c246a); // 3.19985821950859553908e3
const SB5 = fromWords(0x40a3f219, 0xcedf3be6); // 2.55305040643316442583e3
const SB6 = fromWords(0x407da874, 0xe79fe763); // 4.74528541206955367215e2
const SB7 = fromWords(0xc03670e2, 0x42712d62); // -2.24409524465858183362e1

const SMALLEST_NORMAL = 2 ** -1022;

/** R(z) = PP(z) / QQ(z), with erf(x) = x + x R(x^2) for |x| < 0.84375. */
function centralRatio(z: number): number {
  const p = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
  const q = 1 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
  return p / q;
}

/** erf(1 + s) - ERX for 0.84375 <= 1 + s < 1.25. */
function nearOneRatio(s: number): number {
  const p = PA0 + s * (PA1 + s * (PA2 + s * (PA3 + s * (PA4 + s * (PA5 + s * PA6)))));
  const q = 1 + s * (QA1 + s * (QA2 + s * (QA3 + s * (QA4 + s * (QA5 + s * QA6)))));
  return p / q;
}

/**
 * erfc(a) for 1.25 <= a < 28, as exp(-a^2 - 0.5625 + R/S) / a. The square a^2 is split
 * through `h`, `a` with its low word cleared, so that `h*h` is exact:
 * -a^2 = -h^2 + (h - a)(h + a).
 */
function tailErfc(a: number): number {
  const s = 1 / (a * a);
  let r: number;
  let q: number;
  if (a < 1 / 0.35) {
    r = RA0 + s * (RA1 + s * (RA2 + s * (RA3 + s * (RA4 + s * (RA5 + s * (RA6 + s * RA7))))));
    q = 1 + s * (SA1 + s * (SA2 + s * (SA3 + s * (SA4 + s * (SA5 + s * (SA6 + s * (SA7 + s * SA8)))))));
  } else {
    r = RB0 + s * (RB1 + s * (RB2 + s * (RB3 + s * (RB4 + s * (RB5 + s * RB6)))));
    q = 1 + s * (SB1 + s * (SB2 + s * (SB3 + s * (SB4 + s * (SB5 + s * (SB6 + s * SB7))))));
  }
  const h = dropLowWord(a);
  return (Math.exp(-h * h - 0.5625) * Math.exp((h - a) * (h + a) + r / q)) / a;
}

/**
 * The error function
 *
 *     erf(x) = (2 / √π) ∫₀ˣ exp(−t²) dt,
 *
 * odd, increasing from −1 to 1. Accurate to about 1 ulp over the whole real line.
 *
 * Method (Sun fdlibm `s_erf.c`): on |x| < 0.84375, erf(x) = x + x·R(x²) with a minimax
 * rational R; on [0.84375, 1.25), erf(1 + s) = c + P(s)/Q(s) with c = erf(1) rounded to
 * single precision; on [1.25, 6), erf(x) = 1 − erfc(x) with erfc from the asymptotic form
 * exp(−x² − 0.5625 + R(1/x²)/S(1/x²)) / x; beyond 6, erf(x) rounds to ±1.
 *
 * Special values: erf(±0) = ±0, erf(±∞) = ±1, erf(NaN) = NaN.
 *
 * @param x - any float64.
 * @returns erf(x).
 * @example
 * ```ts
 * erf(1); // 0.8427007929497149
 * erf(-0); // -0
 * ```
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const a = Math.abs(x);
  if (a < 0.84375) {
    if (a < 2 ** -28) {
      // erf(x) ≈ (2/√π) x. Scaling by 8 keeps subnormal x from losing bits; ±0 stays ±0.
      if (a < SMALLEST_NORMAL) return 0.125 * (8 * x + EFX8 * x);
      return x + EFX * x;
    }
    return x + x * centralRatio(x * x);
  }
  const sign = x < 0 ? -1 : 1;
  if (a < 1.25) return sign * (ERX + nearOneRatio(a - 1));
  if (a >= 6) return sign; // 1 − erfc(6) rounds to 1; also covers ±∞
  return sign * (1 - tailErfc(a));
}

/**
 * The complementary error function
 *
 *     erfc(x) = 1 − erf(x) = (2 / √π) ∫ₓ^∞ exp(−t²) dt,
 *
 * computed without the cancellation of `1 - erf(x)`, so it keeps full relative accuracy in
 * the right tail (erfc(10) ≈ 2.09e−45) until it underflows past x ≈ 26.5. Uses
 * erfc(−x) = 2 − erfc(x) on the left.
 *
 * Method: Sun fdlibm `s_erf.c` (see {@link erf}); for 1.25 ≤ |x| < 28 the square x² inside
 * the exponential is split into an exact part and a small correction, so the large exponent
 * loses no accuracy.
 *
 * Special values: erfc(±0) = 1, erfc(+∞) = 0, erfc(−∞) = 2, erfc(NaN) = NaN.
 *
 * @param x - any float64.
 * @returns erfc(x), in [0, 2].
 * @example
 * ```ts
 * erfc(5); // 1.5374597944280349e-12
 * erfc(-Infinity); // 2
 * ```
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const a = Math.abs(x);
  if (a < 0.84375) {
    if (a < 2 ** -56) return 1 - x;
    const y = centralRatio(x * x);
    if (x < 0.25) return 1 - (x + x * y);
    // 1 − erf(x) = 0.5 − ((x − 0.5) + x·y), exact subtraction first
    return 0.5 - (x * y + (x - 0.5));
  }
  if (a < 1.25) {
    const t = nearOneRatio(a - 1);
    return x > 0 ? 1 - ERX - t : 1 + (ERX + t);
  }
  if (x > 0) return x < 28 ? tailErfc(x) : 0; // erfc(28) ≈ 6.9e−343 underflows
  return a < 6 ? 2 - tailErfc(a) : 2; // erfc(−6) rounds to 2
}

// fdlibm e_log.c, Sun Microsystems 1993: ln 2 split so that k·LN2_HI is exact for |k| < 2000,
// and the minimax coefficients of R(s) ≈ log((1+s)/(1−s)) − 2s on [0, 0.1716].
const LN2_HI = fromWords(0x3fe62e42, 0xfee00000); // 6.93147180369123816490e-1
const LN2_LO = fromWords(0x3dea39ef, 0x35793c76); // 1.90821492927058770002e-10
const LG1 = fromWords(0x3fe55555, 0x55555593); // 6.666666666666735130e-1
const LG2 = fromWords(0x3fd99999, 0x9997fa04); // 3.999999999940941908e-1
const LG3 = fromWords(0x3fd24924, 0x94229359); // 2.857142874366239149e-1
const LG4 = fromWords(0x3fcc71c5, 0x1d8e78af); // 2.222219843214978396e-1
const LG5 = fromWords(0x3fc74664, 0x96cb03de); // 1.818357216161805012e-1
const LG6 = fromWords(0x3fc39a09, 0xd078c69f); // 1.531383769920937332e-1
const LG7 = fromWords(0x3fc2f112, 0xdf3e5244); // 1.479819860511658591e-1

/**
 * The natural logarithm, computed with IEEE 754 basic operations (+, −, ×, ÷) and bit
 * manipulation only, so it returns the same bits on every JavaScript engine.
 *
 * ECMAScript leaves the accuracy of `Math.log` to the implementation; engines do differ in
 * the last bit. Code that must be reproducible bit for bit (the samplers of
 * `random.ts`) uses this function instead. The error is below 1 ulp.
 *
 * Method (Sun fdlibm `e_log.c`): write x = 2ᵏ(1 + f) with √2/2 < 1 + f < √2; with
 * s = f/(2 + f), log(1 + f) = 2s + s·R(s²) where R is a degree-14 minimax polynomial; then
 * log(x) = k·ln2_hi + (f − (f²/2 − (s(f²/2 + R) + k·ln2_lo))).
 *
 * Special values: log(±0) = −∞, log(x < 0) = NaN, log(+∞) = +∞, log(NaN) = NaN, log(1) = +0.
 *
 * @param x - any float64.
 * @returns ln x.
 * @example
 * ```ts
 * portableLog(Math.E); // 1
 * portableLog(0.5); // -0.6931471805599453
 * ```
 */
export function portableLog(x: number): number {
  if (!(x > 0)) return x === 0 ? Number.NEGATIVE_INFINITY : Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return x;
  let k = 0;
  if (x < SMALLEST_NORMAL) {
    x *= 2 ** 54; // scale subnormals up to normal range
    k = -54;
  }
  bits.setFloat64(0, x);
  const hi = bits.getUint32(0);
  k += (hi >>> 20) - 1023;
  const mantissaHi = hi & 0x000fffff;
  // i = 0x100000 when the significand is ≥ √2 (0x6a09e of 0xfffff); then use (1 + f) / 2.
  const i = (mantissaHi + 0x95f64) & 0x100000;
  bits.setUint32(0, mantissaHi | (i ^ 0x3ff00000));
  k += i >>> 20;
  const f = bits.getFloat64(0) - 1;
  if (f === 0) return k === 0 ? 0 : k * LN2_HI + k * LN2_LO;
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const r = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7))) + w * (LG2 + w * (LG4 + w * LG6));
  const halfF2 = 0.5 * f * f;
  return k * LN2_HI - (halfF2 - (s * (halfF2 + r) + k * LN2_LO) - f);
}
