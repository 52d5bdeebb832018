/**
 * `greybox sparsify`: HGS (docs/sparsity.md) from the command line — a model file gives the
 * structure graph, a wide CSV of regularly sampled sequences gives the forecasting windows;
 * out come the pruned model as model-language text, the drawings of the graph, and a table of
 * the states and edges that survived.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DatasetSubject } from '../../data/dataset.js';
import { DataError, formatProblem } from '../../data/problems.js';
import { readDataset } from '../../data/read.js';
import { Op, topologicalOrder } from '../../expr/ir.js';
import type { Model } from '../../expr/model.js';
import { type FoldMap, hgs, hgsGraphs } from '../../sparsity/hgs.js';
import type { ForecastSet } from '../../sparsity/mnode.js';
import { predictMnode } from '../../sparsity/train.js';
import { parallelMap, workerCount } from '../workers.js';
import { UserError } from './errors.js';
import type { GlobalOptions, Io } from './main.js';
import { readModel, readText } from './project.js';

/** Arguments of `sparsify`. */
export interface SparsifyArgs {
  readonly model: string;
  readonly data: string;
  readonly history: number;
  readonly horizon: number;
  readonly stride?: number;
  readonly observed?: string;
  readonly dropInputs?: string;
  readonly keepUnmerged?: string;
  readonly maxSkip?: number;
  readonly lambda1?: string;
  readonly folds?: number;
  readonly epochs?: number;
  readonly seed?: number;
  readonly workers?: number;
  readonly out: string;
}

/** A column's standardization: value = mean + sd·z. */
interface Scale {
  readonly mean: number;
  readonly sd: number;
}

/** Regularly sampled columns of one subject. */
interface Series {
  readonly id: string;
  readonly length: number;
  /** columns[c][j]: column c at sample j. */
  readonly columns: Float64Array[];
}

const list = (s: string | undefined): string[] =>
  s === undefined
    ? []
    : s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x.length > 0);

/**
 * The data column of each observed state: the state's own name, or the name of an observable
 * that reads that state and no other.
 */
function observedColumns(model: Model, observed: readonly string[], columns: ReadonlySet<string>): string[] {
  return observed.map((state) => {
    if (columns.has(state)) return state;
    const index = model.states.findIndex((s) => s.name === state);
    for (const o of model.observables) {
      const read = new Set<number>();
      for (const n of topologicalOrder([o.expr])) if (n.op === Op.State) read.add(n.index);
      if (read.size === 1 && read.has(index) && columns.has(o.name)) return o.name;
    }
    throw new UserError(
      `the data has no column for the observed state ${state}: name a column "${state}" (or an observable of the model that reads only ${state}); columns: ${[...columns].join(', ')}`,
    );
  });
}

/** One subject's columns on its sampling grid; every value present, the grid regular. */
function seriesOf(
  subject: DatasetSubject,
  names: readonly string[],
  file: string,
  dt: number | null,
): Series {
  const times = [...new Set(subject.observations.map((o) => o.time))].sort((a, b) => a - b);
  const at = new Map(times.map((t, j) => [t, j]));
  const columns = names.map(() => new Float64Array(times.length).fill(Number.NaN));
  const index = new Map(names.map((n, c) => [n, c]));
  for (const o of subject.observations) {
    const c = index.get(o.observable);
    if (c !== undefined) columns[c][at.get(o.time) as number] = o.value;
  }
  for (let j = 0; j < times.length; j++) {
    for (let c = 0; c < names.length; c++) {
      if (Number.isNaN(columns[c][j])) {
        const line = subject.observations.find((o) => o.time === times[j])?.line ?? subject.line;
        throw new UserError(
          `${file} line ${line}, subject ${subject.id}, time ${times[j]}: ${names[c]} is missing; sparsify needs every column at every sample (fill or drop the row)`,
        );
      }
    }
    if (j > 0 && dt !== null && Math.abs(times[j] - times[j - 1] - dt) > 1e-9 * Math.max(1, Math.abs(dt))) {
      throw new UserError(
        `${file}, subject ${subject.id}: samples at ${times[j - 1]} and ${times[j]} are ${times[j] - times[j - 1]} apart, not ${dt}; sparsify needs one regular sampling interval`,
      );
    }
  }
  return { id: subject.id, length: times.length, columns };
}

/**
 * Forecasting windows from standardized series: `history` samples of observed and input
 * columns, then the inputs over and the observed values at the next `horizon` samples (the
 * input value on a row is the input over the interval that ends at that row's time).
 */
