/**
 * Shared by the HGS reproductions: fit HGS and the baselines on one training set, score them on
 * one test set (RMSE, peak RMSE, range accuracy, ENP), in the data's original units.
 */
import {
  blackBoxGraph,
  type FittedForecaster,
  fitLstmBaseline,
  fitMnodeBaseline,
} from '../../../src/sparsity/baselines.js';
import type { StructureGraph } from '../../../src/sparsity/graph.js';
import { type HgsOptions, type HgsResult, hgs } from '../../../src/sparsity/hgs.js';
import type { ForecastSet, MnodeOptions } from '../../../src/sparsity/mnode.js';
import { predictMnode, type TrainOptions } from '../../../src/sparsity/train.js';

/** Scores of one forecaster on a test set. */
export interface Scores {
  readonly rmse: number;
  /** RMSE at each window's peak step: k* = argmax_k |y_k − y_last| (the true excursion's extreme). */
  readonly peakRmse: number;
  /** Share of forecast points whose predicted range (< 70, 70–180, > 180) is the true one (NaN without ranges). */
  readonly rangeAccuracy: number;
  readonly enp: number;
}

/**
 * Scores a forecast [n, horizon] (one observed series) against the test set, after mapping both
 * to original units with `unscale`.
 */
export function score(
  pred: Float64Array,
  test: ForecastSet,
  unscale: (x: number) => number,
  enp: number,
  ranges: boolean,
): Scores {
  const T = test.horizon;
  const width = test.observed.length + test.inputs.length;
  let se = 0;
  let peak = 0;
  let hits = 0;
  for (let w = 0; w < test.n; w++) {
    const last = unscale(test.history[(w * test.historyLength + test.historyLength - 1) * width]);
    let kStar = 0;
    let best = -1;
    for (let k = 0; k < T; k++) {
      const y = unscale(test.target[w * T + k]);
      const p = unscale(pred[w * T + k]);
      se += (p - y) ** 2;
      if (Math.abs(y - last) > best) {
        best = Math.abs(y - last);
        kStar = k;
      }
      const band = (x: number) => (x < 70 ? 0 : x > 180 ? 2 : 1);
      if (band(y) === band(p)) hits++;
    }
    peak += (unscale(pred[w * T + kStar]) - unscale(test.target[w * T + kStar])) ** 2;
  }
  return {
    rmse: Math.sqrt(se / (test.n * T)),
    peakRmse: Math.sqrt(peak / test.n),
    rangeAccuracy: ranges ? hits / (test.n * T) : Number.NaN,
    enp,
  };
}

/** The settings of one comparison. */
export interface CompareSettings {
  readonly graph: StructureGraph;
  readonly hgs: HgsOptions;
  readonly mnode: MnodeOptions;
  readonly train: TrainOptions;
  /** The black-box networks' sizes. */
  readonly nodeHidden: readonly number[];
  readonly lstmHidden: number;
  /** Elastic net (l1, l2) and group lasso λ on the first layers (Adam-normalized units). */
  readonly elasticNet: { readonly l1: number; readonly l2: number };
  readonly groupLasso: number;
  /** A domain-knowledge reduced graph (optional). */
  readonly reduced?: StructureGraph;
  readonly seed: number;
  readonly log: (line: string) => void;
}

/** What one comparison gives. */
export interface Comparison {
  readonly hgs: HgsResult;
  readonly fitted: readonly FittedForecaster[];
  readonly scores: Readonly<Record<string, Scores>>;
}

/** Fits HGS and every baseline on `train` and scores them on `test`. */
export async function compare(
  settings: CompareSettings,
  trainSet: ForecastSet,
  test: ForecastSet,
  unscale: (x: number) => number,
  ranges: boolean,
): Promise<Comparison> {
  const { log, seed } = settings;
  const t0 = Date.now();
  const r = await hgs(settings.graph, trainSet, {
    ...settings.hgs,
    mnode: settings.mnode,
    train: settings.train,
    seed,
    log,
  });
  log(`  hgs fitted in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const hgsFitted: FittedForecaster = {
    name: 'hgs',
    predict: (set) => predictMnode(r.model, r.params, set),
    enp: r.enp,
    graph: r.graphs.pruned,
  };
  // Every baseline gets as many epochs as the final HGS fit used (path up to λ1, then refit),
  // so that HGS's extra passes are not mistaken for a benefit of sparsity.
  const lambdas = settings.hgs.lambdas ?? [0, 0.05, 0.1, 0.2, 0.3, 0.5];
  const epochs =
    (settings.train.epochs ?? 50) +
    (settings.hgs.pathEpochs ?? 10) * lambdas.filter((l) => l < r.lambda1).length +
    (settings.hgs.refitEpochs ?? 20);
  log(`  baselines: ${epochs} epochs each (as many as the final HGS fit)`);
  const train = { ...settings.train, epochs, seed };
  const common = { mnode: settings.mnode, train, seed };
  const fitted: FittedForecaster[] = [hgsFitted];
  const timed = (name: string, build: () => FittedForecaster) => {
    const t = Date.now();
    const f = build();
    log(`  ${name} fitted in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    fitted.push(f);
  };
  timed('dense', () => fitMnodeBaseline('dense', r.graphs.condensed, trainSet, common));
  timed('elasticNet', () =>
    fitMnodeBaseline('elasticNet', r.graphs.augmented, trainSet, {
      ...common,
      penalty: { kind: 'elasticNet', ...settings.elasticNet },
    }),
  );
  timed('groupLasso', () =>
    fitMnodeBaseline('groupLasso', r.graphs.augmented, trainSet, {
      ...common,
      penalty: { kind: 'groupLasso', lambda: settings.groupLasso },
    }),
  );
  if (settings.reduced !== undefined) {
    const reduced = settings.reduced;
    timed('reduced', () => fitMnodeBaseline('reduced', reduced, trainSet, common));
  }
  timed('node', () =>
    fitMnodeBaseline('node', blackBoxGraph(r.graphs.condensed), trainSet, {
      ...common,
      mnode: { ...settings.mnode, hidden: settings.nodeHidden },
    }),
  );
  timed('lstm', () => fitLstmBaseline(trainSet, { hidden: settings.lstmHidden, train, seed }));
  const scores: Record<string, Scores> = {};
  for (const f of fitted) scores[f.name] = score(f.predict(test), test, unscale, f.enp.total, ranges);
  return { hgs: r, fitted, scores };
}

/** Edge recovery of a pruned graph against the true edges (self-loops left out). */
export function edgeRecovery(
  kept: StructureGraph,
  trueEdges: ReadonlySet<string>,
): { precision: number; recall: number } {
  const edges = kept.edges.filter((e) => e.from !== e.to).map((e) => `${e.from}→${e.to}`);
  const tp = edges.filter((e) => trueEdges.has(e)).length;
  return { precision: edges.length === 0 ? 0 : tp / edges.length, recall: tp / trueEdges.size };
}

/** A number with `d` decimals. */
export const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '—');
