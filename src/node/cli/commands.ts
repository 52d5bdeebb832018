/**
 * The actions of the `greybox` commands. Each returns the exit code; user errors are thrown
 * as {@link UserError} and printed by `runCli`.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { foldIndices } from '../../data/split.js';
import { parseModel } from '../../expr/parse.js';
import { loadFittedModel } from '../../hybrid/artifact.js';
import { HybridModel, type HybridParams } from '../../hybrid/hybridModel.js';
import { polish } from '../../hybrid/polish.js';
import { hybridOptions, type SolverSpec } from '../../hybrid/solverSpec.js';
import type { Subject } from '../../hybrid/subject.js';
import { progressReporter } from '../progress.js';
import { renderReport } from '../report/index.js';
import { workerCount } from '../workers.js';
import type { ProjectConfig } from './config.js';
import { checkDataFile, loadSubjects } from './data.js';
import { UserError } from './errors.js';
import type { FitArgs, GlobalOptions, Io, PredictArgs, ReportArgs, SimulateArgs } from './main.js';
import { crossValidate, type FoldSummary, fitStarts, type StartSummary } from './parallelFit.js';
import { denseTimes, type FitOutcome, fittedDocument, reportData, runFit } from './pipeline.js';
import { findConfig, fingerprint, loadProject, type Project, readModel, readText } from './project.js';
import { scaffold } from './scaffold.js';

/** The bundled demo project (model, config, data, the truth it was simulated from). */
const DEMO_DIR = fileURLToPath(new URL('../../../examples/demo/', import.meta.url));

function emitJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

