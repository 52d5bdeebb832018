/**
 * HGS — automatic, structure-aware sparsification of mechanistic neural ODEs (Zou & Tian,
 * "Automatic and Structure-Aware Sparsification of Hybrid Neural ODEs", arXiv 2505.18996):
 *
 * 1. merge each strongly connected component into a super-node ({@link condense});
 * 2. add shortcuts along the essential input → observed pathways ({@link augmentPathways});
 * 3. train the MNODE with MSE + λ1·Σ|w_uv| + λ2·‖Θ‖² (proximal step: exact zeros), λ1 by
 *    K-fold cross-validation over a regularization path with warm starts; remove zero edges
 *    and the states with no remaining path to an observed state; refit the pruned model.
 *
 * The fold work is {@link hgsFold}, a plain function of structured-clonable input, so folds can
 * run on worker threads: pass `map` (e.g. src/node's `parallelMap` with {@link hgsFoldTask}).
 */
import type { Model } from '../expr/model.js';
import { rngKey } from '../tensor/random.js';
import { edgeKey, graphToDot, graphToSvg } from './draw.js';
import {
  augmentPathways,
  condense,
  editGraph,
  type GraphEdits,
  graphFromModel,
  type PathwayPolicy,
  type StructureGraph,
  withoutInputs,
} from './graph.js';
import {
  checkForecastSet,
  type ForecastSet,
  type Mnode,
  type MnodeOptions,
  type MnodeParams,
  mnode,
  subsetForecast,
} from './mnode.js';
import { type Enp, mnodeEnp, pruneMnode } from './prune.js';
import { mse, predictMnode, type TrainOptions, trainMnode } from './train.js';

/** Training settings of the pipeline (plain numbers: they cross threads). */
export interface HgsTraining {
  /** Options of the first fit (from scratch, at the first λ1). */
  readonly train?: Omit<TrainOptions, 'penalty'>;
  /** Epochs at each further λ1 of the path (warm start; default 10). */
  readonly pathEpochs?: number;
  /** Epochs of the refit of the pruned model (default 20). */
  readonly refitEpochs?: number;
}

/** One fold of the λ1 cross-validation: everything {@link hgsFold} needs, structured-clonable. */
export interface HgsFoldInput extends HgsTraining {
  readonly graph: StructureGraph;
  readonly mnode: MnodeOptions;
  readonly trainSet: ForecastSet;
  readonly validation: ForecastSet;
  /** The λ1 path, ascending. */
  readonly lambdas: readonly number[];
  readonly seed: number;
}

/** What a fold returns: the validation MSE and the number of kept edges at each λ1. */
export interface HgsFoldOutput {
  readonly lambdas: readonly number[];
  readonly validationMse: readonly number[];
  readonly edges: readonly number[];
}

/** Where {@link hgsFold} lives, for worker-thread maps. */
export const hgsFoldTask: { readonly module: string; readonly name: 'hgsFold' } = {
  // The core is compiled without DOM or Node types, where ImportMeta has no `url`; every ESM host has it.
  module: (import.meta as ImportMeta & { readonly url?: string }).url ?? '',
  name: 'hgsFold',
};

/**
 * Runs the fold work over the folds; the default runs them one after another in this thread.
 * A worker-thread map must give the same results (each fold is deterministic in its input).
 */
export type FoldMap = (
  task: typeof hgsFoldTask,
  inputs: readonly HgsFoldInput[],
) => Promise<readonly HgsFoldOutput[]>;

/** The sequential {@link FoldMap}. */
export const sequentialFoldMap: FoldMap = async (_task, inputs) => inputs.map((input) => hgsFold(input));

/**
 * The regularization path on one training set: the MNODE is trained from scratch at the first
 * λ1 and warm-started at each next one; after each, the edges whose weights are exactly zero
 * are counted as removed. Returns the trained parameters at each λ1.
 */
