/**
 * Numbers as the report shows them: four significant digits, exponent notation for very small
 * or very large magnitudes, and explicit words for the values that are not ordinary numbers.
 */

/**
 * `v` rounded to four significant digits, without trailing zeros: `0.1235`, `12.35`, `0.5`,
 * `1.235e-5`, `1e+6`; `0`, `-0`, `NaN`, `∞`, `−∞`; integers below 10⁶ in full.
 *
 * @example
 * ```ts
 * formatNumber(Math.PI); // '3.142'
 * formatNumber(1e-7); // '1e-7'
 * formatNumber(0.5); // '0.5'
 * formatNumber(250); // '250'
 * ```
 */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '∞';
  if (v === Number.NEGATIVE_INFINITY) return '−∞';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e6) return String(v);
  const text = a < 1e-3 || a >= 1e6 ? v.toExponential(3) : v.toPrecision(4);
  // Drop trailing zeros of the fraction (and a bare point): 0.5000 → 0.5, 1.000e-7 → 1e-7.
  const [mantissa, exponent] = text.split('e');
  const trimmed = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
  return exponent === undefined ? trimmed : `${trimmed}e${exponent}`;
}
