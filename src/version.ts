/**
 * The library version, written into fitted-model files and reports (kept equal to
 * package.json's by a test).
 *
 * @example
 * ```ts
 * console.log(`greybox ${VERSION}`);
 * ```
 */
export const VERSION = '0.1.0';
