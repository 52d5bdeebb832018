/**
 * R4: the latent hybridisation model (LHM) on synthetic COVID-19 patients under
 * dexamethasone (Qian, Zame, Fleuren, Elbers & van der Schaar, NeurIPS 2021, "Integrating
 * expert ODEs into neural ODEs: pharmacology and disease progression"; REPRODUCTIONS.md R4).
 *
 * Data (examples/repro/_r4data.ts): the expert model (disease D, innate immunity I, adaptive
 * immunity A, drug C; all constants 1) plus two hidden states h' = tanh(z·W), observed only
 * through x = B·[z; 1] + ε (20 dimensions, standardized, half the entries missing); one dose
 * per patient; t = 0..14. Task: given the first 5 time points (and the dosing plan), forecast
 * x on t = 5..14; metric RMSE over the observed entries.
 *
 * Models, all with the same LSTM encoder (backwards over the first 5 observations, their masks
 * and doses), a log-normal posterior over the initial latents, an Exponential(100) prior and
 * the Monte Carlo ELBO (src/latent/): LHM (expert ODE with frozen parameters + 2 neural latents
 * z_m' = tanh(Linear([z_e, z_m]))), Expert (the 4 expert latents alone), Neural ODE
 * (MLP 7 → 60 → 6 with the dose signal as 7th input), Residual (the Neural ODE trained on the
 * trained Expert's residuals, added to it) and Ensemble (per-time-step non-negative weights
 * of the Expert and the Neural ODE, fitted by NNLS on the training set); the full run averages
 * over three data seeds (cohorts).
 */

import {
  addPredictions,
  applyEnsemble,
  ensembleWeights,
  residualDataset,
} from '../../src/latent/baselines.js';
import { type CovidLatentKind, covidLatentModel, covidLatentOptions } from '../../src/latent/covidLatent.js';
import { LatentDecoder } from '../../src/latent/decoder.js';
import { fitLatent, forecastRmse } from '../../src/latent/fit.js';
import { type LatentDataset, LatentModel, type LatentParams } from '../../src/latent/latentModel.js';
import { renderVegaLite } from '../../src/node/report/vegaSvg.js';
import { pid } from '../../src/ode/controller.js';
import { foldIn, rngKey } from '../../src/tensor/random.js';
import { generateCovidCohort, patientRange } from './_r4data.js';
import { type Experiment, markdownTable, meanSd, type RunOptions } from './experiment.js';

const HISTORY = 5;
const MODELS = ['lhm', 'expert', 'node', 'residual', 'ensemble'] as const;
type ModelName = (typeof MODELS)[number];
const LABEL: Record<ModelName, string> = {
  lhm: 'LHM',
  expert: 'Expert',
  node: 'Neural ODE',
  residual: 'Residual',
  ensemble: 'Ensemble',
};
/** Published test RMSE (Qian et al. 2021, Table 2, N = 10 / 100 / 500). */
const PUBLISHED: Record<ModelName, Record<number, number>> = {
  lhm: { 10: 0.618, 100: 0.625, 500: 0.621 },
  expert: { 10: 0.759, 100: 0.73, 500: 0.855 },
  node: { 10: 0.842, 100: 0.801, 500: 0.774 },
  residual: { 10: 0.804, 100: 0.686, 500: 0.835 },
  ensemble: { 10: 0.731, 100: 0.713, 500: 0.74 },
};

interface Setting {
  readonly ns: readonly number[];
  readonly nTest: number;
  readonly nVal: number;
  readonly iterations: number;
  readonly restarts: number;
  readonly patience: number;
  /** Data seeds (cohorts) averaged over. */
  readonly seeds: number;
}

const FULL: Setting = {
  ns: [10, 100, 500],
  nTest: 1000,
  nVal: 100,
  iterations: 400,
  restarts: 3,
  patience: 10,
  seeds: 3,
};
const QUICK: Setting = {
  ns: [10, 100],
  nTest: 200,
  nVal: 100,
  iterations: 200,
  restarts: 1,
  patience: 6,
  seeds: 1,
};

interface Trained {
  readonly model: LatentModel;
  readonly params: LatentParams;
  readonly validation: number;
  readonly iteration: number;
  readonly restart: number;
}

