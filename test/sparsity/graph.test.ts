import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { uvaPadovaModel } from '../../src/models/uvaPadova.js';
import { graphToDot, graphToSvg } from '../../src/sparsity/draw.js';
import {
  augmentPathways,
  condense,
  editGraph,
  graphFromModel,
  isAcyclicExceptSelfLoops,
  nodesReachingObserved,
  pruneGraph,
  type StructureGraph,
  structureGraph,
  tarjanScc,
} from '../../src/sparsity/graph.js';

/** Reachability by Floyd–Warshall, an independent check of the components. */
function reach(adj: number[][]): boolean[][] {
  const n = adj.length;
  const r = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => i === j));
  adj.forEach((s, u) => {
    for (const w of s) r[u][w] = true;
  });
  for (let k = 0; k < n; k++)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (r[i][k] && r[k][j]) r[i][j] = true;
  return r;
}

const adjacencyArb = fc
  .integer({ min: 1, max: 9 })
  .chain((n) =>
    fc.array(fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 4 }), { minLength: n, maxLength: n }),
  );

const graphArb = fc
  .record({
    n: fc.integer({ min: 2, max: 8 }),
    m: fc.integer({ min: 1, max: 3 }),
    seed: fc.array(fc.tuple(fc.nat(20), fc.nat(20)), { maxLength: 25 }),
    obs: fc.nat(20),
  })
  .map(({ n, m, seed, obs }): StructureGraph => {
    const states = Array.from({ length: n }, (_, i) => `s${i}`);
    const inputs = Array.from({ length: m }, (_, i) => `u${i}`);
    const sources = [...states, ...inputs];
    return structureGraph({
      states,
      inputs,
      edges: seed.map(([a, b]) => [sources[a % sources.length], states[b % n]] as const),
      observed: [states[obs % n]],
    });
  });

describe('tarjanScc', () => {
  it('finds the components of known graphs in reverse topological order', () => {
    expect(tarjanScc([[1], [0, 2], []])).toEqual([[2], [0, 1]]);
    expect(tarjanScc([[1], [2], [0], [2, 4], [5], [3]])).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(tarjanScc([[0]])).toEqual([[0]]);
    expect(tarjanScc([[], [], []]).map((c) => c.length)).toEqual([1, 1, 1]);
  });

  it('handles a long chain without recursion', () => {
    const n = 20000;
    const adj = Array.from({ length: n }, (_, i) => (i + 1 < n ? [i + 1] : [0]));
    expect(tarjanScc(adj)).toHaveLength(1);
  });

  it('agrees with mutual reachability and emits sinks first (property)', () => {
    fc.assert(
      fc.property(adjacencyArb, (adj) => {
        const comps = tarjanScc(adj);
        const r = reach(adj);
        const compOf = new Map<number, number>();
        comps.forEach((c, k) => {
          for (const v of c) compOf.set(v, k);
        });
        expect(compOf.size).toBe(adj.length);
        for (let i = 0; i < adj.length; i++) {
          for (let j = 0; j < adj.length; j++) {
            expect(compOf.get(i) === compOf.get(j)).toBe(r[i][j] && r[j][i]);
          }
        }
        // An edge u → w between components: w's component is emitted first.
        adj.forEach((s, u) => {
          for (const w of s) expect(compOf.get(w)!).toBeLessThanOrEqual(compOf.get(u)!);
        });
      }),
    );
  });
});

describe('condense', () => {
  it('merges the UVA/Padova cycles Gp⇄Gt and Ip⇄Il into super-nodes', () => {
    const g = graphFromModel(uvaPadovaModel());
    expect(g.observed).toEqual(['Gs']);
    const c = condense(g);
    const names = c.nodes.map((n) => n.name);
    expect(names).toContain('Gp+Gt');
    expect(names).toContain('Ip+Il');
    expect(isAcyclicExceptSelfLoops(c)).toBe(true);
    expect(c.edges.some((e) => e.from === 'Gp+Gt' && e.to === 'Gp+Gt')).toBe(true);
    const kept = condense(g, { keepUnmerged: ['Gt'] });
    expect(kept.nodes.map((n) => n.name)).toContain('Gt');
    expect(isAcyclicExceptSelfLoops(kept)).toBe(false);
  });

  it('is acyclic apart from self-loops and keeps every state once (property)', () => {
    fc.assert(
      fc.property(graphArb, (g) => {
        const c = condense(g);
        expect(isAcyclicExceptSelfLoops(c)).toBe(true);
        expect(c.nodes.flatMap((n) => n.members).sort()).toEqual(g.nodes.map((n) => n.name).sort());
        expect(c.observed.length).toBe(1);
      }),
    );
  });

  it('rejects an unknown node to keep', () => {
    const g = structureGraph({ states: ['a'], edges: [], observed: ['a'] });
    expect(() => condense(g, { keepUnmerged: ['b'] })).toThrow(/keepUnmerged names "b"/);
  });
});