/** Fits a loaded project, writes model.json (and report.html), prints a summary. */
async function fitProject(
  io: Io,
  g: GlobalOptions,
  project: Project,
  outDir: string,
  options: {
    writeReport: boolean;
    extraNotes?: (outcome: FitOutcome) => string[];
    trueValues?: Record<string, number>;
    title?: string;
    /** Independent restarts from seeds seed, seed+1, … (default 1). */
    starts?: number;
    /** Worker threads for the restarts (default 1). */
    workers?: number;
  },
): Promise<{ outcome: FitOutcome; summary: Record<string, unknown> }> {
  const { config } = project;
  const subjects = loadSubjects(project.dataPath, config.data.format, project.model);
  const print = (s: string) => {
    if (!g.json) io.stderr.write(s);
  };
  print(
    `fitting ${project.model.name} to ${subjects.length} subjects (${basename(project.dataPath)}), ` +
      `${config.fit.epochs} epochs of ${config.fit.optimizer.name}` +
      `${config.fit.polish !== undefined ? ` then ${config.fit.polish.iterations} L-BFGS iterations` : ''}\n`,
  );
  const starts = options.starts ?? 1;
  let outcome: FitOutcome;
  let startRows: StartSummary[] | null = null;
  let seed = config.fit.seed;
  if (starts > 1) {
    const workers = options.workers ?? 1;
    print(
      `${starts} restarts (seeds ${seed}…${seed + starts - 1}) on ${workerCount(workers, starts)} thread(s)\n`,
    );
    const r = await fitStarts(project, config.fit, starts, workers, (row, done) =>
      print(
        `start ${done}/${starts}: seed ${row.seed}, score ${row.score.toPrecision(5)} (${row.stopReason}, ${row.seconds.toFixed(1)} s)\n`,
      ),
    );
    outcome = r.best;
    startRows = r.starts;
    seed = r.bestSeed;
    print(`best: seed ${seed}\n`);
  } else {
    const reporter = g.json ? undefined : progressReporter(io.stderr);
    outcome = runFit(project.model, config.solver as SolverSpec, config.fit, subjects, {
      ...(reporter === undefined ? {} : { onEvent: reporter }),
    });
  }
  if (outcome.training.stopReason === 'diverged') {
    const last = outcome.training.events.at(-1);
    throw new UserError(
      `training diverged: ${last?.kind === 'diverged' ? last.reason : 'non-finite loss'}; ` +
        'try a smaller fit.optimizer.lr, tighter solver tolerances, or check the data',
      1,
    );
  }
  const fp = fingerprint(project.dataPath);
  const createdAt = io.now();
  const doc = fittedDocument(
    outcome,
    { ...config, fit: { ...config.fit, seed } },
    project.modelText,
    { fingerprint: fp, file: basename(project.dataPath), subjects: subjects.length },
    createdAt,
  );
  ensureDir(outDir);
  const modelPath = join(outDir, 'model.json');
  writeFileSync(modelPath, `${JSON.stringify(doc, null, 1)}\n`);
  // The training-time predictions; `greybox predict` from model.json reproduces them exactly.
  const predictionsPath = join(outDir, 'predictions.csv');
  writeFileSync(predictionsPath, predictionsCsv(outcome.model, outcome.params, subjects));
  const summary: Record<string, unknown> = {
    model: project.model.name,
    subjects: subjects.length,
    epochs: outcome.training.history.length,
    bestEpoch: outcome.training.bestEpoch,
    stopReason: outcome.training.stopReason,
    polish: outcome.polish,
    finalLoss: outcome.finalLoss,
    seconds: outcome.seconds,
    parameters: outcome.model.parameterValues(outcome.params),
    files: { model: modelPath, predictions: predictionsPath } as Record<string, string>,
  };
  if (startRows !== null) {
    summary.seed = seed;
    summary.starts = startRows;
  }
  if (options.writeReport) {
    const data = reportData(outcome.model, outcome.params, outcome.initial, subjects, {
      title: options.title ?? `${project.config.name ?? project.model.name}: fitted model`,
      modelText: project.modelText,
      generatedAt: createdAt,
      seed,
      dataFingerprint: fp,
      training: outcome.training,
      metrics: { 'final loss': outcome.finalLoss, seconds: outcome.seconds },
      notes: [
        `loss: ${config.fit.loss === 'nll' ? 'negative log-likelihood per observation (noise model of the model file)' : 'mean squared error'}`,
        ...(options.extraNotes?.(outcome) ?? []),
      ],
      ...(options.trueValues === undefined ? {} : { trueValues: options.trueValues }),
    });
    const reportPath = join(outDir, 'report.html');
    writeFileSync(reportPath, await renderReport(data));
    (summary.files as Record<string, string>).report = reportPath;
  }
  return { outcome, summary };
}

function printSummary(io: Io, g: GlobalOptions, summary: Record<string, unknown>): void {
  if (g.json) {
    emitJson(io, summary);
    return;
  }
  const params = summary.parameters as Record<string, number>;
  io.stdout.write(
    `done in ${(summary.seconds as number).toFixed(1)} s: ${summary.epochs} epochs (best ${summary.bestEpoch}, ${summary.stopReason}), final loss ${(summary.finalLoss as number).toPrecision(5)}\n`,
  );
  io.stdout.write(
    `parameters: ${Object.entries(params)
      .map(([k, v]) => `${k} = ${v.toPrecision(4)}`)
      .join(', ')}\n`,
  );
  for (const [what, path] of Object.entries(summary.files as Record<string, string>))
    io.stdout.write(`${what}: ${path}\n`);
}