function latentModel(kind: CovidLatentKind): LatentModel {
  const decoder = new LatentDecoder(covidLatentModel(kind), {
    ...covidLatentOptions(kind),
    controller: pid({ rtol: 1e-6, atol: 1e-8 }),
  });
  return new LatentModel(decoder, 20, { history: HISTORY, encoderHidden: 32, priorRate: 100 });
}

/** Trains `kind` from `restarts` initializations; the one with the best validation forecast wins. */
function trainBest(
  kind: CovidLatentKind,
  train: LatentDataset,
  val: LatentDataset,
  s: Setting,
  seed: number,
  log: (line: string) => void,
): Trained {
  const model = latentModel(kind);
  let best: Trained | null = null;
  for (let r = 0; r < s.restarts; r++) {
    const key = foldIn(rngKey(seed), r);
    const fit = fitLatent(model, model.init(foldIn(key, 0)), train, val, {
      key: foldIn(key, 1),
      iterations: s.iterations,
      batchSize: 10,
      learningRate: 0.01,
      evalEvery: 10,
      patience: s.patience,
    });
    log(
      `    ${kind} restart ${r}: best validation RMSE ${fit.bestValidation.toFixed(4)} at iteration ${fit.bestIteration}` +
        ` (stopped at ${fit.trace[fit.trace.length - 1].iteration}${fit.skipped > 0 ? `, ${fit.skipped} steps skipped` : ''})`,
    );
    if (best === null || fit.bestValidation < best.validation) {
      best = {
        model,
        params: fit.params,
        validation: fit.bestValidation,
        iteration: fit.bestIteration,
        restart: r,
      };
    }
  }
  return best!;
}

interface ByN {
  /** Test RMSE per model. */
  readonly rmse: Record<ModelName, number>;
  /** Test RMSE of the ensemble with its weights fitted on the validation set instead. */
  readonly ensembleOnValidation: number;
  readonly validation: Record<ModelName, number>;
  readonly chosen: Record<string, string>;
  readonly pred: Record<ModelName, Float64Array>;
}

interface SeedRun {
  readonly dataSeed: number;
  readonly byN: Record<number, ByN>;
  readonly test: LatentDataset;
}

/** All models at every N on the cohort of one data seed. */
function runSeed(dataSeed: number, s: Setting, log: (line: string) => void): SeedRun {
  const nTrain = Math.max(...s.ns);
  const cohort = generateCovidCohort(rngKey(dataSeed), nTrain + s.nVal + s.nTest);
  const pool = patientRange(cohort.data, 0, nTrain);
  const val = patientRange(cohort.data, nTrain, nTrain + s.nVal);
  const test = patientRange(cohort.data, nTrain + s.nVal, nTrain + s.nVal + s.nTest);
  const T = cohort.data.times.length;
  const K = cohort.data.nObs;
  log(`r4: data seed ${dataSeed}`);
  const byN: Record<number, ByN> = {};
  for (const n of s.ns) {
    const train = patientRange(pool, 0, n);
    log(`  N = ${n}`);
    const runSeed = dataSeed * 1000 + n;
    const lhm = trainBest('lhm', train, val, s, runSeed + 1, log);
    const expert = trainBest('expert', train, val, s, runSeed + 2, log);
    const node = trainBest('node', train, val, s, runSeed + 3, log);
    // Residual: the neural ODE fitted to what the trained expert leaves unexplained.
    const expertTrain = expert.model.predict(expert.params, train);
    const expertVal = expert.model.predict(expert.params, val);
    const expertTest = expert.model.predict(expert.params, test);
    const residual = trainBest(
      'node',
      residualDataset(train, expertTrain),
      residualDataset(val, expertVal),
      s,
      runSeed + 4,
      log,
    );
    const nodeTrain = node.model.predict(node.params, train);
    const nodeVal = node.model.predict(node.params, val);
    const nodeTest = node.model.predict(node.params, test);
    // Ensemble weights from the training set (validation only selects); the variant fitted
    // on the validation set is reported beside it.
    const weights = ensembleWeights(train, expertTrain, nodeTrain);
    const weightsVal = ensembleWeights(val, expertVal, nodeVal);
    const pred: Record<ModelName, Float64Array> = {
      lhm: lhm.model.predict(lhm.params, test),
      expert: expertTest,
      node: nodeTest,
      residual: addPredictions(expertTest, residual.model.predict(residual.params, test)),
      ensemble: applyEnsemble(weights, expertTest, nodeTest, T, K),
    };
    const validation: Record<ModelName, number> = {
      lhm: lhm.validation,
      expert: expert.validation,
      node: node.validation,
      residual: forecastRmse(
        addPredictions(expertVal, residual.model.predict(residual.params, val)),
        val,
        HISTORY,
      ),
      ensemble: forecastRmse(applyEnsemble(weights, expertVal, nodeVal, T, K), val, HISTORY),
    };
    const rmse = Object.fromEntries(MODELS.map((m) => [m, forecastRmse(pred[m], test, HISTORY)])) as Record<
      ModelName,
      number
    >;
    const ensembleOnValidation = forecastRmse(
      applyEnsemble(weightsVal, expertTest, nodeTest, T, K),
      test,
      HISTORY,
    );
    log(
      `  N = ${n}: test RMSE ${MODELS.map((m) => `${m} ${rmse[m].toFixed(4)}`).join(', ')}; ensemble (validation weights) ${ensembleOnValidation.toFixed(4)}`,
    );
    const chosen = Object.fromEntries(
      (
        [
          ['lhm', lhm],
          ['expert', expert],
          ['node', node],
          ['residual', residual],
        ] as const
      ).map(([m, t]) => [m, `${t.restart}/${t.iteration}`]),
    );
    byN[n] = { rmse, ensembleOnValidation, validation, chosen, pred };
  }
  return { dataSeed, byN, test };
}

