/**
 * Restarts and cross-validation folds of `greybox fit`, each an independent fit that can run
 * on a worker thread (`--workers N`). A start or fold is described by plain data (model text,
 * solver, fit config, data file, seed, held-out ids) and returns plain data (parameter
 * leaves, training history), so it crosses threads by structured clone; the same function
 * runs in this thread with one worker, so the result does not depend on the worker count.
 */

import { tensor } from '../../autodiff/tensor.js';
import { treeLeaves, treeUnflatten } from '../../autodiff/tree.js';
import { parseModel } from '../../expr/parse.js';
import { HybridModel, type HybridParams } from '../../hybrid/hybridModel.js';
import { hybridOptions, type SolverSpec } from '../../hybrid/solverSpec.js';
import { validationSplit } from '../../hybrid/trainer.js';
import { rngKey } from '../../tensor/random.js';
import { parallelMap } from '../workers.js';
import type { FitConfig } from './config.js';
import { loadSubjects } from './data.js';
import { type FitOutcome, type FitTraining, runFit } from './pipeline.js';
import type { Project } from './project.js';

/** One independent fit, as plain data. */
export interface FitJob {
  readonly modelText: string;
  readonly modelFile: string;
  readonly solver: SolverSpec;
  readonly fit: FitConfig;
  readonly dataPath: string;
  readonly format: string | undefined;
  /** Validation subjects (restarts share the split of the base seed). */
  readonly validationIds?: readonly string[];
  /** Subjects left out of the fit and scored afterwards (a cross-validation fold). */
  readonly holdoutIds?: readonly string[];
}

/** What a job returns. */
export interface FitJobResult {
  readonly seed: number;
  /** Best validation loss (restarts with validation), the held-out loss (folds), else the final loss. */
  readonly score: number;
  /** Parameter leaves in `treeLeaves` order. */
  readonly leaves: readonly { readonly shape: readonly number[]; readonly data: Float64Array }[];
  readonly training: FitTraining;
  readonly polish: FitOutcome['polish'];
  readonly finalLoss: number;
  readonly seconds: number;
}

/**
 * Runs one job: loads the data, fits (optimizer, then polish) and scores. The worker task of
 * {@link fitStarts} and {@link crossValidate}.
 *
 * @example
 * ```ts
 * const r = fitJob({ modelText, modelFile: 'model.gbx', solver, fit, dataPath, format: undefined });
 * r.score;
 * ```
 */
export function fitJob(job: FitJob): FitJobResult {
  const model = parseModel(job.modelText, { file: job.modelFile });
  const all = loadSubjects(job.dataPath, job.format, model);
  const holdout = new Set(job.holdoutIds ?? []);
  const subjects = all.filter((s) => !holdout.has(s.id));
  const outcome = runFit(model, job.solver, job.fit, subjects, {
    ...(job.validationIds === undefined ? {} : { validationIds: job.validationIds }),
  });
  const t = outcome.training;
  let score = outcome.finalLoss;
  if (holdout.size > 0) {
    const held = all.filter((s) => holdout.has(s.id));
    score = outcome.model.evaluate(outcome.params, held, { loss: job.fit.loss, gradient: false }).dataLoss;
  } else if (t.split.validation.length > 0) {
    score = Math.min(...t.history.map((h) => h.valLoss ?? Number.POSITIVE_INFINITY));
  }
  if (t.stopReason === 'diverged' || Number.isNaN(score)) score = Number.POSITIVE_INFINITY;
  return {
    seed: job.fit.seed,
    score,
    leaves: treeLeaves(outcome.params).map((l) => ({ shape: l.shape.slice(), data: l.data })),
    training: {
      bestEpoch: t.bestEpoch,
      history: t.history,
      events: t.events,
      stopReason: t.stopReason,
      split: t.split,
    },
    polish: outcome.polish,
    finalLoss: outcome.finalLoss,
    seconds: outcome.seconds,
  };
}

const TASK = { module: new URL('./parallelFit.ts', import.meta.url).href, name: 'fitJob' };

function baseJob(project: Project, fit: FitConfig): FitJob {
  return {
    modelText: project.modelText,
    modelFile: project.modelPath,
    solver: project.config.solver as SolverSpec,
    fit,
    dataPath: project.dataPath,
    format: project.config.data.format,
  };
}