/** `greybox demo --out DIR`. */
export async function demoCommand(
  io: Io,
  g: GlobalOptions,
  o: { out: string; epochs?: number },
): Promise<number> {
  const configPath = join(DEMO_DIR, 'greybox.yaml');
  const base = loadProject(configPath);
  const project: Project =
    o.epochs === undefined
      ? base
      : { ...base, config: { ...base.config, fit: { ...base.config.fit, epochs: o.epochs } } };
  const truth = readModel(join(DEMO_DIR, 'truth.gbx')).model;
  const trueValues = Object.fromEntries(truth.params.map((p) => [p.name, p.value]));
  // The mechanistic model alone, for comparison: the same model without the network term.
  const mechanistic = mechanisticBaseline(project);
  const { summary } = await fitProject(io, g, project, resolve(o.out), {
    writeReport: true,
    trueValues,
    title: 'greybox demo: two-compartment PK with a learned elimination closure',
    extraNotes: (outcome) => [
      'Data: 24 simulated subjects, 100 mg oral every 12 h × 4, from a truth with Michaelis–Menten elimination (truth.gbx); ' +
        'the fitted model knows only linear clearance and learns the rest with the network E.',
      `The mechanistic model alone reaches a loss of ${mechanistic.value.toPrecision(4)} (σ = ${mechanistic.sd.toPrecision(3)}); ` +
        `the hybrid model ${outcome.finalLoss.toPrecision(4)} (σ = ${outcome.model.parameterValues(outcome.params).sd.toPrecision(3)}, truth 0.1).`,
    ],
  });
  summary.mechanisticOnlyLoss = mechanistic.value;
  printSummary(io, g, summary);
  return 0;
}

/** Fits the demo's model without its closure term by L-BFGS: the baseline of the demo's report. */
function mechanisticBaseline(project: Project): { value: number; sd: number } {
  const text = project.modelText.replace(/^net E.*$/m, '').replace(' - E.k * central', '');
  const model = parseModel(text, { file: 'model.gbx without E' });
  const hm = new HybridModel(model, hybridOptions(project.config.solver as SolverSpec));
  const subjects = loadSubjects(project.dataPath, project.config.data.format, model);
  const r = polish(hm, hm.init(), subjects, { loss: project.config.fit.loss, iterations: 200 });
  return { value: r.result.value, sd: hm.parameterValues(r.params).sd };
}

/** `greybox fit`. */
export async function fitCommand(io: Io, g: GlobalOptions, o: FitArgs): Promise<number> {
  const project = applyOverrides(loadProject(findConfig(o.config)), o);
  const outDir = resolve(project.dir, o.out ?? project.config.output);
  const starts = o.starts ?? project.config.fit.starts ?? 1;
  if (starts < 1) throw new UserError('--starts must be at least 1');
  const workers = o.workers ?? 1;
  const cv = o.cv === undefined ? null : await crossValidation(io, g, project, o.cv, workers);
  const { summary } = await fitProject(io, g, project, outDir, { writeReport: o.report, starts, workers });
  if (cv !== null) summary.crossValidation = cv;
  printSummary(io, g, summary);
  return 0;
}

/** `greybox fit --cv K`: the held-out loss of K folds, before the final fit on all subjects. */
async function crossValidation(
  io: Io,
  g: GlobalOptions,
  project: Project,
  k: number,
  workers: number,
): Promise<{ k: number; folds: FoldSummary[]; mean: number; sd: number }> {
  const subjects = loadSubjects(project.dataPath, project.config.data.format, project.model);
  if (k < 2 || k > subjects.length) {
    throw new UserError(`--cv must be from 2 to the number of subjects (${subjects.length}); got ${k}`);
  }
  const folds = foldIndices(subjects.length, k, project.config.fit.seed);
  const print = (s: string) => {
    if (!g.json) io.stderr.write(s);
  };
  print(`${k}-fold cross-validation by subject on ${workerCount(workers, k)} thread(s)\n`);
  const r = await crossValidate(
    project,
    project.config.fit,
    subjects.map((s) => s.id),
    folds,
    workers,
    (row, done) =>
      print(
        `fold ${row.fold} (${done}/${k} done): held-out loss ${row.loss.toPrecision(5)} on ${row.heldOut.length} subjects (${row.seconds.toFixed(1)} s)\n`,
      ),
  );
  print(`cross-validation loss: ${r.mean.toPrecision(5)} ± ${r.sd.toPrecision(3)} (mean ± sd over folds)\n`);
  return { k, ...r };
}

