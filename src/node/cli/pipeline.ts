/**
 * The fitting pipeline behind `greybox fit` and `greybox demo`: a project config and subjects
 * in; trained parameters, a fitted-model document and the report's data out. Kept free of
 * argument parsing and printing so that tests and workers can call it directly.
 */

import { dependencyGraph } from '../../expr/graph.js';
import type { Model } from '../../expr/model.js';
import { type FittedModel, fittedModel } from '../../hybrid/artifact.js';
import { closureTraces } from '../../hybrid/closure.js';
import { HybridModel, type HybridParams } from '../../hybrid/hybridModel.js';
import { polish } from '../../hybrid/polish.js';
import { l1Weights, l2Weights, type Regularizer } from '../../hybrid/regularizers.js';
import { hybridOptions, type SolverSpec } from '../../hybrid/solverSpec.js';
import type { Subject } from '../../hybrid/subject.js';
import { type TrainEvent, type TrainResult, train } from '../../hybrid/trainer.js';
import { adam, adamw } from '../../optim/adam.js';
import { clipByGlobalNorm } from '../../optim/clip.js';
import { hybridParamLabel, partition } from '../../optim/partition.js';
import { rmsprop } from '../../optim/rmsprop.js';
import { cosineDecaySchedule, type LearningRate } from '../../optim/schedules.js';
import { sgd } from '../../optim/sgd.js';
import { chain, type GradientTransformation } from '../../optim/transform.js';
import { rngKey } from '../../tensor/random.js';
import { VERSION } from '../../version.js';
import type { ReportData, ReportParameter } from '../report/types.js';
import type { FitConfig, OptimizerConfig, ProjectConfig, RegularizerConfig } from './config.js';

/** The optimizer a config asks for. `steps` is the number of optimizer steps of the whole run. */
export function optimizerFromConfig(c: OptimizerConfig, steps: number): GradientTransformation<unknown> {
  const rate = (lr: number): LearningRate =>
    c.schedule === 'cosine'
      ? cosineDecaySchedule(lr, { decaySteps: Math.max(steps, 1), final: lr * (c.finalFactor ?? 0.01) })
      : lr;
  const base = (lr: number): GradientTransformation<unknown> => {
    switch (c.name) {
      case 'adam':
        return adam(rate(lr), c.weightDecay === undefined ? {} : { weightDecay: c.weightDecay });
      case 'adamw':
        return adamw(rate(lr), { weightDecay: c.weightDecay ?? 1e-2 });
      case 'sgd':
        return sgd(rate(lr), { momentum: c.momentum ?? 0, weightDecay: c.weightDecay ?? 0 });
      case 'rmsprop':
        return rmsprop(rate(lr), { momentum: c.momentum ?? 0, weightDecay: c.weightDecay ?? 0 });
    }
  };
  const withClip = (t: GradientTransformation<unknown>) =>
    c.clipNorm === undefined ? t : chain(clipByGlobalNorm(c.clipNorm), t);
  if (c.mechLr === undefined) return withClip(base(c.lr));
  return partition(hybridParamLabel, {
    mech: withClip(base(c.mechLr)),
    nets: withClip(base(c.lr)),
    shooting: withClip(base(c.mechLr)),
  }) as GradientTransformation<unknown>;
}

/** The regularizers a config asks for. */
export function regularizersFromConfig(list: readonly RegularizerConfig[]): Regularizer[] {
  return list.map((r) =>
    r.kind === 'l2Weights'
      ? l2Weights(r.weight, { biases: r.biases ?? false })
      : l1Weights(r.weight, { biases: r.biases ?? false }),
  );
}

/** What a fit keeps of its training run (all of it plain data, so it crosses worker threads). */
export type FitTraining = Pick<
  TrainResult<unknown>,
  'bestEpoch' | 'history' | 'events' | 'stopReason' | 'split'
>;

/** What {@link runFit} produces. */
export interface FitOutcome {
  readonly model: HybridModel;
  readonly initial: HybridParams;
  readonly params: HybridParams;
  readonly training: FitTraining;
  readonly polish: { readonly status: string; readonly iterations: number; readonly value: number } | null;
  /** The objective on all subjects at the end (data fit + penalties). */
  readonly finalLoss: number;
  readonly seconds: number;
}

