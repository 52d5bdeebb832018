/**
 * Source text of the model language and its located errors.
 *
 * Positions are 1-based lines and columns. A column counts Unicode code points (a tab is one
 * column), so a caret printed under the line lines up in a terminal for ASCII text and tabs.
 * Lines end at `\n`, `\r\n` or `\r`.
 */
import { ModelError, type SourceLocation } from './model.js';

/**
 * A model text (or one expression given to the builder as a string) with the name it is
 * reported under in error messages.
 *
 * @example
 * ```ts
 * const src = new SourceText('state x = 1\nd/dt x = -x', 'decay.gbx');
 * src.line(2); // 'd/dt x = -x'
 * ```
 */
export class SourceText {
  private lines: string[] | undefined;

  constructor(
    readonly text: string,
    readonly file?: string,
  ) {}

  /** Line `n` (1-based) without its line break; '' beyond the end. */
  line(n: number): string {
    if (this.lines === undefined) this.lines = this.text.split(/\r\n|\r|\n/);
    return this.lines[n - 1] ?? '';
  }
}

/**
 * A position in a {@link SourceText}: 1-based line and column (in code points).
 *
 * @example
 * ```ts
 * const pos: Pos = { line: 2, column: 5, source: new SourceText('state x = 1\nd/dt x = -x') };
 * ```
 */
export interface Pos {
  readonly line: number;
  readonly column: number;
  readonly source: SourceText;
}

/**
 * A located error in a model text: the message reads
 * `FILE line L, column C: WHAT — HOW TO FIX`, followed by the source line and a caret under
 * the problem. Thrown by `parseModel` for every problem, syntactic or semantic, and by the
 * builder for expressions given as strings.
 *
 * @example
 * ```ts
 * try {
 *   parseModel('state theta = 1\nd/dt theta = -thta', { file: 'm.gbx' });
 * } catch (e) {
 *   if (e instanceof GbxSyntaxError) console.log(e.loc.line, e.loc.column); // 2 15
 * }
 * ```
 */
export class GbxSyntaxError extends ModelError {
  declare readonly loc: SourceLocation;

  constructor(
    message: string,
    loc: SourceLocation,
    /** The file name given to the parser, if any. */
    readonly file: string | undefined,
    /** What went wrong (the message without position, fix or source excerpt). */
    readonly what: string,
    /** How to fix it. */
    readonly fix: string,
  ) {
    super(message, loc);
    this.name = 'GbxSyntaxError';
  }
}

/** Longest source line shown in full under an error; longer ones are cut around the column. */
const MAX_SHOWN = 100;

/**
 * Builds the located error for `pos`: message, source line and caret.
 *
 * @example
 * ```ts
 * const src = new SourceText('d/dt x = y');
 * syntaxError({ line: 1, column: 10, source: src }, 'unknown name "y"', 'declare it').message;
 * // 'line 1, column 10: unknown name "y" — declare it\n  d/dt x = y\n           ^'
 * ```
 */
export function syntaxError(pos: Pos, what: string, fix: string): GbxSyntaxError {
  const { line, column, source } = pos;
  const head = `${source.file === undefined ? '' : `${source.file} `}line ${line}, column ${column}`;
  const message = `${head}: ${what}${fix === '' ? '' : ` — ${fix}`}\n${excerpt(source.line(line), column)}`;
  return new GbxSyntaxError(message, { line, column }, source.file, what, fix);
}

/** The source line (indented by two spaces) and a caret line under `column`. */
function excerpt(lineText: string, column: number): string {
  let chars = Array.from(lineText, (c) => {
    const code = c.codePointAt(0)!;
    return (code < 0x20 && c !== '\t') || code === 0x7f ? '?' : c;
  });
  let caretIndex = column - 1;
  if (chars.length > MAX_SHOWN) {
    const start = Math.max(0, Math.min(caretIndex - MAX_SHOWN / 2, chars.length - MAX_SHOWN));
    const end = Math.min(chars.length, start + MAX_SHOWN);
    const cut = chars.slice(start, end);
    if (start > 0) cut.unshift('…');
    if (end < chars.length) cut.push('…');
    caretIndex = caretIndex - start + (start > 0 ? 1 : 0);
    chars = cut;
  }
  let caret = '';
  for (let i = 0; i < caretIndex; i++) caret += chars[i] === '\t' ? '\t' : ' ';
  return `  ${chars.join('')}\n  ${caret}^`;
}
