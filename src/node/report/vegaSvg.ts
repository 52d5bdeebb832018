/**
 * Rendering a Vega-Lite specification to a standalone SVG string in Node, without a browser or
 * a canvas: Vega-Lite compiles the specification to Vega, and a headless Vega view
 * (`renderer: 'none'`) writes the scene graph as SVG markup. Text widths are estimated (no font
 * metrics without a canvas), which is good enough for axis labels and legends.
 *
 * The SVG is then made fit to sit inline in a page next to other plots:
 * - element ids (Vega numbers its clip paths from a module-wide counter) are renamed to
 *   `<prefix>-<n>` in order of appearance, so plots never share an id and the same plot always
 *   renders to the same markup;
 * - the root gets `role="img"`, a `<title>` and `aria-labelledby` pointing at it.
 */
import { View as VegaView, logger as vegaLogger, parse as vegaParse, Warn as vegaWarn } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { escapeHtml } from './escape.js';

/** Options of {@link renderVegaLite}. */
export interface VegaSvgOptions {
  /** Prefix of every element id in the SVG; must be unique in the page. */
  readonly idPrefix: string;
  /** Accessible name of the plot (the SVG `<title>`). */
  readonly title: string;
}

/** An SVG and the warnings Vega-Lite and Vega printed while making it. */
export interface VegaSvg {
  readonly svg: string;
  readonly warnings: readonly string[];
}

/** Shared look of every plot: fonts and sizes that read well at the page's width. */
export const PLOT_CONFIG = {
  font: 'sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' },
  title: { fontSize: 13, fontWeight: 'bold', anchor: 'start' },
  view: { stroke: '#ccc' },
} as const;

/** A Vega logger that records messages instead of printing them. */
function recordingLogger(into: string[]) {
  return vegaLogger(vegaWarn, 'warn', (_method, level, args) => {
    into.push(`${level} ${args.map(String).join(' ')}`);
  });
}

/**
 * Renders `spec` to SVG markup.
 *
 * @example
 * ```ts
 * const { svg } = await renderVegaLite(
 *   { data: { values: [{ t: 0, y: 1 }, { t: 1, y: 2 }] }, mark: 'line',
 *     encoding: { x: { field: 't', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } },
 *   { idPrefix: 'fig1', title: 'y against t' },
 * );
 * svg.startsWith('<svg'); // true
 * ```
 */
export async function renderVegaLite(spec: TopLevelSpec, options: VegaSvgOptions): Promise<VegaSvg> {
  const warnings: string[] = [];
  const { spec: vegaSpec } = compile(spec, { config: PLOT_CONFIG, logger: recordingLogger(warnings) });
  const view = new VegaView(vegaParse(vegaSpec), { renderer: 'none', logger: recordingLogger(warnings) });
  try {
    const raw = await view.toSVG();
    return { svg: labelSvg(renameIds(raw, options.idPrefix), options), warnings };
  } finally {
    view.finalize();
  }
}

/**
 * Renames every element id in `svg` to `<prefix>-<n>` (n counts from 1 in order of
 * appearance) and every reference to it (`url(#id)`, `href="#id"`). Only markup inside tags is
 * touched: text content cannot contain `<`, and attribute values have their quotes escaped, so
 * a tag ends at the first `>`.
 */
export function renameIds(svg: string, prefix: string): string {
  const names = new Map<string, string>();
  for (const m of svg.matchAll(/<[^>]*>/g)) {
    for (const id of m[0].matchAll(/\sid="([^"]*)"/g)) {
      if (!names.has(id[1])) names.set(id[1], `${prefix}-${names.size + 1}`);
    }
  }
  if (names.size === 0) return svg;
  const rename = (id: string) => names.get(id) ?? id;
  return svg.replace(/<[^>]*>/g, (tag) =>
    tag
      .replace(/(\sid=")([^"]*)"/g, (_m, head: string, id: string) => `${head}${rename(id)}"`)
      .replace(/url\(#([^)]*)\)/g, (_m, id: string) => `url(#${rename(id)})`)
      .replace(/(href=")#([^"]*)"/g, (_m, head: string, id: string) => `${head}#${rename(id)}"`),
  );
}

/** Adds `role="img"`, a `<title>` and `aria-labelledby` to the root `<svg>` element. */
function labelSvg(svg: string, options: VegaSvgOptions): string {
  const titleId = `${options.idPrefix}-title`;
  const open = /^<svg\b[^>]*>/.exec(svg);
  if (open === null) throw new Error(`renderVegaLite: Vega returned no <svg> element for '${options.title}'`);
  const tag = open[0].replace(/^<svg\b/, `<svg role="img" aria-labelledby="${titleId}"`);
  return `${tag}<title id="${titleId}">${escapeHtml(options.title)}</title>${svg.slice(open[0].length)}`;
}
