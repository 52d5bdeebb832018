/** Helpers for tests of located model-language errors. */
import { parseModel } from '../../src/expr/parse.js';
import { GbxSyntaxError } from '../../src/expr/source.js';

/** The error parseModel throws for `src` (fails the test if it does not throw one). */
export function errorOf(src: string, file?: string): GbxSyntaxError {
  try {
    parseModel(src, { file });
  } catch (e) {
    if (e instanceof GbxSyntaxError) return e;
    throw e;
  }
  throw new Error(`expected an error for:\n${src}`);
}

/** Line and column (1-based) of the `occurrence`-th `needle` in `src` (ASCII text). */
export function at(src: string, needle: string, occurrence = 1): { line: number; column: number } {
  let i = -1;
  for (let k = 0; k < occurrence; k++) {
    i = src.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`"${needle}" (occurrence ${occurrence}) not in ${JSON.stringify(src)}`);
  }
  const before = src.slice(0, i);
  return { line: before.split('\n').length, column: i - before.lastIndexOf('\n') };
}
