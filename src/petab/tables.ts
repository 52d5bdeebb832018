/**
 * PEtab tables: tab-separated text with a header row, read into rows of named string cells
 * with their line numbers (for messages). Empty lines are skipped; cells are trimmed.
 */

/** One row: cells by column name, and the 1-based line it came from. */
export interface TableRow {
  readonly line: number;
  readonly cells: Readonly<Record<string, string>>;
}

/** A table: file name (for messages), columns, rows. */
export interface Table {
  readonly file: string;
  readonly columns: readonly string[];
  readonly rows: readonly TableRow[];
}

/** Thrown for a malformed PEtab table or value; says the file, line and column. */
export class PetabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PetabError';
  }
}

/**
 * Parses a PEtab TSV table.
 *
 * @example
 * ```ts
 * const t = parseTsv('parameterId\tnominalValue\nk\t0.5\n', 'parameters.tsv');
 * t.rows[0].cells.nominalValue; // '0.5'
 * ```
 */
export function parseTsv(text: string, file: string, required: readonly string[] = []): Table {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const header = (lines[0] ?? '').split('\t').map((c) => c.trim());
  if (header.length === 0 || header[0] === '')
    throw new PetabError(`${file}: the first line must be the header`);
  for (const r of required) {
    if (!header.includes(r))
      throw new PetabError(`${file}: missing required column "${r}" (columns: ${header.join(', ')})`);
  }
  const rows: TableRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const parts = lines[i].split('\t');
    if (parts.length > header.length)
      throw new PetabError(`${file} line ${i + 1}: ${parts.length} cells for ${header.length} columns`);
    const cells: Record<string, string> = {};
    header.forEach((h, k) => {
      cells[h] = (parts[k] ?? '').trim();
    });
    rows.push({ line: i + 1, cells });
  }
  return { file, columns: header, rows };
}

/**
 * The cell `col` of `row`, '' when absent.
 *
 * @example
 * ```ts
 * cell({ line: 2, cells: { estimate: 'true' } }, 'estimate'); // 'true'
 * ```
 */
export function cell(row: TableRow, col: string): string {
  return row.cells[col] ?? '';
}

/**
 * A number cell (also `inf`, `-inf`, `nan`); `dflt` for an empty cell, else an error
 * naming the file, line and column.
 *
 * @example
 * ```ts
 * numberCell({ line: 2, cells: { lowerBound: '-inf' } }, 'lowerBound', 'parameters.tsv'); // -Infinity
 * ```
 */
export function numberCell(row: TableRow, col: string, file: string, dflt?: number): number {
  const s = cell(row, col);
  if (s === '') {
    if (dflt !== undefined) return dflt;
    throw new PetabError(`${file} line ${row.line}: column ${col} is empty; a number is required`);
  }
  const v = parseNumber(s);
  if (v === null) throw new PetabError(`${file} line ${row.line}: column ${col} = "${s}" is not a number`);
  return v;
}

/**
 * A PEtab number ('1.5', '1e-3', 'inf', '-inf', 'nan'), or null for anything else.
 *
 * @example
 * ```ts
 * parseNumber('-inf'); // -Infinity
 * parseNumber('array'); // null
 * ```
 */
export function parseNumber(s: string): number | null {
  const t = s.trim().toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Number.POSITIVE_INFINITY;
  if (t === '-inf' || t === '-infinity') return Number.NEGATIVE_INFINITY;
  if (t === 'nan') return Number.NaN;
  if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return null;
  return Number(t);
}

/**
 * A boolean cell: true/false/1/0 (case-insensitive); `dflt` for an empty cell, else an error.
 *
 * @example
 * ```ts
 * booleanCell({ line: 2, cells: { estimate: '1' } }, 'estimate', 'parameters.tsv'); // true
 * ```
 */
export function booleanCell(row: TableRow, col: string, file: string, dflt?: boolean): boolean {
  const s = cell(row, col).toLowerCase();
  if (s === '' && dflt !== undefined) return dflt;
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  throw new PetabError(
    `${file} line ${row.line}: column ${col} = "${cell(row, col)}" must be true/false (or 1/0)`,
  );
}
