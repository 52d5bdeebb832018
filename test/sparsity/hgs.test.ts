import { describe, expect, it } from 'vitest';
import { syntheticSystem, syntheticWindows } from '../../examples/repro/hgs/synthetic.js';
import { tensor } from '../../src/autodiff/tensor.js';
import { treeLeaves } from '../../src/autodiff/tree.js';
import { parseModel } from '../../src/expr/parse.js';
import { blackBoxGraph, fitLstmBaseline } from '../../src/sparsity/baselines.js';
import { contractNodes, structureGraph } from '../../src/sparsity/graph.js';
import {
  type FoldMap,
  hgs,
  hgsFold,
  hgsFoldTask,
  hgsGraphs,
  mnodeToModelText,
  sequentialFoldMap,
} from '../../src/sparsity/hgs.js';
import { forecastTensors, mnode, subsetForecast } from '../../src/sparsity/mnode.js';
import { activeEdges, mnodeEnp, pruneMnode } from '../../src/sparsity/prune.js';
import { predictMnode, trainMnode } from '../../src/sparsity/train.js';
import { rngKey } from '../../src/tensor/random.js';

const sys = syntheticSystem('true', 'refined');
const data = syntheticWindows(sys, 24, { historyLength: 4, horizon: 4, noise: 0.01, seed: 3 });
const small = { hidden: [4], encoderHidden: 3 };

describe('pruning', () => {
  it('the pruned model forecasts exactly what the full model does with its zero edges', () => {
    const { augmented } = hgsGraphs(sys.graph);
    const model = mnode(augmented, ['y'], small);
    const p = model.init(rngKey(5));
    // Cut d → y and every edge into b: d and b (and a) no longer reach y.
    const w = model.nodes.map((n, v) =>
      tensor(
        p.w[v].data.map((x, j) => {
          const e = n.incoming[j];
          return (e.from === 'd' && e.to === 'y') || e.to === 'b' || e.from === 'b' || e.from === 'a' ? 0 : x;
        }),
        p.w[v].shape,
      ),
    );
    const cut = { ...p, w };
    const pr = pruneMnode(model, cut);
    expect(pr.graph.nodes.map((n) => n.name).sort()).toEqual(
      ['c', 'd', 'y'].filter((s) => pr.graph.nodes.some((n) => n.name === s)).sort(),
    );
    expect(pr.graph.nodes.some((n) => n.name === 'b')).toBe(false);
    expect(pr.graph.nodes.some((n) => n.name === 'a')).toBe(false);
    const batch = forecastTensors(data);
    const full = model.forecast(cut, batch).data;
    const pruned = pr.model.forecast(pr.params, batch).data;
    for (let i = 0; i < full.length; i++) expect(pruned[i]).toBeCloseTo(full[i], 12);
    // ENP counts the non-zero parameters of the pruned model.
    const enp = mnodeEnp(model, cut);
    const count = treeLeaves(pr.params).reduce((a, t) => a + t.data.filter((x) => x !== 0).length, 0);
    expect(enp.total).toBe(count);
    expect(activeEdges(model, cut).size).toBeLessThan(augmented.edges.length);
  });

  it('training lowers the loss and an edge L1 penalty zeroes edge weights exactly', () => {
    const { augmented } = hgsGraphs(sys.graph);
    const model = mnode(augmented, ['y'], small);
    const r0 = trainMnode(model, model.init(rngKey(1)), data, { epochs: 8, batchSize: 8 });
    expect(r0.losses[r0.losses.length - 1]).toBeLessThan(r0.losses[0]);
    const r1 = trainMnode(model, r0.params, data, {
      epochs: 20,
      batchSize: 8,
      penalty: { kind: 'edgeL1', lambda1: 2 },
    });
    // λ1 above Adam's normalized step: every edge weight reaches exactly 0.
    expect(r1.params.w.every((w) => w.data.every((x) => x === 0))).toBe(true);
    expect(pruneMnode(model, r1.params).graph.edges).toHaveLength(0);
  });
});

describe('hgs', () => {
  const opts = {
    mnode: small,
    train: { epochs: 3, batchSize: 8 },
    pathEpochs: 2,
    refitEpochs: 2,
    lambdas: [0, 0.3],
  };

  it('folds are deterministic and any fold map gives the same choice', async () => {
    const { augmented } = hgsGraphs(sys.graph);
    const input = {
      graph: augmented,
      mnode: small,
      trainSet: subsetForecast(data, [0, 1, 2, 3, 4, 5, 6, 7]),
      validation: subsetForecast(data, [8, 9, 10]),
      lambdas: [0, 0.3],
      seed: 1,
      train: { epochs: 2, batchSize: 4 },
      pathEpochs: 1,
    };
    // Structured clone: what a worker thread receives.
    expect(hgsFold(structuredClone(input))).toEqual(hgsFold(input));
    const reversed: FoldMap = async (task, inputs) => {
      expect(task).toBe(hgsFoldTask);
      const out = [...inputs].reverse().map((i) => hgsFold(structuredClone(i)));
      return out.reverse();
    };
    const a = await hgs(sys.graph, data, { ...opts, folds: 2, map: sequentialFoldMap });
    const b = await hgs(sys.graph, data, { ...opts, folds: 2, map: reversed });
    expect(b.cv).toEqual(a.cv);
    expect(b.lambda1).toBe(a.lambda1);
  });

  it('returns consistent tables, drawings and a parseable model', async () => {
    const r = await hgs(sys.graph, data, { ...opts, lambda1: 0.3 });
    expect(r.cv).toBeNull();
    const kept = r.edges
      .filter((e) => e.kept)
      .map((e) => `${e.from}→${e.to}`)
      .sort();
    expect(kept).toEqual(r.graphs.pruned.edges.map((e) => `${e.from}→${e.to}`).sort());
    for (const e of r.edges) if (e.weight === 0) expect(e.kept).toBe(false);
    expect(
      r.states
        .filter((s) => s.kept)
        .map((s) => s.node)
        .sort(),
    ).toEqual(r.graphs.pruned.nodes.map((n) => n.name).sort());
    expect(r.svg.startsWith('<svg')).toBe(true);
    expect(r.dot).toContain('digraph');
    const m = parseModel(r.modelText);
    expect(m.dim).toBe(r.model.stateDim);
    expect(m.nets.length).toBe(r.model.nodes.length);
    expect(predictMnode(r.model, r.params, data)).toHaveLength(data.n * data.horizon);
    expect(r.enp.total).toBeGreaterThan(0);
  });

  it('exports the dense model text and builds the baselines graphs', () => {
    const g = structureGraph({
      states: ['a', 'b+c', 'y'],
      inputs: ['u'],
      edges: [
        ['u', 'a'],
        ['a', 'b+c'],
        ['b+c', 'y'],
      ],
      observed: ['y'],
    });
    const model = mnode(g, ['y'], small);
    const text = mnodeToModelText(model, model.init(rngKey(0)));
    expect(() => parseModel(text)).not.toThrow();
    expect(contractNodes(g, ['b+c']).edges.map((e) => `${e.from}→${e.to}`)).toEqual(['u→a', 'a→y']);
    expect(blackBoxGraph(g).nodes[0].members).toEqual(['a', 'b+c', 'y']);
    const lstm = fitLstmBaseline(data, { hidden: 3, train: { epochs: 1, batchSize: 12 } });
    expect(lstm.predict(data)).toHaveLength(data.n * data.horizon);
  });

  it('rejects data whose inputs differ from the graph', async () => {
    await expect(hgs(sys.graph, { ...data, inputs: ['u2', 'u1'] }, opts)).rejects.toThrow(/in that order/);
  });
});