function applyOverrides(project: Project, o: FitArgs): Project {
  const fit = {
    ...project.config.fit,
    ...(o.epochs === undefined ? {} : { epochs: o.epochs }),
    ...(o.seed === undefined ? {} : { seed: o.seed }),
  };
  const config: ProjectConfig = { ...project.config, fit };
  return { ...project, config };
}

/** `greybox init DIR`. */
export function initCommand(io: Io, g: GlobalOptions, dir: string): number {
  const target = resolve(dir);
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new UserError(`${dir} exists and is not empty; choose a new directory`);
  }
  const files = scaffold(target);
  if (g.json) emitJson(io, { created: files });
  else {
    io.stdout.write(`created ${dir}/ with ${files.map((f) => basename(f)).join(', ')}\n`);
    io.stdout.write(`next: cd ${dir} && greybox check-data data.csv && greybox fit\n`);
  }
  return 0;
}

/** `greybox check-data FILE`. */
export function checkDataCommand(
  io: Io,
  g: GlobalOptions,
  file: string,
  o: { format?: string; model?: string },
): number {
  const model = o.model === undefined ? undefined : readModel(o.model).model;
  const report = checkDataFile(file, o.format, model);
  if (g.json) emitJson(io, report);
  else if (report.problems.length > 0) for (const p of report.problems) io.stdout.write(`${p}\n`);
  else io.stdout.write(`${file}: valid — ${report.summary}\n`);
  return report.problems.length > 0 ? 2 : 0;
}

/** The model, solver and parameters to simulate: a fitted model, or a project's model at its defaults. */
function modelToRun(o: { config?: string; fitted?: string }): {
  hm: HybridModel;
  params: HybridParams;
  dataPath: string | null;
  format: string | undefined;
} {
  if (o.fitted !== undefined) {
    const { model, params } = readFitted(o.fitted);
    return { hm: model, params, dataPath: null, format: undefined };
  }
  const project = loadProject(findConfig(o.config));
  const hm = new HybridModel(project.model, hybridOptions(project.config.solver as SolverSpec));
  return { hm, params: hm.init(), dataPath: project.dataPath, format: project.config.data.format };
}

