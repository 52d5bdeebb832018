/**
 * Drawings of a {@link StructureGraph}: Graphviz DOT text and a self-contained SVG with our own
 * layered layout. Removed edges and nodes (those of the full graph missing from the kept one)
 * are drawn dashed and grey; shortcut edges added by the pathway closure are blue, edges the
 * user added green.
 */
import type { StructureEdge, StructureGraph } from './graph.js';

/** Options of {@link graphToDot} and {@link graphToSvg}. */
export interface DrawOptions {
  /** The kept (pruned) graph: nodes and edges of the drawn graph missing from it are drawn as removed. */
  readonly kept?: StructureGraph;
  /** Edge labels, keyed `from→to` (e.g. learned edge weights). */
  readonly edgeLabels?: ReadonlyMap<string, string>;
  /** A title. */
  readonly title?: string;
}

/** The key `from→to` of an edge. */
export function edgeKey(e: { readonly from: string; readonly to: string }): string {
  return `${e.from}→${e.to}`;
}

function removedSets(graph: StructureGraph, kept: StructureGraph | undefined) {
  if (kept === undefined) return { nodes: new Set<string>(), edges: new Set<string>() };
  const keptNodes = new Set(kept.nodes.map((n) => n.name));
  const keptEdges = new Set(kept.edges.map(edgeKey));
  return {
    nodes: new Set(graph.nodes.filter((n) => !keptNodes.has(n.name)).map((n) => n.name)),
    edges: new Set(graph.edges.filter((e) => !keptEdges.has(edgeKey(e))).map(edgeKey)),
  };
}

const dotId = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * Graphviz DOT text: inputs as boxes, states as ellipses (observed ones doubled), super-nodes
 * listing their members; removed nodes and edges dashed grey, closure edges blue, user edges
 * green.
 *
 * @example
 * ```ts
 * graphToDot(full, { kept: pruned }); // 'digraph structure { … }'
 * ```
 */
