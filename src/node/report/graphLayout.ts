/**
 * Geometry of the dependency-graph drawing, with no markup: where nodes go, the curve of each
 * arrow, and where each arrow's label fits.
 *
 * - States lie on a circle, clockwise from the top in the model's order, all with one radius
 *   (wide enough for the longest name); adjacent states keep a gap for arrows and labels.
 * - Inputs lie on a larger ring, each beside the states it drives (at the circular mean of their
 *   angles, turned half a step so the input does not sit behind a state's self-loop), spread so
 *   that no two boxes overlap.
 * - An arrow between two states is a quadratic curve bent to its left, more when the reverse
 *   arrow exists, so that u → v and v → u never lie on top of each other. Arrows from inputs are
 *   straight. A state in its own derivative gets a loop on the outside of the circle.
 * - Labels are placed greedily in edge order: each takes the first of a few positions along its
 *   curve that overlaps no node and no earlier label (or the least overlapping one).
 *
 * Everything depends only on the order of states, inputs and edges: no randomness, no
 * iteration to convergence, so the same graph always gives the same drawing.
 */
import type { DependencyEdge, DependencyGraph } from '../../expr/graph.js';

/** A point or direction in drawing coordinates (y down). */
export interface Vec {
  readonly x: number;
  readonly y: number;
}

/** An axis-aligned box. */
export interface Box {
  readonly minX: number;
  readonly minY: number;
  readonly maxX: number;
  readonly maxY: number;
}

/** A placed node: a circle (state) or a box (input) around its centre. */
export interface PlacedNode {
  readonly name: string;
  readonly kind: 'state' | 'input';
  readonly at: Vec;
  /** Circle radius, or half width of the box. */
  readonly rx: number;
  /** Circle radius, or half height of the box. */
  readonly ry: number;
  /** The name as drawn (shortened). */
  readonly shown: string;
}

/** A placed edge: its SVG path, its label text and position. */
export interface PlacedEdge {
  readonly edge: DependencyEdge;
  readonly loop: boolean;
  /** SVG path data. */
  readonly d: string;
  readonly label: string;
  readonly labelAt: Vec;
  readonly anchor: 'start' | 'middle' | 'end';
}

/** The laid-out graph and the box that holds all of it. */
export interface GraphLayout {
  readonly nodes: readonly PlacedNode[];
  readonly edges: readonly PlacedEdge[];
  readonly bounds: Box;
}

export const NODE_FONT = 13;
export const LABEL_FONT = 11;
const NODE_LABEL_CHARS = 18;
/** Longest edge label, and the shorter one used when the graph has many edges. */
const EDGE_LABEL_CHARS = 42;
const DENSE_EDGE_LABEL_CHARS = 26;
const DENSE_EDGES = 16;
const MIN_RADIUS = 20;
const INPUT_HALF_HEIGHT = 14;
/** Gap between adjacent states on the circle. */
const STATE_GAP = 90;
/** How far a self-loop reaches beyond its node. */
const LOOP_REACH = 55;

const add = (a: Vec, b: Vec): Vec => ({ x: a.x + b.x, y: a.y + b.y });
const sub = (a: Vec, b: Vec): Vec => ({ x: a.x - b.x, y: a.y - b.y });
const scale = (a: Vec, s: number): Vec => ({ x: a.x * s, y: a.y * s });
const length = (a: Vec): number => Math.hypot(a.x, a.y);
const unit = (a: Vec): Vec => {
  const l = length(a);
  return l > 0 ? scale(a, 1 / l) : { x: 0, y: -1 };
};
const rotate = (a: Vec, angle: number): Vec => ({
  x: a.x * Math.cos(angle) - a.y * Math.sin(angle),
  y: a.x * Math.sin(angle) + a.y * Math.cos(angle),
});
const polar = (angle: number, r: number): Vec => ({ x: r * Math.cos(angle), y: r * Math.sin(angle) });

/** A coordinate with one decimal (no `-0`), so markup is short and stable. */
export function coord(v: number): string {
  const r = Math.round(v * 10) / 10;
  return String(r === 0 ? 0 : r);
}

/** Estimated width of `text` in a sans-serif font of `size` px (no font metrics in Node). */
export function textWidth(text: string, size: number): number {
  return [...text].length * size * 0.6;
}

