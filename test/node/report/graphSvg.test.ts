import { describe, expect, it } from 'vitest';
import { type DependencyGraph, dependencyGraph } from '../../../src/expr/graph.js';
import { parseModel } from '../../../src/expr/parse.js';
import { lotkaVolterraModel, uvaPadovaModel } from '../../../src/models/index.js';
import { layoutGraph } from '../../../src/node/report/graphLayout.js';
import { graphSvg } from '../../../src/node/report/graphSvg.js';
import { MODEL_TEXT } from './fixture.js';

const options = { idPrefix: 'g', title: 'graph' };

/** The drawn nodes and edges, read back from the markup. */
function parse(svg: string) {
  const nodes = [...svg.matchAll(/<g class="node (state|input)" data-name="([^"]*)">/g)].map((m) => ({
    kind: m[1],
    name: m[2],
  }));
  const edges = [
    ...svg.matchAll(
      /<g class="edge ([^"]*)" data-from="([^"]*)" data-to="([^"]*)"(?: data-via="([^"]*)")?>([\s\S]*?)<\/g>/g,
    ),
  ].map((m) => ({ classes: m[1].split(' '), from: m[2], to: m[3], via: m[4], body: m[5] }));
  return { nodes, edges };
}

describe('graphSvg', () => {
  it('draws a node per state and an arrow per dependency (Lotka–Volterra)', () => {
    const g = dependencyGraph(lotkaVolterraModel());
    const { nodes, edges } = parse(graphSvg(g, options));
    expect(nodes).toEqual(g.states.map((name) => ({ kind: 'state', name })));
    expect(edges.map((e) => `${e.from}→${e.to}`)).toEqual(g.edges.map((e) => `${e.from}→${e.to}`));
    expect(edges.filter((e) => e.classes.includes('loop')).length).toBe(2); // x→x, y→y
    for (const e of edges) {
      expect(e.body).toMatch(/^<title>[^<]+<\/title><path d="M[^"]+"/);
      expect(e.body).toContain('marker-end="url(#g-arrow-state)"');
      expect(e.body).not.toContain('stroke-dasharray');
    }
  });

  it('draws inputs as boxes and dependencies through networks dashed', () => {
    const g = dependencyGraph(parseModel(MODEL_TEXT));
    const svg = graphSvg(g, options);
    const { nodes, edges } = parse(svg);
    expect(nodes).toEqual([
      { kind: 'state', name: 'gut' },
      { kind: 'state', name: 'central' },
      { kind: 'input', name: 'food' },
    ]);
    expect(edges.length).toBe(g.edges.length);
    for (const [i, e] of edges.entries()) {
      const viaNet = g.edges[i].via.length > 0;
      expect(e.classes.includes('via-net'), `${e.from}→${e.to}`).toBe(viaNet);
      expect(e.body.includes('stroke-dasharray="6 4"'), `${e.from}→${e.to}`).toBe(viaNet);
      expect(e.via).toBe(viaNet ? 'F' : undefined);
      expect(e.classes).toContain(`from-${g.edges[i].kind}`);
    }
    const food = edges.find((e) => e.from === 'food')!;
    expect(food.classes).toContain('via-net');
    // The full terms are in the tooltip, escaped.
    expect(food.body).toContain(
      '<title>food → central (through F): F.a, if central &lt; 1 then food else 0</title>',
    );
    expect(svg).toMatch(/<rect x="[-\d.]+" y="[-\d.]+" width="[\d.]+" height="28" rx="4"/);
  });

  it('lays out a larger model without overlapping nodes, every coordinate finite', () => {
    const g = dependencyGraph(uvaPadovaModel());
    const svg = graphSvg(g, options);
    const { nodes, edges } = parse(svg);
    expect(nodes.filter((n) => n.kind === 'state').map((n) => n.name)).toEqual(g.states);
    expect(nodes.filter((n) => n.kind === 'input').map((n) => n.name)).toEqual(g.inputs);
    expect(edges.length).toBe(g.edges.length);
    expect(svg).not.toMatch(/NaN|Infinity/);
    const layout = layoutGraph(g);
    const boxes = layout.nodes.map((n) => ({
      n,
      minX: n.at.x - n.rx,
      maxX: n.at.x + n.rx,
      minY: n.at.y - n.ry,
      maxY: n.at.y + n.ry,
    }));
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        const apart = a.maxX <= b.minX || b.maxX <= a.minX || a.maxY <= b.minY || b.maxY <= a.minY;
        const far = Math.hypot(a.n.at.x - b.n.at.x, a.n.at.y - b.n.at.y) >= a.n.rx + b.n.rx;
        expect(
          apart || (a.n.kind === 'state' && b.n.kind === 'state' && far),
          `${a.n.name} / ${b.n.name}`,
        ).toBe(true);
      }
    }
    // Everything drawn lies inside the bounds, so inside the viewBox.
    for (const n of layout.nodes) {
      expect(n.at.x - n.rx).toBeGreaterThanOrEqual(layout.bounds.minX);
      expect(n.at.y + n.ry).toBeLessThanOrEqual(layout.bounds.maxY);
    }
  });

  it('escapes names and is deterministic', () => {
    const g: DependencyGraph = {
      states: ['a<b', `"q"&'r'`],
      inputs: ['<u>'],
      edges: [
        { from: 'a<b', to: `"q"&'r'`, kind: 'state', terms: [], termText: ['k * a<b'], via: ['N<1>'] },
        { from: '<u>', to: 'a<b', kind: 'input', terms: [], termText: ['<u>'], via: [] },
      ],
    };
    const svg = graphSvg(g, { idPrefix: 'x', title: 'a <title> & "quotes"' });
    expect(svg).not.toMatch(/<(?!\/?(svg|title|defs|marker|path|rect|g|circle|text|line)\b)/);
    expect(svg).toContain('<title id="x-title">a &lt;title&gt; &amp; &quot;quotes&quot;</title>');
    expect(parse(svg).nodes.map((n) => n.name)).toEqual([
      'a&lt;b',
      '&quot;q&quot;&amp;&#39;r&#39;',
      '&lt;u&gt;',
    ]);
    expect(svg).toContain('data-via="N&lt;1&gt;"');
    expect(graphSvg(g, { idPrefix: 'x', title: 'a <title> & "quotes"' })).toBe(svg);
  });

  it('draws a single state with its loop, and rejects edges to unknown nodes', () => {
    const one: DependencyGraph = {
      states: ['x'],
      inputs: [],
      edges: [{ from: 'x', to: 'x', kind: 'state', terms: [], termText: ['-k * x'], via: [] }],
    };
    const { nodes, edges } = parse(graphSvg(one, options));
    expect(nodes.length).toBe(1);
    expect(edges[0].classes).toContain('loop');
    const bad = { ...one, edges: [{ ...one.edges[0], from: 'y' }] };
    expect(() => graphSvg(bad, options)).toThrow(/the edge y → x names a node that is not among/);
  });
});