function readFitted(path: string): ReturnType<typeof loadFittedModel> {
  const text = readText(path, 'fitted model');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  try {
    return loadFittedModel(doc, path);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

function csvNumber(x: number): string {
  return Number.isNaN(x) ? '' : String(x);
}

/** `greybox simulate`. */
export function simulateCommand(io: Io, g: GlobalOptions, o: SimulateArgs): number {
  const { hm, params, dataPath, format } = modelToRun(o);
  const path = o.data ?? dataPath;
  if (path === null)
    throw new UserError('simulate --fitted needs --data FILE (the subjects, doses and times)');
  const subjects = loadSubjects(path, o.data === undefined ? format : undefined, hm.model);
  const K = hm.model.observables.length;
  const grid: Subject[] =
    o.points === undefined
      ? subjects
      : subjects.map((s) => {
          const times = denseTimes(s, o.points);
          return { ...s, times, observations: new Float64Array(times.length * K).fill(Number.NaN) };
        });
  const predictions = hm.predict(params, grid);
  const names = [...hm.model.observables.map((x) => x.name), ...hm.model.states.map((x) => x.name)];
  const lines = [['id', 'time', ...names].join(',')];
  predictions.forEach((p) => {
    p.times.forEach((t, k) => {
      const obs = Array.from(p.observables.subarray(k * K, (k + 1) * K), csvNumber);
      const st = Array.from(p.states.subarray(k * hm.model.dim, (k + 1) * hm.model.dim), csvNumber);
      lines.push([p.id, String(t), ...obs, ...st].join(','));
    });
  });
  writeOutput(io, o.out, `${lines.join('\n')}\n`);
  if (o.out !== undefined && !g.json) io.stderr.write(`wrote ${lines.length - 1} rows to ${o.out}\n`);
  return 0;
}

function writeOutput(io: Io, path: string | undefined, text: string): void {
  if (path === undefined) io.stdout.write(text);
  else writeFileSync(path, text);
}

/** Observed and predicted values at the data times, one row per value, as CSV text. */
function predictionsCsv(hm: HybridModel, params: HybridParams, subjects: readonly Subject[]): string {
  const predictions = hm.predict(params, subjects);
  const K = hm.model.observables.length;
  const lines = ['id,time,observable,observed,predicted'];
  predictions.forEach((p, b) => {
    p.times.forEach((t, k) => {
      for (let j = 0; j < K; j++) {
        const observed = subjects[b].observations[k * K + j];
        const name = hm.model.observables[j].name;
        lines.push(
          [p.id, String(t), name, csvNumber(observed), csvNumber(p.observables[k * K + j])].join(','),
        );
      }
    });
  });
  return `${lines.join('\n')}\n`;
}

/** `greybox predict`. */
export function predictCommand(io: Io, g: GlobalOptions, o: PredictArgs): number {
  const { model, params } = readFitted(o.fitted);
  const subjects = loadSubjects(o.data, o.format, model.model);
  const text = predictionsCsv(model, params, subjects);
  writeOutput(io, o.out, text);
  if (o.out !== undefined && !g.json) io.stderr.write(`wrote predictions to ${o.out}\n`);
  return 0;
}

/** `greybox report`. */
export async function reportCommand(io: Io, g: GlobalOptions, o: ReportArgs): Promise<number> {
  const { model, params, fitted } = readFitted(o.fitted);
  const subjects = loadSubjects(o.data, o.format, model.model);
  const history =
    (fitted.training as { history?: { epoch: number; loss: number; valLoss: number | null }[] }).history ??
    [];
  const data = reportData(model, params, null, subjects, {
    title: `${model.model.name}: fitted model`,
    modelText: fitted.model.text,
    generatedAt: io.now(),
    seed: fitted.seed,
    dataFingerprint: fingerprint(o.data),
    training: null,
    metrics: {},
    notes: [
      `fitted model ${o.fitted} (written ${fitted.createdAt}, greybox ${fitted.library.version})`,
      ...(fitted.data.fingerprint !== fingerprint(o.data)
        ? ['note: this data file differs from the one the model was fitted to']
        : []),
    ],
  });
  const withHistory = {
    ...data,
    training: {
      epochs: history.map((h) => ({
        epoch: h.epoch,
        loss: h.loss,
        ...(h.valLoss === null ? {} : { valLoss: h.valLoss }),
      })),
      events: [],
    },
  };
  writeFileSync(o.out, await renderReport(withHistory));
  if (g.json) emitJson(io, { report: o.out });
  else io.stdout.write(`report: ${o.out}\n`);
  return 0;
}

/** The shape of a bench workload as the CLI uses it (bench/harness.ts has the full type). */
interface BenchWorkload {
  readonly id: string;
  run(): Promise<readonly unknown[]>;
}

/** `greybox bench [IDS…]`. */
export async function benchCommand(io: Io, _g: GlobalOptions, ids: string[]): Promise<number> {
  // The workloads live outside src/, in bench/: the specifier is a runtime URL so that the library
  // build (rootDir src) does not pull them in. The CLI always runs through tsx, which loads them.
  const url = new URL('../../../bench/workloads/index.ts', import.meta.url).href;
  const { workloads } = (await import(url)) as { workloads: readonly BenchWorkload[] };
  const known = new Map(workloads.map((w) => [w.id, w]));
  for (const id of ids) {
    if (!known.has(id))
      throw new UserError(`unknown workload "${id}"; known: ${[...known.keys()].join(', ')}`);
  }
  for (const w of ids.length > 0 ? ids.map((id) => known.get(id)!) : workloads) {
    for (const rec of await w.run()) io.stdout.write(`${JSON.stringify(rec)}\n`);
  }
  return 0;
}
