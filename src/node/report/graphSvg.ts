/**
 * The model's dependency graph as an SVG drawing (layout in `graphLayout.ts`): a circle per
 * state, a box per exogenous input, and an arrow u → v for every state or input u that appears
 * in dv/dt, labelled with the terms of dv/dt it appears in. Arrows through a neural network are
 * dashed (and purple), arrows from inputs green, other arrows dark grey; a key below the
 * drawing says so.
 *
 * Every node is a `<g class="node state|input" data-name="…">` and every arrow a
 * `<g class="edge …" data-from="…" data-to="…">`, each with a `<title>` carrying the full names
 * and terms (a tooltip; the drawn labels are shortened). All text is escaped.
 */
import type { DependencyEdge, DependencyGraph } from '../../expr/graph.js';
import { escapeHtml } from './escape.js';
import {
  coord,
  LABEL_FONT,
  layoutGraph,
  NODE_FONT,
  type PlacedEdge,
  type PlacedNode,
} from './graphLayout.js';

/** Options of {@link graphSvg}. */
export interface GraphSvgOptions {
  /** Prefix of every element id in the SVG; must be unique in the page. */
  readonly idPrefix: string;
  /** Accessible name of the drawing (the SVG `<title>`). */
  readonly title: string;
}

const MARGIN = 16;
const COLORS = { state: '#333333', input: '#2a7f62', net: '#7b3fa0' } as const;
type Style = keyof typeof COLORS;

const LEGEND_WIDTH = 510;
const LEGEND_HEIGHT = 24;

function markerDefs(prefix: string): string {
  const marker = (style: Style) =>
    `<marker id="${prefix}-arrow-${style}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"` +
    ` orient="auto-start-reverse"><path d="M0,0L10,5L0,10Z" fill="${COLORS[style]}"/></marker>`;
  return `<defs>${marker('state')}${marker('input')}${marker('net')}</defs>`;
}

/** A key to the symbols, {@link LEGEND_WIDTH} × {@link LEGEND_HEIGHT} px, its top-left at `(x, y)`. */
function legend(prefix: string, x: number, y: number): string {
  const items = [
    `<circle cx="10" cy="10" r="8" fill="#fff" stroke="${COLORS.state}" stroke-width="1.5"/><text x="24" y="14">state</text>`,
    `<rect x="70" y="3" width="18" height="14" rx="3" fill="#eef7f3" stroke="${COLORS.input}" stroke-width="1.5"/>` +
      '<text x="94" y="14">input</text>',
    `<line x1="145" y1="10" x2="185" y2="10" stroke="${COLORS.state}" stroke-width="1.5" marker-end="url(#${prefix}-arrow-state)"/>` +
      '<text x="192" y="14">appears in the derivative</text>',
    `<line x1="350" y1="10" x2="390" y2="10" stroke="${COLORS.net}" stroke-width="1.5" stroke-dasharray="6 4"` +
      ` marker-end="url(#${prefix}-arrow-net)"/><text x="397" y="14">through a network</text>`,
  ];
  return `<g class="legend" transform="translate(${coord(x)},${coord(y)})" font-size="${LABEL_FONT}" fill="#333">${items.join('')}</g>`;
}

/** The tooltip of an edge: source, target, networks, all terms. */
function edgeTooltip(edge: DependencyEdge): string {
  const via = edge.via.length > 0 ? ` (through ${edge.via.join(', ')})` : '';
  const terms = edge.termText.length > 0 ? `: ${edge.termText.join(', ')}` : '';
  return `${edge.from} → ${edge.to}${via}${terms}`;
}

function edgeMarkup(placed: PlacedEdge, prefix: string): string {
  const { edge } = placed;
  const throughNet = edge.via.length > 0;
  const style: Style = throughNet ? 'net' : edge.kind;
  const classes = [
    'edge',
    `from-${edge.kind}`,
    ...(placed.loop ? ['loop'] : []),
    ...(throughNet ? ['via-net'] : []),
  ];
  return (
    `<g class="${classes.join(' ')}" data-from="${escapeHtml(edge.from)}" data-to="${escapeHtml(edge.to)}"` +
    `${throughNet ? ` data-via="${escapeHtml(edge.via.join(' '))}"` : ''}>` +
    `<title>${escapeHtml(edgeTooltip(edge))}</title>` +
    `<path d="${placed.d}" fill="none" stroke="${COLORS[style]}" stroke-width="1.5"` +
    `${throughNet ? ' stroke-dasharray="6 4"' : ''} marker-end="url(#${prefix}-arrow-${style})"/>` +
    `<text class="edge-label" x="${coord(placed.labelAt.x)}" y="${coord(placed.labelAt.y)}"` +
    ` text-anchor="${placed.anchor}" paint-order="stroke" stroke="#fff" stroke-width="3">` +
    `${escapeHtml(placed.label)}</text></g>`
  );
}

function nodeMarkup(node: PlacedNode): string {
  const { at } = node;
  const shape =
    node.kind === 'state'
      ? `<circle cx="${coord(at.x)}" cy="${coord(at.y)}" r="${coord(node.rx)}" fill="#fff" stroke="${COLORS.state}" stroke-width="1.5"/>`
      : `<rect x="${coord(at.x - node.rx)}" y="${coord(at.y - node.ry)}" width="${coord(2 * node.rx)}" height="${coord(2 * node.ry)}"` +
        ` rx="4" fill="#eef7f3" stroke="${COLORS.input}" stroke-width="1.5"/>`;
  return (
    `<g class="node ${node.kind}" data-name="${escapeHtml(node.name)}"><title>${node.kind} ${escapeHtml(node.name)}</title>` +
    `${shape}<text x="${coord(at.x)}" y="${coord(at.y + NODE_FONT / 3)}" text-anchor="middle" font-size="${NODE_FONT}">` +
    `${escapeHtml(node.shown)}</text></g>`
  );
}

/**
 * The dependency graph as one `<svg>` element (markup string).
 *
 * @example
 * ```ts
 * const svg = graphSvg(dependencyGraph(lotkaVolterraModel()), { idPrefix: 'graph', title: 'Lotka–Volterra' });
 * svg.match(/class="node state"/g)?.length; // 2
 * ```
 */
export function graphSvg(graph: DependencyGraph, options: GraphSvgOptions): string {
  const prefix = options.idPrefix;
  const layout = layoutGraph(graph);
  const { bounds } = layout;
  const width = Math.max(bounds.maxX - bounds.minX, LEGEND_WIDTH) + 2 * MARGIN;
  const height = bounds.maxY - bounds.minY + LEGEND_HEIGHT + 3 * MARGIN;
  const titleId = `${prefix}-title`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="dependency-graph" role="img" aria-labelledby="${titleId}"` +
    ` width="${coord(width)}" height="${coord(height)}" viewBox="0 0 ${coord(width)} ${coord(height)}" font-family="sans-serif">` +
    `<title id="${titleId}">${escapeHtml(options.title)}</title>${markerDefs(prefix)}` +
    `<rect width="${coord(width)}" height="${coord(height)}" fill="#fff"/>` +
    `<g transform="translate(${coord(MARGIN - bounds.minX)},${coord(MARGIN - bounds.minY)})">` +
    `<g class="edges" font-size="${LABEL_FONT}" fill="#222" stroke-linejoin="round">` +
    `${layout.edges.map((e) => edgeMarkup(e, prefix)).join('')}</g>` +
    `<g class="nodes" fill="#111">${layout.nodes.map(nodeMarkup).join('')}</g></g>` +
    `${legend(prefix, MARGIN, bounds.maxY - bounds.minY + 2 * MARGIN)}</svg>`
  );
}
