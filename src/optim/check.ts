/**
 * Argument checks for the optimizers: each names the function, the argument, the value and
 * the accepted range, so a bad hyperparameter fails where it is written.
 */

/**
 * Throws unless `value` is a finite number in [min, max] (or (min, max] with `openMin`).
 *
 * @example
 * ```ts
 * checkRange('adam', 'b1', 1.2, 0, 1, { openMax: true }); // throws: b1 must be in [0, 1)
 * ```
 */
export function checkRange(
  what: string,
  name: string,
  value: number,
  min: number,
  max: number,
  open: { readonly openMin?: boolean; readonly openMax?: boolean } = {},
): void {
  const lowOk = open.openMin ? value > min : value >= min;
  const highOk = open.openMax ? value < max : value <= max;
  if (typeof value !== 'number' || Number.isNaN(value) || !lowOk || !highOk) {
    const lo = `${open.openMin ? '(' : '['}${min}`;
    const hi = `${max === Number.POSITIVE_INFINITY ? '∞)' : `${max}${open.openMax ? ')' : ']'}`}`;
    throw new RangeError(`${what}: ${name} must be a number in ${lo}, ${hi}, got ${String(value)}`);
  }
}

/** Throws unless `value` is a finite number ≥ 0. */
export function checkNonNegative(what: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${what}: ${name} must be a finite number ≥ 0, got ${String(value)}`);
  }
}

/** Throws unless `value` is a finite number > 0. */
export function checkPositive(what: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${what}: ${name} must be a finite number > 0, got ${String(value)}`);
  }
}

/** Throws unless `value` is an integer ≥ `min`. */
export function checkInteger(what: string, name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${what}: ${name} must be an integer ≥ ${min}, got ${String(value)}`);
  }
}