describe('augmentPathways', () => {
  const chain = structureGraph({
    states: ['a', 'b', 'c', 'y'],
    inputs: ['u'],
    edges: [
      ['u', 'a'],
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'y'],
    ],
    observed: ['y'],
  });
  const added = (g: StructureGraph) =>
    g.edges
      .filter((e) => e.origin === 'closure')
      .map((e) => `${e.from}→${e.to}`)
      .sort();

  it('adds skips up to the maximum length, never input → observed', () => {
    expect(added(augmentPathways(chain, { maxSkip: 0 }))).toEqual([]);
    expect(added(augmentPathways(chain, { maxSkip: 1 }))).toEqual(['a→c', 'b→y', 'u→b']);
    expect(added(augmentPathways(chain, { maxSkip: 9 }))).toEqual(['a→c', 'a→y', 'b→y', 'u→b', 'u→c']);
    expect(added(augmentPathways(chain, { maxSkip: 9, inputShortcuts: false }))).toEqual([
      'a→c',
      'a→y',
      'b→y',
    ]);
  });

  it('adds nothing off the essential pathways', () => {
    const g = structureGraph({
      states: ['a', 'b', 'z', 'w', 'y'],
      inputs: ['u'],
      edges: [
        ['u', 'a'],
        ['a', 'b'],
        ['b', 'y'],
        ['a', 'z'],
        ['z', 'w'],
      ],
      observed: ['y'],
    });
    expect(added(augmentPathways(g, { maxSkip: 3 }))).toEqual(['a→y', 'u→b']);
  });

  it('never adds an input → observed edge, only adds edges, keeps acyclicity (property)', () => {
    fc.assert(
      fc.property(graphArb, fc.integer({ min: 0, max: 4 }), (g, maxSkip) => {
        const c = condense(g);
        const a = augmentPathways(c, { maxSkip });
        const obs = new Set(a.observed);
        for (const e of a.edges.filter((x) => x.origin === 'closure')) {
          expect(e.kind === 'input' && obs.has(e.to)).toBe(false);
          expect(e.from).not.toBe(e.to);
        }
        const before = new Set(c.edges.map((e) => `${e.from}→${e.to}`));
        for (const k of before) expect(a.edges.some((e) => `${e.from}→${e.to}` === k)).toBe(true);
        expect(isAcyclicExceptSelfLoops(a)).toBe(true);
        // A shortcut never changes which nodes reach the observed ones.
        expect([...nodesReachingObserved(a)].sort()).toEqual([...nodesReachingObserved(c)].sort());
      }),
    );
  });
});

describe('edits, pruning and drawing', () => {
  const g = structureGraph({
    states: ['a', 'b', 'y'],
    inputs: ['u'],
    edges: [
      ['u', 'a'],
      ['a', 'b'],
      ['b', 'y'],
      ['a', 'y'],
    ],
    observed: ['y'],
  });

  it('adds and forbids edges by name, with clear errors', () => {
    const e = editGraph(g, { add: [['u', 'b']], forbid: [['a', 'y']] });
    expect(e.edges.map((x) => `${x.from}→${x.to}:${x.origin}`)).toEqual([
      'u→a:model',
      'a→b:model',
      'b→y:model',
      'u→b:user',
    ]);
    expect(() => editGraph(g, { add: [['q', 'a']] })).toThrow(/"q", not a node or input/);
    expect(() => editGraph(g, { add: [['a', 'u']] })).toThrow(/ends at "u"/);
  });

  it('removes states without a path to an observed state', () => {
    const p = pruneGraph(g, (e) => !(e.from === 'b' && e.to === 'y'));
    expect(p.nodes.map((n) => n.name)).toEqual(['a', 'y']);
    expect(p.edges.map((e) => `${e.from}→${e.to}`)).toEqual(['u→a', 'a→y']);
  });

  it('draws removed parts differently in DOT and SVG', () => {
    const p = pruneGraph(g, (e) => !(e.from === 'b' && e.to === 'y'));
    const dot = graphToDot(g, { kept: p });
    expect(dot).toContain('"b" [shape=ellipse, style=dashed, color=gray, fontcolor=gray]');
    expect(dot).toContain('"b" -> "y" [style=dashed, color=gray]');
    const svg = graphToSvg(g, { kept: p, title: 'a < b' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('a &lt; b');
    expect(svg).toContain('b (removed)');
    expect(svg).not.toContain('<script');
  });

  it('rejects malformed graphs', () => {
    expect(() => structureGraph({ states: ['a'], edges: [['x', 'a']], observed: ['a'] })).toThrow(
      /neither a state nor an input/,
    );
    expect(() => structureGraph({ states: ['a'], edges: [], observed: [] })).toThrow(/at least one observed/);
    expect(() => structureGraph({ states: ['a'], inputs: ['a'], edges: [], observed: ['a'] })).toThrow(
      /declared twice/,
    );
  });
});
