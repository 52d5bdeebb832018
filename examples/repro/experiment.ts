/**
 * The contract of a reproduction (`npm run repro -- ID [--quick] [--seed N]`): one module per
 * experiment in examples/repro/, named after its id (`r1.ts`, `hgs-glucose.ts`), exporting
 * `experiment`. The runner calls `run`, writes the results page it returns to
 * docs/results/ID.md (ID.quick.md for --quick runs), and prints the metrics as the last line
 * of stdout: one JSON object with `"experiment": ID`.
 */

/** How the runner calls an experiment. */
export interface RunOptions {
  /** The reduced size that finishes in a few minutes on 2 cores. */
  readonly quick: boolean;
  /** Base seed (default 0); several-seed experiments use seed, seed+1, … */
  readonly seed: number;
  /** The command line that reruns this run, for the results page. */
  readonly command: string;
  /** Progress lines (to stderr). */
  log(line: string): void;
}

/** What an experiment returns. */
export interface ExperimentResult {
  /** The metrics for the JSON line (without "experiment", which the runner adds). */
  readonly metrics: Readonly<Record<string, unknown>>;
  /** The results page, Markdown: command, our table next to the paper's, plots (inline SVG or files). */
  readonly page: string;
  /** Extra files to write next to the page (name → content), e.g. SVG plots. */
  readonly files?: Readonly<Record<string, string>>;
}

/** A reproduction. */
export interface Experiment {
  readonly id: string;
  readonly title: string;
  run(options: RunOptions): Promise<ExperimentResult>;
}

/**
 * A Markdown table.
 *
 * @example
 * ```ts
 * markdownTable(['model', 'log10 MSE'], [['APHYNITY', '-7.9']]);
 * ```
 */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** mean ± sd of a sample (sd with n − 1), formatted with `digits` decimals. */
export function meanSd(values: readonly number[], digits = 2): string {
  const n = values.length;
  if (n === 0) return '—';
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return mean.toFixed(digits);
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return `${mean.toFixed(digits)} ± ${sd.toFixed(digits)}`;
}