export function graphToDot(graph: StructureGraph, options: DrawOptions = {}): string {
  const removed = removedSets(graph, options.kept);
  const observed = new Set(graph.observed);
  const lines = ['digraph structure {', '  rankdir=LR;'];
  if (options.title !== undefined) lines.push(`  label=${dotId(options.title)};`);
  for (const u of graph.inputs) lines.push(`  ${dotId(u)} [shape=box];`);
  for (const n of graph.nodes) {
    const attrs = [observed.has(n.name) ? 'shape=doublecircle' : 'shape=ellipse'];
    if (removed.nodes.has(n.name)) attrs.push('style=dashed', 'color=gray', 'fontcolor=gray');
    lines.push(`  ${dotId(n.name)} [${attrs.join(', ')}];`);
  }
  for (const e of graph.edges) {
    const attrs: string[] = [];
    if (removed.edges.has(edgeKey(e))) attrs.push('style=dashed', 'color=gray');
    else if (e.origin === 'closure') attrs.push('color=blue');
    else if (e.origin === 'user') attrs.push('color=darkgreen');
    const label = options.edgeLabels?.get(edgeKey(e));
    if (label !== undefined) attrs.push(`label=${dotId(label)}`);
    lines.push(`  ${dotId(e.from)} -> ${dotId(e.to)}${attrs.length > 0 ? ` [${attrs.join(', ')}]` : ''};`);
  }
  lines.push('}');
  return lines.join('\n');
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Layers: inputs in layer 0; a node's layer is 1 + the longest path to it from the inputs
 * over the graph without back edges (a DFS from the sources decides which edges are back edges
 * when cycles remain), so edges mostly point right.
 */
function layers(graph: StructureGraph): Map<string, number> {
  const names = [...graph.inputs, ...graph.nodes.map((n) => n.name)];
  const succ = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const e of graph.edges) if (e.from !== e.to) succ.get(e.from)!.push(e.to);
  // Drop back edges with a DFS (state 1 = on stack).
  const state = new Map<string, number>();
  const forward = new Map<string, string[]>(names.map((n) => [n, []]));
  const visit = (root: string) => {
    const stack: [string, number][] = [[root, 0]];
    state.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const out = succ.get(top[0])!;
      if (top[1] < out.length) {
        const w = out[top[1]++];
        const s = state.get(w);
        if (s === 1) continue; // back edge
        forward.get(top[0])!.push(w);
        if (s === undefined) {
          state.set(w, 1);
          stack.push([w, 0]);
        }
      } else {
        state.set(top[0], 2);
        stack.pop();
      }
    }
  };
  for (const n of names) if (!state.has(n)) visit(n);
  const layer = new Map<string, number>(names.map((n) => [n, graph.inputs.includes(n) ? 0 : 1]));
  // Longest path by relaxation (forward edges form a DAG; |V| rounds suffice).
  for (let round = 0; round < names.length; round++) {
    let changed = false;
    for (const [u, out] of forward) {
      for (const w of out) {
        if (layer.get(w)! < layer.get(u)! + 1) {
          layer.set(w, layer.get(u)! + 1);
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  return layer;
}

/**
 * A self-contained SVG drawing (no scripts, no external resources) with a layered left-to-right
 * layout: inputs on the left as boxes, states as rounded boxes (observed ones with a thick
 * border), removed nodes and edges dashed grey, closure edges blue, user edges green,
 * self-loops as small arcs above the node.
 *
 * @example
 * ```ts
 * writeFileSync('graph.svg', graphToSvg(full, { kept: pruned, title: 'HGS' }));
 * ```
 */
export function graphToSvg(graph: StructureGraph, options: DrawOptions = {}): string {
  const removed = removedSets(graph, options.kept);
  const observed = new Set(graph.observed);
  const layer = layers(graph);
  const byLayer = new Map<number, string[]>();
  for (const name of [...graph.inputs, ...graph.nodes.map((n) => n.name)]) {
    const l = layer.get(name)!;
    if (!byLayer.has(l)) byLayer.set(l, []);
    byLayer.get(l)!.push(name);
  }
  const colW = 150;
  const rowH = 110;
  const boxH = 28;
  const charW = 7;
  const maxRows = Math.max(...[...byLayer.values()].map((v) => v.length), 1);
  const nLayers = Math.max(...byLayer.keys(), 0) + 1;
  const top = options.title === undefined ? 20 : 44;
  const width = nLayers * colW + 40;
  const height = top + maxRows * rowH + 10;
  const pos = new Map<string, { x: number; y: number; w: number }>();
  for (const [l, names] of byLayer) {
    const offset = ((maxRows - names.length) * rowH) / 2;
    names.forEach((name, r) => {
      const w = Math.min(colW - 20, Math.max(40, name.length * charW + 16));
      pos.set(name, { x: 20 + l * colW + colW / 2, y: top + offset + r * rowH + rowH / 2, w });
    });
  }
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(
    '<defs>' +
      ['black', 'gray', 'blue', 'green']
        .map(
          (c) =>
            `<marker id="arrow-${c}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${c}"/></marker>`,
        )
        .join('') +
      '</defs>',
  );
  if (options.title !== undefined)
    out.push(
      `<text x="${width / 2}" y="24" text-anchor="middle" font-size="14">${esc(options.title)}</text>`,
    );
  const edgeColor = (e: StructureEdge) =>
    removed.edges.has(edgeKey(e))
      ? 'gray'
      : e.origin === 'closure'
        ? 'blue'
        : e.origin === 'user'
          ? 'green'
          : 'black';
  for (const [edgeIndex, e] of graph.edges.entries()) {
    const a = pos.get(e.from)!;
    const b = pos.get(e.to)!;
    const color = edgeColor(e);
    const dash = removed.edges.has(edgeKey(e)) ? ' stroke-dasharray="4 3"' : '';
    const label = options.edgeLabels?.get(edgeKey(e));
    let mid: { x: number; y: number };
    if (e.from === e.to) {
      const x0 = a.x - 8;
      const x1 = a.x + 8;
      const y = a.y - boxH / 2;
      out.push(
        `<path d="M${x0},${y} C${x0 - 14},${y - 26} ${x1 + 14},${y - 26} ${x1},${y}" fill="none" stroke="${color}"${dash} marker-end="url(#arrow-${color})"><title>${esc(edgeKey(e))}</title></path>`,
      );
      mid = { x: a.x, y: y - 22 };
    } else {
      // From the right side of a to the left side of b (or the reverse for backward edges), curved.
      const forward = b.x > a.x;
      const x0 = forward ? a.x + a.w / 2 : a.x - a.w / 2;
      const x1 = forward ? b.x - b.w / 2 : b.x + b.w / 2;
      const sameColumn = Math.abs(b.x - a.x) < 1;
      const y0 = a.y;
      const y1 = b.y;
      // Edges that skip layers bow further out, alternately above and below, so that shortcuts
      // do not hide the chains they skip.
      const span = Math.max(1, Math.round(Math.abs(b.x - a.x) / colW));
      const side = span > 1 && edgeIndex % 2 === 1 ? -1 : 1;
      const bend = sameColumn ? 40 : span === 1 ? 8 : 22 * span;
      const cx = (x0 + x1) / 2 + (sameColumn ? bend : 0);
      const cy = (y0 + y1) / 2 - (sameColumn ? 0 : bend * side * (forward ? 1 : -1));
      const sx0 = sameColumn ? a.x + a.w / 2 : x0;
      const sx1 = sameColumn ? b.x + b.w / 2 : x1;
      out.push(
        `<path d="M${sx0},${y0} Q${cx},${cy} ${sx1},${y1}" fill="none" stroke="${color}"${dash} marker-end="url(#arrow-${color})"><title>${esc(edgeKey(e))}</title></path>`,
      );
      mid = { x: (sx0 + 2 * cx + sx1) / 4, y: (y0 + 2 * cy + y1) / 4 };
    }
    if (label !== undefined)
      out.push(
        `<text x="${mid.x}" y="${mid.y - 3}" text-anchor="middle" font-size="10" fill="${color}">${esc(label)}</text>`,
      );
  }
  const inputs = new Set(graph.inputs);
  for (const [name, p] of pos) {
    const gone = removed.nodes.has(name);
    const stroke = gone ? 'gray' : 'black';
    const dash = gone ? ' stroke-dasharray="4 3"' : '';
    const sw = observed.has(name) ? 2.5 : 1;
    const rx = inputs.has(name) ? 0 : 10;
    const fill = inputs.has(name) ? '#fff7e0' : gone ? '#f4f4f4' : '#e8f0ff';
    out.push(
      `<g><title>${esc(name)}${observed.has(name) ? ' (observed)' : ''}${gone ? ' (removed)' : ''}</title>` +
        `<rect x="${p.x - p.w / 2}" y="${p.y - boxH / 2}" width="${p.w}" height="${boxH}" rx="${rx}" fill="${fill}" stroke="${stroke}" stroke-width="${sw}"${dash}/>` +
        `<text x="${p.x}" y="${p.y + 4}" text-anchor="middle" fill="${gone ? 'gray' : 'black'}">${esc(name)}</text></g>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}
