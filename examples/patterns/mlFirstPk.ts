/**
 * "ML first" on synthetic population PK data: a network maps each subject's covariates
 * (body weight, age) to its clearance, inside a one-compartment oral model, trained end to end
 * through the solves. Compared with the mechanistic-only baseline (one clearance for all,
 * derived from the same model text with `mechanisticOnly`) on held-out subjects.
 *
 * Run: npx tsx examples/patterns/mlFirstPk.ts [--seed N]
 *
 * The truth (unknown to the hybrid): CL = 2·(WT/70)^0.75·exp(−0.4·(AGE − 40)/40).
 */
import { parseModel } from '../../src/expr/parse.js';
import { printModel } from '../../src/expr/print.js';
import { HybridModel } from '../../src/hybrid/hybridModel.js';
import type { Subject } from '../../src/hybrid/subject.js';
import { train } from '../../src/hybrid/trainer.js';
import { mechanisticOnly } from '../../src/hybrid/variants.js';
import { adam } from '../../src/optim/adam.js';
import { normal, rngKey, splitKey, uniform } from '../../src/tensor/random.js';

const truth = parseModel(`
  param V = 10 in [0.1, 500] scale log
  param ka = 1.2 in [0.01, 20] scale log
  covariate WT = 70
  covariate AGE = 40
  let CL = 2 * (WT/70)^0.75 * exp(-0.4*(AGE - 40)/40)
  state gut = 0
  state central = 0
  d/dt gut = -ka*gut
  d/dt central = ka*gut - CL/V*central
  obs c = central/V ~ normal(0.1)
  dose oral -> gut
`);

const hybrid = parseModel(`
  model pk_ml_first "one compartment, clearance from a covariate network"
  param CLpop = 1 in [0.01, 50] scale log
  param V = 8 in [0.1, 500] scale log
  param ka = 1 in [0.01, 20] scale log
  covariate WT = 70
  covariate AGE = 40
  net P(WT/70 - 1, AGE/40 - 1) -> (cl) : mlp(8, tanh)
  let CL = CLpop * exp(P.cl)
  state gut = 0
  state central = 0
  d/dt gut = -ka*gut
  d/dt central = ka*gut - CL/V*central
  obs c = central/V ~ normal(0.1)
  dose oral -> gut
`);

const seedArg = process.argv.indexOf('--seed');
const seed = seedArg >= 0 ? Number(process.argv[seedArg + 1]) : 0;
const times = Float64Array.of(0.5, 1, 2, 4, 6, 8, 12, 24);

/** n subjects with random covariates, observed with 10 % proportional noise. */
function cohort(n: number, key: ReturnType<typeof rngKey>, prefix: string): Subject[] {
  const [kw, ka, kn] = splitKey(key, 3);
  const wt = uniform(kw, [n], 45, 110).data;
  const age = uniform(ka, [n], 20, 80).data;
  const eps = normal(kn, [n, times.length], 0, 0.1).data;
  const sim = new HybridModel(truth);
  const subjects: Subject[] = Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${i}`,
    times,
    observations: new Float64Array(times.length),
    doses: [{ time: 0, route: 'oral', amount: 100 }],
    covariates: { WT: wt[i], AGE: age[i] },
  }));
  const clean = sim.predict(sim.init(), subjects);
  return subjects.map((s, i) => ({
    ...s,
    observations: clean[i].observables.map((c, k) => c * (1 + eps[i * times.length + k])),
  }));
}

const [kTrain, kTest, kInit] = splitKey(rngKey(seed), 3);
const trainSet = cohort(40, kTrain, 'train');
const testSet = cohort(20, kTest, 'test');

function rmse(hm: HybridModel, params: ReturnType<HybridModel['init']>, subjects: Subject[]): number {
  const pred = hm.predict(params, subjects);
  let s = 0;
  let n = 0;
  pred.forEach((p, i) => {
    p.observables.forEach((v, k) => {
      s += (v - subjects[i].observations[k]) ** 2;
      n++;
    });
  });
  return Math.sqrt(s / n);
}

const started = Date.now();
const hm = new HybridModel(hybrid);
const fit = train(hm, hm.init(kInit), trainSet, { optimizer: adam(2e-2), epochs: 300, batchSize: 10, seed });
const base = new HybridModel(mechanisticOnly(hybrid));
const baseFit = train(base, base.init(), trainSet, {
  optimizer: adam(2e-2),
  epochs: 300,
  batchSize: 10,
  seed,
});

// Learned vs true clearance on the test subjects: the same model with CL as its observable.
const values = hm.parameterValues(fit.params);
const trueCl = testSet.map(
  (s) => 2 * (s.covariates!.WT / 70) ** 0.75 * Math.exp((-0.4 * (s.covariates!.AGE - 40)) / 40),
);
const probe = new HybridModel(
  parseModel(printModel(hybrid).replace(/obs c = central \/ V ~ normal\(0\.1\)/, 'obs c = CL ~ normal(0.1)')),
);
const clPred = probe.predict(
  fit.params,
  testSet.map((s) => ({ ...s, times: Float64Array.of(1), observations: Float64Array.of(0) })),
);
const relErr = trueCl.map((cl, i) => Math.abs(clPred[i].observables[0] - cl) / cl);

console.log(
  JSON.stringify({
    example: 'ml-first-pk',
    seed,
    seconds: (Date.now() - started) / 1000,
    test_rmse: {
      ml_first: rmse(hm, fit.params, testSet),
      mechanistic_only: rmse(base, baseFit.params, testSet),
    },
    clearance_rel_err: {
      median: relErr.sort((a, b) => a - b)[relErr.length >> 1],
      max: relErr[relErr.length - 1],
    },
    V: values.V,
    ka: values.ka,
  }),
);