/** Options of {@link runFit}. */
export interface RunFitOptions {
  readonly onEvent?: (e: TrainEvent) => void;
  readonly onPolish?: (iteration: number, value: number) => void;
  /** A clock in milliseconds (default Date.now). */
  readonly now?: () => number;
  /** Validation subjects by id, instead of the config's fraction drawn with the seed (restarts share one split). */
  readonly validationIds?: readonly string[];
}

/**
 * Trains a model on subjects as the config's `fit` section says: the optimizer over epochs
 * (mini-batches, validation, early stopping, shooting, curriculum), then the L-BFGS polish.
 */
export function runFit(
  model: Model,
  solver: SolverSpec,
  fit: FitConfig,
  subjects: readonly Subject[],
  options: RunFitOptions = {},
): FitOutcome {
  const now = options.now ?? Date.now;
  const started = now();
  const hm = new HybridModel(model, hybridOptions(solver));
  const initial = hm.init(rngKey(fit.seed));
  const nTrain = Math.max(1, Math.round(subjects.length * (1 - (fit.validation?.fraction ?? 0))));
  const stepsPerEpoch = Math.ceil(nTrain / (fit.batchSize ?? nTrain));
  const regularizers = regularizersFromConfig(fit.regularizers);
  const training = train(hm, initial, subjects, {
    optimizer: optimizerFromConfig(fit.optimizer, fit.epochs * stepsPerEpoch),
    epochs: fit.epochs,
    loss: fit.loss,
    seed: fit.seed,
    regularizers,
    ...(fit.batchSize === undefined ? {} : { batchSize: fit.batchSize }),
    ...(options.validationIds !== undefined
      ? { validation: { ids: options.validationIds } }
      : fit.validation === undefined
        ? {}
        : { validation: fit.validation }),
    ...(fit.earlyStopping === undefined ? {} : { earlyStopping: fit.earlyStopping }),
    ...(fit.shooting === undefined ? {} : { shooting: fit.shooting }),
    ...(fit.curriculum === undefined ? {} : { curriculum: fit.curriculum }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    now,
  });
  let params = training.params;
  let polished: FitOutcome['polish'] = null;
  if ((fit.polish?.iterations ?? 0) > 0 && training.stopReason !== 'diverged') {
    const r = polish(hm, params, subjects, {
      loss: fit.loss,
      regularizers,
      iterations: fit.polish?.iterations ?? 0,
      ...(options.onPolish === undefined ? {} : { onIteration: options.onPolish }),
    });
    params = r.params;
    polished = { status: r.result.status, iterations: r.result.iterations, value: r.result.value };
  }
  const finalLoss = hm.evaluate(params, subjects, { loss: fit.loss, gradient: false }).value;
  return {
    model: hm,
    initial,
    params: { ...params, shooting: {} },
    training,
    polish: polished,
    finalLoss,
    seconds: (now() - started) / 1000,
  };
}

/** The fitted-model document of a fit. */
export function fittedDocument(
  outcome: FitOutcome,
  config: ProjectConfig,
  modelText: string,
  data: { fingerprint: string; file: string; subjects: number },
  createdAt: string,
): FittedModel {
  const t = outcome.training;
  return fittedModel(outcome.model, outcome.params, {
    text: modelText,
    solver: config.solver as SolverSpec,
    seed: config.fit.seed,
    createdAt,
    data,
    training: {
      config: config.fit,
      epochs: t.history.length,
      bestEpoch: t.bestEpoch,
      stopReason: t.stopReason,
      split: t.split,
      polish: outcome.polish,
      finalLoss: outcome.finalLoss,
      seconds: outcome.seconds,
      history: t.history.map((h) => ({ epoch: h.epoch, loss: h.loss, valLoss: h.valLoss })),
    },
  });
}

/** Times at which to draw a subject's prediction: its observation times plus a fine grid. */
export function denseTimes(subject: Subject, points = 200): Float64Array {
  const t0 = subject.t0 ?? 0;
  const t1 = subject.times[subject.times.length - 1];
  const grid = Array.from({ length: points }, (_, i) => t0 + ((t1 - t0) * (i + 1)) / points);
  const all = [...subject.times, ...grid, ...(subject.doses ?? []).map((d) => d.time).filter((t) => t > t0)];
  return Float64Array.from([...new Set(all)].sort((a, b) => a - b));
}

/**
 * The report's data for a fitted model on its subjects: observed vs predicted (dense) per
 * subject, residuals, the training curves, the parameter table, closure magnitudes and the
 * dependency graph.
 */
export function reportData(
  hm: HybridModel,
  params: HybridParams,
  initial: HybridParams | null,
  subjects: readonly Subject[],
  info: {
    title: string;
    modelText: string;
    generatedAt: string;
    seed: number;
    dataFingerprint: string;
    training: FitTraining | null;
    metrics: Record<string, number>;
    notes: string[];
    trueValues?: Record<string, number>;
  },
): ReportData {
  const obsNames = hm.model.observables.map((o) => o.name);
  const K = obsNames.length;
  const atData = hm.predict(params, subjects);
  const dense = hm.predict(
    params,
    subjects.map((s) => {
      const times = denseTimes(s);
      return { ...s, times, observations: new Float64Array(times.length * K).fill(Number.NaN) };
    }),
  );
  const residuals: ReportData['residuals'][number][] = [];
  let sq = 0;
  let n = 0;
  subjects.forEach((s, b) => {
    s.times.forEach((t, k) => {
      for (let o = 0; o < K; o++) {
        const y = s.observations[k * K + o];
        if (Number.isNaN(y)) continue;
        const pred = atData[b].observables[k * K + o];
        residuals.push({ subject: s.id, observable: obsNames[o], t, residual: y - pred, predicted: pred });
        sq += (y - pred) ** 2;
        n++;
      }
    });
  });
  const closure: NonNullable<ReportData['closure']>[number][] = [];
  if (hm.model.nets.length > 0) {
    subjects.forEach((s, b) => {
      for (const trace of closureTraces(hm, params, s, dense[b])) {
        const nOut = trace.outputs.length;
        trace.outputs.forEach((output, o) => {
          trace.times.forEach((t, k) => {
            closure.push({
              net: trace.net,
              output,
              t,
              magnitude: Math.abs(trace.values[k * nOut + o]),
              subject: s.id,
            });
          });
        });
      }
    });
  }
  const values = hm.parameterValues(params);
  const start = initial === null ? null : hm.parameterValues(initial);
  const parameters: ReportParameter[] = hm.model.params.map((p) => ({
    name: p.name,
    value: values[p.name],
    scale: p.scale,
    lower: p.lower,
    upper: p.upper,
    initial: start?.[p.name] ?? p.value,
    ...(info.trueValues?.[p.name] === undefined ? {} : { trueValue: info.trueValues[p.name] }),
  }));
  const training = info.training;
  return {
    title: info.title,
    modelName: hm.model.name,
    modelText: info.modelText,
    generatedAt: info.generatedAt,
    library: { name: 'greybox', version: VERSION },
    seed: info.seed,
    dataFingerprint: info.dataFingerprint,
    subjects: subjects.map((s, b) => ({
      id: s.id,
      observables: obsNames.map((name, o) => ({
        name,
        observed: Array.from(s.times, (t, k) => ({ t, y: s.observations[k * K + o] })).filter(
          (p) => !Number.isNaN(p.y),
        ),
        predicted: Array.from(dense[b].times, (t, k) => ({ t, y: dense[b].observables[k * K + o] })),
      })),
      doses: (s.doses ?? []).map((d) =>
        'amount' in d
          ? { time: d.time, amount: d.amount, route: d.route }
          : { time: d.time, rate: d.rate, duration: d.duration, route: d.route },
      ),
    })),
    residuals,
    training: {
      epochs:
        training?.history.map((h) => ({
          epoch: h.epoch,
          loss: h.loss,
          ...(h.valLoss === null ? {} : { valLoss: h.valLoss }),
        })) ?? [],
      events: training === null ? [] : trainingNotes(training),
    },
    parameters,
    ...(closure.length > 0 ? { closure } : {}),
    graph: dependencyGraph(hm.model),
    metrics: { RMSE: Math.sqrt(sq / Math.max(n, 1)), observations: n, ...info.metrics },
    notes: info.notes,
  };
}

/** The training events worth a line in a report. */
export function trainingNotes(t: FitTraining): string[] {
  const out: string[] = [];
  for (const e of t.events) {
    if (e.kind === 'nonFinite')
      out.push(`epoch ${e.epoch}, step ${e.step}: rolled back (${e.reason}); learning rate × ${e.lrScale}`);
    else if (e.kind === 'earlyStop') out.push(`epoch ${e.epoch}: stopped early; best epoch ${e.bestEpoch}`);
    else if (e.kind === 'diverged') out.push(`epoch ${e.epoch}: diverged (${e.reason})`);
  }
  out.push(`stopped: ${t.stopReason}; best epoch ${t.bestEpoch} of ${t.history.length}`);
  return out;
}