function regularizationPath(
  model: Mnode,
  data: ForecastSet,
  lambdas: readonly number[],
  training: HgsTraining,
  seed: number,
  visit: (k: number, params: MnodeParams) => void,
): void {
  let params = model.init(rngKey(seed));
  lambdas.forEach((lambda1, k) => {
    const epochs = k === 0 ? (training.train?.epochs ?? 50) : (training.pathEpochs ?? 10);
    params = trainMnode(model, params, data, {
      ...training.train,
      epochs,
      seed: seed + k,
      penalty: { kind: 'edgeL1', lambda1 },
    }).params;
    visit(k, params);
  });
}

/**
 * One fold of the cross-validation: the regularization path on the fold's training windows,
 * the validation MSE of the (pruned, not refitted) model at each λ1.
 *
 * @example
 * ```ts
 * const out = hgsFold({ graph, mnode: {}, trainSet: a, validation: b, lambdas: [0, 1e-3, 1e-2], seed: 0 });
 * out.validationMse;
 * ```
 */
export function hgsFold(input: HgsFoldInput): HgsFoldOutput {
  const model = mnode(input.graph, input.trainSet.observed, input.mnode);
  const validationMse: number[] = [];
  const edges: number[] = [];
  regularizationPath(model, input.trainSet, input.lambdas, input, input.seed, (_k, params) => {
    validationMse.push(mse(predictMnode(model, params, input.validation), input.validation));
    edges.push(pruneMnode(model, params).graph.edges.length);
  });
  return { lambdas: input.lambdas, validationMse, edges };
}

