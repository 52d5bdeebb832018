/**
 * Checking option objects: typed options are rejected when they carry a key the function
 * does not know (a misspelt option must not be silently ignored, STYLE.md).
 */

/**
 * Throws a TypeError naming `what`, the unknown key and the known ones.
 *
 * @example
 * ```ts
 * rejectUnknown('solve', { tol: 1e-6 }, ['rtol', 'atol']); // throws: unknown option "tol"
 * ```
 */
export function rejectUnknown(what: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`${what}: unknown option "${key}"; the options are ${known.join(', ')}`);
    }
  }
}