/** `text` cut to `max` characters with an ellipsis. */
export function shorten(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** The box of a text of `width` px drawn at `at` with the given anchor. */
function textBox(at: Vec, width: number, anchor: PlacedEdge['anchor']): Box {
  const minX = anchor === 'start' ? at.x : anchor === 'end' ? at.x - width : at.x - width / 2;
  return { minX, minY: at.y - LABEL_FONT, maxX: minX + width, maxY: at.y + LABEL_FONT / 3 };
}

function overlapArea(a: Box, b: Box): number {
  const w = Math.min(a.maxX, b.maxX) - Math.max(a.minX, b.minX);
  const h = Math.min(a.maxY, b.maxY) - Math.max(a.minY, b.minY);
  return w > 0 && h > 0 ? w * h : 0;
}

function nodeBox(n: PlacedNode): Box {
  return { minX: n.at.x - n.rx, minY: n.at.y - n.ry, maxX: n.at.x + n.rx, maxY: n.at.y + n.ry };
}

/** Places the states on a circle and the inputs on an outer ring beside their targets. */
function placeNodes(graph: DependencyGraph): { nodes: PlacedNode[]; angles: Map<string, number> } {
  const n = graph.states.length;
  const widest = Math.max(0, ...graph.states.map((s) => textWidth(shorten(s, NODE_LABEL_CHARS), NODE_FONT)));
  const r = Math.max(MIN_RADIUS, widest / 2 + 8);
  const circle = n <= 1 ? 0 : Math.max(110, (2 * r + STATE_GAP) / (2 * Math.sin(Math.PI / n)));
  const angles = new Map<string, number>();
  const nodes: PlacedNode[] = graph.states.map((name, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(n, 1);
    angles.set(name, angle);
    const shown = shorten(name, NODE_LABEL_CHARS);
    return { name, kind: 'state', at: polar(angle, circle), rx: r, ry: r, shown };
  });

  const inputs = graph.inputs.map((name, index) => {
    const shown = shorten(name, NODE_LABEL_CHARS);
    // Circular mean of the angles of the states this input drives.
    let sum: Vec = { x: 0, y: 0 };
    for (const e of graph.edges) {
      const a = e.kind === 'input' && e.from === name ? angles.get(e.to) : undefined;
      if (a !== undefined) sum = add(sum, polar(a, 1));
    }
    const toward = length(sum) > 1e-9 ? Math.atan2(sum.y, sum.x) : Math.PI;
    const angle = toward + (n > 1 ? Math.PI / n : 0);
    return { name, index, shown, halfWidth: textWidth(shown, NODE_FONT) / 2 + 10, angle };
  });
  if (inputs.length > 0) {
    const footprint = 2 * Math.max(...inputs.map((u) => u.halfWidth)) + 16;
    // Outside the self-loops and their labels; large enough for all inputs side by side.
    const ring = Math.max(circle + r + LOOP_REACH + 80, (inputs.length * footprint) / (1.8 * Math.PI));
    const step = footprint / ring;
    inputs.sort((a, b) => a.angle - b.angle || a.index - b.index);
    for (let k = 1; k < inputs.length; k++) {
      inputs[k].angle = Math.max(inputs[k].angle, inputs[k - 1].angle + step);
    }
    inputs.sort((a, b) => a.index - b.index);
    for (const u of inputs) {
      nodes.push({
        name: u.name,
        kind: 'input',
        at: polar(u.angle, ring),
        rx: u.halfWidth,
        ry: INPUT_HALF_HEIGHT,
        shown: u.shown,
      });
    }
  }
  return { nodes, angles };
}

/** Where the ray from a node's centre in direction `dir` leaves its circle or box. */
function boundary(node: PlacedNode, dir: Vec): Vec {
  const d = unit(dir);
  if (node.kind === 'state') return add(node.at, scale(d, node.rx));
  const t = Math.min(
    Math.abs(d.x) > 1e-12 ? node.rx / Math.abs(d.x) : Number.POSITIVE_INFINITY,
    Math.abs(d.y) > 1e-12 ? node.ry / Math.abs(d.y) : Number.POSITIVE_INFINITY,
  );
  return add(node.at, scale(d, t));
}

/** A curve, the candidate label positions in order of preference, and its hull. */
interface Shape {
  readonly d: string;
  readonly candidates: readonly Vec[];
  readonly anchor: PlacedEdge['anchor'];
  /** Points whose convex hull contains the curve. */
  readonly hull: readonly Vec[];
}

/** A loop outside `node`, pointing in direction `out`. */
function loopShape(node: PlacedNode, out: Vec): Shape {
  const reach = node.rx + LOOP_REACH;
  const start = add(node.at, scale(rotate(out, -0.5), node.rx));
  const end = add(node.at, scale(rotate(out, 0.5), node.rx + 2));
  const c1 = add(node.at, scale(rotate(out, -0.55), reach));
  const c2 = add(node.at, scale(rotate(out, 0.55), reach));
  const d = `M${coord(start.x)},${coord(start.y)} C${coord(c1.x)},${coord(c1.y)} ${coord(c2.x)},${coord(c2.y)} ${coord(end.x)},${coord(end.y)}`;
  // Just beyond the curve's far point (its value at parameter 1/2), the text growing away
  // from the node: above it when the loop points up, below when down.
  const far = add(add(scale(add(start, end), 0.125), scale(add(c1, c2), 0.375)), scale(out, 6));
  const anchor = out.x > 0.35 ? 'start' : out.x < -0.35 ? 'end' : 'middle';
  const dy = out.y > 0.35 ? LABEL_FONT * 0.8 : anchor === 'middle' ? 0 : LABEL_FONT / 3;
  return { d, candidates: [{ x: far.x, y: far.y + dy }], anchor, hull: [start, c1, c2, end] };
}

/** A quadratic curve from one node to another, bent to its left by `bend` × its length. */
function arcShape(from: PlacedNode, to: PlacedNode, bend: number): Shape {
  const chord = sub(to.at, from.at);
  const normal = unit({ x: chord.y, y: -chord.x });
  const control = add(scale(add(from.at, to.at), 0.5), scale(normal, bend * length(chord)));
  const start = boundary(from, sub(control, from.at));
  const end = boundary(to, sub(control, to.at));
  const d = `M${coord(start.x)},${coord(start.y)} Q${coord(control.x)},${coord(control.y)} ${coord(end.x)},${coord(end.y)}`;
  const at = (t: number): Vec =>
    add(add(scale(start, (1 - t) ** 2), scale(control, 2 * (1 - t) * t)), scale(end, t * t));
  const candidates = [0.5, 0.4, 0.6, 0.3, 0.7].map((t) => add(at(t), { x: 0, y: -4 }));
  return { d, candidates, anchor: 'middle', hull: [start, control, end] };
}

/** The label drawn on an edge: its terms, shortened, and the networks passed through. */
function edgeLabel(edge: DependencyEdge, maxChars: number): string {
  const terms = edge.termText.join(', ');
  const via = edge.via.length > 0 ? ` [via ${edge.via.join(', ')}]` : '';
  return shorten(terms, Math.max(8, maxChars - [...via].length)) + via;
}

/**
 * Lays out `graph`.
 *
 * @throws Error when an edge names a node that is neither a state nor an input of the graph.
 */
export function layoutGraph(graph: DependencyGraph): GraphLayout {
  const { nodes, angles } = placeNodes(graph);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const present = new Set(graph.edges.map((e) => `${e.from}\u0000${e.to}`));
  const maxChars = graph.edges.length > DENSE_EDGES ? DENSE_EDGE_LABEL_CHARS : EDGE_LABEL_CHARS;
  const taken: Box[] = nodes.map(nodeBox);
  const hull: Vec[] = nodes.flatMap((n) => {
    const b = nodeBox(n);
    return [
      { x: b.minX, y: b.minY },
      { x: b.maxX, y: b.maxY },
    ];
  });

  const edges = graph.edges.map((edge): PlacedEdge => {
    const from = byName.get(edge.from);
    const to = byName.get(edge.to);
    if (from === undefined || to === undefined) {
      throw new Error(
        `graphSvg: the edge ${edge.from} → ${edge.to} names a node that is not among the graph's states and inputs`,
      );
    }
    const loop = from === to;
    const mutual = present.has(`${edge.to}\u0000${edge.from}`);
    const shape = loop
      ? loopShape(from, polar(angles.get(from.name) ?? -Math.PI / 2, 1))
      : arcShape(from, to, from.kind === 'input' ? 0 : mutual ? 0.14 : 0.08);
    const label = edgeLabel(edge, maxChars);
    const width = textWidth(label, LABEL_FONT);
    let best = shape.candidates[0];
    let bestOverlap = Number.POSITIVE_INFINITY;
    for (const c of shape.candidates) {
      const box = textBox(c, width, shape.anchor);
      const overlap = taken.reduce((s, b) => s + overlapArea(box, b), 0);
      if (overlap < bestOverlap) {
        best = c;
        bestOverlap = overlap;
      }
      if (overlap === 0) break;
    }
    const box = textBox(best, width, shape.anchor);
    taken.push(box);
    hull.push(...shape.hull, { x: box.minX, y: box.minY }, { x: box.maxX, y: box.maxY });
    return { edge, loop, d: shape.d, label, labelAt: best, anchor: shape.anchor };
  });

  if (hull.length === 0) hull.push({ x: 0, y: 0 });
  const bounds = {
    minX: Math.min(...hull.map((p) => p.x)),
    minY: Math.min(...hull.map((p) => p.y)),
    maxX: Math.max(...hull.map((p) => p.x)),
    maxY: Math.max(...hull.map((p) => p.y)),
  };
  return { nodes, edges, bounds };
}