/** Options of {@link hgs}. */
export interface HgsOptions extends HgsTraining {
  /** Inputs of the model that the data does not have (dropped with their edges). */
  readonly dropInputs?: readonly string[];
  /** Nodes whose strongly connected components stay unmerged. */
  readonly keepUnmerged?: readonly string[];
  /** The pathway-closure policy (default maxSkip 1). */
  readonly pathways?: PathwayPolicy;
  /** Domain edits applied after merging (names of the condensed graph). */
  readonly edits?: GraphEdits;
  /** MNODE options (network sizes, dt, substeps). */
  readonly mnode?: MnodeOptions;
  /** A fixed λ1 (no cross-validation). */
  readonly lambda1?: number;
  /** The λ1 path for cross-validation, ascending (default [0, 0.05, 0.1, 0.2, 0.3, 0.5]; with Adam, λ1 is in units of the normalized step, so λ1 ≥ 1 removes every edge). */
  readonly lambdas?: readonly number[];
  /** Number of folds (default 3). */
  readonly folds?: number;
  /**
   * How λ1 is chosen from the CV curve: 'min' (lowest mean validation MSE, default) or 'oneSe'
   * (the largest λ1 within one standard error of the minimum: the sparser model).
   */
  readonly rule?: 'min' | 'oneSe';
  /** Runs the folds (default sequential in this thread). */
  readonly map?: FoldMap;
  /** Seed (default 0). */
  readonly seed?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** The cross-validation summary. */
export interface HgsCv {
  readonly lambdas: readonly number[];
  readonly meanMse: readonly number[];
  readonly seMse: readonly number[];
  readonly meanEdges: readonly number[];
  readonly chosen: number;
}

/** One edge of the augmented graph and its fate. */
export interface HgsEdgeRow {
  readonly from: string;
  readonly to: string;
  readonly origin: string;
  /** The trained edge weight before the refit (0: removed by the proximal step). */
  readonly weight: number;
  /** The weight after the refit, if kept. */
  readonly refitWeight: number | null;
  readonly kept: boolean;
}

/** One original state and its fate. */
export interface HgsStateRow {
  readonly state: string;
  readonly node: string;
  readonly kept: boolean;
}

/** What {@link hgs} returns. */
export interface HgsResult {
  /** The graphs of each step. */
  readonly graphs: {
    readonly original: StructureGraph;
    readonly condensed: StructureGraph;
    readonly augmented: StructureGraph;
    readonly pruned: StructureGraph;
  };
  /** The sparse model before pruning (trained at the chosen λ1) and its parameters. */
  readonly sparse: { readonly model: Mnode; readonly params: MnodeParams };
  /** The pruned, refitted model: the result. */
  readonly model: Mnode;
  readonly params: MnodeParams;
  readonly lambda1: number;
  readonly cv: HgsCv | null;
  readonly edges: readonly HgsEdgeRow[];
  readonly states: readonly HgsStateRow[];
  readonly enp: Enp;
  /** Drawing of the augmented graph with the removed edges and states marked. */
  readonly svg: string;
  readonly dot: string;
  /** The pruned model as model-language text. */
  readonly modelText: string;
}

/** Balanced fold labels by a seeded permutation. */
function foldIndices(n: number, k: number, seed: number): number[][] {
  const folds: number[][] = Array.from({ length: k }, () => []);
  const order = Array.from({ length: n }, (_, i) => i);
  let s = seed * 2654435761 + 1;
  for (let i = n - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  order.forEach((w, i) => {
    folds[i % k].push(w);
  });
  return folds;
}

/**
 * The graph HGS starts from: the model's (or the given) structure graph without the dropped
 * inputs, merged, edited, augmented.
 *
 * @example
 * ```ts
 * const { condensed, augmented } = hgsGraphs(uvaPadovaModel(), { dropInputs: ['Dbar'] });
 * ```
 */
export function hgsGraphs(
  source: Model | StructureGraph,
  options: Pick<HgsOptions, 'dropInputs' | 'keepUnmerged' | 'edits' | 'pathways'> = {},
): { original: StructureGraph; condensed: StructureGraph; augmented: StructureGraph } {
  let original = 'nodes' in source ? source : graphFromModel(source);
  if (options.dropInputs !== undefined) original = withoutInputs(original, options.dropInputs);
  let condensed = condense(original, { keepUnmerged: options.keepUnmerged });
  if (options.edits !== undefined) condensed = editGraph(condensed, options.edits);
  const augmented = augmentPathways(condensed, options.pathways ?? { maxSkip: 1 });
  return { original, condensed, augmented };
}

/**
 * HGS on a model (its dependency graph) or a structure graph, for forecasting windows `data`:
 * merge, augment, choose λ1 by K-fold CV over a warm-started path (unless `lambda1` is given),
 * train on all windows along the path up to the chosen λ1, prune edges and states, refit.
 *
 * @example
 * ```ts
 * const r = await hgs(uvaPadovaModel(), train, { dropInputs: ['Dbar'], folds: 3 });
 * r.states.filter((s) => !s.kept); // the states HGS removed
 * r.enp.total;                     // effective number of non-zero parameters
 * writeFileSync('graph.svg', r.svg);
 * ```
 */
export async function hgs(
  source: Model | StructureGraph,
  data: ForecastSet,
  options: HgsOptions = {},
): Promise<HgsResult> {
  const where = 'hgs';
  checkForecastSet(data, where);
  const log = options.log ?? (() => {});
  const seed = options.seed ?? 0;
  const graphs = hgsGraphs(source, options);
  const { augmented } = graphs;
  for (const u of data.inputs) {
    if (!augmented.inputs.includes(u))
      throw new Error(
        `${where}: the data has input "${u}", which the graph lacks (inputs: ${augmented.inputs.join(', ')})`,
      );
  }
  if (augmented.inputs.join('\u0000') !== data.inputs.join('\u0000')) {
    throw new Error(
      `${where}: the data's inputs [${data.inputs.join(', ')}] must be the graph's [${augmented.inputs.join(', ')}] in that order (use dropInputs for inputs the data lacks)`,
    );
  }
  const mnodeOptions = options.mnode ?? {};
  const lambdas = [...(options.lambdas ?? [0, 0.05, 0.1, 0.2, 0.3, 0.5])].sort((a, b) => a - b);
  let cv: HgsCv | null = null;
  let lambda1: number;
  if (options.lambda1 !== undefined) {
    lambda1 = options.lambda1;
  } else {
    const k = options.folds ?? 3;
    if (!Number.isInteger(k) || k < 2 || k > data.n)
      throw new Error(`${where}: folds must be an integer in [2, ${data.n}], got ${k}`);
    const folds = foldIndices(data.n, k, seed);
    const inputs: HgsFoldInput[] = folds.map((val, f) => ({
      graph: augmented,
      mnode: mnodeOptions,
      trainSet: subsetForecast(data, folds.filter((_, g) => g !== f).flat()),
      validation: subsetForecast(data, val),
      lambdas,
      seed: seed + 1000 * (f + 1),
      train: options.train,
      pathEpochs: options.pathEpochs,
      refitEpochs: options.refitEpochs,
    }));
    log(`hgs: ${k}-fold CV over λ1 ∈ {${lambdas.join(', ')}}`);
    const outs = await (options.map ?? sequentialFoldMap)(hgsFoldTask, inputs);
    const meanMse = lambdas.map((_, i) => outs.reduce((a, o) => a + o.validationMse[i], 0) / k);
    const seMse = lambdas.map((_, i) => {
      const m = meanMse[i];
      return Math.sqrt(outs.reduce((a, o) => a + (o.validationMse[i] - m) ** 2, 0) / (k - 1) / k);
    });
    const meanEdges = lambdas.map((_, i) => outs.reduce((a, o) => a + o.edges[i], 0) / k);
    let best = 0;
    for (let i = 1; i < lambdas.length; i++) if (meanMse[i] < meanMse[best]) best = i;
    let chosen = best;
    if (options.rule === 'oneSe') {
      for (let i = lambdas.length - 1; i > best; i--) {
        if (meanMse[i] <= meanMse[best] + seMse[best]) {
          chosen = i;
          break;
        }
      }
    }
    lambda1 = lambdas[chosen];
    cv = { lambdas, meanMse, seMse, meanEdges, chosen: lambda1 };
    log(`hgs: CV mean MSE ${meanMse.map((m) => m.toFixed(4)).join(', ')}; λ1 = ${lambda1}`);
  }
  // The final path on all windows, up to the chosen λ1.
  const path = lambdas.filter((l) => l < lambda1).concat([lambda1]);
  const model = mnode(augmented, data.observed, mnodeOptions);
  let sparseParams = model.init(rngKey(seed));
  regularizationPath(model, data, path, options, seed, (_k, params) => {
    sparseParams = params;
  });
  const pruned = pruneMnode(model, sparseParams);
  log(
    `hgs: λ1 = ${lambda1}: ${pruned.graph.edges.length} of ${augmented.edges.length} edges, ${pruned.graph.nodes.length} of ${augmented.nodes.length} nodes kept`,
  );
  const refit = trainMnode(pruned.model, pruned.params, data, {
    ...options.train,
    epochs: options.refitEpochs ?? 20,
    seed: seed + 7,
    penalty: { kind: 'none' },
  }).params;
  const weightOf = new Map<string, number>();
  model.nodes.forEach((n, v) => {
    n.incoming.forEach((e, j) => {
      weightOf.set(edgeKey(e), sparseParams.w[v].data[j]);
    });
  });
  const refitWeight = new Map<string, number>();
  pruned.model.nodes.forEach((n, v) => {
    n.incoming.forEach((e, j) => {
      refitWeight.set(edgeKey(e), refit.w[v].data[j]);
    });
  });
  const keptEdges = new Set(pruned.graph.edges.map(edgeKey));
  const keptNodes = new Set(pruned.graph.nodes.map((n) => n.name));
  const edges: HgsEdgeRow[] = augmented.edges.map((e) => ({
    from: e.from,
    to: e.to,
    origin: e.origin,
    weight: weightOf.get(edgeKey(e)) ?? 0,
    refitWeight: refitWeight.get(edgeKey(e)) ?? null,
    kept: keptEdges.has(edgeKey(e)),
  }));
  const states: HgsStateRow[] = augmented.nodes.flatMap((n) =>
    n.members.map((s) => ({ state: s, node: n.name, kept: keptNodes.has(n.name) })),
  );
  const labels = new Map(edges.map((e) => [`${e.from}→${e.to}`, e.weight.toFixed(2)]));
  return {
    graphs: { ...graphs, pruned: pruned.graph },
    sparse: { model, params: sparseParams },
    model: pruned.model,
    params: refit,
    lambda1,
    cv,
    edges,
    states,
    enp: mnodeEnp(pruned.model, refit),
    svg: graphToSvg(augmented, { kept: pruned.graph, edgeLabels: labels, title: `HGS, λ1 = ${lambda1}` }),
    dot: graphToDot(augmented, { kept: pruned.graph, edgeLabels: labels }),
    modelText: mnodeToModelText(pruned.model, refit, { name: 'hgs_pruned' }),
  };
}

const ident = (s: string) => {
  const t = s.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(t) ? t : `_${t}`;
};

/**
 * The MNODE as model-language text: a `param` per edge weight (fixed, its trained value), the
 * inputs, a state per original state (initial value 0: the encoder supplies it per window), a
 * `net` per node over its edge-weighted parents with one output per member, `d/dt` reading the
 * net, and one observable per observed state. Time is the MNODE's (one sample interval when
 * dt = 1). The networks' weights are not part of the text: save them with `params.f`.
 *
 * @example
 * ```ts
 * parseModel(mnodeToModelText(r.model, r.params)); // a valid model
 * ```
 */
export function mnodeToModelText(model: Mnode, params: MnodeParams, options: { name?: string } = {}): string {
  const lines: string[] = [];
  const name = ident(options.name ?? 'mnode');
  lines.push(
    `model ${name} "MNODE after structure-aware sparsification (HGS): ${model.nodes.length} nodes, ${model.graph.edges.length} edges"`,
  );
  lines.push('');
  lines.push('# Edge weights w_uv (learned; the networks read w_uv * u).');
  const weightName = (from: string, to: string) => ident(`w_${from}_to_${to}`);
  model.nodes.forEach((n, v) => {
    n.incoming.forEach((e, j) => {
      const value = model.options.edgeWeights ? params.w[v].data[j] : 1;
      lines.push(`param ${weightName(e.from, e.to)} = ${value} fixed   # ${e.from} → ${e.to} (${e.origin})`);
    });
  });
  lines.push('');
  for (const u of model.inputs) lines.push(`input ${ident(u)} interp step`);
  lines.push('');
  lines.push('# Initial states come from the LSTM encoder per forecast window.');
  for (const n of model.nodes)
    for (const s of n.members)
      lines.push(`state ${ident(s)} = 0${n.members.length > 1 ? `   # in super-node ${n.name}` : ''}`);
  lines.push('');
  const nodeOf = new Map(model.nodes.map((n) => [n.name, n]));
  const hidden = model.options.hidden.join(', ');
  model.nodes.forEach((n) => {
    const args =
      n.incoming.length === 0
        ? ['0']
        : n.incoming.flatMap((e) =>
            e.kind === 'input'
              ? [`${weightName(e.from, e.to)} * ${ident(e.from)}`]
              : nodeOf.get(e.from)!.members.map((s) => `${weightName(e.from, e.to)} * ${ident(s)}`),
          );
    const outs = n.members.map((s) => `d_${ident(s)}`);
    lines.push(
      `net N_${ident(n.name)}(${args.join(', ')}) -> (${outs.join(', ')}) : mlp(${hidden}${hidden.length > 0 ? ', ' : ''}${model.options.activation})`,
    );
  });
  lines.push('');
  for (const n of model.nodes)
    for (const s of n.members) lines.push(`d/dt ${ident(s)} = N_${ident(n.name)}.d_${ident(s)}`);
  lines.push('');
  for (const o of model.observed) lines.push(`obs ${ident(o)}_obs = ${ident(o)} ~ normal(1)`);
  return `${lines.join('\n')}\n`;
}