const meanOf = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;

async function run(options: RunOptions): Promise<{ metrics: Record<string, unknown>; page: string }> {
  const started = Date.now();
  const s = options.quick ? QUICK : FULL;
  const seeds = Array.from({ length: s.seeds }, (_, i) => 1000 + options.seed + i);
  const nTrain = Math.max(...s.ns);
  options.log(
    `r4: ${nTrain} training (pool), ${s.nVal} validation, ${s.nTest} test patients; N = ${s.ns.join(', ')}; ` +
      `${s.iterations} iterations, ${s.restarts} restart(s); data seeds ${seeds.join(', ')}`,
  );
  const runs = seeds.map((d) => runSeed(d, s, options.log));
  const mean = (n: number, m: ModelName) => meanOf(runs.map((r) => r.byN[n].rmse[m]));
  const meanRmse = (n: number) =>
    Object.fromEntries(MODELS.map((m) => [m, mean(n, m)])) as Record<ModelName, number>;
  const lhmBest = (r: Record<ModelName, number>) => MODELS.slice(1).every((m) => r.lhm < r[m]);
  const holdsAt = (n: number) => lhmBest(meanRmse(n));
  const holds = s.ns.every(holdsAt);
  const perSeed = runs.flatMap((r) => s.ns.map((n) => lhmBest(r.byN[n].rmse)));
  const perSeedHolds = perSeed.filter((b) => b).length;
  const seconds = (Date.now() - started) / 1000;

  // ---- plots: test RMSE against N; forecasts of one test patient at the largest N
  const rmseRows = s.ns.flatMap((n) =>
    MODELS.flatMap((m) => [
      { n, rmse: mean(n, m), model: LABEL[m], source: 'greybox' },
      ...(PUBLISHED[m][n] !== undefined
        ? [{ n, rmse: PUBLISHED[m][n], model: LABEL[m], source: 'published' }]
        : []),
    ]),
  );
  const { svg: rmseSvg } = await renderVegaLite(
    {
      width: 420,
      height: 220,
      data: { values: rmseRows },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'n', type: 'quantitative', scale: { type: 'log' }, title: 'training patients N' },
        y: { field: 'rmse', type: 'quantitative', title: 'test RMSE (t = 5..14)', scale: { zero: false } },
        color: { field: 'model', type: 'nominal', title: null },
        strokeDash: { field: 'source', type: 'nominal', title: null },
      },
    },
    {
      idPrefix: 'r4-rmse',
      title:
        'Test RMSE against the number of training patients, greybox (mean over data seeds) and published',
    },
  );
  const nBig = nTrain;
  const first = runs[0];
  const T = first.test.times.length;
  const K = first.test.nObs;
  const patient = 0;
  const exampleRows: { t: number; value: number; dim: string; model: string }[] = [];
  for (const k of [0, 1, 2, 3]) {
    for (let j = 0; j < T; j++) {
      const x = first.test.patients[patient].x[j * K + k];
      if (!Number.isNaN(x)) exampleRows.push({ t: j, value: x, dim: `x${k + 1}`, model: 'data' });
      for (const m of ['lhm', 'expert', 'node'] as const)
        exampleRows.push({
          t: j,
          value: first.byN[nBig].pred[m][(patient * T + j) * K + k],
          dim: `x${k + 1}`,
          model: LABEL[m],
        });
    }
  }
  const { svg: exampleSvg } = await renderVegaLite(
    {
      width: 300,
      height: 110,
      data: { values: exampleRows },
      facet: { field: 'dim', type: 'nominal', title: null },
      columns: 2,
      spec: {
        layer: [
          {
            mark: { type: 'line', strokeWidth: 1.2 },
            transform: [{ filter: "datum.model !== 'data'" }],
            encoding: {
              x: { field: 't', type: 'quantitative', title: 't (days)' },
              y: { field: 'value', type: 'quantitative', title: null },
              color: { field: 'model', type: 'nominal', title: null },
            },
          },
          {
            mark: { type: 'point', filled: true, size: 16, color: 'black' },
            transform: [{ filter: "datum.model === 'data'" }],
            encoding: {
              x: { field: 't', type: 'quantitative' },
              y: { field: 'value', type: 'quantitative' },
            },
          },
        ],
      },
      resolve: { scale: { y: 'independent' } },
    },
    {
      idPrefix: 'r4-example',
      title: `Forecasts for test patient ${patient} (data seed ${first.dataSeed}, N = ${nBig}); the encoder reads t = 0..4`,
    },
  );

  const fmt = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(3));
  const cell = (n: number, m: ModelName) =>
    runs.length === 1
      ? fmt(runs[0].byN[n].rmse[m])
      : meanSd(
          runs.map((r) => r.byN[n].rmse[m]),
          3,
        );
  const tableRows = MODELS.map((m) => [
    LABEL[m],
    ...s.ns.map((n) => cell(n, m)),
    ...[10, 100, 500].map((n) => fmt(PUBLISHED[m][n])),
  ]);
  const seedRows = runs.flatMap((r) =>
    s.ns.map((n) => [
      String(r.dataSeed),
      String(n),
      ...MODELS.map((m) => fmt(r.byN[n].rmse[m])),
      fmt(r.byN[n].ensembleOnValidation),
      lhmBest(r.byN[n].rmse) ? 'yes' : '**no**',
    ]),
  );
  const validationRows = runs.flatMap((r) =>
    s.ns.map((n) => [
      String(r.dataSeed),
      String(n),
      ...MODELS.map((m) => fmt(r.byN[n].validation[m])),
      Object.entries(r.byN[n].chosen)
        .map(([m, c]) => `${LABEL[m as ModelName]} ${c}`)
        .join(', '),
    ]),
  );
  const page = [
    '# R4 — latent hybridisation model, COVID-19 dexamethasone (Qian et al., NeurIPS 2021)',
    '',
    `Command: \`${options.command}\` (data seeds ${seeds.join(', ')}; ${seconds.toFixed(0)} s on this machine). Generated by examples/repro/r4.ts.`,
    options.quick
      ? `\n**Quick run**: one data seed, N = ${s.ns.join(', ')} only, ${s.nTest} test patients (the paper: 1000), at most ${s.iterations} iterations (the paper: 400), ${s.restarts} initialization per model (the paper: 3 restarts). The full run is \`npm run repro -- r4\`.\n`
      : '',
    '## Setup',
    '',
    `Cohort as in REPRODUCTIONS.md R4 (examples/repro/_r4data.ts): the expert model (D, I, A, C; all constants 1, Hill exponent 2; Dose(t) carried as a decaying state fed by the bolus route) plus two hidden states h′ = tanh(z·W), W (6×2) Gaussian × Bernoulli(0.5)/6 acting on all six states; x = B·[z; 1] + ε, B (20×7) Gaussian × Bernoulli(0.5), ε ~ N(0, 0.2²), each of the 20 dimensions standardized over the cohort, each entry missing with probability 0.5; z₀ ~ Exponential(scale 0.01) per latent; one dose per patient at an integer day 0..13 with amount U(0, 10); t = 0..14. Training sets are the first N of ${nTrain} training patients; ${s.nVal} validation and ${s.nTest} test patients. Each data seed draws a new W, B, cohort and noise (${seeds.length} data seed${seeds.length > 1 ? 's' : ''}: ${seeds.join(', ')}).`,
    '',
    `All models (src/latent/): an LSTM encoder (hidden 32) run backwards over the first ${HISTORY} time points, reading [x ⊙ m, m, dose amount]; posterior log z₀ ~ N(μ, σ²) per latent (positive latents, mean e^{μ+σ²/2}); Exponential(rate 100) prior, KL by Monte Carlo with one reparameterized sample; masked Gaussian likelihood with a learned σ per dimension on all 15 time points; linear readout latents → 20 observations. Decoders in the model language (src/latent/covidLatent.ts), solved by tsit5 (rtol 1e-6, atol 1e-8) with gradients by the discrete adjoint: LHM = expert equations (parameters frozen at their true values) + 2 neural latents z_m′ = tanh(Linear([z_e, z_m])); Expert = the 4 expert latents; Neural ODE = z′ = MLP([z, Dose(t)]) (7 → 60 → 6, tanh); Residual = a Neural ODE trained on the trained Expert's residuals, prediction Expert + Neural ODE; Ensemble = per-time-step non-negative weights of the trained Expert and Neural ODE, fitted by exact NNLS on the training set. Adam (lr 0.01), batch 10, at most ${s.iterations} iterations; the validation forecast RMSE is computed every 10 iterations and the best parameters kept (early stopping; training stops after ${s.patience} evaluations without improvement); ${s.restarts} initialization${s.restarts > 1 ? 's' : ''} per model, the best on validation kept. Prediction: the decoder from the posterior median e^{μ} given t = 0..4 and the dosing plan. Metric: RMSE over the observed test entries on t = 5..14.`,
    '',
    `## Test RMSE${runs.length > 1 ? ` (mean ± sd over ${runs.length} data seeds)` : ''}`,
    '',
    markdownTable(
      [
        'model',
        ...s.ns.map((n) => `greybox N = ${n}`),
        'published N = 10',
        'published N = 100',
        'published N = 500',
      ],
      tableRows,
    ),
    '',
    `Must hold (issue #7): LHM below every baseline at every N${runs.length > 1 ? ' (on the mean over data seeds)' : ''} — **${holds ? 'holds' : 'does not hold'}**${holds ? '' : ` (fails at N = ${s.ns.filter((n) => !holdsAt(n)).join(', ')})`}. Per data seed and N: LHM best in ${perSeedHolds} of ${perSeed.length} cases (table below).`,
    '',
    'Our errors are on a different absolute level than the published ones: the cohort is regenerated from the description (random W, B and noise, a different standardization and seed), so only the ordering and the trend with N are comparable. How much the expert model alone misses depends on the drawn W (how strongly the hidden states act) and B (how much of x they drive); with a weak hidden mechanism all models come close and the margins at N = 10 are small.',
    '',
    rmseSvg,
    '',
    '## Per data seed',
    '',
    'Test RMSE; "Ensemble (val. weights)" fits the ensemble weights on the 100 validation patients instead of the training set (more data than the N training patients, so it is not the main row).',
    '',
    markdownTable(
      ['data seed', 'N', ...MODELS.map((m) => LABEL[m]), 'Ensemble (val. weights)', 'LHM best'],
      seedRows,
    ),
    '',
    '## Validation RMSE and chosen runs',
    '',
    'Chosen = restart/best iteration of the kept run.',
    '',
    markdownTable(['data seed', 'N', ...MODELS.map((m) => LABEL[m]), 'chosen'], validationRows),
    '',
    '## An example',
    '',
    exampleSvg,
    '',
  ].join('\n');
  return {
    metrics: {
      n: nBig,
      rmse: meanRmse(nBig),
      by_n: Object.fromEntries(s.ns.map((n) => [String(n), meanRmse(n)])),
      data_seeds: seeds,
      by_seed: Object.fromEntries(
        runs.map((r) => [
          String(r.dataSeed),
          Object.fromEntries(s.ns.map((n) => [String(n), r.byN[n].rmse])),
        ]),
      ),
      lhm_best_everywhere: holds,
      lhm_best_cases: `${perSeedHolds}/${perSeed.length}`,
      seconds,
    },
    page,
  };
}

export const experiment: Experiment = {
  id: 'r4',
  title: 'Latent hybridisation model, COVID-19 dexamethasone (Qian et al. 2021)',
  run,
};