/** The outcome of a job, rebuilt in this thread (model, initial and fitted parameters). */
export function outcomeOf(project: Project, r: FitJobResult): FitOutcome {
  const hm = new HybridModel(project.model, hybridOptions(project.config.solver as SolverSpec));
  const initial = hm.init(rngKey(r.seed));
  const template: HybridParams = { ...initial, shooting: {} };
  const params = treeUnflatten(
    template,
    r.leaves.map((l) => tensor(l.data, l.shape)),
  );
  return {
    model: hm,
    initial,
    params,
    training: r.training,
    polish: r.polish,
    finalLoss: r.finalLoss,
    seconds: r.seconds,
  };
}

/** One row of the restart table. */
export interface StartSummary {
  readonly seed: number;
  readonly score: number;
  readonly stopReason: string;
  readonly seconds: number;
}

/**
 * `starts` independent fits from seeds seed, seed+1, …, on up to `workers` threads; the one
 * with the lowest score (best validation loss when the config holds out subjects — every start
 * uses the split of the base seed — else the final loss) wins.
 *
 * @example
 * ```ts
 * const { best, starts } = await fitStarts(project, project.config.fit, 4, 2);
 * ```
 */
export async function fitStarts(
  project: Project,
  fit: FitConfig,
  starts: number,
  workers: number,
  onResult?: (row: StartSummary, done: number) => void,
): Promise<{ best: FitOutcome; bestSeed: number; starts: StartSummary[] }> {
  if (!Number.isInteger(starts) || starts < 1)
    throw new RangeError(`--starts must be at least 1, got ${starts}`);
  let validationIds: string[] | undefined;
  if (fit.validation !== undefined) {
    const subjects = loadSubjects(project.dataPath, project.config.data.format, project.model);
    validationIds = validationSplit(subjects, fit.validation, fit.seed).valSet.map((s) => s.id);
  }
  const jobs = Array.from({ length: starts }, (_, i) => ({
    ...baseJob(project, { ...fit, seed: fit.seed + i }),
    ...(validationIds === undefined ? {} : { validationIds }),
  }));
  let done = 0;
  const results = await parallelMap<FitJob, FitJobResult>(TASK, jobs, {
    workers,
    onResult: (_, r) => onResult?.(summaryOf(r), ++done),
  });
  let best = 0;
  for (let i = 1; i < results.length; i++) if (results[i].score < results[best].score) best = i;
  const winner = results[best];
  return { best: outcomeOf(project, winner), bestSeed: winner.seed, starts: results.map(summaryOf) };
}

function summaryOf(r: FitJobResult): StartSummary {
  return { seed: r.seed, score: r.score, stopReason: r.training.stopReason, seconds: r.seconds };
}

/** One fold of {@link crossValidate}. */
export interface FoldSummary {
  readonly fold: number;
  readonly heldOut: readonly string[];
  /** Data-fit loss (the config's loss) on the held-out subjects. */
  readonly loss: number;
  readonly stopReason: string;
  readonly seconds: number;
}

/**
 * K-fold cross-validation by subject: the subjects are dealt into k folds (seeded, sizes
 * differing by at most one); each fold is fitted on the others with the config and scored by
 * the data-fit loss on its own subjects; folds run on up to `workers` threads.
 *
 * @example
 * ```ts
 * const { folds, mean, sd } = await crossValidate(project, project.config.fit, subjectIds, 5, 2);
 * ```
 */
export async function crossValidate(
  project: Project,
  fit: FitConfig,
  subjectIds: readonly string[],
  folds: readonly (readonly number[])[],
  workers: number,
  onResult?: (row: FoldSummary, done: number) => void,
): Promise<{ folds: FoldSummary[]; mean: number; sd: number }> {
  const jobs = folds.map((held) => ({
    ...baseJob(project, fit),
    holdoutIds: held.map((i) => subjectIds[i]),
  }));
  const summary = (r: FitJobResult, i: number): FoldSummary => ({
    fold: i + 1,
    heldOut: jobs[i].holdoutIds,
    loss: r.score,
    stopReason: r.training.stopReason,
    seconds: r.seconds,
  });
  let done = 0;
  const results = await parallelMap<FitJob, FitJobResult>(TASK, jobs, {
    workers,
    onResult: (i, r) => onResult?.(summary(r, i), ++done),
  });
  const rows = results.map(summary);
  const losses = rows.map((r) => r.loss);
  const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
  const sd = Math.sqrt(losses.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(losses.length - 1, 1));
  return { folds: rows, mean, sd };
}