function windows(
  series: readonly Series[],
  nObs: number,
  nIn: number,
  history: number,
  horizon: number,
  stride: number,
  observed: readonly string[],
  inputs: readonly string[],
): ForecastSet {
  const starts: { s: Series; at: number }[] = [];
  for (const s of series)
    for (let at = 0; at + history + horizon <= s.length; at += stride) starts.push({ s, at });
  const n = starts.length;
  const width = nObs + nIn;
  const hist = new Float64Array(n * history * width);
  const fut = new Float64Array(n * horizon * nIn);
  const tgt = new Float64Array(n * horizon * nObs);
  starts.forEach(({ s, at }, w) => {
    for (let q = 0; q < history; q++)
      for (let c = 0; c < width; c++) hist[(w * history + q) * width + c] = s.columns[c][at + q];
    for (let q = 0; q < horizon; q++) {
      const j = at + history + q;
      for (let c = 0; c < nIn; c++) fut[(w * horizon + q) * nIn + c] = s.columns[nObs + c][j];
      for (let c = 0; c < nObs; c++) tgt[(w * horizon + q) * nObs + c] = s.columns[c][j];
    }
  });
  return { observed, inputs, n, historyLength: history, horizon, history: hist, future: fut, target: tgt };
}

/** `greybox sparsify`. */
export async function sparsifyCommand(io: Io, g: GlobalOptions, o: SparsifyArgs): Promise<number> {
  const print = (s: string) => {
    if (!g.json) io.stderr.write(s);
  };
  const { model } = readModel(o.model);
  const dropInputs = list(o.dropInputs);
  const observedOverride = list(o.observed);
  for (const name of [...dropInputs]) {
    if (!model.inputs.some((i) => i.name === name)) {
      throw new UserError(
        `--drop-inputs: ${name} is not an input of the model (inputs: ${model.inputs.map((i) => i.name).join(', ') || 'none'})`,
      );
    }
  }
  const graphs = (() => {
    try {
      return hgsGraphs(model, {
        dropInputs,
        keepUnmerged: list(o.keepUnmerged),
        pathways: { maxSkip: o.maxSkip ?? 1 },
      });
    } catch (e) {
      throw new UserError((e as Error).message);
    }
  })();
  const observedStates = observedOverride.length > 0 ? observedOverride : graphs.original.observed;
  for (const s of observedStates) {
    if (!model.states.some((x) => x.name === s))
      throw new UserError(
        `--observed: ${s} is not a state of the model (states: ${model.states.map((x) => x.name).join(', ')})`,
      );
  }
  const inputs = graphs.augmented.inputs;
  if (!(o.history >= 1 && o.horizon >= 1)) throw new UserError('--history and --horizon must be at least 1');

  const text = readText(o.data, 'data file');
  let subjects: readonly DatasetSubject[];
  try {
    subjects = readDataset(text, o.data, { format: 'wide' }).subjects;
  } catch (e) {
    if (e instanceof DataError) throw new UserError(e.problems.map(formatProblem).join('\n'));
    throw e;
  }
  const columnsInData = new Set(subjects.flatMap((s) => s.observations.map((x) => x.observable)));
  const obsColumns = observedColumns(model, observedStates, columnsInData);
  for (const u of inputs) {
    if (!columnsInData.has(u)) {
      throw new UserError(
        `the data has no column for the model input ${u}: add it, or leave the input out with --drop-inputs ${u}`,
      );
    }
  }
  const names = [...obsColumns, ...inputs];
  const first = subjects.find((s) => s.observations.length > 1);
  if (first === undefined) throw new UserError(`${o.data}: no subject has two samples`);
  const t = [...new Set(first.observations.map((x) => x.time))].sort((a, b) => a - b);
  const dt = t[1] - t[0];
  const series = subjects.map((s) => seriesOf(s, names, o.data, dt));

  // Standardize each column over all samples (the MNODE's networks see values of order one).
  const scales: Scale[] = names.map((_, c) => {
    let n = 0;
    let sum = 0;
    let sq = 0;
    for (const s of series)
      for (const v of s.columns[c]) {
        n++;
        sum += v;
        sq += v * v;
      }
    const mean = sum / n;
    const sd = Math.sqrt(Math.max(sq / n - mean * mean, 0));
    return { mean, sd: sd > 0 ? sd : 1 };
  });
  const scaled = series.map((s) => ({
    ...s,
    columns: s.columns.map((col, c) => col.map((v) => (v - scales[c].mean) / scales[c].sd)),
  }));
  const data = windows(
    scaled,
    obsColumns.length,
    inputs.length,
    o.history,
    o.horizon,
    o.stride ?? o.horizon,
    observedStates,
    inputs,
  );
  if (data.n < 2) {
    throw new UserError(
      `only ${data.n} forecasting window(s) of ${o.history} + ${o.horizon} samples fit in the data; lower --history, --horizon or --stride`,
    );
  }
  const workers = o.workers ?? 1;
  const lambdas = list(o.lambda1).map(Number);
  if (lambdas.some((x) => !(x >= 0)))
    throw new UserError(`--lambda1 must be non-negative numbers, got "${o.lambda1}"`);
  const folds = o.folds ?? 3;
  print(
    `HGS on ${model.name}: ${graphs.augmented.nodes.length} nodes, ${graphs.augmented.edges.length} edges after merging and pathway closure; ` +
      `${data.n} windows (${o.history} → ${o.horizon} samples) from ${series.length} subjects` +
      (lambdas.length === 1
        ? `; λ1 = ${lambdas[0]}\n`
        : `; λ1 by ${folds}-fold cross-validation on ${workerCount(workers, folds)} thread(s)\n`),
  );
  const map: FoldMap = async (task, inputsOfFolds) => parallelMap(task, inputsOfFolds, { workers });
  const epochs = o.epochs ?? 50;
  const result = await hgs(model, data, {
    dropInputs,
    keepUnmerged: list(o.keepUnmerged),
    pathways: { maxSkip: o.maxSkip ?? 1 },
    mnode: { dt: 1 },
    train: { epochs },
    pathEpochs: Math.max(1, Math.round(epochs / 5)),
    refitEpochs: Math.max(1, Math.round(epochs / 2)),
    seed: o.seed ?? 0,
    folds,
    map,
    ...(lambdas.length === 1 ? { lambda1: lambdas[0] } : lambdas.length > 1 ? { lambdas } : {}),
    log: (line) => print(`${line}\n`),
  });

  // In-sample forecast RMSE of each observed column, in the data's units.
  const pred = predictMnode(result.model, result.params, data);
  const nObs = obsColumns.length;
  const rmse: Record<string, number> = {};
  obsColumns.forEach((name, c) => {
    let s = 0;
    for (let i = c; i < pred.length; i += nObs) s += (pred[i] - data.target[i]) ** 2;
    rmse[name] = Math.sqrt(s / (pred.length / nObs)) * scales[c].sd;
  });

  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  const files = {
    model: join(out, 'sparsified.gbx'),
    svg: join(out, 'graph.svg'),
    dot: join(out, 'graph.dot'),
    result: join(out, 'sparsify.json'),
  };
  writeFileSync(files.model, result.modelText);
  writeFileSync(files.svg, result.svg);
  writeFileSync(files.dot, result.dot);
  const summary = {
    model: model.name,
    windows: data.n,
    lambda1: result.lambda1,
    cv: result.cv,
    enp: result.enp,
    states: result.states,
    edges: result.edges,
    rmse,
    scales: Object.fromEntries(names.map((n, c) => [n, scales[c]])),
    files,
  };
  writeFileSync(files.result, `${JSON.stringify(summary, null, 1)}\n`);
  if (g.json) {
    io.stdout.write(`${JSON.stringify(summary)}\n`);
    return 0;
  }
  const kept = result.states.filter((s) => s.kept).map((s) => s.state);
  const removed = result.states.filter((s) => !s.kept).map((s) => s.state);
  io.stdout.write(`λ1 = ${result.lambda1}; ENP ${result.enp.total}\n`);
  io.stdout.write(`states kept (${kept.length}): ${kept.join(', ') || '—'}\n`);
  io.stdout.write(`states removed (${removed.length}): ${removed.join(', ') || '—'}\n`);
  io.stdout.write('edges:\n');
  for (const e of result.edges) {
    io.stdout.write(
      `  ${e.kept ? 'kept   ' : 'removed'} ${e.from} → ${e.to} (${e.origin}, weight ${e.weight.toPrecision(3)})\n`,
    );
  }
  io.stdout.write(
    `in-sample forecast RMSE: ${Object.entries(rmse)
      .map(([k, v]) => `${k} ${v.toPrecision(4)}`)
      .join(', ')}\n`,
  );
  for (const [what, path] of Object.entries(files)) io.stdout.write(`${what}: ${path}\n`);
  return 0;
}
