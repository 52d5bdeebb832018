/**
 * The report's HTML tables: fitted parameters, summary metrics, a subject's doses, the
 * dependency graph's edges and residual statistics per observable. Every cell's text is
 * escaped; numbers are right-aligned with four significant digits.
 */
import type { DependencyGraph } from '../../expr/graph.js';
import { escapeHtml } from './escape.js';
import { formatNumber } from './format.js';
import type { ReportDose, ReportParameter, ReportResidual } from './types.js';

/** A cell: text (escaped here) and whether it is a number (right-aligned). */
interface Cell {
  readonly text: string;
  readonly numeric?: boolean;
  /** Extra class names. */
  readonly className?: string;
}

const text = (t: string, className?: string): Cell => ({ text: t, className });
const number = (v: number | undefined): Cell => ({
  text: v === undefined ? '' : formatNumber(v),
  numeric: true,
});

/** A `<table>` with a caption, a header row and body rows. */
function table(
  className: string,
  caption: string,
  head: readonly Cell[],
  rows: readonly (readonly Cell[])[],
): string {
  const cell = (tag: 'th' | 'td', c: Cell, scope = '') => {
    const classes = [...(c.numeric ? ['num'] : []), ...(c.className ? [c.className] : [])];
    const cls = classes.length > 0 ? ` class="${classes.join(' ')}"` : '';
    return `<${tag}${scope}${cls}>${escapeHtml(c.text)}</${tag}>`;
  };
  const header = `<tr>${head.map((c) => cell('th', c, ' scope="col"')).join('')}</tr>`;
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => (i === 0 ? cell('th', c, ' scope="row"') : cell('td', c))).join('')}</tr>`,
    )
    .join('\n');
  return (
    `<table class="${className}"><caption>${escapeHtml(caption)}</caption>` +
    `<thead>${header}</thead>\n<tbody>\n${body}\n</tbody></table>`
  );
}

/**
 * Where a fitted value sits with respect to its bounds: `''` inside, `'at lower bound'`,
 * `'at upper bound'` (within a relative 10⁻⁶ of the range, or of the bound on a log scale),
 * `'outside bounds'`.
 */
export function boundFlag(p: ReportParameter): string {
  if (p.value < p.lower || p.value > p.upper) return 'outside bounds';
  const near = (bound: number): boolean => {
    if (!Number.isFinite(bound)) return false;
    if (p.scale === 'log' && bound > 0 && p.value > 0) return Math.abs(Math.log(p.value / bound)) <= 1e-6;
    const range = p.upper - p.lower;
    const tol = Number.isFinite(range) ? 1e-6 * range : 1e-6 * Math.max(Math.abs(bound), 1);
    return Math.abs(p.value - bound) <= tol;
  };
  if (near(p.lower)) return 'at lower bound';
  if (near(p.upper)) return 'at upper bound';
  return '';
}

/**
 * Fitted parameters: value, standard error and coefficient of variation (when any parameter
 * has a standard error), initial value, bounds, scale, true value and relative error (when any
 * has a true value), and a flag for values at or beyond a bound.
 */
export function parameterTable(parameters: readonly ReportParameter[]): string {
  const withStd = parameters.some((p) => p.std !== undefined);
  const withTrue = parameters.some((p) => p.trueValue !== undefined);
  const head: Cell[] = [
    text('parameter'),
    { text: 'value', numeric: true },
    ...(withStd
      ? [
          { text: 'std. error', numeric: true },
          { text: 'CV %', numeric: true },
        ]
      : []),
    { text: 'initial', numeric: true },
    { text: 'lower', numeric: true },
    { text: 'upper', numeric: true },
    text('scale'),
    ...(withTrue
      ? [
          { text: 'true', numeric: true },
          { text: 'rel. error %', numeric: true },
        ]
      : []),
    text('flag'),
  ];
  const rows = parameters.map((p) => {
    const cv = p.std !== undefined && p.value !== 0 ? (100 * p.std) / Math.abs(p.value) : undefined;
    const relError =
      p.trueValue !== undefined && p.trueValue !== 0
        ? (100 * (p.value - p.trueValue)) / Math.abs(p.trueValue)
        : undefined;
    const flag = boundFlag(p);
    return [
      text(p.name),
      number(p.value),
      ...(withStd ? [number(p.std), number(cv)] : []),
      number(p.initial),
      number(p.lower),
      number(p.upper),
      text(p.scale),
      ...(withTrue ? [number(p.trueValue), number(relError)] : []),
      text(flag, flag === '' ? undefined : 'flag'),
    ];
  });
  return table('parameters', 'Fitted mechanistic parameters', head, rows);
}

/** Summary metrics, in the order given. */
export function metricsTable(metrics: Readonly<Record<string, number>>): string {
  const rows = Object.entries(metrics).map(([name, v]) => [text(name), number(v)]);
  return table('metrics', 'Summary metrics', [text('metric'), { text: 'value', numeric: true }], rows);
}

/** A subject's doses. */
export function doseTable(subjectId: string, doses: readonly ReportDose[]): string {
  const head: Cell[] = [
    { text: 'time', numeric: true },
    { text: 'amount', numeric: true },
    { text: 'rate', numeric: true },
    { text: 'duration', numeric: true },
    text('route'),
  ];
  const rows = doses.map((d) => [
    number(d.time),
    number(d.amount),
    number(d.rate),
    number(d.duration),
    text(d.route),
  ]);
  return table('doses', `Doses of subject ${subjectId}`, head, rows);
}

/** The dependency graph's edges with every term in full. */
export function edgeTable(graph: DependencyGraph): string {
  const rows = graph.edges.map((e) => [
    text(e.from),
    text(e.to),
    text(e.kind),
    text(e.termText.join(', ')),
    text(e.via.join(', ')),
  ]);
  return table(
    'edges',
    'Dependencies: the source appears in the derivative of the target',
    [text('source'), text('target'), text('kind'), text('terms of d(target)/dt'), text('through networks')],
    rows,
  );
}

/**
 * Residuals per observable: count, mean (bias) and root mean square, over the finite
 * residuals, in order of first appearance.
 */
export function residualTable(residuals: readonly ReportResidual[]): string {
  const stats = new Map<string, { n: number; sum: number; sumSq: number }>();
  for (const r of residuals) {
    if (!Number.isFinite(r.residual)) continue;
    const s = stats.get(r.observable) ?? { n: 0, sum: 0, sumSq: 0 };
    s.n++;
    s.sum += r.residual;
    s.sumSq += r.residual * r.residual;
    stats.set(r.observable, s);
  }
  const rows = [...stats].map(([name, s]) => [
    text(name),
    number(s.n),
    number(s.sum / s.n),
    number(Math.sqrt(s.sumSq / s.n)),
  ]);
  return table(
    'residual-stats',
    'Residuals per observable',
    [
      text('observable'),
      { text: 'n', numeric: true },
      { text: 'mean', numeric: true },
      { text: 'RMS', numeric: true },
    ],
    rows,
  );
}
